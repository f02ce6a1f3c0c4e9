package sandbox

import (
	"fmt"
	"math"
	"time"
)

// Rate-limit modes of Limits.Mode.
const (
	// ModeTokenBucket (the default, also "") refills Burst tokens at QPS and answers a call
	// that finds no token with a throttle: zero tolerance for a call even a microsecond early.
	ModeTokenBucket = "token_bucket"
	// ModeInterval is a strict vendor: a per-key interval of 1/QPS, enforced with GCRA and a
	// tolerance of IntervalTolerance of the interval (see intervalLimiter).
	ModeInterval = "interval"
)

// IntervalTolerance is how early, as a share of the interval, a call may arrive in
// ModeInterval and still be admitted. It absorbs loopback jitter (a request delayed by the
// scheduler makes the gap to the next one shorter) so that a test failing against this mode
// points at the client's pacing, not at the machine's load.
const IntervalTolerance = 0.10

// checkMode panics on a mode this package does not know: a Limits built in Go with a typo
// is a programming error (the admin API answers 400 instead, see validMode).
func checkMode(m string) {
	if !validMode(m) {
		panic(fmt.Sprintf("sandbox: unknown rate-limit mode %q (want %q or %q)", m, ModeTokenBucket, ModeInterval))
	}
}

func validMode(m string) bool { return m == "" || m == ModeTokenBucket || m == ModeInterval }

// intervalLimiter is ModeInterval for one key: GCRA (virtual scheduling) with interval T =
// 1/QPS, burst b and tolerance τ = IntervalTolerance·T.
//
// tat is the theoretical arrival time of the next call. A call arriving at a is admitted
// when a ≥ tat − (b−1)·T − τ. Admitting it moves tat to max(tat, a) + T, less the part of
// τ the call used (how early it came): the tolerance forgives jitter on each call, it is
// not a credit that adds up. With burst 1 this is exactly: a call is admitted when it
// arrives no earlier than T − τ after the previously admitted one. With burst b, at most b
// calls are admitted at once after an idle spell, and a call is never admitted earlier than
// T − τ after the one b admitted calls before it. A throttled call changes nothing.
type intervalLimiter struct {
	interval, tol time.Duration
	burst         int
	tat           time.Time
}

func newIntervalLimiter(qps float64, burst int) *intervalLimiter {
	if burst < 1 {
		burst = 1
	}
	iv := time.Duration(math.Ceil(float64(time.Second) / qps))
	return &intervalLimiter{interval: iv, tol: time.Duration(IntervalTolerance * float64(iv)), burst: burst}
}

// admit decides a call arriving at now; when it is refused, wait is how long until the
// earliest time it would have been admitted.
func (l *intervalLimiter) admit(now time.Time) (ok bool, wait time.Duration) {
	due := l.tat.Add(-time.Duration(l.burst-1) * l.interval) // conforming without tolerance
	if earliest := due.Add(-l.tol); now.Before(earliest) {
		return false, earliest.Sub(now)
	}
	next := l.tat
	if next.Before(now) {
		next = now
	}
	next = next.Add(l.interval)
	if early := due.Sub(now); early > 0 {
		next = next.Add(-early) // forgive the jitter this call used
	}
	l.tat = next
	return true, 0
}
