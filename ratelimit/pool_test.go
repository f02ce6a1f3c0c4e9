package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var day1 = shanghaiAt(2026, 11, 25, 15, 0, 0)

func TestNewPoolValidation(t *testing.T) {
	store := openStore(t, "")
	tests := []struct {
		name string
		cfg  PoolConfig
		want string
	}{
		{"no keys", PoolConfig{}, "no keys"},
		{"duplicate id", PoolConfig{Keys: []KeyConfig{{ID: "a"}, {ID: "a"}}}, "duplicate"},
		{"negative qps", PoolConfig{Keys: []KeyConfig{{ID: "a", QPS: -1}}}, "bad QPS"},
		{"negative burst", PoolConfig{Keys: []KeyConfig{{ID: "a", Burst: -1}}}, "negative"},
		{"quota without store", PoolConfig{Keys: []KeyConfig{{ID: "a", Fingerprint: fp("a"), DailyQuota: 5}}}, "no quota store"},
		{"quota without fingerprint", PoolConfig{Quota: store, Keys: []KeyConfig{{ID: "a", DailyQuota: 5}}}, "no fingerprint"},
		{"ok", PoolConfig{Quota: store, Keys: []KeyConfig{{ID: "a", Fingerprint: fp("a"), DailyQuota: 5, QPS: 3}}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPool(tc.cfg)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				p.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestSelection(t *testing.T) {
	tests := []struct {
		name string
		keys []KeyConfig
		used []int // units already used today, per key (another job)
		keep bool  // hold every lease instead of releasing it at once
		want string
	}{
		{
			name: "most remaining quota",
			keys: []KeyConfig{{ID: "A", DailyQuota: 100}, {ID: "B", DailyQuota: 100}},
			used: []int{90, 50},
			want: "BBB",
		},
		{
			name: "unlimited quota beats any quota",
			keys: []KeyConfig{{ID: "A", DailyQuota: 1000}, {ID: "B"}},
			want: "BBB",
		},
		{
			name: "quota headroom balances, ties to least recently used",
			keys: []KeyConfig{{ID: "A", DailyQuota: 10}, {ID: "B", DailyQuota: 10}},
			used: []int{0, 2},
			want: "AABAB",
		},
		{
			name: "spent key skipped",
			keys: []KeyConfig{{ID: "A", DailyQuota: 10}, {ID: "B", DailyQuota: 10}},
			used: []int{10, 9},
			want: "B",
		},
		{
			name: "free in-flight slots",
			keys: []KeyConfig{{ID: "A", MaxInFlight: 4}, {ID: "B", MaxInFlight: 2}},
			keep: true,
			want: "AABABA",
		},
		{
			name: "round robin on full ties",
			keys: []KeyConfig{{ID: "A"}, {ID: "B"}, {ID: "C"}},
			want: "ABCABC",
		},
		{
			name: "a key with a token now beats more headroom",
			keys: []KeyConfig{{ID: "A", DailyQuota: 100, QPS: 0.5}, {ID: "B", DailyQuota: 100}},
			used: []int{0, 50},
			want: "ABB",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := openStore(t, "")
			clock := newFakeClock(day1)
			day := day1.Format(time.DateOnly)
			for i := range tc.keys {
				tc.keys[i].Fingerprint = fp(tc.name + tc.keys[i].ID)
				if i < len(tc.used) {
					for range tc.used[i] {
						if _, ok, err := store.Reserve(tc.keys[i].Fingerprint, day, tc.keys[i].DailyQuota); err != nil || !ok {
							t.Fatalf("pre-use: ok=%v err=%v", ok, err)
						}
					}
				}
			}
			p := newPool(t, PoolConfig{Keys: tc.keys, Quota: store, Clock: clock})
			var got strings.Builder
			for range len(tc.want) {
				l := acquire(t, p)
				got.WriteString(l.KeyID())
				if !tc.keep {
					l.Release(Sent, 0)
				}
			}
			if got.String() != tc.want {
				t.Fatalf("keys chosen = %s, want %s", got.String(), tc.want)
			}
		})
	}
}

// drain acquires from p with n goroutines until every one gets an error; it returns the
// number of leases granted and the errors.
func drain(p *Pool, n int, fb Feedback) (int64, []error) {
	var granted atomic.Int64
	errs := make([]error, n)
	var wg sync.WaitGroup
	for g := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			for {
				l, err := p.Acquire(ctx)
				if err != nil {
					errs[g] = err
					return
				}
				granted.Add(1)
				l.Release(fb, 0)
			}
		})
	}
	wg.Wait()
	return granted.Load(), errs
}

