package ratelimit

import (
	"testing"
	"time"
)

// TestSystemPaceClockTimer: the real pacing timer never fires early (a grant before its
// slot is a 429 from a strict vendor), fires once, and stops. How late it fires is
// measured by BenchmarkRateFidelity, not asserted.
func TestSystemPaceClockTimer(t *testing.T) {
	var c SystemPaceClock
	for _, d := range []time.Duration{0, 500 * time.Microsecond, preciseTail / 2, preciseTail + 3*time.Millisecond} {
		start := time.Now()
		ch, stop := c.Timer(d)
		fired := <-ch
		if early := start.Add(d).Sub(fired); early > 0 {
			t.Errorf("Timer(%v) fired %v early", d, early)
		}
		if stop() {
			t.Errorf("Timer(%v): stop after it fired reported stopping it", d)
		}
	}
	ch, stop := c.Timer(time.Hour)
	if !stop() {
		t.Error("stop of a pending timer reported it had fired")
	}
	if stop() {
		t.Error("a second stop reported stopping it again")
	}
	select {
	case <-ch:
		t.Error("a stopped timer fired")
	default:
	}
}
