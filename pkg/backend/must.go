package backend

import "github.com/gomlx/compute"

// MustGet is Get for scratch code that prefers a panic to an error, in the style of GoMLX's Must forms.
func MustGet() compute.Backend {
	b, err := Get()
	if err != nil {
		panic(err)
	}
	return b
}
