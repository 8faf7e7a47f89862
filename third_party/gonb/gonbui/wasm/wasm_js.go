//go:build js || wasm

package wasm

// IsWasm is true in WASM builds, and false otherwise.
var IsWasm = true
