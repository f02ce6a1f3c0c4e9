package ratelimit

import "time"

// PaceClock is the time of pacing: the per-key schedules, the waits for a slot, for an
// in-flight slot to free or a pause to end, and the pauses themselves. It is not Clock:
// Clock says which quota day it is (tests move it across midnight while calls go on at
// their real pace); PaceClock says when the next call may go (tests replace it to check
// the schedule to the nanosecond without sleeping). The real one is monotonic time.
type PaceClock interface {
	Now() time.Time
	// Timer returns a channel that receives once d has passed on this clock, and a
	// function that stops the timer (reporting whether it stopped it before it fired).
	Timer(d time.Duration) (<-chan time.Time, func() bool)
}

// SystemPaceClock is real monotonic time.
type SystemPaceClock struct{}

// Now returns time.Now() (with its monotonic reading).
func (SystemPaceClock) Now() time.Time { return time.Now() }

// Timer is time.NewTimer.
func (SystemPaceClock) Timer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}
