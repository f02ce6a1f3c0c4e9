//go:build !(linux || freebsd || netbsd || openbsd || dragonfly)

package ratelimit

import "time"

// Elsewhere (Windows; macOS, where x/sys/unix has no nanosleep) the runtime's own timers
// are used (SystemPaceClock.Timer).
const havePreciseSleep = false

func preciseSleep(d time.Duration) { time.Sleep(d) }
