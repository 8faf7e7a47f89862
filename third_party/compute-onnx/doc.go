// Package onnx stands in for GoMLX's ONNX backend, which this project never builds (see README.md): it
// registers nothing.
package onnx
