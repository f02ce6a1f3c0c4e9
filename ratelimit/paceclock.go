package ratelimit

import (
	"sync/atomic"
	"time"
)

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

// preciseTail is the end of a wait that a precise timer sleeps in the kernel.
const preciseTail = 2 * time.Millisecond

// Timer fires once d has passed, to within the kernel's timer slack where it can.
//
// Why not time.NewTimer alone: when the process has nothing else to do, Go's runtime
// waits for its next timer in the network poller, whose timeout is in whole milliseconds,
// so a timer fires up to a millisecond late, and in an idle process it nearly always does
// (measured: a burst-1 key's grants a median 0.97 ms after their slot with answers in no
// time, 0.05 ms while answers kept the runtime awake). A grant that late is lost rate:
// 5% at 50 QPS. Where the system has a precise sleep (nanosleep(2)), the timer sleeps
// the runtime's way until preciseTail before d, then the rest in the kernel on its own
// thread (a blocking system call: the runtime hands the thread's P to others meanwhile).
func (SystemPaceClock) Timer(d time.Duration) (<-chan time.Time, func() bool) {
	if !havePreciseSleep || d <= 0 {
		t := time.NewTimer(d)
		return t.C, t.Stop
	}
	deadline := time.Now().Add(d)
	c := make(chan time.Time, 1)
	stop := make(chan struct{})
	var state atomic.Int32 // 0 pending, 1 fired, 2 stopped
	go func() {
		if coarse := d - preciseTail; coarse > 0 {
			t := time.NewTimer(coarse)
			select {
			case <-t.C:
			case <-stop:
				t.Stop()
				return
			}
		}
		if state.Load() != 0 {
			return
		}
		preciseSleep(time.Until(deadline))
		if state.CompareAndSwap(0, 1) {
			c <- time.Now()
		}
	}()
	return c, func() bool {
		if !state.CompareAndSwap(0, 2) {
			return false
		}
		close(stop)
		return true
	}
}
