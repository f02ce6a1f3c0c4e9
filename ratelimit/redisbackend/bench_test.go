package redisbackend_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/ratelimit"
	"github.com/riskbatch/riskbatch/ratelimit/redisbackend"
	"github.com/riskbatch/riskbatch/ratelimit/redisbackend/redistest"
)

// BenchmarkPoolRate: the grant rate of 2 keys × 50 QPS at burst 1 (the 2% margin in both
// cases), 16 workers per pool releasing at once, no HTTP: one local pool, against three
// pools on three Redis connections sharing the keys (what three machines do). The figure
// is the cost of coordination itself: one Redis round trip and a timer per grant.
//
//	go test -run '^$' -bench PoolRate -benchtime 1x ./ratelimit/redisbackend
func BenchmarkPoolRate(b *testing.B) {
	const qps, grants = 50, 1000
	keys := []ratelimit.KeyConfig{{ID: "k1", Fingerprint: "cccccccc01", QPS: qps}, {ID: "k2", Fingerprint: "cccccccc02", QPS: qps}}
	run := func(b *testing.B, pools []*ratelimit.Pool) float64 {
		var n atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for _, p := range pools {
			for range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for n.Load() < grants {
						l, err := p.Acquire(context.Background())
						if err != nil {
							b.Error(err)
							return
						}
						n.Add(1)
						l.Release(ratelimit.Sent, 0)
					}
				}()
			}
		}
		wg.Wait()
		return float64(n.Load()) / time.Since(start).Seconds()
	}
	b.Run("local", func(b *testing.B) {
		var rate float64
		for range b.N {
			p, err := ratelimit.NewPool(ratelimit.PoolConfig{Provider: "bench", Keys: keys})
			if err != nil {
				b.Fatal(err)
			}
			rate += run(b, []*ratelimit.Pool{p})
		}
		b.ReportMetric(rate/float64(b.N), "grants/s")
		b.ReportMetric(100*rate/float64(b.N)/(2*qps), "%allowed")
	})
	b.Run("redis-3-pools", func(b *testing.B) {
		srv := redistest.Start(b, "")
		var rate float64
		for i := range b.N {
			var pools []*ratelimit.Pool
			for range 3 {
				be, err := redisbackend.Open(context.Background(), redisbackend.Config{URL: srv.URL(), Prefix: "bench" + string(rune('a'+i)) + ":"})
				if err != nil {
					b.Fatal(err)
				}
				defer be.Close()
				p, err := ratelimit.NewPool(ratelimit.PoolConfig{Provider: "bench", Keys: keys, Backend: be})
				if err != nil {
					b.Fatal(err)
				}
				pools = append(pools, p)
			}
			rate += run(b, pools)
		}
		b.ReportMetric(rate/float64(b.N), "grants/s")
		b.ReportMetric(100*rate/float64(b.N)/(2*qps), "%allowed")
	})
}
