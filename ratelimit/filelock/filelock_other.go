//go:build !unix && !windows

package filelock

import (
	"errors"
	"os"
)

// Platforms with neither flock nor LockFileEx (js, wasip1, plan9) are not
// supported: a lock that silently excludes nothing would let two processes
// pay twice, so refuse instead.
func lock(f *os.File, wait bool) error {
	return errors.New("filelock: file locks are not supported on this platform")
}

func unlock(f *os.File) error { return nil }
