// Package mlp fits the lecture's multilayer perceptrons with GoMLX: dense ReLU layers, a linear output,
// optional dropout, full-batch Adam on mean squared error, and the inspection tools the lecture uses
// (a Keras-style summary, the weight variables, and per-layer gradients).
//
// A fit is described by a [Config] built with chained methods, then run with [Config.Fit]:
//
//	ds, _ := data.Generate(data.Lecture())
//	seeds := mlp.DrawSeeds(65392, 5)             // one kernel and one bias seed per layer (5 hidden + output)
//	m, err := mlp.New(256, 256, 256, 256, 256).
//		Seeds(seeds).Epochs(1000).WithHistory().
//		Fit(ds)
//	if err != nil { ... }
//	trainMSE, _ := m.Evaluate(ds.TrainX, ds.TrainY)
//	fmt.Println(m.Summary())
//
// What Fit does, so results can be compared with the lecture's Keras run:
//
//   - every kernel and every bias starts from N(0, 0.05²), each drawn from its own seed;
//   - one Adam step per epoch on the whole training set, computed as Keras does it
//     (see [Adam]: the step size is bias-corrected and epsilon is added to the square root of the
//     uncorrected second moment, which matters exactly when gradients are tiny);
//   - float32 throughout;
//   - with [Config.WithHistory], the training loss of each step and the validation loss after it.
//
// Fits are memoized on disk by package fitcache (see [Config.Cache]): a notebook cell that is run again
// loads its model instead of training it again.
//
// Dropout ([Config.Dropout]) comes in the two conventions the lecture explains, [Inverted] (Keras') and
// [ScaleAtPredict]; [BernoulliMask] draws the masks the lecture prints to show what dropout does.
//
// [Model.Gradients] returns the gradient of the training loss with respect to every kernel and bias;
// [Gradients.MaxAbsByLayer] gives the per-layer maxima that show gradients vanishing in deep ReLU stacks.
package mlp
