//go:build !unix

package ratelimit

// On non-Unix systems only the in-process mutex protects a quota file: several stores in
// one process are not excluded from each other, nor are several processes.
func lockFile(fd int) error   { return nil }
func unlockFile(fd int) error { return nil }
