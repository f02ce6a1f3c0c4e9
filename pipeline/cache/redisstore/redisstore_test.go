package redisstore_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/riskbatch/riskbatch/pipeline/cache"
	"github.com/riskbatch/riskbatch/pipeline/cache/redisstore"
	"github.com/riskbatch/riskbatch/ratelimit/redisbackend/redistest"
)

// TestStore: entries round-trip between two stores (two machines), expire with the
// retention (the Redis TTL), a purge selects by provider and age, stats count them.
func TestStore(t *testing.T) {
	srv := redistest.Start(t, "cache-pw-2b7e")
	ctx := context.Background()
	now := time.Now()
	clock := func() time.Time { return now }
	a, err := redisstore.Open(ctx, srv.URL(), "t:", 30*24*time.Hour, clock)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := redisstore.Open(ctx, srv.URL(), "t:", 30*24*time.Hour, clock)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	k := func(i byte) cache.Key { return cache.Key{i} }
	e1 := cache.Entry{Provider: "juhe", Status: "hit", Code: "0", Values: []string{"71", "A1,B2"}, Fetched: now.Add(-time.Hour).Truncate(time.Millisecond)}
	e2 := cache.Entry{Provider: "td", Status: "no_hit", Values: []string{"", ""}, Fetched: now.Add(-10 * 24 * time.Hour).Truncate(time.Millisecond)}
	old := cache.Entry{Provider: "td", Status: "hit", Fetched: now.Add(-31 * 24 * time.Hour)}
	for i, e := range []cache.Entry{e1, e2, old} {
		if err := a.Put(ctx, k(byte(i)), e); err != nil {
			t.Fatal(err)
		}
	}
	got, ok, err := b.Get(ctx, k(0))
	if err != nil || !ok || !reflect.DeepEqual(got, e1) {
		t.Errorf("Get on the other machine: %+v %v %v, want %+v", got, ok, err, e1)
	}
	if _, ok, _ := b.Get(ctx, k(2)); ok {
		t.Errorf("an entry past the retention was stored")
	}
	if _, ok, _ := b.Get(ctx, k(9)); ok {
		t.Errorf("a missing key was found")
	}

	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), Password: srv.Password})
	defer c.Close()
	keys, _ := c.Keys(ctx, "t:cache:*").Result()
	if len(keys) != 2 {
		t.Errorf("keys %v, want 2", keys)
	}
	for _, key := range keys {
		ttl, _ := c.TTL(ctx, key).Result()
		if ttl <= 19*24*time.Hour || ttl > 30*24*time.Hour {
			t.Errorf("%s expires in %s: want the entry's remaining retention (20 or 30 days)", key, ttl)
		}
		if strings.Contains(key, "juhe") || strings.Contains(key, "71") {
			t.Errorf("a key reveals the entry: %s", key)
		}
	}

	st, err := b.Stats(ctx)
	if err != nil || st.Entries != 2 || len(st.Providers) != 2 || st.Providers[0].Provider != "juhe" || st.Providers[1].NoHits != 1 {
		t.Errorf("stats %+v %v", st, err)
	}
	if strings.Contains(st.Path, srv.Password) {
		t.Errorf("stats path reveals the password: %s", st.Path)
	}
	// The run's purge past the retention is the TTL's job; a shorter purge scans.
	if n, err := a.Purge(ctx, cache.PurgeFilter{OlderThan: now.Add(-30 * 24 * time.Hour)}); err != nil || n != 0 {
		t.Errorf("purge past retention: %d %v", n, err)
	}
	if n, err := a.Purge(ctx, cache.PurgeFilter{OlderThan: now.Add(-7 * 24 * time.Hour)}); err != nil || n != 1 {
		t.Errorf("purge older than 7 days: %d %v, want 1", n, err)
	}
	if n, err := a.Purge(ctx, cache.PurgeFilter{Provider: "juhe"}); err != nil || n != 1 {
		t.Errorf("purge of juhe: %d %v, want 1", n, err)
	}
	if st, _ := b.Stats(ctx); st.Entries != 0 {
		t.Errorf("after the purges: %d entries", st.Entries)
	}
	if _, err := redisstore.Open(ctx, "redis://:wrong-pw-x1@"+srv.Addr()+"/0", "t:", time.Hour, nil); err == nil || strings.Contains(err.Error(), "wrong-pw-x1") {
		t.Errorf("wrong password: %v", err)
	}
}
