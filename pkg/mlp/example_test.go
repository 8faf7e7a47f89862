package mlp_test

import (
	"fmt"

	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/mlp"
)

// Fit a small network for a few epochs and score it (not run as a test: it trains).
func ExampleTrain() {
	ds, _ := data.Generate(data.Lecture())
	m, err := mlp.Train(mlp.Stack(32, 32).Seed(7).Epochs(100).WithHistory(), ds, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	val, _ := m.Evaluate(ds.ValX, ds.ValY)
	fmt.Printf("validation MSE %.3f after %d epochs\n", val, len(m.History.Loss))
}

// Every setting is checked before any work, and the error names it.
func ExampleSpec_Validate() {
	fmt.Println(mlp.Stack(32, 32).Seed(7).Epochs(0).Validate())
	fmt.Println(mlp.Sequential(mlp.Dense(32, mlp.ReLU), mlp.Dropout(1.5), mlp.Dense(1, mlp.Linear)).Validate())
	// Output:
	// epochs = 0: need between 1 and 10000000
	// layer 1: dropout rate = 1.5: need a value in [0, 1)
}

// The lecture's dropout network in small: a layer list, Keras-style, and its summary.
func ExampleSequential() {
	spec := mlp.Sequential(
		mlp.Dense(32, mlp.ReLU),
		mlp.Dropout(0.2),
		mlp.Dense(32, mlp.ReLU),
		mlp.Dense(1, mlp.Linear),
	).Seed(8746)
	m, err := mlp.Initial(spec)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(m.Summary())
	// Output:
	// Model: "mlp_2x32, dropout 0.2 x1"
	// ______________________________________________________________
	// Layer (type)                   Output Shape            Param #
	// ==============================================================
	// dense_0 (Dense)                (None, 32)                   64
	// dropout_1 (Dropout 0.2)        (None, 32)                    0
	// dense_1 (Dense)                (None, 32)                1,056
	// dense_2 (Dense)                (None, 1)                    33
	// ==============================================================
	// Total params: 1,153
	// Trainable params: 1,153
	// Non-trainable params: 0
	// ______________________________________________________________
}

// Per-layer gradient maxima of a network at its initial weights.
func ExampleModel_Gradients() {
	ds, _ := data.Generate(data.Lecture())
	m, _ := mlp.Initial(mlp.Stack(32, 32, 32, 32, 32).Seed(5))
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
