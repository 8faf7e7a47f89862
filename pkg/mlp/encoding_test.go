package mlp

import (
	"bytes"
	"encoding/gob"
	"math"
	"slices"
	"testing"
)

func sampleWeights(in, out int) Weights {
	w := Weights{In: in, Out: out, Kernel: make([]float32, in*out), Bias: make([]float32, out)}
	for i := range w.Kernel {
		w.Kernel[i] = float32(math.Sin(float64(i))) * 1e-3
	}
	w.Bias[0] = float32(math.Copysign(0, -1)) // -0 must survive as -0.
	w.Bias[out-1] = math.SmallestNonzeroFloat32
	return w
}

func TestWeightsGobRoundTripIsBitExact(t *testing.T) {
	m := Model{Spec: Stack(3, 2), Weights: []Weights{sampleWeights(1, 3), sampleWeights(3, 2), sampleWeights(2, 1)}}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&m); err != nil {
		t.Fatal(err)
	}
	var got Model
	if err := gob.NewDecoder(&buf).Decode(&got); err != nil {
		t.Fatal(err)
	}
	bits := func(xs []float32) []uint32 {
		out := make([]uint32, len(xs))
		for i, x := range xs {
			out[i] = math.Float32bits(x)
		}
		return out
	}
	for i, w := range m.Weights {
		g := got.Weights[i]
		if g.In != w.In || g.Out != w.Out || !slices.Equal(bits(g.Kernel), bits(w.Kernel)) ||
			!slices.Equal(bits(g.Bias), bits(w.Bias)) {
			t.Fatalf("layer %d: got %+v, want %+v", i, g, w)
		}
	}
}

func TestWeightsGobDecodeRejectsDamage(t *testing.T) {
	good, err := sampleWeights(2, 3).GobEncode()
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		"empty":          nil,
		"other encoding": append([]byte{9}, good[1:]...),
		"truncated":      good[:len(good)-1],
		"extra byte":     append(slices.Clone(good), 0),
		"huge size":      {weightsEncoding, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	}
	for name, b := range bad {
		var w Weights
		if err := w.GobDecode(b); err == nil {
			t.Errorf("%s: decoded %+v, want an error", name, w)
		}
	}
}

// BenchmarkDecodeWeights decodes one 1024 x 1024 layer, the bulk of the dropout network's fit.
func BenchmarkDecodeWeights(b *testing.B) {
	raw, err := sampleWeights(1024, 1024).GobEncode()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		var w Weights
		if err := w.GobDecode(raw); err != nil {
			b.Fatal(err)
		}
	}
}
