package ratelimit

import (
	"context"
	"testing"
)

func BenchmarkAcquireRelease(b *testing.B) {
	ctx := context.Background()
	cases := []struct {
		name  string
		quota bool
	}{
		{"unlimited", false},
		{"quota-store", true},
	}
	for _, bc := range cases {
		mk := func(b *testing.B) *Pool {
			cfg := PoolConfig{Provider: "bench", Keys: []KeyConfig{{ID: "a", Fingerprint: fp("bench-a")}, {ID: "b", Fingerprint: fp("bench-b")}}}
			if bc.quota {
				cfg.Quota = openStore(b, "")
				for i := range cfg.Keys {
					cfg.Keys[i].DailyQuota = maxQuota
				}
			}
			return newPool(b, cfg)
		}
		b.Run(bc.name, func(b *testing.B) {
			p := mk(b)
			b.ReportAllocs()
			for b.Loop() {
				l, err := p.Acquire(ctx)
				if err != nil {
					b.Fatal(err)
				}
				l.Release(Sent, 0)
			}
		})
		b.Run(bc.name+"-parallel", func(b *testing.B) {
			p := mk(b)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					l, err := p.Acquire(ctx)
					if err != nil {
						b.Fatal(err)
					}
					l.Release(Sent, 0)
				}
			})
		})
	}
}