func TestQuotaNeverExceededConcurrent(t *testing.T) {
	store := openStore(t, "")
	p := newPool(t, PoolConfig{
		Provider: "juhe",
		Keys:     []KeyConfig{{ID: "k1", Fingerprint: fp("k1"), DailyQuota: 500}},
		Quota:    store,
		Clock:    newFakeClock(day1),
	})
	granted, errs := drain(p, 100, Sent)
	if granted != 500 {
		t.Fatalf("granted %d leases, want exactly 500", granted)
	}
	wantReset := shanghaiAt(2026, 11, 26, 0, 0, 0)
	for _, err := range errs {
		ee := asExhausted(t, err)
		if !ee.ResetAt.Equal(wantReset) || ee.Provider != "juhe" || len(ee.Keys) != 1 || ee.Keys[0] != "k1" {
			t.Fatalf("ExhaustedError = %+v, want ResetAt %v", ee, wantReset)
		}
	}
	if used, _ := store.Used(fp("k1"), "2026-11-25"); used != 500 {
		t.Fatalf("store used = %d, want 500", used)
	}
	s := stat(t, p, "k1")
	if s.Calls != 500 || s.QuotaUsedToday != 500 || s.State != "quota spent until 2026-11-26 00:00 +08" || !s.ResetAt.Equal(wantReset) {
		t.Fatalf("stats = %+v", s)
	}
	t.Log(errs[0])
}

func TestTwoPoolsShareQuota(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(day1)
	key := []KeyConfig{{ID: "shared", Fingerprint: fp("shared"), DailyQuota: 300, MaxInFlight: 8}}
	p1 := newPool(t, PoolConfig{Keys: key, Quota: openStore(t, dir), Clock: clock})
	p2 := newPool(t, PoolConfig{Keys: key, Quota: openStore(t, dir), Clock: clock})
	var g1, g2 int64
	var wg sync.WaitGroup
	wg.Go(func() { g1, _ = drain(p1, 20, Sent) })
	wg.Go(func() { g2, _ = drain(p2, 20, Sent) })
	wg.Wait()
	if g1+g2 != 300 {
		t.Fatalf("two jobs granted %d + %d = %d leases, want 300", g1, g2, g1+g2)
	}
	t.Logf("job 1: %d, job 2: %d", g1, g2)
}

func TestNextDayServesAgain(t *testing.T) {
	store := openStore(t, "")
	clock := newFakeClock(shanghaiAt(2026, 11, 25, 23, 59, 30))
	p := newPool(t, PoolConfig{Keys: []KeyConfig{{ID: "k", Fingerprint: fp("k"), DailyQuota: 3}}, Quota: store, Clock: clock})
	var last *Lease
	for range 3 {
		last = acquire(t, p)
		if last.Day() != "2026-11-25" {
			t.Fatalf("lease day %s", last.Day())
		}
	}
	ee := asExhausted(t, acquireErr(t, p, time.Second))
	if want := shanghaiAt(2026, 11, 26, 0, 0, 0); !ee.ResetAt.Equal(want) {
		t.Fatalf("ResetAt = %v, want %v", ee.ResetAt, want)
	}
	clock.Advance(time.Minute)
	l := acquire(t, p)
	if l.Day() != "2026-11-26" {
		t.Fatalf("lease day %s, want 2026-11-26", l.Day())
	}
	// A refund of yesterday's unit does not touch today's count.
	last.Release(NotSent, 0)
	if s := stat(t, p, "k"); s.QuotaUsedToday != 1 || s.State != "active" {
		t.Fatalf("stats = %+v", s)
	}
	// The clock is also honoured for a pool built after midnight from a spent yesterday.
	if used, _ := store.Used(fp("k"), "2026-11-26"); used != 1 {
		t.Fatalf("used today = %d", used)
	}
}

