package ratelimit

import (
	"context"
	"fmt"
	"time"
)

// A pool with a Coordinator (PoolConfig.Backend) paces its keys, caps their in-flight calls
// and reserves their quota units in the coordinator, shared with every other process:
//
//   - the line stays: the head picks a key as before (a key the coordinator said to wait for
//     counts that wait as its delay) and asks the coordinator for a grant, which is pacing
//     slot, in-flight lease and quota unit in one step; a wait, a full key or a spent quota
//     sends it back to pick again;
//   - keys have no in-process schedule: the coordinator's is the only one, and its rate
//     factor (halved on a 429 seen by any process, recovered by Sent answers) is mirrored in
//     curQPS for Stats;
//   - the pool's quota-day clock is the coordinator's, so the pool's days are its days;
//   - when the coordinator does not answer, Acquire returns a *BackendError and no call is
//     granted (fail closed); Release keeps the error for Close (the lease then expires and
//     the unit stays counted: a call is never made unreserved, a unit may be lost).

// sharedKey is k as the coordinator sees it.
func sharedKey(kc KeyConfig, loc *time.Location) *SharedKey {
	sk := &SharedKey{Fingerprint: kc.Fingerprint, QPS: kc.QPS, Burst: max(kc.Burst, 1), MaxInFlight: kc.MaxInFlight, DailyQuota: kc.DailyQuota, Location: loc}
	if kc.QPS > 0 && kc.Burst <= 1 {
		sk.Margin = burstOneMargin
	}
	if sk.Fingerprint == "" {
		sk.Fingerprint = "id-" + kc.ID
	}
	return sk
}

// grantSharedLocked asks the coordinator for a call on k, the head's best key. It is called
// with p.mu held and returns with it held (the lock is let go during the round trip; the
// head keeps its place in line). ok reports a grant; !ok and no error: pick again.
func (p *Pool) grantSharedLocked(ctx context.Context, k *key) (grantInfo, bool, error) {
	sk := k.shared
	k.inflight++ // the local slot is held while the coordinator decides
	p.mu.Unlock()
	asked := p.pace.Now()
	sg, err := p.coord.Acquire(ctx, sk)
	p.mu.Lock()
	k.inflight--
	if err != nil {
		if ctx.Err() != nil {
			return grantInfo{}, false, ctx.Err()
		}
		return grantInfo{}, false, &BackendError{Provider: p.provider, Key: k.cfg.ID, Err: err}
	}
	if k.cfg.QPS > 0 && sg.Factor > 0 {
		k.curQPS = k.cfg.QPS * sg.Factor
	}
	now := p.pace.Now()
	switch {
	case sg.OK:
		k.inflight++
		p.seq++
		k.lastUsed = p.seq
		k.grants++
		k.sharedAt = time.Time{}
		if k.cfg.DailyQuota > 0 {
			k.cacheDay, k.cacheUsed = sg.Day, sg.Used
		}
		return grantInfo{n: k.grants, at: now, shared: &sg}, true, nil
	case sg.Spent:
		if k.cfg.DailyQuota > 0 {
			k.cacheDay, k.cacheUsed = sg.Day, max(sg.Used, k.cfg.DailyQuota)
		}
		if k.state == stateActive {
			k.state, k.resetAt = stateQuotaDay, nextMidnight(sg.Day, p.loc)
		}
	default:
		w := sg.Wait
		if w <= 0 {
			w = time.Millisecond
		}
		// The wait counts from when the coordinator looked, which is between asking and
		// the answer: from the asking, so the head asks again no later than needed (the
		// answer's way back is not added to every wait).
		k.sharedAt = asked.Add(w)
	}
	return grantInfo{}, false, nil
}

// sharedLease makes the lease of a coordinated grant: its quota day is the coordinator's.
func (p *Pool) sharedLease(k *key, g grantInfo) *Lease {
	day := g.shared.Day
	p.mu.Lock()
	if k.localDay != day {
		k.localDay, k.localUsed = day, 0
	}
	k.localUsed++
	p.mu.Unlock()
	return &Lease{p: p, k: k, day: day, reserved: k.cfg.DailyQuota > 0, grant: g}
}

// releaseShared tells the coordinator how the call ended and mirrors the key's rate.
func (p *Pool) releaseShared(l *Lease, fb Feedback, retryAfter time.Duration) error {
	factor, err := p.coord.Release(context.Background(), l.k.shared, *l.grant.shared, fb, retryAfter)
	if err == nil && l.k.cfg.QPS > 0 && factor > 0 {
		p.mu.Lock()
		l.k.curQPS = l.k.cfg.QPS * factor
		p.mu.Unlock()
	}
	return err
}

// wroteShared tells the coordinator that a burst-1 key's request was written, so the next
// call, by whichever process, is paced from the write (Lease.Wrote). A burst-1 key of a
// coordinated pool has no write barrier across processes: the round trip to the
// coordinator is far shorter than an interval, so a write reported at once moves the
// schedule before the next slot; one later than an interval is not held back. A failure
// is kept for Close like a release's: the call has left, and the schedule only errs on
// the fast side for one call.
func (p *Pool) wroteShared(l *Lease) {
	sk := l.k.shared
	if sk.QPS <= 0 || sk.Burst > 1 || l.grant.shared == nil {
		return
	}
	if err := p.coord.Wrote(context.Background(), sk, *l.grant.shared); err != nil {
		p.mu.Lock()
		if len(p.storeErrs) < 16 {
			p.storeErrs = append(p.storeErrs, fmt.Errorf("ratelimit: %s: key %s: %w", p.provider, l.k.cfg.ID, err))
		}
		p.mu.Unlock()
	}
}
