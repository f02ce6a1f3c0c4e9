//go:build unix

package ratelimit

import "syscall"

// lockFile takes an exclusive advisory lock on the whole file (flock(2)); it is held by the
// open file description, so it excludes other processes and other QuotaStores.
func lockFile(fd int) error {
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX)
		if err != syscall.EINTR {
			return err
		}
	}
}

func unlockFile(fd int) error { return syscall.Flock(fd, syscall.LOCK_UN) }
