package mlp

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/fitcache"
	"github.com/golecture/regularization/pkg/progress"
)

// codeVersion is part of every fit-cache key: bump it whenever a change here alters what a fit computes.
const codeVersion = "mlp-fit-v1"

// Fit trains the configured network on ds.TrainX/ds.TrainY (validation loss, when recorded, on
// ds.ValX/ds.ValY), or loads the result of an identical earlier fit from the fit cache.
func (c *Config) Fit(ds *data.Dataset) (*Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := checkDataset(ds); err != nil {
		return nil, err
	}
	b, backendKey, err := c.compute()
	if err != nil {
		return nil, err
	}
	cache := c.cache
	if cache == nil {
		cache = fitcache.Default()
	}
	if err := cache.Check(); err != nil {
		return nil, err
	}
	key := c.cacheKey(ds, backendKey)
	var saved savedModel
	if hit, err := cache.Load(key, &saved); err != nil {
		return nil, err
	} else if hit {
		m := saved.model()
		m.backend = c.backend
		return m, nil
	}

	t, err := newTrainer(c, ds)
	if err != nil {
		return nil, err
	}
	var bar *progress.Bar
	if !c.quiet {
		bar = progress.New("fit "+c.Architecture(), c.epochs)
	}
	start := time.Now()
	for epoch := 1; epoch <= c.epochs; epoch++ {
		loss, err := t.step()
		if err != nil {
			return nil, fmt.Errorf("epoch %d: %w", epoch, err)
		}
		bar.Update(epoch, loss)
	}
	bar.Done()
	m, err := t.model()
	if err != nil {
		return nil, err
	}
	m.FitTime = time.Since(start)
	m.Backend = b.Name()
	m.backend = c.backend
	if err := cache.Save(key, newSavedModel(m)); err != nil {
		return m, err
	}
	return m, nil
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

// cacheKey hashes everything that decides a fit's result.
func (c *Config) cacheKey(ds *data.Dataset, backendConfig string) string {
	s := c.resolvedSeeds()
	return fitcache.Key(codeVersion, "float32", backendConfig, c.hidden, s.Kernel, s.Bias, c.epochs, c.adam,
		c.initSD, c.dropout, int(c.dropoutMode), c.dropoutSeed, c.history, dataDigest(ds))
}

// dataDigest hashes the training and validation values bit for bit.
func dataDigest(ds *data.Dataset) string {
	h := sha256.New()
	for _, xs := range [][]float32{ds.TrainX, ds.TrainY, ds.ValX, ds.ValY} {
		_ = binary.Write(h, binary.LittleEndian, int64(len(xs)))
		_ = binary.Write(h, binary.LittleEndian, xs)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// trainer holds one fit in progress: the Store with weights and Adam state, and the compiled step.
type trainer struct {
	cfg     *Config
	store   *model.Store
	vars    []layerVars
	exec    *model.Exec
	args    []any
	history *History
}

func newTrainer(c *Config, ds *data.Dataset) (t *trainer, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("GoMLX: %v", r)
		}
	}()
	b, _, err := c.compute()
	if err != nil {
		return nil, err
	}
	layers := initLayers(c.hidden, c.resolvedSeeds(), c.initSD)
	store, vars, err := newStore(layers)
	if err != nil {
		return nil, err
	}
	if err := store.SetRNGStateFromSeed(c.dropoutSeed); err != nil {
		return nil, err
	}
	t = &trainer{cfg: c, store: store, vars: vars}
	n := len(ds.TrainX)
	t.args = []any{
		tensors.FromFlatDataAndDimensions(slices.Clone(ds.TrainX), n, 1),
		tensors.FromFlatDataAndDimensions(slices.Clone(ds.TrainY), n, 1),
	}
	if c.history {
		t.history = &History{}
		nv := len(ds.ValX)
		t.args = append(t.args,
			tensors.FromFlatDataAndDimensions(slices.Clone(ds.ValX), nv, 1),
			tensors.FromFlatDataAndDimensions(slices.Clone(ds.ValY), nv, 1))
		t.exec, err = model.NewExec(b, store, func(scope *model.Scope, x, y, vx, vy *graph.Node) (loss, valLoss *graph.Node) {
			loss = t.buildStep(scope, x, y)
			valLoss = mse(forward(vx, vars, dropout{rate: c.dropout, mode: c.dropoutMode}), vy)
			return loss, valLoss
		})
	} else {
		t.exec, err = model.NewExec(b, store, func(scope *model.Scope, x, y *graph.Node) *graph.Node {
			return t.buildStep(scope, x, y)
		})
	}
	return t, err
}

// buildStep builds one full-batch Adam step; it returns the loss before the update. The weights, Adam's
// moments, its step counter and the dropout random state are Store variables, updated in place.
func (t *trainer) buildStep(scope *model.Scope, x, y *graph.Node) *graph.Node {
	g := x.Graph()
	c := t.cfg
	d := dropout{rate: c.dropout, mode: c.dropoutMode, mask: keepMask(scope, c.dropout)}
	loss := mse(forward(x, t.vars, d), y)

	var params []*model.Variable
	for _, lv := range t.vars {
		params = append(params, lv.kernel, lv.bias)
	}
	nodes := make([]*graph.Node, len(params))
	for i, v := range params {
		nodes[i] = v.NodeValue(g)
	}
	grads := graph.Gradient(loss, nodes...)

	a := c.adam
	dt := dtypes.Float32
	adamScope := scope.In("adam")
	stepVar := adamScope.VariableWithValue("step", float32(0))
	stepVar.SetTrainable(false)
	step := graph.AddScalar(stepVar.NodeValue(g), 1)
	stepVar.SetNodeValue(step)
	one := graph.ScalarOne(g, dt)
	// lr_t = lr * sqrt(1 - β2^t) / (1 - β1^t)
	lrT := graph.MulScalar(graph.Div(
		graph.Sqrt(graph.Sub(one, graph.Pow(graph.Scalar(g, dt, a.Beta2), step))),
		graph.Sub(one, graph.Pow(graph.Scalar(g, dt, a.Beta1), step))), a.LearningRate)
	for i, v := range params {
		// Moments start at zero (tensors.FromShape is zero-filled).
		mVar := adamScope.VariableWithValue(fmt.Sprintf("m_%d", i), tensors.FromShape(v.Shape()))
		vVar := adamScope.VariableWithValue(fmt.Sprintf("v_%d", i), tensors.FromShape(v.Shape()))
		mVar.SetTrainable(false)
		vVar.SetTrainable(false)
		grad := grads[i]
		m := graph.Add(graph.MulScalar(mVar.NodeValue(g), a.Beta1), graph.MulScalar(grad, 1-a.Beta1))
		s := graph.Add(graph.MulScalar(vVar.NodeValue(g), a.Beta2), graph.MulScalar(graph.Square(grad), 1-a.Beta2))
		update := graph.Mul(lrT, graph.Div(m, graph.AddScalar(graph.Sqrt(s), a.Epsilon)))
		v.SetNodeValue(graph.Sub(nodes[i], update))
		mVar.SetNodeValue(m)
		vVar.SetNodeValue(s)
	}
	return loss
}

// step runs one epoch and returns its training loss.
func (t *trainer) step() (float64, error) {
	out, err := call(t.exec, t.args...)
	if err != nil {
		return math.NaN(), err
	}
	loss := float64(tensors.ToScalar[float32](out[0]))
	if t.history != nil {
		t.history.Loss = append(t.history.Loss, loss)
		t.history.ValLoss = append(t.history.ValLoss, float64(tensors.ToScalar[float32](out[1])))
	}
	for _, o := range out {
		_ = o.FinalizeAll()
	}
	return loss, nil
}

// model copies the trained weights out of the Store.
func (t *trainer) model() (*Model, error) {
	c := t.cfg
	m := &Model{Hidden: c.Hidden(), DropoutRate: c.dropout, DropoutMode: c.dropoutMode,
		History: t.history, Epochs: c.epochs, Layers: make([]Layer, len(t.vars))}
	for i, lv := range t.vars {
		k, err := lv.kernel.Value()
		if err != nil {
			return nil, err
		}
		b, err := lv.bias.Value()
		if err != nil {
			return nil, err
		}
		l := Layer{In: k.Shape().Dimensions[0], Out: k.Shape().Dimensions[1]}
		if l.Kernel, err = tensors.CopyFlatData[float32](k); err != nil {
			return nil, err
		}
		if l.Bias, err = tensors.CopyFlatData[float32](b); err != nil {
			return nil, err
		}
		m.Layers[i] = l
	}
	return m, nil
}

// savedModel is what the fit cache stores: plain exported data only.
type savedModel struct {
	Hidden      []int
	Layers      []Layer
	Loss        []float64
	ValLoss     []float64
	HasHistory  bool
	DropoutRate float64
	DropoutMode int
	Backend     string
	FitNanos    int64
	Epochs      int
}

func newSavedModel(m *Model) savedModel {
	s := savedModel{Hidden: m.Hidden, Layers: m.Layers, DropoutRate: m.DropoutRate, DropoutMode: int(m.DropoutMode),
		Backend: m.Backend, FitNanos: int64(m.FitTime), Epochs: m.Epochs}
	if m.History != nil {
		s.HasHistory, s.Loss, s.ValLoss = true, m.History.Loss, m.History.ValLoss
	}
	return s
}

func (s savedModel) model() *Model {
	m := &Model{Hidden: s.Hidden, Layers: s.Layers, DropoutRate: s.DropoutRate, DropoutMode: DropoutMode(s.DropoutMode),
		Backend: s.Backend, FitTime: time.Duration(s.FitNanos), Epochs: s.Epochs, FromDisk: true}
	if s.HasHistory {
		m.History = &History{Loss: s.Loss, ValLoss: s.ValLoss}
	}
	return m
}
