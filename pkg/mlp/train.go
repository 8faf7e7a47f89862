package mlp

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/golecture/regularization/pkg/backend"
	"github.com/golecture/regularization/pkg/data"
)

// A fit's first execution runs firstChunk epochs; later ones as many as take about chunkTarget.
const (
	firstChunk  = 10
	chunkTarget = 250 * time.Millisecond
)

// EpochFunc is told, after each epoch, its number (from 1) and its training loss. Returning an error stops
// the fit with that error: a progress display uses it to draw, an interrupt handler to stop.
type EpochFunc func(epoch int, loss float64) error

// Train fits spec on ds.TrainX/ds.TrainY, one full-batch Keras-form Adam step per epoch, on backend b (nil:
// backend.Get()). With spec.set.RecordHistory it also records the validation loss on ds.ValX/ds.ValY after every
// step. each, if not nil, is called after every epoch; epochs run in chunks of one execution each (about a
// quarter of a second's worth), so each is called for a chunk's epochs when that chunk ends, and an error
// from it stops the fit at the end of a chunk.
//
// A fit whose loss stops being finite (a learning rate or initial weights too large, targets too big for
// float32) ends with an error naming the epoch, never with a model; so does one whose final weights are
// absurd or score more than [DivergedFactor] times a constant prediction on the training set.
func Train(spec *Spec, ds *data.Dataset, b compute.Backend, each EpochFunc) (*Model, error) {
	m, err := trainSteps(spec, ds, b, each)
	if err != nil {
		return nil, err
	}
	if err := checkFinal(m, ds); err != nil {
		return nil, err
	}
	return m, nil
}

func trainSteps(spec *Spec, ds *data.Dataset, b compute.Backend, each EpochFunc) (*Model, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if err := checkDataset(ds); err != nil {
		return nil, err
	}
	valPoints := 0
	if spec.set.RecordHistory {
		valPoints = len(ds.ValX)
	}
	if err := spec.CheckSize(len(ds.TrainX), valPoints); err != nil {
		return nil, err
	}
	if b == nil {
		var err error
		if b, err = backend.Get(); err != nil {
			return nil, err
		}
	}
	n, err := netFor(b, spec)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.reset(spec); err != nil {
		return nil, err
	}
	kind := execTrain
	args := []any{column(ds.TrainX), column(ds.TrainY)}
	var history *History
	if spec.set.RecordHistory {
		kind = execTrainVal
		args = append(args, column(ds.ValX), column(ds.ValY))
		history = &History{Loss: make([]float64, 0, spec.set.NumEpochs), ValLoss: make([]float64, 0, spec.set.NumEpochs)}
	}
	e, err := n.exec(kind, 0)
	if err != nil {
		return nil, err
	}
	// Epochs run in chunks, one execution each (see trainLoop). The first chunk is short; later ones are sized
	// to take about chunkTarget, so that the progress line moves and an interrupt stops the fit promptly.
	chunk := firstChunk
	for done := 0; done < spec.set.NumEpochs; {
		count := min(chunk, spec.set.NumEpochs-done, loopCapacity)
		if !n.loops() {
			count = 1
		}
		start := time.Now()
		out, err := e.Call(append(args, int32(count))...)
		if err != nil {
			return nil, fmt.Errorf("epochs %d-%d: %w", done+1, done+count, err)
		}
		losses, err := tensors.CopyFlatData[float32](out[0])
		if err != nil {
			return nil, err
		}
		var vals []float32
		if history != nil {
			if vals, err = tensors.CopyFlatData[float32](out[1]); err != nil {
				return nil, err
			}
		}
		for _, o := range out {
			_ = o.FinalizeAll()
		}
		for k := range count {
			epoch, loss, val := done+k+1, float64(losses[k]), math.NaN()
			if history != nil {
				val = float64(vals[k])
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) || (history != nil && (math.IsNaN(val) || math.IsInf(val, 0))) {
				return nil, fmt.Errorf("epoch %d of %d: the fit diverged (training loss %v, validation loss %v): "+
					"lower the learning rate (%g) or the initial standard deviation (%g), or scale the targets down",
					epoch, spec.set.NumEpochs, loss, val, spec.set.Adam.LearningRate, spec.set.InitSD)
			}
			if history != nil {
				history.Loss, history.ValLoss = append(history.Loss, loss), append(history.ValLoss, val)
			}
			if each != nil {
				if err := each(epoch, loss); err != nil {
					return nil, err
				}
			}
		}
		done += count
		perEpoch := time.Since(start) / time.Duration(count)
		chunk = max(1, int(chunkTarget/max(perEpoch, time.Microsecond)))
	}
	m := &Model{Spec: spec.Clone(), History: history, Backend: b.Name(), Trained: spec.set.NumEpochs, backend: b}
	for i, v := range n.kernels {
		k, err := v.Value()
		if err != nil {
			return nil, err
		}
		bias, err := n.biases[i].Value()
		if err != nil {
			return nil, err
		}
		w := Weights{In: k.Shape().Dimensions[0], Out: k.Shape().Dimensions[1]}
		if w.Kernel, err = tensors.CopyFlatData[float32](k); err != nil {
			return nil, err
		}
		if w.Bias, err = tensors.CopyFlatData[float32](bias); err != nil {
			return nil, err
		}
		m.Weights = append(m.Weights, w)
	}
	return m, nil
}

