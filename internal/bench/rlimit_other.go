//go:build !unix

package bench

// raiseFileLimit has nothing to raise where there are no rlimits.
func raiseFileLimit(need uint64) error { return nil }
