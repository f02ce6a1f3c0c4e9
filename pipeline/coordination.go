package pipeline

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/riskbatch/riskbatch/pipeline/cache"
	"github.com/riskbatch/riskbatch/pipeline/cache/redisstore"
	"github.com/riskbatch/riskbatch/pipeline/summary"
	"github.com/riskbatch/riskbatch/ratelimit"
	"github.com/riskbatch/riskbatch/ratelimit/redisbackend"
)

// openAnswerStore opens the answer cache: in Redis under coordination
// (unless cache.store: local), else the SQLite file at path.
func (e *engine) openAnswerStore(path string) (cache.Store, error) {
	if !e.job.CacheInRedis() {
		return cache.OpenSQLite(path)
	}
	r := e.job.Coordination.Redis
	s, err := redisstore.Open(context.Background(), r.URL, r.Prefix, e.job.CacheRetention(), e.opts.Clock.Now)
	if err != nil {
		return nil, errors.New(e.red.Redact(err.Error()))
	}
	return s, nil
}

// coordination is a run's connection to Redis, or the reason there is none.
type coordination struct {
	backend ratelimit.Backend
	close   func()

	mu   sync.Mutex
	down string // the first failure, redacted
}

// openCoordination connects to Redis when the job says coordination:. A
// Redis that cannot be reached does not stop the run here: every provider
// then stops at its first call (fail closed), its rows deferred.
func (e *engine) openCoordination(ctx context.Context) {
	r := e.job.Coordination.Redis
	if r == nil {
		return
	}
	ttl := e.opts.Grace
	for _, p := range e.job.Providers {
		ttl = max(ttl, p.Timeout+e.opts.Grace) // a lease outlives any call and the stop grace
	}
	c := &coordination{close: func() {}}
	b, err := redisbackend.Open(ctx, redisbackend.Config{URL: r.URL, Prefix: r.Prefix, QuotaMargin: r.QuotaMargin, LeaseTTL: ttl, ClockOffset: e.opts.CoordinationClockOffset})
	if err != nil {
		c.backend = downBackend{err: err}
	} else {
		c.backend, c.close = b, func() { b.Close() }
		e.logf("coordination: Redis %s, prefix %q: keys' rates, in-flight calls and daily quotas shared with every process using it", b.Addr(), r.Prefix)
	}
	e.coord = c
}

// backend is what the pools share through (nil without coordination).
func (e *engine) backend() ratelimit.Backend {
	if e.coord == nil {
		return nil
	}
	return e.coord.backend
}

func (e *engine) closeCoordination() {
	if e.coord != nil {
		e.coord.close()
	}
}

// coordinationDown stops p's calls after the coordination backend failed:
// no call is made without a reservation, the rest of its rows are deferred
// (exit 3, resumable when Redis is back). Said once per provider.
func (e *engine) coordinationDown(p *provRun, be *ratelimit.BackendError) pairResult {
	if p.coordDown.CompareAndSwap(false, true) {
		msg := e.red.Redact(be.Err.Error())
		e.coord.mu.Lock()
		if e.coord.down == "" {
			e.coord.down = msg
		}
		e.coord.mu.Unlock()
		e.errorf("%s: Redis coordination failed (%s) — provider stopped: no call is made without a reservation; its remaining rows are deferred; resume with: %s", p.cfg.Name, msg, e.opts.ResumeCommand)
	}
	return e.coordDownResult()
}

func (e *engine) coordDownResult() pairResult {
	e.coord.mu.Lock()
	msg := e.coord.down
	e.coord.mu.Unlock()
	return pairResult{status: summary.StatusDeferred, code: "coordination", msg: "Redis coordination unavailable, provider stopped (no call without a reservation): " + msg, journal: -1}
}

// downBackend is a Redis that could not be reached at the start: every
// grant fails, so every provider stops at its first call.
type downBackend struct{ err error }

func (d downBackend) Reserve(string, string, int) (int, bool, error) { return 0, false, d.err }
func (d downBackend) Refund(string, string) error                    { return d.err }
func (d downBackend) MarkExhausted(string, string) error             { return d.err }
func (d downBackend) Used(string, string) (int, error)               { return 0, d.err }
func (d downBackend) Now() time.Time                                 { return time.Now() }
func (d downBackend) Acquire(context.Context, *ratelimit.SharedKey) (ratelimit.SharedGrant, error) {
	return ratelimit.SharedGrant{}, d.err
}
func (d downBackend) Release(context.Context, *ratelimit.SharedKey, ratelimit.SharedGrant, ratelimit.Feedback, time.Duration) (float64, error) {
	return 1, d.err
}
func (d downBackend) Wrote(context.Context, *ratelimit.SharedKey, ratelimit.SharedGrant) error {
	return d.err
}

var _ ratelimit.Coordinator = downBackend{}
