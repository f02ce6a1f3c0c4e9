package jobfile

import (
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	"github.com/riskbatch/riskbatch/pipeline/cache"
	"github.com/riskbatch/riskbatch/ratelimit"
)

// CacheConfig is the job's answer cache (docs/cache.md): where the store
// is, the secret its keys are derived with, how long entries are kept, and
// the share of cached lookups bought again each run.
type CacheConfig struct {
	// Path is the SQLite file; default cache.db in the state directory
	// (state_dir, beside the quota state).
	Path string `yaml:"path"`
	// Secret keys the HMAC of every entry; default a per-installation
	// file created on first use (cache.secret beside the store). It is
	// redacted like a credential.
	Secret string `yaml:"secret"`
	// Retention deletes entries fetched longer ago than this (default 30d).
	Retention *Duration `yaml:"retention"`
	// RefreshShare re-buys this share (0–1) of the cached lookups each run,
	// rotating by lookup and date, so every answer is re-checked within
	// 1/share days.
	RefreshShare float64 `yaml:"refresh_share"`
	// Store is where the entries live: "redis" (the default with
	// coordination.redis: shared by every machine; the secret must then be
	// set) or "local" (the SQLite file, the default otherwise).
	Store string `yaml:"store"`
}

// ProviderCacheConfig turns the cache on for one provider.
type ProviderCacheConfig struct {
	// MaxAge: an answer fetched less than this long ago (by the run's
	// clock) is served from the cache instead of a call.
	MaxAge Duration `yaml:"max_age"`
}

// BudgetConfig caps one provider's spending over all passes of the job.
type BudgetConfig struct {
	MaxCost float64 `yaml:"max_cost"`
}

// DefaultCacheRetention is how long the cache keeps an entry by default.
const DefaultCacheRetention = 30 * 24 * time.Hour

// CacheFile is the store's default file name in the state directory.
const CacheFile = "cache.db"

// UsesCache reports whether any provider reads and writes the cache.
func (j *Job) UsesCache() bool {
	for _, p := range j.Providers {
		if p.Cache != nil {
			return true
		}
	}
	return false
}

// CacheRetention is the configured retention or the default.
func (j *Job) CacheRetention() time.Duration {
	if j.Cache.Retention != nil {
		return j.Cache.Retention.D()
	}
	return DefaultCacheRetention
}

// CachePath is the store's file: cache.path, else cache.db in the state
// directory (state_dir, else ratelimit.DefaultStateDir).
func (j *Job) CachePath() (string, error) {
	if j.Cache.Path != "" {
		return j.Resolve(j.Cache.Path), nil
	}
	dir := j.StateDir
	if dir != "" {
		return filepath.Join(j.Resolve(dir), CacheFile), nil
	}
	dir, err := ratelimit.DefaultStateDir()
	if err != nil {
		return "", fmt.Errorf("answer cache: %w", err)
	}
	return filepath.Join(dir, CacheFile), nil
}

// CacheSecret is cache.secret, else the installation's secret file beside
// the store (created on first use).
func (j *Job) CacheSecret(storePath string) ([]byte, error) {
	if j.Cache.Secret != "" {
		return []byte(j.Cache.Secret), nil
	}
	return cache.LoadSecret(filepath.Dir(storePath))
}

func (j *Job) validateCache() []string {
	var errs []string
	add := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	c := &j.Cache
	if c.Secret != "" {
		j.secrets = append(j.secrets, c.Secret)
		if len(c.Secret) < 16 {
			add("cache.secret: at least 16 characters (it keys the HMAC of every cache entry)")
		}
	}
	if c.Retention != nil && c.Retention.D() <= 0 {
		add("cache.retention must be positive (default 30d)")
	}
	if c.RefreshShare < 0 || c.RefreshShare > 1 {
		add("cache.refresh_share %v: want a share between 0 and 1 (0.1 = a tenth of the cached lookups each run)", c.RefreshShare)
	}
	errs = append(errs, j.validateCompare()...) // compare.go
	for i := range j.Providers {
		p := &j.Providers[i]
		where := fmt.Sprintf("provider %q", p.Name)
		if p.Cache != nil {
			switch {
			case p.Cache.MaxAge.D() <= 0:
				add("%s: cache.max_age is required and positive (e.g. 7d): answers younger than it are served from the cache", where)
			case p.Cache.MaxAge.D() > j.CacheRetention():
				add("%s: cache.max_age %s is longer than cache.retention %s: entries are deleted before they reach it", where, FormatDuration(p.Cache.MaxAge.D()), FormatDuration(j.CacheRetention()))
			}
		}
		if p.Budget != nil {
			switch {
			case p.Budget.MaxCost <= 0:
				add("%s: budget.max_cost must be positive", where)
			case p.PricePerCall <= 0:
				add("%s: budget.max_cost needs price_per_call (it is 0: every call would be free and the cap could not count)", where)
			}
		}
	}
	return errs
}

// CacheColumns are the result columns a provider with a cache adds after
// its own: where the answer came from and how old it is.
func (p *ProviderConfig) CacheColumns() []string {
	if p.Cache == nil {
		return nil
	}
	return []string{p.Name + "_source", p.Name + "_age_days"}
}

// CacheEndpoint is what identifies the vendor's service in a key: host and
// path of the endpoint; "sandbox" and the path for the embedded sandbox,
// whose port changes every run (and whose answers must never be served to
// a job calling the real vendor).
func (j *Job) CacheEndpoint(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return endpoint
	}
	if j.Sandbox {
		return "embedded-sandbox" + u.Path
	}
	return u.Host + u.Path
}
