package ratelimit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeCoord is a Coordinator whose answers the test scripts per fingerprint.
type fakeCoord struct {
	mu       sync.Mutex
	answers  map[string][]SharedGrant // popped front first; the last one repeats
	err      error
	asked    []string
	released []Feedback
	wrote    int
	factor   float64
}

func (f *fakeCoord) Acquire(_ context.Context, k *SharedKey) (SharedGrant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, k.Fingerprint)
	if f.err != nil {
		return SharedGrant{}, f.err
	}
	a := f.answers[k.Fingerprint]
	g := a[0]
	if len(a) > 1 {
		f.answers[k.Fingerprint] = a[1:]
	}
	return g, nil
}

func (f *fakeCoord) Release(_ context.Context, _ *SharedKey, _ SharedGrant, fb Feedback, _ time.Duration) (float64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.released = append(f.released, fb)
	return f.factor, nil
}

func (f *fakeCoord) Wrote(context.Context, *SharedKey, SharedGrant) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.wrote++
	return nil
}

var _ Coordinator = (*fakeCoord)(nil) // a method missing would make the pool treat it as a plain Backend

func (f *fakeCoord) Reserve(string, string, int) (int, bool, error) { return 0, false, nil }
func (f *fakeCoord) Refund(string, string) error                    { return nil }
func (f *fakeCoord) MarkExhausted(string, string) error             { return nil }
func (f *fakeCoord) Used(string, string) (int, error)               { return 0, nil }
func (f *fakeCoord) Now() time.Time                                 { return time.Date(2026, 3, 10, 12, 0, 0, 0, DefaultLocation()) }

// TestCoordinatedPool: the pool asks its coordinator for every grant and follows its
// answers — a wait sends the head to another key, a spent quota retires the key until the
// vendor's midnight of the coordinator's day, a failure is a *BackendError — and releases
// through it, mirroring the key's shared rate.
func TestCoordinatedPool(t *testing.T) {
	ok := SharedGrant{OK: true, Day: "2026-03-10", Used: 1, Factor: 1}
	f := &fakeCoord{factor: 0.5, answers: map[string][]SharedGrant{
		"fa": {{Wait: time.Hour, Factor: 1}},
		"fb": {ok, {Spent: true, Day: "2026-03-10", Used: 100}},
	}}
	p, err := NewPool(PoolConfig{Provider: "p", Backend: f, Keys: []KeyConfig{
		{ID: "a", Fingerprint: "fa", QPS: 10, DailyQuota: 100},
		{ID: "b", Fingerprint: "fb", QPS: 10, DailyQuota: 100},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()

	// a is asked first (equal keys: the first), says wait an hour: b serves.
	l, err := p.Acquire(ctx)
	if err != nil || l.KeyID() != "b" || l.Day() != "2026-03-10" {
		t.Fatalf("first lease: %v %v; want key b on the coordinator's day", l, err)
	}
	l.Release(Throttled, 0)
	if st := p.Stats(); st[1].QPS != 5 || st[1].Throttled != 1 {
		t.Errorf("after a shared throttle: key b at %v QPS, %d throttled; want the coordinator's 0.5 × 10", st[1].QPS, st[1].Throttled)
	}
	// b is now spent, a still waits: nothing can serve before the context ends.
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := p.Acquire(cctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a waiting, b spent: %v, want the context's deadline", err)
	}
	if st := p.Stats(); st[1].State != "quota spent until 2026-03-11 00:00 +08" {
		t.Errorf("key b: %q, want spent until the vendor's midnight", st[1].State)
	}
	f.mu.Lock()
	if len(f.released) != 1 || f.released[0] != Throttled {
		t.Errorf("released through the coordinator: %v", f.released)
	}
	f.err = errors.New("connection refused")
	f.mu.Unlock()
	p2, _ := NewPool(PoolConfig{Provider: "p", Backend: f, Keys: []KeyConfig{{ID: "c", Fingerprint: "fc", QPS: 10}}})
	defer p2.Close()
	var be *BackendError
	if _, err := p2.Acquire(ctx); !errors.As(err, &be) || be.Key != "c" {
		t.Errorf("coordinator down: %v, want a *BackendError for key c", err)
	}
}

// TestCoordinatedWrote: a coordinated burst-1 paced key reports each request's write to the
// coordinator once (it paces every process from it); burst 5 and unpaced keys do not.
func TestCoordinatedWrote(t *testing.T) {
	tests := []struct {
		name  string
		key   KeyConfig
		wrote int
	}{
		{"burst 1", KeyConfig{ID: "a", Fingerprint: "fa", QPS: 10, Burst: 1}, 1},
		{"burst 5", KeyConfig{ID: "a", Fingerprint: "fa", QPS: 10, Burst: 5}, 0},
		{"unpaced", KeyConfig{ID: "a", Fingerprint: "fa"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeCoord{factor: 1, answers: map[string][]SharedGrant{"fa": {{OK: true, Day: "2026-03-10", Factor: 1}}}}
			p, err := NewPool(PoolConfig{Provider: "p", Backend: f, Keys: []KeyConfig{tc.key}})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			l, err := p.Acquire(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			l.Wrote()
			l.Wrote() // a transport that writes twice reports once
			l.Release(Sent, 0)
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.wrote != tc.wrote {
				t.Errorf("coordinator told of %d writes, want %d", f.wrote, tc.wrote)
			}
		})
	}
}
