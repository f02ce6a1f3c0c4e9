package jobfile

import (
	"fmt"
	"net/url"

	"github.com/riskbatch/riskbatch/ratelimit/redisbackend"
)

// CoordinationConfig shares the keys' limits with other processes and
// machines (docs/scale-out.md).
type CoordinationConfig struct {
	Redis *RedisCoordination `yaml:"redis"`
}

// RedisCoordination paces every key, caps its in-flight calls and counts
// its daily quota in Redis, for every process that uses the same Redis and
// prefix; the per-user quota state is then not used.
type RedisCoordination struct {
	// URL is redis://[user:password@]host:port/db or rediss:// (TLS); put
	// it in the environment (url: ${RISKBATCH_REDIS_URL}). It is redacted
	// like a credential and never printed.
	URL string `yaml:"url"`
	// Prefix starts every Redis key riskbatch writes (default "riskbatch:").
	Prefix string `yaml:"prefix"`
	// QuotaMargin stops this many percent short of every daily quota (0–50,
	// default 0): a failover to a replica may forget the last counts.
	QuotaMargin float64 `yaml:"quota_margin"`
}

// validateCoordination checks coordination: and registers the Redis URL
// and its password as secrets.
func (j *Job) validateCoordination() []string {
	r := j.Coordination.Redis
	if r == nil {
		return j.validateCacheStore()
	}
	errs := j.validateCacheStore()
	if r.URL == "" {
		return append(errs, "coordination.redis.url is required (redis://[:password@]host:port/db; put it in the environment: url: ${RISKBATCH_REDIS_URL})")
	}
	j.secrets = append(j.secrets, r.URL)
	u, err := url.Parse(r.URL)
	if err != nil {
		return append(errs, "coordination.redis.url is not a URL (redis://[:password@]host:port/db)")
	}
	if u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			j.secrets = append(j.secrets, pw)
		}
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" || u.Host == "" {
		errs = append(errs, fmt.Sprintf("coordination.redis.url %s: want redis://[:password@]host:port/db or rediss://…", redisbackend.Redact(r.URL)))
	}
	if r.Prefix == "" {
		r.Prefix = redisbackend.DefaultPrefix
	}
	if r.QuotaMargin < 0 || r.QuotaMargin > 50 {
		errs = append(errs, fmt.Sprintf("coordination.redis.quota_margin %v: want a percentage from 0 to 50", r.QuotaMargin))
	}
	if j.CacheInRedis() && j.Cache.Secret == "" {
		errs = append(errs, "cache.secret is required when the answer cache is in Redis (coordination.redis; cache.store: local keeps it in the local file): every machine must key the entries alike — put it in the environment: secret: ${RISKBATCH_CACHE_SECRET}")
	}
	return errs
}

// CacheInRedis: the answer cache lives in Redis (coordination.redis, unless
// cache.store: local).
func (j *Job) CacheInRedis() bool {
	return j.Coordination.Redis != nil && j.Cache.Store != "local" && j.UsesCache()
}

// validateCacheStore checks cache.store.
func (j *Job) validateCacheStore() []string {
	switch j.Cache.Store {
	case "", "local":
	case "redis":
		if j.Coordination.Redis == nil {
			return []string{"cache.store: redis needs coordination.redis (the Redis to keep it in)"}
		}
	default:
		return []string{fmt.Sprintf("cache.store %q: want local or redis", j.Cache.Store)}
	}
	return nil
}
