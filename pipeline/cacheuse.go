package pipeline

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riskbatch/riskbatch/pipeline/cache"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/pipeline/journal"
	"github.com/riskbatch/riskbatch/pipeline/summary"
	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/sinks"
)

// The answer cache in a run (docs/cache.md). A provider with cache:
// {max_age} looks up every lookup it would call in the store, after the
// job's own journal and the dedupe index (an answer this job already has
// is reused as before): an answer younger than max_age by the run's clock
// is served — no call, not billed, journaled with its source and fetch time
// so a resume rebuilds the same row — and every final vendor answer (hit,
// no_hit) is stored. Errors, vendor invalids, throttles and in-doubt calls
// never are.

// Sources of an answer in the <provider>_source column.
const (
	SourceVendor = "vendor"
	SourceCache  = "cache"
)

// provCache is one provider's use of the store.
type provCache struct {
	store   cache.Store
	keyer   *cache.Keyer
	scope   cache.Scope
	maxAge  time.Duration
	refresh float64

	served, stored, refreshed, expired atomic.Int64
	warnOnce                           sync.Once
}

// openCache opens the store when a provider uses it, deletes the entries
// past retention, and gives each such provider its key scope.
func (e *engine) openCache() error {
	if !e.job.UsesCache() {
		return nil
	}
	path, err := e.job.CachePath()
	if err != nil {
		return &EnvError{Op: "open the answer cache", Err: err}
	}
	secret, err := e.job.CacheSecret(path)
	if err != nil {
		return &EnvError{Op: "read the answer cache secret", Err: err}
	}
	keyer, err := cache.NewKeyer(secret)
	if err != nil {
		return configErr("job file %s: cache.secret: %v", e.job.Path, err)
	}
	store, err := e.openAnswerStore(path) // SQLite, or Redis under coordination (coordination.go)
	if err != nil {
		return &EnvError{Op: "open the answer cache " + path, Err: err}
	}
	e.cache = store
	now := e.opts.Clock.Now()
	if n, err := store.Purge(context.Background(), cache.PurgeFilter{OlderThan: now.Add(-e.job.CacheRetention())}); err != nil {
		e.logf("warning: answer cache: deleting entries past retention: %v", err)
	} else if n > 0 {
		e.logf("answer cache: deleted %d entr%s fetched more than %s ago (cache.retention)", n, plural(n, "y", "ies"), jobfile.FormatDuration(e.job.CacheRetention()))
	}
	for _, p := range e.provs {
		if p.cfg.Cache == nil {
			continue
		}
		p.cache = &provCache{
			store: store, keyer: keyer, maxAge: p.cfg.Cache.MaxAge.D(), refresh: e.job.Cache.RefreshShare,
			scope: cache.Scope{Kind: p.cfg.Type, Endpoint: e.job.CacheEndpoint(p.cfg.Endpoint), Columns: providers.ColumnNames(p.prov)},
		}
	}
	return nil
}

