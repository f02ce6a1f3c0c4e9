package redisbackend_test

import (
	"context"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/riskbatch/riskbatch/ratelimit"
	"github.com/riskbatch/riskbatch/ratelimit/redisbackend"
	"github.com/riskbatch/riskbatch/ratelimit/redisbackend/redistest"
)

// TestWroteMovesSchedule: a burst-1 key's next call, by any machine, is due no earlier than
// the interval after its last request was written (Coordinator.Wrote), never earlier than
// the schedule already said (a throttle's pause stays). Times are Redis TIME, read back.
func TestWroteMovesSchedule(t *testing.T) {
	srv := redistest.Start(t, "")
	bs := machines(t, srv, 2, redisbackend.Config{})
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	const qps, margin = 50, 0.02
	iv := int64(math.Ceil(1e6 / (qps * (1 - margin)))) // the script's interval, rounded up: 20409 µs
	tat := func(k *ratelimit.SharedKey) int64 {
		t.Helper()
		s, err := rdb.HGet(ctx, redisbackend.DefaultPrefix+"{"+k.Fingerprint+"}:pace", "tat").Result()
		if err != nil {
			t.Fatalf("read tat: %v", err)
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("tat %q: %v", s, err)
		}
		return v
	}
	grant := func(b *redisbackend.Backend, k *ratelimit.SharedKey) ratelimit.SharedGrant {
		t.Helper()
		for range 1000 {
			g, err := b.Acquire(ctx, k)
			if err != nil {
				t.Fatalf("Acquire: %v", err)
			}
			if g.OK {
				return g
			}
			time.Sleep(g.Wait) // the schedule's own wait, as a pool would
		}
		t.Fatal("no grant in 1000 tries")
		return ratelimit.SharedGrant{}
	}

	t.Run("written after the grant", func(t *testing.T) {
		k := &ratelimit.SharedKey{Fingerprint: fp(t), QPS: qps, Burst: 1, Margin: margin}
		grant(bs[0], k) // the first call goes alone (two intervals)
		g := grant(bs[0], k)
		before := tat(k)
		if err := bs[0].Wrote(ctx, k, g); err != nil {
			t.Fatal(err)
		}
		after := tat(k)
		if after <= before || after < g.At+iv {
			t.Fatalf("tat after the write %d, before %d, grant at %d: want later than before and ≥ grant + %dµs", after, before, g.At, iv)
		}
		// The other machine's next grant comes no earlier than the write + the interval
		// less the script's lead (half the margin's share).
		next := grant(bs[1], k)
		lead := (iv - int64(1e6/qps)) / 2
		if next.At < after-lead {
			t.Errorf("next grant at %d, %dµs before the write's due time %d (lead %dµs)", next.At, after-next.At, after, lead)
		}
	})
	t.Run("a pause stays", func(t *testing.T) {
		k := &ratelimit.SharedKey{Fingerprint: fp(t), QPS: qps, Burst: 1, Margin: margin}
		grant(bs[0], k)
		g := grant(bs[0], k)
		if _, err := bs[0].Release(ctx, k, g, ratelimit.Throttled, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		paused := tat(k)
		if err := bs[1].Wrote(ctx, k, g); err != nil {
			t.Fatal(err)
		}
		if got := tat(k); got != paused {
			t.Errorf("tat %d after a write during a 5 s pause, want it left at %d", got, paused)
		}
	})
}
