package ratelimit

import (
	"math"
	"time"
)

// schedule paces one key with GCRA (the generic cell rate algorithm, a "virtual scheduling"
// token bucket): tat is the theoretical arrival time of the next call at the current
// interval, and a call conforms when it is granted no earlier than tat − (burst−1)·interval.
//
// Why not a token bucket with reservations (x/time/rate, as before): a reservation fixes a
// call's time when it is made, at the rate of that moment. With many workers waiting on one
// key, a halving of the rate after a 429 left the older reservations where they were and new
// ones landed among them: a burst, another 429, another halving (issue 12, part 1). Here
// nothing is reserved ahead: a call is granted only when it conforms *now*, at the interval
// in force now, so a rate change applies to every waiting caller at once.
//
// The schedule is pure arithmetic on times it is given; the pool passes its pacing clock's
// now, which is how the tests drive it with a fake clock.
type schedule struct {
	burst  int
	margin float64 // share of the rate left unused (see burstOneMargin in pool.go)
	// floor is the interval at the current rate; interval, floor/(1−margin), is the one the
	// schedule runs on. A grant that comes late (a timer fires up to a millisecond late:
	// Go's poller sleeps in whole milliseconds) moves the schedule: catching up would
	// bring the next grant closer than interval and spend the margin on the timer instead
	// of on the vendor's side (measured: a zero-tolerance bucket then throttles 1% of calls).
	floor, interval time.Duration
	tat             time.Time // theoretical arrival time of the next call
	started         bool      // a call was granted (see first)
	// recent are the last burst grant times, oldest first (a ring by next), kept so that a
	// change of rate can rebuild tat at the new interval from what was really granted.
	recent []time.Time
	next   int
	n      int // grants in recent (≤ burst)
}

func newSchedule(qps, margin float64, burst int) *schedule {
	if burst < 1 {
		burst = 1
	}
	s := &schedule{burst: burst, margin: margin, recent: make([]time.Time, burst)}
	s.setIntervals(qps)
	return s
}

func (s *schedule) setIntervals(qps float64) {
	s.floor, s.interval = intervalOf(qps), intervalOf(qps*(1-s.margin))
}

// intervalOf is the time between calls at qps, rounded up to the nanosecond so that the
// schedule never runs faster than qps.
func intervalOf(qps float64) time.Duration {
	return time.Duration(math.Ceil(float64(time.Second) / qps))
}

// tolerance is how far before tat a call may still conform: the saved-up burst.
func (s *schedule) tolerance() time.Duration { return time.Duration(s.burst-1) * s.interval }

// delay is how long from now until a call conforms (0: now).
func (s *schedule) delay(now time.Time) time.Duration {
	if !s.started {
		return 0
	}
	if d := s.tat.Add(-s.tolerance()).Sub(now); d > 0 {
		return d
	}
	return 0
}

// grant records a call granted at now; the caller has checked delay(now) == 0.
func (s *schedule) grant(now time.Time) {
	if !s.started {
		// A key's first call starts from one token, not a full burst: the vendor's bucket
		// for the key starts full when our first request arrives, and that request (on a
		// new connection) is often the slowest of the first burst; spending our own full
		// burst at once would leave us ahead of the vendor's refill by that delay from
		// then on. Starting at one token keeps the vendor's burst as slack for jitter.
		// One token left at now is tat = now + (burst−1)·interval.
		s.started = true
		s.tat = now.Add(s.tolerance())
	}
	if s.tat.Before(now) {
		s.tat = now
	}
	s.tat = s.tat.Add(s.interval)
	s.recent[s.next] = now
	s.next = (s.next + 1) % s.burst
	s.n = min(s.n+1, s.burst)
}

// setRate changes the interval. tat becomes the later of the old one and the one the last
// burst grants give at the new interval, so a slower rate applies to the very next call
// (with burst 1: never earlier than the last grant + the new interval), and a faster one
// takes effect from the next grant on without pulling anything earlier than promised.
func (s *schedule) setRate(qps float64) {
	s.setIntervals(qps)
	if s.n == 0 {
		return
	}
	var tat time.Time
	for i := range s.n {
		// oldest first: the ring's next slot holds the oldest once it is full
		g := s.recent[(s.next-s.n+i+s.burst)%s.burst]
		if tat.Before(g) {
			tat = g
		}
		tat = tat.Add(s.interval)
	}
	if tat.After(s.tat) {
		s.tat = tat
	}
}

// holdUntil makes the next call wait until at least t.
func (s *schedule) holdUntil(t time.Time) {
	if t.After(s.tat) {
		s.tat = t
	}
}

// drain spends the saved-up burst, leaving keep calls that may go at once (keep ≤ 1): after
// a 429 the vendor said we are too fast, so the next call waits a whole interval.
func (s *schedule) drain(now time.Time, keep int) {
	if !s.started {
		return
	}
	if t := now.Add(time.Duration(s.burst-keep) * s.interval); t.After(s.tat) {
		s.tat = t
	}
}
