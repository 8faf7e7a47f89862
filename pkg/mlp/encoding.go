package mlp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Fits are stored in the fit cache with encoding/gob, and every notebook cell loads again every fit its
// notebook has declared so far. Gob writes a float32 as a variable-length float64, about 6 bytes, that takes
// tens of nanoseconds to decode: notebook 1's fits (about 10 million weights) took 0.6 s of each warm cell.
// Weights therefore encode their values as raw little-endian float32s instead, which decode at memory speed.

// weightsEncoding starts every encoded Weights, so that a future layout can be told apart.
const weightsEncoding = 1

// GobEncode writes w as the encoding version, In, Out, the kernel's and the bias's lengths, then the kernel
// and the bias as little-endian float32s.
func (w Weights) GobEncode() ([]byte, error) {
	buf := make([]byte, 0, 1+4*binary.MaxVarintLen64+4*(len(w.Kernel)+len(w.Bias)))
	buf = append(buf, weightsEncoding)
	for _, n := range []int{w.In, w.Out, len(w.Kernel), len(w.Bias)} {
		buf = binary.AppendUvarint(buf, uint64(n))
	}
	for _, xs := range [][]float32{w.Kernel, w.Bias} {
		for _, x := range xs {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
		}
	}
	return buf, nil
}

// GobDecode reads what GobEncode wrote. Whether the sizes fit a spec is for Model.Check to say; here only
// that they fit the bytes.
func (w *Weights) GobDecode(b []byte) error {
	if len(b) == 0 || b[0] != weightsEncoding {
		return errors.New("mlp.Weights: unknown encoding")
	}
	b = b[1:]
	var n [4]int
	for i := range n {
		v, k := binary.Uvarint(b)
		if k <= 0 || v > uint64(len(b)) {
			return errors.New("mlp.Weights: damaged sizes")
		}
		n[i], b = int(v), b[k:]
	}
	if 4*(n[2]+n[3]) != len(b) {
		return fmt.Errorf("mlp.Weights: %d kernel and %d bias values in %d bytes", n[2], n[3], len(b))
	}
	floats := func(k int) []float32 {
		xs := make([]float32, k)
		for i := range xs {
			xs[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		b = b[4*k:]
		return xs
	}
	*w = Weights{In: n[0], Out: n[1], Kernel: floats(n[2]), Bias: floats(n[3])}
	return nil
}
