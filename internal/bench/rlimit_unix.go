//go:build unix

package bench

import (
	"fmt"
	"syscall"
)

// raiseFileLimit lifts this process's soft limit of open files to the hard
// limit, as every socket is a file, and fails when even the hard limit is
// below need.
func raiseFileLimit(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("reading the open-file limit: %w", err)
	}
	// An unlimited hard limit reads as the largest value, so it passes.
	if lim.Max < need {
		return fmt.Errorf("the open-file limit is %d but the sockets need %d: raise the hard limit (ulimit -Hn) or open fewer", lim.Max, need)
	}
	if lim.Cur >= need {
		return nil
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("raising the open-file limit to %d: %w", lim.Max, err)
	}
	return nil
}
