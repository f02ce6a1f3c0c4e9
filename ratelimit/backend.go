package ratelimit

import (
	"context"
	"fmt"
	"time"
)

// Backend is what a pool's keys share beyond the pool: the daily quota counts, kept per key
// fingerprint and quota day ("2006-01-02" in the vendor's time zone). The pool is its only
// consumer, so it is defined here. *QuotaStore (per-user files under flock) implements it;
// ratelimit/redisbackend implements it on Redis for pools on several machines.
type Backend interface {
	// Reserve takes one unit of fingerprint's quota for day if fewer than limit are used and
	// the vendor has not declared the day spent; used is the count after the operation.
	Reserve(fingerprint, day string, limit int) (used int, ok bool, err error)
	// Refund gives back one unit reserved for day (a call that never left or was throttled).
	Refund(fingerprint, day string) error
	// MarkExhausted records that the vendor declared the key's quota for day spent.
	MarkExhausted(fingerprint, day string) error
	// Used returns the units used for day.
	Used(fingerprint, day string) (int, error)
}

var _ Backend = (*QuotaStore)(nil)

// Coordinator is a Backend that also paces keys and caps their in-flight calls across
// processes and machines (ratelimit/redisbackend: GCRA, in-flight leases and quota
// reservations in one atomic step on the server's clock). A pool with a Coordinator asks it
// for every grant instead of pacing keys in-process; it still serves its own callers first
// come first served and keeps its own in-flight count under MaxInFlight.
//
// A Coordinator fails closed: when it cannot answer, Acquire returns an error and the pool
// returns a *BackendError — no call is made without a reservation.
type Coordinator interface {
	Backend
	// Acquire tries to take one call on k now: a pacing slot at the key's shared rate, an
	// in-flight lease (k.MaxInFlight > 0) and a quota unit for the quota day it is now on the
	// coordinator's clock in k.Location (k.DailyQuota > 0), all or nothing.
	Acquire(ctx context.Context, k *SharedKey) (SharedGrant, error)
	// Release ends a granted call (see Feedback): frees its lease, refunds its unit for
	// NotSent, Throttled and PauseProvider, shares a throttle (the key's rate halves for
	// every process, floor 1/10, unless the call was granted before the last cut) and a
	// recovery step (10% of the QPS per 10 Sent answers), and records a vendor quota answer
	// for every process. It returns the key's current share of its QPS.
	Release(ctx context.Context, k *SharedKey, g SharedGrant, fb Feedback, retryAfter time.Duration) (factor float64, err error)
	// Wrote reports that the request of a call granted on a burst-1 paced key has just been
	// written (Lease.Wrote): the key's next call, by any process, is due no earlier than
	// now + the interval on the coordinator's clock. It is asked only for such keys.
	Wrote(ctx context.Context, k *SharedKey, g SharedGrant) error
	// Now is the coordinator's clock (the quota day of every process agrees with it).
	Now() time.Time
}

// SharedKey is a key as a Coordinator sees it: its limits and where its quota day runs.
type SharedKey struct {
	Fingerprint string
	QPS         float64 // 0 = unpaced
	Burst       int     // ≥ 1
	Margin      float64 // share of the rate left unused (burstOneMargin at burst 1)
	MaxInFlight int     // 0 = uncapped
	DailyQuota  int     // 0 = none
	Location    *time.Location
}

// SharedGrant is a Coordinator's answer to Acquire.
type SharedGrant struct {
	OK bool
	// Wait: !OK and not Spent: how long until the key may conform (pacing), or until a look
	// again is worth it (every in-flight slot taken by some process).
	Wait  time.Duration
	Full  bool   // !OK: every in-flight slot of the key is leased
	Spent bool   // !OK: the key's quota for Day is spent (count or vendor)
	Day   string // the quota day the unit was counted against (or found spent)
	Used  int    // units used on Day after the operation
	Lease string // the in-flight lease to release ("" without MaxInFlight)
	Seq   int64  // the key's grant number across every process
	// Factor is the key's current share of its QPS (1 = full rate; lower after throttling).
	Factor float64
	// At is the grant's time on the coordinator's clock, in microseconds since the epoch.
	At int64
}

// BackendError: the shared backend could not answer, so no call was granted (fail closed).
// The provider should stop making calls; its rows are resumable.
type BackendError struct {
	Provider, Key string
	Err           error
}

func (e *BackendError) Error() string {
	return fmt.Sprintf("%s: key %s: coordination backend unavailable, no call made without a reservation: %v", e.Provider, e.Key, e.Err)
}

func (e *BackendError) Unwrap() error { return e.Err }
