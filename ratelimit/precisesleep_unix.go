//go:build linux || freebsd || netbsd || openbsd || dragonfly

package ratelimit

import (
	"time"

	"golang.org/x/sys/unix"
)

const havePreciseSleep = true

// preciseSleep sleeps d in nanosleep(2), resuming after a signal until d has passed.
func preciseSleep(d time.Duration) {
	deadline := time.Now().Add(d)
	for d > 0 {
		ts := unix.NsecToTimespec(int64(d))
		if err := unix.Nanosleep(&ts, nil); err == nil {
			return
		}
		d = time.Until(deadline) // EINTR: the rest
	}
}
