package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"time"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fp returns a hex fingerprint, as the caller would compute it.
func fp(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// shanghaiAt returns a time in Asia/Shanghai.
func shanghaiAt(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, DefaultLocation())
}

func openStore(t testing.TB, dir string) *QuotaStore {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	s, err := OpenQuotaStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newPool(t testing.TB, cfg PoolConfig) *Pool {
	t.Helper()
	if cfg.Provider == "" {
		cfg.Provider = "test"
	}
	p, err := NewPool(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func acquire(t testing.TB, p *Pool) *Lease {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := p.Acquire(ctx)
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	return l
}

// acquireErr expects Acquire to fail within a short deadline and returns the error.
func acquireErr(t testing.TB, p *Pool, within time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	l, err := p.Acquire(ctx)
	if err == nil {
		t.Fatalf("Acquire returned a lease on key %s, want an error", l.KeyID())
	}
	return err
}

func asExhausted(t testing.TB, err error) *ExhaustedError {
	t.Helper()
	var ee *ExhaustedError
	if !errors.As(err, &ee) {
		t.Fatalf("error = %v (%T), want *ExhaustedError", err, err)
	}
	return ee
}

func stat(t testing.TB, p *Pool, id string) KeyStats {
	t.Helper()
	for _, s := range p.Stats() {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no stats for key %s", id)
	return KeyStats{}
}
