// Package codehash fingerprints Go source code by its tokens, so that cached results can be keyed by the
// code that computed them.
//
// A package whose results are cached embeds its own sources and exposes their hash:
//
//	//go:embed *.go
//	var sources embed.FS
//
//	// CodeHash identifies this package's code (and that of the packages it lists).
//	var CodeHash = sync.OnceValue(func() string { return codehash.Of(sources, dependency.CodeHash()) })
//
// The hash covers every token of the non-test .go files, in file-name order, and nothing else: editing a
// comment, a blank line or the formatting leaves it unchanged, while any change a compiler could see
// changes it. Since GoNB builds a notebook's cells from the working tree, an edit under pkg/ gives new keys at
// the next cell, and the results computed by the old code are no longer found.
package codehash

import (
	"crypto/sha256"
	"encoding/hex"
	"go/scanner"
	"go/token"
	"io/fs"
	"sort"
	"strings"
)

// Of hashes the tokens of the .go files (tests excluded) at the top of fsys, then the hashes of the
// packages the code depends on.
func Of(fsys fs.FS, deps ...string) string {
	h := sha256.New()
	names, _ := fs.Glob(fsys, "*.go")
	sort.Strings(names)
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			h.Write([]byte("unreadable " + name)) // Cannot happen for an embed.FS; still changes the hash.
			continue
		}
		h.Write([]byte(name + "\x00"))
		writeTokens(h, src)
	}
	for _, d := range deps {
		h.Write([]byte("\x00dep " + d))
	}
	return hex.EncodeToString(h.Sum(nil))[:24]
}

// writeTokens writes each token of src and its literal text, one per line; comments and the semicolons
// the scanner inserts at line ends are left out, so layout does not count.
func writeTokens(h interface{ Write([]byte) (int, error) }, src []byte) {
	var s scanner.Scanner
	fset := token.NewFileSet()
	s.Init(fset.AddFile("", fset.Base(), len(src)), src, nil, 0)
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			return
		}
		if tok == token.SEMICOLON && lit == "\n" {
			continue
		}
		_, _ = h.Write([]byte(tok.String() + " " + lit + "\n"))
	}
}
