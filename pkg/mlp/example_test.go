package mlp_test

import (
	"fmt"

	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/fitcache"
	"github.com/golecture/regularization/pkg/mlp"
)

// Fit a small network for a few epochs and score it (not run as a test: it trains).
func ExampleConfig_Fit() {
	ds, _ := data.Generate(data.Lecture())
	m, err := mlp.New(32, 32).Seeds(mlp.DrawSeeds(7, 2)).Epochs(100).WithHistory().Cache(fitcache.Off()).Fit(ds)
	if err != nil {
		fmt.Println(err)
		return
	}
	val, _ := m.Evaluate(ds.ValX, ds.ValY)
	fmt.Printf("validation MSE %.3f after %d epochs\n", val, len(m.History.Loss))
}

// Every setting is checked before any work, and the error names it.
func ExampleConfig_Validate() {
	fmt.Println(mlp.New(32, 32).Seeds(mlp.DrawSeeds(7, 3)).Validate())
	fmt.Println(mlp.New(32).Dropout(1.5, mlp.Inverted, 1).Validate())
	// Output:
	// seed lists have 4 kernel and 4 bias seeds: need 3 each (2 hidden layers + the output layer); mlp.DrawSeeds(seed, 2) makes them
	// dropout rate = 1.5: need a value in [0, 1)
}

// A Keras-style summary of a network with three hidden layers of 32 units.
func ExampleModel_Summary() {
	m, _ := mlp.New(32, 32, 32).Initial()
	fmt.Print(m.Summary())
	// Output:
	// Model: "mlp_3x32"
	// ______________________________________________________________
	// Layer (type)                   Output Shape            Param #
	// ==============================================================
	// dense_0 (Dense)                (None, 32)                   64
	// dense_1 (Dense)                (None, 32)                1,056
	// dense_2 (Dense)                (None, 32)                1,056
	// dense_3 (Dense)                (None, 1)                    33
	// ==============================================================
	// Total params: 2,209
	// Trainable params: 2,209
	// Non-trainable params: 0
	// ______________________________________________________________
}

// Per-layer gradient maxima of a network at its initial weights.
func ExampleModel_Gradients() {
	ds, _ := data.Generate(data.Lecture())
	m, _ := mlp.New(32, 32, 32, 32, 32).Seeds(mlp.DrawSeeds(5, 5)).Initial()
	g, err := m.Gradients(ds.TrainX, ds.TrainY)
	if err != nil {
		fmt.Println(err)
		return
	}
	maxima := g.MaxAbsByLayer()
	fmt.Println(len(maxima), "layers; the output layer's gradient is larger than the first's:", maxima[5] > maxima[0])
	// Output:
	// 6 layers; the output layer's gradient is larger than the first's: true
}

// A dropout mask: 1 marks a dropped unit.
func ExampleBernoulliMask() {
	mask, _ := mlp.BernoulliMask(964, 0.5, 2, 4)
	fmt.Println(len(mask), len(mask[0]))
	// Output:
	// 2 4
}