// checkFinal rejects a fit whose final weights are absurd or score absurdly on the training set: the last
// step's update is in no recorded loss, so a fit can blow up there unseen.
func checkFinal(m *Model, ds *data.Dataset) error {
	spec := m.Spec
	if err := m.Check(); err != nil {
		return fmt.Errorf("after %d epochs the fit diverged: %w; lower the learning rate (%g)",
			spec.set.NumEpochs, err, spec.set.Adam.LearningRate)
	}
	final, err := m.Evaluate(ds.TrainX, ds.TrainY)
	if err == nil && final > DivergedFactor*max(data.Variance(ds.TrainY), 1e-12) {
		err = fmt.Errorf("its training MSE is %.3g, %.0f times what a constant prediction scores", final,
			final/data.Variance(ds.TrainY))
	}
	if err != nil {
		return fmt.Errorf("after %d epochs the fit diverged: %v; lower the learning rate (%g) or the initial "+
			"standard deviation (%g)", spec.set.NumEpochs, err, spec.set.Adam.LearningRate, spec.set.InitSD)
	}
	return nil
}

// DivergedFactor is how many times the targets' variance (the MSE of a constant prediction) a fit's final
// training MSE may reach before the fit counts as diverged: a network that trains badly lands within a few
// times that; one whose weights blew up lands orders of magnitude beyond.
const DivergedFactor = 1000

// reset starts a fit: the initial weights of spec in the net's variables (fresh tensors, since a training
// step hands their buffers over to its outputs), the optimizer's state at zero and the dropout masks' random
// stream at spec's seed. The caller holds n.mu.
func (n *net) reset(spec *Spec) error {
	weights := map[string]bool{}
	for i, w := range initialWeights(spec) {
		if err := n.kernels[i].SetValuePreservingOld(tensors.FromFlatDataAndDimensions(w.Kernel, w.In, w.Out)); err != nil {
			return err
		}
		if err := n.biases[i].SetValuePreservingOld(tensors.FromFlatDataAndDimensions(w.Bias, w.Out)); err != nil {
			return err
		}
		weights[n.kernels[i].Path()], weights[n.biases[i].Path()] = true, true
	}
	for v := range n.store.IterVariables() {
		if !weights[v.Path()] { // Adam's step counter and moments, the global step, the random state.
			if err := v.SetValuePreservingOld(tensors.FromShape(v.Shape())); err != nil {
				return err
			}
		}
	}
	return n.store.SetRNGStateFromSeed(spec.set.DropoutSeed)
}

func checkDataset(ds *data.Dataset) error {
	if ds == nil {
		return fmt.Errorf("data set is nil: make one with data.Generate(data.Lecture())")
	}
	if err := checkPairs(ds.TrainX, ds.TrainY); err != nil {
		return fmt.Errorf("training set: %w", err)
	}
	if err := checkPairs(ds.ValX, ds.ValY); err != nil {
		return fmt.Errorf("validation set: %w", err)
	}
	return nil
}

// AveragePredictions returns each model's predictions on xs and their mean: an ensemble's prediction.
func AveragePredictions(models []*Model, xs []float32) (each [][]float32, mean []float32, err error) {
	return AveragePredictionsWith(models, xs, (*Model).Predict)
}

// AveragePredictionsWith is AveragePredictions with each model's predictions made by predict (one that
// remembers them, say) instead of Model.Predict.
func AveragePredictionsWith(models []*Model, xs []float32, predict func(*Model, []float32) ([]float32, error)) (
	each [][]float32, mean []float32, err error) {
	if len(models) == 0 {
		return nil, nil, fmt.Errorf("no models to average: pass at least one")
	}
	if i := slices.Index(models, nil); i >= 0 {
		return nil, nil, fmt.Errorf("model %d of %d is missing (nil): fit it first", i+1, len(models))
	}
	mean = make([]float32, len(xs))
	sums := make([]float64, len(xs))
	for _, m := range models {
		p, err := predict(m, xs)
		if err != nil {
			return nil, nil, err
		}
		each = append(each, p)
		for i, v := range p {
			sums[i] += float64(v)
		}
	}
	for i, s := range sums {
		mean[i] = float32(s / float64(len(models)))
	}
	return each, mean, nil
}
