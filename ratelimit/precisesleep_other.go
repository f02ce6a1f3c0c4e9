//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package ratelimit

import "time"

// Elsewhere (Windows) the runtime's own timers are used (SystemPaceClock.Timer).
const havePreciseSleep = false

func preciseSleep(d time.Duration) { time.Sleep(d) }