func TestRefund(t *testing.T) {
	store := openStore(t, "")
	p := newPool(t, PoolConfig{Keys: []KeyConfig{{ID: "k", Fingerprint: fp("k"), DailyQuota: 2}}, Quota: store, Clock: newFakeClock(day1)})
	day := day1.Format(time.DateOnly)
	tests := []struct {
		fb       Feedback
		wantUsed int
	}{
		{NotSent, 0},
		{Throttled, 0},
		{PauseProvider, 0},
		{Sent, 1},
	}
	for _, tc := range tests {
		t.Run(tc.fb.String(), func(t *testing.T) {
			base, _ := store.Used(fp("k"), day)
			l := acquire(t, p)
			if used, _ := store.Used(fp("k"), day); used != base+1 {
				t.Fatalf("after Acquire used = %d, want %d (reserved before returning)", used, base+1)
			}
			l.Release(tc.fb, time.Nanosecond)
			l.Release(Sent, 0) // second release is ignored
			if used, _ := store.Used(fp("k"), day); used != base+tc.wantUsed {
				t.Fatalf("after Release(%v) used = %d, want %d", tc.fb, used, base+tc.wantUsed)
			}
		})
	}
	// The key is now at 1 of 2. Spend the last unit; the next Acquire finds the key spent.
	l := acquire(t, p)
	asExhausted(t, acquireErr(t, p, time.Second))
	// Refunding brings the key back (our own counter retired it, not the vendor).
	l.Release(NotSent, 0)
	l = acquire(t, p)
	l.Release(Sent, 0)
	if used, _ := store.Used(fp("k"), day); used != 2 {
		t.Fatalf("used = %d, want 2", used)
	}
}

func TestQuotaDailyMarksStore(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(day1)
	key := []KeyConfig{{ID: "k", Fingerprint: fp("k"), DailyQuota: 100}}
	p1 := newPool(t, PoolConfig{Keys: key, Quota: openStore(t, dir), Clock: clock})
	p2 := newPool(t, PoolConfig{Keys: key, Quota: openStore(t, dir), Clock: clock})
	acquire(t, p2).Release(Sent, 0)

	acquire(t, p1).Release(QuotaDaily, 0) // the vendor says: spent
	if used, _ := p1.store.Used(fp("k"), "2026-11-25"); used != 100 {
		t.Fatalf("used = %d after QuotaDaily, want the limit 100", used)
	}
	wantReset := shanghaiAt(2026, 11, 26, 0, 0, 0)
	for name, p := range map[string]*Pool{"same job": p1, "other job": p2} {
		ee := asExhausted(t, acquireErr(t, p, time.Second))
		if !ee.ResetAt.Equal(wantReset) {
			t.Fatalf("%s: ResetAt = %v", name, ee.ResetAt)
		}
	}
	// A job started later sees the key spent from the start.
	p3 := newPool(t, PoolConfig{Keys: key, Quota: openStore(t, dir), Clock: clock})
	if s := stat(t, p3, "k"); !strings.HasPrefix(s.State, "quota spent until 2026-11-26 00:00") || s.QuotaUsedToday != 100 {
		t.Fatalf("new job stats = %+v", s)
	}
	clock.Advance(9 * time.Hour)
	for _, p := range []*Pool{p1, p2, p3} {
		acquire(t, p).Release(Sent, 0)
	}
}

func TestFatal(t *testing.T) {
	p := newPool(t, PoolConfig{Provider: "td", Keys: []KeyConfig{{ID: "A"}, {ID: "B"}}})
	l := acquire(t, p)
	if l.KeyID() != "A" || l.Index() != 0 {
		t.Fatalf("first lease on %s/%d", l.KeyID(), l.Index())
	}
	other := acquire(t, p) // on B, still in flight while A dies
	l.ReleaseWithReason(Fatal, 0, "301 bad partner code")
	for range 5 {
		l := acquire(t, p)
		if l.KeyID() != "B" || l.Index() != 1 {
			t.Fatalf("lease on %s after A was stopped", l.KeyID())
		}
		l.Release(Sent, 0)
	}
	if s := stat(t, p, "A"); s.State != "stopped: fatal" {
		t.Fatalf("A state = %q", s.State)
	}
	other.Release(Fatal, 0)
	err := acquireErr(t, p, time.Second)
	var fe *FatalError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want *FatalError", err)
	}
	if fe.Provider != "td" || strings.Join(fe.Keys, ",") != "A,B" || !strings.Contains(fe.Reason, "A: 301 bad partner code") {
		t.Fatalf("FatalError = %+v", fe)
	}
	t.Log(err)
}

func TestQuotaPermanent(t *testing.T) {
	tests := []struct {
		name      string
		keys      []KeyConfig
		feedbacks []Feedback // one lease per feedback, in order
	}{
		{"single key", []KeyConfig{{ID: "A"}}, []Feedback{QuotaPermanent}},
		{"permanent and fatal", []KeyConfig{{ID: "A"}, {ID: "B"}}, []Feedback{QuotaPermanent, Fatal}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPool(t, PoolConfig{Keys: tc.keys})
			for _, fb := range tc.feedbacks {
				acquire(t, p).Release(fb, 0)
			}
			ee := asExhausted(t, acquireErr(t, p, time.Second))
			if !ee.ResetAt.IsZero() {
				t.Fatalf("ResetAt = %v, want zero (no key resets)", ee.ResetAt)
			}
			if s := stat(t, p, "A"); s.State != "quota spent for good" || s.Calls != 1 {
				t.Fatalf("stats = %+v", s)
			}
		})
	}
}

