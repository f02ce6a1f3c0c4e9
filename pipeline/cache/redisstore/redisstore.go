// Package redisstore keeps the answer cache (cache.Store) in Redis, so that every machine
// of a team shares it (issue 14): one string per entry under <prefix>cache:<hex key>, its
// JSON, expiring when the entry passes the retention (a Redis TTL enforces the retention
// cap; max_age is applied when reading, by the engine, as with the local store).
package redisstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/riskbatch/riskbatch/pipeline/cache"
	"github.com/riskbatch/riskbatch/ratelimit/redisbackend"
)

const opTimeout = 2 * time.Second

// Store is a cache.Store on Redis.
type Store struct {
	rdb       *redis.Client
	prefix    string // <prefix>cache:
	addr      string
	retention time.Duration
	now       func() time.Time
}

var _ cache.Store = (*Store)(nil)

// Open connects to url (its password never appears in an error). Entries live for
// retention after their fetch time; now is the clock fetch times are compared with (nil:
// time.Now).
func Open(ctx context.Context, url, prefix string, retention time.Duration, now func() time.Time) (*Store, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("answer cache: bad Redis URL %s", redisbackend.Redact(url))
	}
	opt.MaxRetries = 1
	opt.DialTimeout = time.Second
	opt.ReadTimeout, opt.WriteTimeout = opTimeout, opTimeout
	opt.DisableIdentity = true
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	if prefix == "" {
		prefix = redisbackend.DefaultPrefix
	}
	if now == nil {
		now = time.Now
	}
	s := &Store{rdb: redis.NewClient(opt), prefix: prefix + "cache:", addr: opt.Addr, retention: retention, now: now}
	cctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if err := s.rdb.Ping(cctx).Err(); err != nil {
		s.rdb.Close()
		return nil, s.wrap("connect", err)
	}
	return s, nil
}

// entry is the stored JSON.
type entry struct {
	P string   `json:"p"`
	S string   `json:"s"`
	C string   `json:"c,omitempty"`
	V []string `json:"v"`
	F int64    `json:"f"` // fetch time, unix ms
}

func (s *Store) key(k cache.Key) string { return s.prefix + hex.EncodeToString(k[:]) }

func (s *Store) wrap(op string, err error) error {
	return fmt.Errorf("answer cache: redis %s: %s: %w", s.addr, op, err)
}

// Get implements cache.Store.
func (s *Store) Get(ctx context.Context, k cache.Key) (cache.Entry, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	b, err := s.rdb.Get(ctx, s.key(k)).Bytes()
	if err == redis.Nil {
		return cache.Entry{}, false, nil
	}
	if err != nil {
		return cache.Entry{}, false, s.wrap("get", err)
	}
	var e entry
	if err := json.Unmarshal(b, &e); err != nil {
		return cache.Entry{}, false, nil // not ours or damaged: a miss
	}
	return cache.Entry{Provider: e.P, Status: e.S, Code: e.C, Values: e.V, Fetched: time.UnixMilli(e.F)}, true, nil
}

// Put implements cache.Store: the entry expires when it passes the retention (an entry
// already past it is not stored). It is durable when Put returns (as far as the server's
// persistence goes).
func (s *Store) Put(ctx context.Context, k cache.Key, e cache.Entry) error {
	expire := e.Fetched.Add(s.retention)
	if !expire.After(s.now()) {
		return nil
	}
	b, err := json.Marshal(entry{P: e.Provider, S: e.Status, C: e.Code, V: e.Values, F: e.Fetched.UnixMilli()})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	// The TTL counts on the server's clock from now: the entry's remaining retention.
	if err := s.rdb.Set(ctx, s.key(k), b, max(expire.Sub(s.now()), time.Millisecond)).Err(); err != nil {
		return s.wrap("put", err)
	}
	return nil
}

// Flush implements cache.Store (Put is synchronous).
func (s *Store) Flush() error { return nil }

// scan calls fn on every entry, a batch at a time.
func (s *Store) scan(ctx context.Context, fn func(keys []string, es []*entry) error) error {
	var cursor uint64
	for {
		keys, next, err := s.rdb.Scan(ctx, cursor, s.prefix+"*", 1000).Result()
		if err != nil {
			return s.wrap("scan", err)
		}
		if len(keys) > 0 {
			vals, err := s.rdb.MGet(ctx, keys...).Result()
			if err != nil {
				return s.wrap("read", err)
			}
			es := make([]*entry, len(keys))
			for i, v := range vals {
				if str, ok := v.(string); ok {
					var e entry
					if json.Unmarshal([]byte(str), &e) == nil {
						es[i] = &e
					}
				}
			}
			if err := fn(keys, es); err != nil {
				return err
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

// Purge implements cache.Store. A purge of everything past the retention alone is left to
// the TTLs (no scan at the start of every run).
func (s *Store) Purge(ctx context.Context, f cache.PurgeFilter) (int64, error) {
	if f.Provider == "" && !f.OlderThan.IsZero() && !f.OlderThan.After(s.now().Add(-s.retention).Add(time.Minute)) {
		return 0, nil
	}
	var n int64
	err := s.scan(ctx, func(keys []string, es []*entry) error {
		var del []string
		for i, e := range es {
			if e == nil || f.Provider != "" && e.P != f.Provider || !f.OlderThan.IsZero() && !time.UnixMilli(e.F).Before(f.OlderThan) {
				continue
			}
			del = append(del, keys[i])
		}
		if len(del) == 0 {
			return nil
		}
		d, err := s.rdb.Del(ctx, del...).Result()
		n += d
		if err != nil {
			return s.wrap("delete", err)
		}
		return nil
	})
	return n, err
}

// Stats implements cache.Store (Bytes is the entries' JSON).
func (s *Store) Stats(ctx context.Context) (cache.Stats, error) {
	st := cache.Stats{Path: "redis " + s.addr + " " + s.prefix + "*"}
	per := map[string]*cache.ProviderStats{}
	err := s.scan(ctx, func(_ []string, es []*entry) error {
		for _, e := range es {
			if e == nil {
				continue
			}
			st.Entries++
			b, _ := json.Marshal(e)
			st.Bytes += int64(len(b))
			ps := per[e.P]
			if ps == nil {
				ps = &cache.ProviderStats{Provider: e.P}
				per[e.P] = ps
			}
			ps.Entries++
			if e.S == "hit" {
				ps.Hits++
			} else {
				ps.NoHits++
			}
			t := time.UnixMilli(e.F)
			if ps.Oldest.IsZero() || t.Before(ps.Oldest) {
				ps.Oldest = t
			}
			if t.After(ps.Newest) {
				ps.Newest = t
			}
		}
		return nil
	})
	for _, ps := range per {
		st.Providers = append(st.Providers, *ps)
	}
	sort.Slice(st.Providers, func(i, j int) bool { return st.Providers[i].Provider < st.Providers[j].Provider })
	return st, err
}

// Close implements cache.Store.
func (s *Store) Close() error { return s.rdb.Close() }
