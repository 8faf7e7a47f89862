// Package mlp describes and trains the lecture's multilayer perceptrons with GoMLX: dense layers, dropout
// layers, full-batch Keras-form Adam (package kerasadam) on mean squared error, and the inspection tools the
// lecture uses (a Keras-style summary, the kernels, and per-layer gradients).
//
// A network is a [Spec]: a layer list, as Keras' Sequential model writes it, plus what else decides a fit
// (seeds, epochs, optimizer, initialization, dropout masks). [Stack] is the short form for plain ReLU stacks:
//
//	spec := mlp.Sequential(
//		mlp.Dense(1024, mlp.ReLU),
//		mlp.Dropout(0.2),
//		mlp.Dense(1024, mlp.ReLU),
//		mlp.Dense(1, mlp.Linear),
//	).Seed(8746).Epochs(1000)
//	small := mlp.Stack(256, 256, 256, 256, 256).Seed(65392)
//
// [Train] fits a Spec and returns a [Model]; it knows nothing of caching or progress displays, which package
// runner adds. What a fit does, so results can be compared with the lecture's Keras run:
//
//   - every kernel and every bias starts from N(0, 0.05²), each drawn from its own seed;
//   - one Adam step per epoch on the whole training set, computed as Keras does it (see package kerasadam);
//   - float32 throughout;
//   - with [Spec.WithHistory], the training loss of each step and the validation loss after it.
//
// The network is built with GoMLX's own layers (layers.Dense over pre-seeded variables, activation.Relu,
// layers.DropoutNormalize driven by the Store's training flag) in one model.Store per architecture, shared by
// every model of that architecture, so graphs compile once and training and prediction run the same code.
// On XLA, many epochs run in one execution (a graph.While loop over the Adam step, with the weights and the
// optimizer's state kept on the device), which removes the host round trip of every epoch; the results are
// bit for bit those of one step per execution.
//
// Dropout comes in the two conventions the lecture explains, [Inverted] (Keras') and [ScaleAtPredict];
// [BernoulliMask] draws the masks the lecture prints to show what dropout does.
package mlp
