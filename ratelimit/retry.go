package ratelimit

import (
	"math/rand/v2"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Retry policy defaults.
const (
	DefaultMaxAttempts = 5
	DefaultInitial     = 500 * time.Millisecond
	DefaultMax         = 30 * time.Second
	DefaultMaxElapsed  = 2 * time.Minute
)

// RetryPolicy bounds the retries of one row's call. Zero fields take the defaults.
type RetryPolicy struct {
	MaxAttempts int           // total attempts, the first included (default 5; 1 = never retry)
	Initial     time.Duration // first backoff ceiling (default 500ms)
	Max         time.Duration // largest backoff ceiling (default 30s)
	MaxElapsed  time.Duration // no retry may start later than this after NewBackOff (default 2m)
	Clock       Clock         // measures MaxElapsed; nil = real time (tests pass a fake)
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.Initial <= 0 {
		p.Initial = DefaultInitial
	}
	if p.Max <= 0 {
		p.Max = DefaultMax
	}
	if p.Max < p.Initial {
		p.Max = p.Initial
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = DefaultMaxElapsed
	}
	if p.Clock == nil {
		p.Clock = SystemClock{}
	}
	return p
}

// NewBackOff starts the retry schedule of one call; the clock for MaxElapsed starts now.
func (p RetryPolicy) NewBackOff() *Retrier {
	p = p.withDefaults()
	// One allocation per call (every call starts a schedule, few retry).
	r := &Retrier{policy: p, exp: backoff.ExponentialBackOff{
		InitialInterval:     p.Initial,
		RandomizationFactor: 0, // deterministic ceilings; the full jitter is applied by Next
		Multiplier:          2,
		MaxInterval:         p.Max,
	}, start: p.Clock.Now(), attempts: 1}
	r.exp.Reset()
	return r
}

// Retrier is the retry schedule of one call. Not safe for concurrent use.
type Retrier struct {
	policy   RetryPolicy
	exp      backoff.ExponentialBackOff
	start    time.Time
	attempts int // attempts made so far, counting the first
}

// Attempts returns the number of attempts made or granted so far (the first included).
func (r *Retrier) Attempts() int { return r.attempts }

// Next is called after a failed attempt and returns the wait before the next one: full
// jitter, uniform in [0, min(Max, Initial·2ⁿ)] for the n-th retry (n from 0), the ceiling
// coming from backoff.ExponentialBackOff. A server Retry-After (>0) that is longer than the
// drawn wait replaces it, even beyond Max. ok is false when MaxAttempts are used up or when
// the next attempt would start later than MaxElapsed after the first (a long Retry-After
// therefore ends the retries: the caller defers the row instead of sleeping past its budget).
func (r *Retrier) Next(retryAfter time.Duration) (wait time.Duration, ok bool) {
	if r.attempts >= r.policy.MaxAttempts {
		return 0, false
	}
	ceiling := min(r.exp.NextBackOff(), r.policy.Max)
	if ceiling < 0 {
		ceiling = 0
	}
	wait = time.Duration(rand.Int64N(int64(ceiling) + 1))
	if retryAfter > wait {
		wait = retryAfter
	}
	if r.policy.Clock.Now().Sub(r.start)+wait > r.policy.MaxElapsed {
		return 0, false
	}
	r.attempts++
	return wait, true
}
