//go:build !unix

package goexec

import (
	"errors"
	"os"
)

var errNoSlots = errors.New("reusable cell programs need a unix system")

func privateDir(string) error { return errNoSlots }

func tryLock(string) (*os.File, bool, error) { return nil, false, errNoSlots }

func cpuSeconds() float64 { return 0 }
