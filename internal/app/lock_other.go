//go:build !unix

package app

// dirLock is a no-op where flock is unavailable; run one Kite per data dir.
type dirLock struct{}

func lockDataDir(string) (*dirLock, error) { return &dirLock{}, nil }

func (*dirLock) release() {}