func TestPauseProvider(t *testing.T) {
	p := newPool(t, PoolConfig{Keys: []KeyConfig{{ID: "A"}, {ID: "B"}}})
	const pause = 80 * time.Millisecond
	acquire(t, p).Release(PauseProvider, pause)
	released := time.Now()
	for _, s := range p.Stats() {
		if !strings.HasPrefix(s.State, "paused until ") {
			t.Fatalf("key %s state %q during a provider pause", s.ID, s.State)
		}
	}
	if err := acquireErr(t, p, 10*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded while paused", err)
	}
	acquire(t, p).Release(Sent, 0)
	if waited := time.Since(released); waited < pause-5*time.Millisecond {
		t.Fatalf("lease granted %v after the pause began, want >= %v", waited, pause)
	}
	// Without a Retry-After the pause is the default.
	acquire(t, p).Release(PauseProvider, 0)
	p.mu.Lock()
	left := time.Until(p.pausedUntil)
	p.mu.Unlock()
	if left < DefaultProviderPause-5*time.Second || left > DefaultProviderPause {
		t.Fatalf("default pause left %v, want about %v", left, DefaultProviderPause)
	}
}

func TestThrottled(t *testing.T) {
	t.Run("rate halves to a floor and recovers", func(t *testing.T) {
		p := newPool(t, PoolConfig{Keys: []KeyConfig{{ID: "A", QPS: 1000, Burst: 5}}})
		k := p.keys[0]
		for _, want := range []float64{500, 250, 125, 100, 100} {
			acquire(t, p).Release(Throttled, 0)
			s := stat(t, p, "A")
			if s.QPS != want || k.sched.floor != intervalOf(want) {
				t.Fatalf("after throttle QPS = %v (interval %v), want %v", s.QPS, k.sched.floor, want)
			}
		}
		if s := stat(t, p, "A"); s.Throttled != 5 || s.State != "active" {
			t.Fatalf("stats = %+v", s)
		}
		prev := 100.0
		for i := 0; prev < 1000; i++ {
			if i > 200 {
				t.Fatalf("rate did not recover: %v", prev)
			}
			acquire(t, p).Release(Sent, 0)
			q := stat(t, p, "A").QPS
			if q < prev || q > 1000 {
				t.Fatalf("rate went from %v to %v", prev, q)
			}
			prev = q
		}
		if k.sched.floor != time.Millisecond {
			t.Fatalf("interval %v after recovery, want 1ms", k.sched.floor)
		}
	})
	t.Run("retry-after pauses the key, others go on", func(t *testing.T) {
		p := newPool(t, PoolConfig{Keys: []KeyConfig{{ID: "A", QPS: 1000}, {ID: "B"}}})
		acquire(t, p).Release(Throttled, time.Hour)
		if s := stat(t, p, "A"); !strings.HasPrefix(s.State, "paused until ") {
			t.Fatalf("A state %q", s.State)
		}
		for range 5 {
			l := acquire(t, p)
			if l.KeyID() != "B" {
				t.Fatalf("lease on paused key %s", l.KeyID())
			}
			l.Release(Sent, 0)
		}
	})
	t.Run("unlimited key pauses for a second", func(t *testing.T) {
		p := newPool(t, PoolConfig{Keys: []KeyConfig{{ID: "A"}}})
		acquire(t, p).Release(Throttled, 0)
		if err := acquireErr(t, p, 20*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
		p.mu.Lock()
		left := time.Until(p.keys[0].pausedUntil)
		p.mu.Unlock()
		if left <= 0 || left > time.Second {
			t.Fatalf("pause left %v", left)
		}
	})
}

func TestTokenBucketPacesCalls(t *testing.T) {
	// 200 QPS, burst 1: 21 leases need at least 100ms (sanity bound, not a precise one).
	p := newPool(t, PoolConfig{Keys: []KeyConfig{{ID: "A", QPS: 200}}})
	start := time.Now()
	for range 21 {
		acquire(t, p).Release(Sent, 0)
	}
	if el := time.Since(start); el < 90*time.Millisecond {
		t.Fatalf("21 calls at 200 QPS took %v", el)
	}
}

func TestMaxInFlight(t *testing.T) {
	p := newPool(t, PoolConfig{Keys: []KeyConfig{{ID: "A", MaxInFlight: 3}}})
	t.Run("fourth lease waits for a release", func(t *testing.T) {
		var held []*Lease
		for range 3 {
			held = append(held, acquire(t, p))
		}
		if err := acquireErr(t, p, 20*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
		got := make(chan *Lease)
		go func() {
			l, _ := p.Acquire(context.Background())
			got <- l
		}()
		held[0].Release(Sent, 0)
		l := <-got
		if l == nil {
			t.Fatal("no lease after a release")
		}
		for _, l := range append(held[1:], l) {
			l.Release(Sent, 0)
		}
	})
	t.Run("concurrent leases never exceed the limit", func(t *testing.T) {
		var cur, peak atomic.Int64
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				for range 50 {
					l := acquire(t, p)
					n := cur.Add(1)
					for {
						old := peak.Load()
						if n <= old || peak.CompareAndSwap(old, n) {
							break
						}
					}
					cur.Add(-1)
					l.Release(Sent, 0)
				}
			})
		}
		wg.Wait()
		if pk := peak.Load(); pk > 3 || pk < 1 {
			t.Fatalf("peak concurrent leases = %d, want 1..3", pk)
		}
		if s := stat(t, p, "A"); s.InFlight != 0 {
			t.Fatalf("in flight after all released: %d", s.InFlight)
		}
	})
}

