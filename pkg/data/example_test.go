package data_test

import (
	"fmt"

	"github.com/golecture/regularization/pkg/data"
)

func Example() {
	ds, err := data.Generate(data.Lecture())
	if err != nil {
		panic(err)
	}
	fmt.Println(len(ds.TrainX), len(ds.ValX), len(ds.GridX))
	// Output: 50 10000 401
}
