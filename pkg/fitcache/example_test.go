package fitcache_test

import (
	"fmt"
	"os"

	"github.com/golecture/regularization/pkg/fitcache"
)

// line is the model of this example: any value gob can encode will do.
type line struct{ Slope, Intercept float64 }

// fitLine stands for an expensive training run.
func fitLine(xs, ys []float64) line {
	fmt.Println("training")
	n := float64(len(xs))
	var sx, sy, sxx, sxy float64
	for i, x := range xs {
		sx, sy, sxx, sxy = sx+x, sy+ys[i], sxx+x*x, sxy+x*ys[i]
	}
	slope := (n*sxy - sx*sy) / (n*sxx - sx*sx)
	return line{Slope: slope, Intercept: (sy - slope*sx) / n}
}

// fit returns the line through xs and ys, trained once and loaded from the cache afterwards.
func fit(c *fitcache.Cache, xs, ys []float64) (line, error) {
	key := fitcache.Key("line fit v1", xs, ys)
	release, err := c.Lock(key) // another process needing the same fit waits here, then loads it
	if err != nil {
		return line{}, err
	}
	defer release()
	var m line
	hit, err := c.Load(key, &m)
	if err != nil {
		return line{}, err
	}
	if !hit {
		m = fitLine(xs, ys)
		if err := c.Save(key, m); err != nil {
			return line{}, err
		}
	}
	return m, nil
}

func Example() {
	dir, err := os.MkdirTemp("", "fitcache-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	c := fitcache.In(dir) // in a notebook: fitcache.Default()

	xs, ys := []float64{0, 1, 2, 3}, []float64{1, 3, 5, 7}
	for cell := 1; cell <= 2; cell++ { // every notebook cell is a new process; the cache outlives it
		m, err := fit(c, xs, ys)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("cell %d: y = %gx + %g\n", cell, m.Slope, m.Intercept)
	}
	// Output:
	// training
	// cell 1: y = 2x + 1
	// cell 2: y = 2x + 1
}
