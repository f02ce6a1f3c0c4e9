package dryrun

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/riskbatch/riskbatch/pipeline/cache"
	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/providers"
)

// CacheEstimate is what the answer cache would serve in a run now: the
// distinct lookups it holds an answer for younger than max_age (and not
// due for refresh_share), and the cost of the calls they save. validate
// reads the store; it never writes it and never calls a vendor.
type CacheEstimate struct {
	Store     string  `json:"store"`
	MaxAge    string  `json:"max_age"`
	Served    int     `json:"served"`
	CostSaved float64 `json:"cost_saved"`
	Note      string  `json:"note,omitempty"` // why nothing can be served (no store yet, no secret)
}

// cacheProbe looks lookups up in the store for validate.
type cacheProbe struct {
	store  *cache.SQLite
	keyer  *cache.Keyer
	now    time.Time
	share  float64
	scopes map[string]cache.Scope
	maxAge map[string]time.Duration
	note   string
	path   string
}

// openCacheProbe opens the store read-side when a provider uses the cache.
// A missing store or secret is no error: nothing would be served.
func openCacheProbe(job *jobfile.Job, bound []input.Bound) *cacheProbe {
	if !job.UsesCache() {
		return nil
	}
	c := &cacheProbe{now: time.Now(), share: job.Cache.RefreshShare, scopes: map[string]cache.Scope{}, maxAge: map[string]time.Duration{}}
	path, err := job.CachePath()
	if err != nil {
		c.note = err.Error()
		return c
	}
	c.path = path
	if _, err := os.Stat(path); err != nil {
		c.note = "no answer cache yet at " + path + ": every lookup is a call"
		return c
	}
	var secret []byte
	if job.Cache.Secret != "" {
		secret = []byte(job.Cache.Secret)
	} else if _, err := os.Stat(filepath.Join(filepath.Dir(path), cache.SecretFile)); err == nil {
		secret, err = cache.LoadSecret(filepath.Dir(path))
		if err != nil {
			c.note = err.Error()
			return c
		}
	} else {
		c.note = "no cache secret beside " + path + ": no entry can match"
		return c
	}
	if c.keyer, err = cache.NewKeyer(secret); err != nil {
		c.note = err.Error()
		return c
	}
	if c.store, err = cache.OpenSQLite(path); err != nil {
		c.note = err.Error()
		return c
	}
	for _, bp := range bound {
		if bp.Cfg.Cache == nil {
			continue
		}
		c.scopes[bp.Cfg.Name] = cache.Scope{Kind: bp.Cfg.Type, Endpoint: job.CacheEndpoint(bp.Cfg.Endpoint), Columns: providers.ColumnNames(bp.Prov)}
		c.maxAge[bp.Cfg.Name] = bp.Cfg.Cache.MaxAge.D()
	}
	return c
}

// serves reports whether a run now would take this lookup from the cache.
func (c *cacheProbe) serves(provider string, req *providers.Request) bool {
	if c == nil || c.store == nil || req.Identity == ([32]byte{}) {
		return false
	}
	sc, ok := c.scopes[provider]
	if !ok {
		return false
	}
	k := c.keyer.Key(sc, req.Identity)
	e, ok, err := c.store.Get(context.Background(), k)
	if err != nil || !ok || e.Age(c.now) >= c.maxAge[provider] {
		return false
	}
	return !cache.Refresh(k, c.share, c.now)
}

// estimate fills pv.Cache for a provider with a cache.
func (c *cacheProbe) estimate(pv *ProviderValidation, pc *jobfile.ProviderConfig, served int) {
	if c == nil || pc.Cache == nil {
		return
	}
	pv.Cache = &CacheEstimate{Store: c.path, MaxAge: jobfile.FormatDuration(pc.Cache.MaxAge.D()), Served: served, Note: c.note,
		CostSaved: math.Round(pc.PricePerCall*float64(served)*1e6) / 1e6}
}

func (c *cacheProbe) close() {
	if c != nil && c.store != nil {
		c.store.Close()
	}
}

// writeNightly prints a provider's cache and budget lines of the validate table.
func writeNightly(w io.Writer, p *ProviderValidation) {
	if c := p.Cache; c != nil {
		fmt.Fprintf(w, "%s: the answer cache (max_age %s) would serve %d lookup(s), saving %s", p.Name, c.MaxAge, c.Served, jobfile.Money(c.CostSaved, p.Currency))
		if c.Note != "" {
			fmt.Fprintf(w, " (%s)", c.Note)
		}
		fmt.Fprintln(w)
	}
	if b := p.Budget; b != nil {
		verdict := "covers the job"
		if !b.Covers {
			verdict = fmt.Sprintf("does NOT cover the job: %d of %d call(s) fit, the rest would be deferred", b.CallsCovered, p.Calls)
		}
		fmt.Fprintf(w, "%s: budget.max_cost %s, spent %s in earlier passes, this run needs %s: %s\n",
			p.Name, jobfile.Money(b.MaxCost, p.Currency), jobfile.Money(b.Spent, p.Currency), jobfile.Money(p.Cost, p.Currency), verdict)
	}
}