func TestCancelAndClose(t *testing.T) {
	p := newPool(t, PoolConfig{Keys: []KeyConfig{{ID: "A", MaxInFlight: 1}}})
	l := acquire(t, p)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := p.Acquire(ctx)
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	go func() {
		_, err := p.Acquire(context.Background())
		done <- err
	}()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("waiting Acquire after Close: %v", err)
	}
	l.Release(Sent, 0) // still fine after Close
	if s := stat(t, p, "A"); s.Calls != 1 || s.InFlight != 0 {
		t.Fatalf("stats = %+v", s)
	}
}

func TestCancelDuringTokenWait(t *testing.T) {
	// A cancelled wait takes no slot: the next caller is not delayed by it.
	p := newPool(t, PoolConfig{Keys: []KeyConfig{{ID: "A", QPS: 2}}})
	acquire(t, p).Release(Sent, 0) // next slot in 500ms
	p.mu.Lock()
	slot := p.keys[0].sched.tat
	p.mu.Unlock()
	if err := acquireErr(t, p, 10*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	p.mu.Lock()
	after, line := p.keys[0].sched.tat, len(p.line)
	p.mu.Unlock()
	if !after.Equal(slot) || line != 0 {
		t.Fatalf("next slot moved by %v, %d callers left in line: the abandoned wait took a slot", after.Sub(slot), line)
	}
}

func ExamplePool() {
	dir, _ := os.MkdirTemp("", "ratelimit-example")
	defer os.RemoveAll(dir)
	store, _ := OpenQuotaStore(dir) // normally DefaultStateDir()
	defer store.Close()
	pool, _ := NewPool(PoolConfig{
		Provider: "juhe",
		Keys:     []KeyConfig{{ID: "primary", Fingerprint: fp("juhe/primary"), QPS: 10, DailyQuota: 1000}},
		Quota:    store,
	})
	defer pool.Close()
	lease, err := pool.Acquire(context.Background())
	if err != nil {
		return
	}
	// ... send the request with the credentials of key lease.Index() ...
	lease.Release(Sent, 0)
	fmt.Println(lease.KeyID(), pool.Stats()[0].QuotaUsedToday)
	// Output: primary 1
}

// TestTodayNamesTheDate holds the pool's cached day name to what it
// replaced, the clock's time formatted in the pool's location, as the
// clock walks back and forth over midnights, DST changes and a skipped day
// (Pacific/Apia lost 2011-12-30).
func TestTodayNamesTheDate(t *testing.T) {
	for _, zone := range []string{"Asia/Shanghai", "America/New_York", "America/Sao_Paulo", "Pacific/Apia", "UTC"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatalf("load %s: %v", zone, err)
		}
		clock := newFakeClock(time.Date(2011, 12, 28, 22, 0, 0, 0, loc))
		p := &Pool{loc: loc, clock: clock}
		steps := []time.Duration{time.Minute, 59 * time.Minute, time.Hour, 7 * time.Hour, -3 * time.Hour, 23 * time.Hour, 25 * time.Hour, -26 * time.Hour, time.Second}
		for i := range 20000 {
			now, name := p.today()
			want := clock.Now().In(loc)
			if !now.Equal(want) || now.Location() != loc || name != want.Format(time.DateOnly) {
				t.Fatalf("%s step %d: today() = %v %q, want %v %q", zone, i, now, name, want, want.Format(time.DateOnly))
			}
			clock.Advance(steps[(i*7+i/3)%len(steps)])
		}
	}
}