// closeCache commits the queued entries and closes the store.
func (e *engine) closeCache() {
	if e.cache == nil {
		return
	}
	if err := e.cache.Close(); err != nil {
		e.logf("warning: answer cache: %v (the answers are in this run's results and journal; the next run buys them again)", err)
	}
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// fromCache serves the lookup from the cache when the provider has one and
// holds an answer younger than max_age that the refresh rotation does not
// pick for re-purchase. The answer is journaled (source cache) before it
// is used, like a vendor's.
func (e *engine) fromCache(ctx context.Context, p *provRun, rowNum int, identity [32]byte, digest string) (pairResult, bool) {
	c := p.cache
	if c == nil || identity == ([32]byte{}) {
		return pairResult{}, false
	}
	k := c.keyer.Key(c.scope, identity)
	ent, ok, err := c.store.Get(ctx, k)
	if err != nil {
		c.warnOnce.Do(func() { e.logf("warning: %s: answer cache: %v (calling the vendor instead)", p.cfg.Name, err) })
		return pairResult{}, false
	}
	if !ok {
		return pairResult{}, false
	}
	now := e.opts.Clock.Now()
	if age := ent.Age(now); age >= c.maxAge {
		c.expired.Add(1)
		return pairResult{}, false
	}
	if cache.Refresh(k, c.refresh, now) {
		c.refreshed.Add(1)
		return pairResult{}, false
	}
	at := ent.Fetched.UnixMilli()
	off, jerr := e.jr.Append(&journal.Record{Type: journal.TypeOutcome, Row: rowNum, Provider: p.cfg.Name, Run: e.runNo, Outcome: ent.Status, Status: ent.Status, Code: ent.Code, Values: ent.Values, Digest: digest, Source: SourceCache, FetchedAt: at})
	if jerr != nil {
		e.envFail("journal write", jerr)
		return pairResult{status: summary.StatusDeferred, code: "stopped", msg: "run stopped: the journal cannot be written", journal: -1}, true
	}
	if rerr := e.raw.Write(sinks.RawRecord{
		Time: time.Now(), Row: rowNum, Provider: p.cfg.Name, Outcome: ent.Status, Code: ent.Code,
		Pass: e.runNo, Source: SourceCache, FetchedAt: ent.Fetched.UTC().Format(time.RFC3339),
	}); rerr != nil {
		e.envFail("write raw.jsonl", rerr)
	}
	c.served.Add(1)
	return pairResult{status: ent.Status, code: ent.Code, values: ent.Values, journal: off, source: SourceCache, fetched: at}, true
}

// toCache stores a final vendor answer (hit or no_hit) for later runs.
func (e *engine) toCache(p *provRun, identity [32]byte, res pairResult) pairResult {
	c := p.cache
	if c == nil || identity == ([32]byte{}) {
		return res
	}
	if res.status != summary.StatusHit && res.status != summary.StatusNoHit || res.journal < 0 || res.source == SourceCache {
		return res
	}
	ent := cache.Entry{Provider: p.cfg.Type, Status: res.status, Code: res.code, Values: res.values, Fetched: e.opts.Clock.Now()}
	if err := c.store.Put(context.Background(), c.keyer.Key(c.scope, identity), ent); err != nil {
		c.warnOnce.Do(func() { e.logf("warning: %s: answer cache: %v", p.cfg.Name, err) })
		return res
	}
	c.stored.Add(1)
	return res
}

// cacheCells are the <provider>_source and <provider>_age_days cells of a
// resolved pair: the source of a final answer, and its age in whole days
// at this run's clock (0 for a vendor's answer of this job).
func (e *engine) cacheCells(r *pairResult) (source, age string) {
	switch r.status {
	case summary.StatusHit, summary.StatusNoHit:
	default:
		if r.status == summary.StatusInvalid && r.journal >= 0 {
			return SourceVendor, ""
		}
		return "", ""
	}
	if r.source != SourceCache {
		return SourceVendor, "0"
	}
	days := int64(e.opts.Clock.Now().Sub(time.UnixMilli(r.fetched)) / (24 * time.Hour))
	if days < 0 {
		days = 0
	}
	return SourceCache, strconv.FormatInt(days, 10)
}

// cacheSummary fills a provider's cache figures.
func (p *provRun) cacheSummary(s *summary.ProviderSummary) {
	c := p.cache
	if c == nil {
		return
	}
	s.Cache = &summary.CacheSummary{
		Served: c.served.Load(), Stored: c.stored.Load(), Refreshed: c.refreshed.Load(), Expired: c.expired.Load(),
		MaxAge: jobfile.FormatDuration(c.maxAge),
	}
	s.Cache.CostSaved = float64(s.Cache.Served) * p.cfg.PricePerCall
}

// answerStore is the engine's view of the store.
type answerStore = cache.Store

// rawSource is the source field of a vendor attempt's raw.jsonl line: set
// only for a provider with a cache, so other jobs' lines are unchanged.
func (p *provRun) rawSource() string {
	if p.cfg.Cache == nil {
		return ""
	}
	return SourceVendor
}
