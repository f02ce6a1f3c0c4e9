// Package filelock takes exclusive advisory locks on whole files, across
// processes: flock(2) on Unix, LockFileEx on Windows. The lock belongs to the
// open file, so the kernel drops it when the holder exits, even by SIGKILL: a
// crashed holder never blocks the next process.
package filelock

import (
	"errors"
	"os"
)

// ErrLocked is returned by TryLock when another open file holds the lock.
var ErrLocked = errors.New("file is locked by another process")

// Lock blocks until it holds the exclusive lock on f.
func Lock(f *os.File) error { return lock(f, true) }

// TryLock takes the exclusive lock on f or returns ErrLocked at once.
func TryLock(f *os.File) error { return lock(f, false) }

// Unlock releases a lock taken by Lock or TryLock. Closing f also releases it.
func Unlock(f *os.File) error { return unlock(f) }
