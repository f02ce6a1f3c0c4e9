package pipeline

import (
	"context"
	"errors"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"sync"
	"sync/atomic"
	"testing"
)

// TestBreakerAttemptsOnADeadEndpoint: 32 workers against an endpoint that
// never answers make exactly failures + probes attempts, one at a time,
// and then every worker is told the provider is stopped.
func TestBreakerAttemptsOnADeadEndpoint(t *testing.T) {
	for _, tc := range []struct{ failures, probes int }{{5, 2}, {1, 1}, {3, 0}} {
		b := newBreaker(jobfile.BreakerConfig{Failures: tc.failures, Probes: tc.probes, Backoff: 1e6})
		var attempts, concurrent, maxConcurrent, opened, stopped atomic.Int64
		var wg sync.WaitGroup
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					tk, err := b.enter(context.Background())
					if errors.Is(err, errBreakerStopped) {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					if c := concurrent.Add(1); c > maxConcurrent.Load() {
						maxConcurrent.Store(c)
					}
					attempts.Add(1)
					concurrent.Add(-1)
					switch b.unreachable(tk, "dial tcp: connection refused") {
					case breakerOpened:
						opened.Add(1)
					case breakerStopped:
						stopped.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		if got, want := attempts.Load(), int64(tc.failures+tc.probes); got != want {
			t.Errorf("%+v: %d attempts, want %d", tc, got, want)
		}
		if maxConcurrent.Load() != 1 {
			t.Errorf("%+v: %d attempts at once on an unverified endpoint, want 1", tc, maxConcurrent.Load())
		}
		wantOpened := int64(1)
		if tc.probes == 0 {
			wantOpened = 0
		}
		if opened.Load() != wantOpened || stopped.Load() != 1 {
			t.Errorf("%+v: opened %d stopped %d, want %d and 1", tc, opened.Load(), stopped.Load(), wantOpened)
		}
	}
}

// TestBreakerClosesOnAnswer: an answer resets the streak, and a healthy
// provider lets attempts through concurrently.
func TestBreakerClosesOnAnswer(t *testing.T) {
	b := newBreaker(jobfile.BreakerConfig{Failures: 2, Probes: 1, Backoff: 1e6})
	tk, _ := b.enter(context.Background())
	if !tk.single {
		t.Fatal("the first attempt on an unverified endpoint is not single")
	}
	b.answered(tk)
	a, _ := b.enter(context.Background())
	c, _ := b.enter(context.Background())
	if a.single || c.single {
		t.Fatal("a verified endpoint still admits one attempt at a time")
	}
	if ev := b.unreachable(a, "refused"); ev != breakerNone {
		t.Fatalf("first failure: event %d", ev)
	}
	b.answered(c) // an answer in between: the streak starts again
	d, _ := b.enter(context.Background())
	if ev := b.unreachable(d, "refused"); ev != breakerNone {
		t.Fatalf("failure after an answer opened the breaker (event %d)", ev)
	}
	e, _ := b.enter(context.Background())
	if ev := b.unreachable(e, "refused"); ev != breakerOpened {
		t.Fatalf("second failure in a row: event %d, want opened", ev)
	}
	if stopped, cause := b.state(); stopped || cause != "refused" {
		t.Fatalf("state stopped %v cause %q", stopped, cause)
	}
}
