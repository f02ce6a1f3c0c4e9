package redisbackend_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/ratelimit"
	"github.com/riskbatch/riskbatch/ratelimit/redisbackend"
	"github.com/riskbatch/riskbatch/ratelimit/redisbackend/redistest"
)

// TestPoolsShareQuotaAndInFlight: three pools (three machines) with eight workers each on two
// keys with a quota of 300 and at most 2 calls in flight each: exactly 600 leases in all,
// never more than 2 in flight per key across the pools, then *ExhaustedError everywhere
// with the reset at the vendor's next midnight.
func TestPoolsShareQuotaAndInFlight(t *testing.T) {
	srv := redistest.Start(t, "")
	bs := machines(t, srv, 3, redisbackend.Config{})
	keys := []ratelimit.KeyConfig{
		{ID: "k1", Fingerprint: "aaaaaaaa01", DailyQuota: 300, MaxInFlight: 2},
		{ID: "k2", Fingerprint: "aaaaaaaa02", DailyQuota: 300, MaxInFlight: 2},
	}
	var (
		granted  atomic.Int64
		inflight [2]atomic.Int64
		peak     [2]atomic.Int64
		wg       sync.WaitGroup
		resets   sync.Map
	)
	for _, b := range bs {
		p, err := ratelimit.NewPool(ratelimit.PoolConfig{Provider: "juhe", Keys: keys, Backend: b})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 10_000 {
					l, err := p.Acquire(context.Background())
					var ex *ratelimit.ExhaustedError
					if errors.As(err, &ex) {
						resets.Store(ex.ResetAt.UnixNano(), true)
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					granted.Add(1)
					i := l.Index()
					n := inflight[i].Add(1)
					for {
						old := peak[i].Load()
						if n <= old || peak[i].CompareAndSwap(old, n) {
							break
						}
					}
					time.Sleep(200 * time.Microsecond)
					inflight[i].Add(-1)
					l.Release(ratelimit.Sent, 0)
				}
			}()
		}
	}
	wg.Wait()
	if g := granted.Load(); g != 600 {
		t.Errorf("%d leases over 3 pools, want 600 (2 keys × 300)", g)
	}
	for i := range peak {
		if p := peak[i].Load(); p > 2 {
			t.Errorf("key %d: %d calls in flight across the pools, cap 2", i+1, p)
		}
	}
	now := bs[0].Now().In(ratelimit.DefaultLocation())
	midnight := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, now.Location())
	n := 0
	resets.Range(func(k, _ any) bool {
		n++
		if k.(int64) != midnight.UnixNano() {
			t.Errorf("reset at %v, want %v", time.Unix(0, k.(int64)), midnight)
		}
		return true
	})
	if n == 0 {
		t.Errorf("no ExhaustedError")
	}
}

// TestPoolFailsClosed: with Redis down a pool's Acquire returns a *BackendError at once (no
// lease, no call); with Redis back it grants again.
func TestPoolFailsClosed(t *testing.T) {
	srv := redistest.Start(t, "pw-do-not-print-5d1")
	b := open(t, srv, redisbackend.Config{})
	p, err := ratelimit.NewPool(ratelimit.PoolConfig{Provider: "juhe", Keys: []ratelimit.KeyConfig{{ID: "k1", Fingerprint: "bbbbbbbb01", QPS: 100, DailyQuota: 10}}, Backend: b})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	l, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	l.Release(ratelimit.Sent, 0)
	srv.Kill()
	_, err = p.Acquire(context.Background())
	var be *ratelimit.BackendError
	if !errors.As(err, &be) {
		t.Fatalf("Redis down: %v, want a *BackendError", err)
	}
	t.Logf("Redis down: %v", err)
	srv.Restart()
	l, err = p.Acquire(context.Background())
	if err != nil {
		t.Fatalf("Redis back: %v", err)
	}
	l.Release(ratelimit.Sent, 0)
	if st := p.Stats(); st[0].QuotaUsedToday != 2 {
		t.Errorf("quota used %d, want 2", st[0].QuotaUsedToday)
	}
}
