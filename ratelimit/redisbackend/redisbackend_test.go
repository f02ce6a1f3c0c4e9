package redisbackend_test

// Tests against a real redis-server (redistest: loopback port, temp dir, appendonly yes,
// appendfsync always). Several Backends on one server stand for several machines. Every
// assertion is on counts and on grant times read from Redis TIME, never on wall-clock speed.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/riskbatch/riskbatch/ratelimit"
	"github.com/riskbatch/riskbatch/ratelimit/redisbackend"
	"github.com/riskbatch/riskbatch/ratelimit/redisbackend/redistest"
)

func open(t *testing.T, srv *redistest.Server, cfg redisbackend.Config) *redisbackend.Backend {
	t.Helper()
	cfg.URL = srv.URL()
	b, err := redisbackend.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// machines opens n Backends on srv.
func machines(t *testing.T, srv *redistest.Server, n int, cfg redisbackend.Config) []*redisbackend.Backend {
	t.Helper()
	bs := make([]*redisbackend.Backend, n)
	for i := range bs {
		bs[i] = open(t, srv, cfg)
	}
	return bs
}

// grantAll has workers on every backend acquire on k until want grants were made in all
// (bounded: each worker gives up after 100,000 tries), and returns the grants.
func grantAll(t *testing.T, bs []*redisbackend.Backend, workers int, k *ratelimit.SharedKey, want int, release bool) []ratelimit.SharedGrant {
	t.Helper()
	var (
		mu     sync.Mutex
		grants []ratelimit.SharedGrant
		left   atomic.Int64
		wg     sync.WaitGroup
		errs   atomic.Int64
	)
	left.Store(int64(want))
	for _, b := range bs {
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 100_000 {
					if left.Load() <= 0 {
						return
					}
					g, err := b.Acquire(context.Background(), k)
					if err != nil {
						errs.Add(1)
						return
					}
					switch {
					case g.OK:
						left.Add(-1)
						mu.Lock()
						grants = append(grants, g)
						mu.Unlock()
						if release {
							if _, err := b.Release(context.Background(), k, g, ratelimit.Sent, 0); err != nil {
								errs.Add(1)
							}
						}
					case g.Spent:
						return
					case g.Wait > 0:
						time.Sleep(g.Wait)
					}
				}
			}()
		}
	}
	wg.Wait()
	if n := errs.Load(); n > 0 {
		t.Fatalf("%d Redis errors", n)
	}
	return grants
}

func fp(t *testing.T) string { return strings.ReplaceAll(t.Name(), "/", "-") }

// TestPacingShared: three machines with four workers each on one key: with burst 1 no two
// grants are closer than the interval (at the rate less the 2% margin), on Redis TIME; with
// burst 5 a grant is never closer than one interval to the grant five before it.
func TestPacingShared(t *testing.T) {
	srv := redistest.Start(t, "")
	bs := machines(t, srv, 3, redisbackend.Config{})
	const qps, n = 200, 300
	for _, burst := range []int{1, 5} {
		t.Run(fmt.Sprintf("burst%d", burst), func(t *testing.T) {
			margin := 0.0
			if burst == 1 {
				margin = 0.02
			}
			// A daily quota too: the unit is reserved in a step of its own (durable), the
			// slot last; the quota stops the run at exactly n grants.
			k := &ratelimit.SharedKey{Fingerprint: fp(t), QPS: qps, Burst: burst, Margin: margin, DailyQuota: n}
			grants := grantAll(t, bs, 4, k, 2*n, true)
			if len(grants) != n {
				t.Fatalf("%d grants, want %d (the quota)", len(grants), n)
			}
			if used, _ := bs[0].Used(k.Fingerprint, grants[0].Day); used != n {
				t.Errorf("quota count %d, want %d", used, n)
			}
			at := make([]int64, len(grants))
			seqs := map[int64]bool{}
			for i, g := range grants {
				at[i] = g.At
				seqs[g.Seq] = true
			}
			if len(seqs) != n {
				t.Errorf("%d distinct grant numbers for %d grants", len(seqs), n)
			}
			slices.Sort(at)
			// Grants of a burst-1 key may come up to half the margin early (the round trip's
			// share), never closer than the interval at the key's rate; with burst 5 the
			// schedule runs on the interval itself.
			iv := int64(1e6 / qps)
			minGap := int64(1 << 62)
			for i := burst; i < len(at); i++ {
				minGap = min(minGap, at[i]-at[i-burst])
			}
			if minGap < iv {
				t.Errorf("burst %d: two grants %d apart closer than the interval: %dµs < %dµs", burst, burst, minGap, iv)
			}
			t.Logf("burst %d: %d grants over 3 machines, smallest gap to the grant %d before: %dµs (interval %dµs); rate %.1f/s",
				burst, n, burst, minGap, iv, float64(n-1)/(float64(at[n-1]-at[0])/1e6))
		})
	}
}

// TestInFlightLeases: the cap holds across machines; a release frees a slot; the leases of
// a machine that died (never released) expire and free theirs.
func TestInFlightLeases(t *testing.T) {
	srv := redistest.Start(t, "")
	const ttl = 300 * time.Millisecond
	a, b := open(t, srv, redisbackend.Config{LeaseTTL: ttl}), open(t, srv, redisbackend.Config{LeaseTTL: ttl})
	k := &ratelimit.SharedKey{Fingerprint: fp(t), MaxInFlight: 2}
	ctx := context.Background()
	g1, err1 := a.Acquire(ctx, k)
	g2, err2 := b.Acquire(ctx, k)
	g3, err3 := a.Acquire(ctx, k)
	if err := errorsJoin(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	if !g1.OK || !g2.OK || g3.OK || !g3.Full {
		t.Fatalf("grants %+v %+v %+v: want two leases, then full", g1, g2, g3)
	}
	if _, err := b.Release(ctx, k, g2, ratelimit.Sent, 0); err != nil {
		t.Fatal(err)
	}
	if g, err := a.Acquire(ctx, k); err != nil || !g.OK {
		t.Fatalf("after a release: %+v %v; want a lease", g, err)
	}
	// Machine a "dies" holding both slots: full until its leases expire, then free.
	if g, _ := b.Acquire(ctx, k); !g.Full {
		t.Fatalf("with both slots leased: %+v, want full", g)
	}
	full := 0
	for range 200 {
		g, err := b.Acquire(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if g.OK {
			t.Logf("a dead machine's slots came back after %d polls", full)
			return
		}
		full++
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the leases of a dead machine never expired (TTL %s)", ttl)
}

// redisTTL reads a key's time to live straight from the server.
func redisTTL(t *testing.T, srv *redistest.Server, key string) time.Duration {
	t.Helper()
	opt, err := redis.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	d, err := c.TTL(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func errorsJoin(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// TestQuotaShared: 3 machines × 8 workers on a quota of 1,000 make exactly 1,000 grants;
// refunds give units back; the vendor's "spent" stops every machine; the next vendor day
// (test clock offset) starts at zero; the margin stops short; the count expires in 48 h.
func TestQuotaShared(t *testing.T) {
	srv := redistest.Start(t, "")
	ctx := context.Background()
	bs := machines(t, srv, 3, redisbackend.Config{})
	k := &ratelimit.SharedKey{Fingerprint: fp(t), DailyQuota: 1000, Location: ratelimit.DefaultLocation()}
	grants := grantAll(t, bs, 8, k, 5000, false)
	if len(grants) != 1000 {
		t.Fatalf("%d grants on a shared quota of 1000", len(grants))
	}
	day := grants[0].Day
	if want := bs[0].Now().In(ratelimit.DefaultLocation()).Format(time.DateOnly); day != want {
		t.Errorf("quota day %s, want %s (Redis TIME in Asia/Shanghai)", day, want)
	}
	if used, err := bs[1].Used(k.Fingerprint, day); err != nil || used != 1000 {
		t.Errorf("used %d (%v), want 1000", used, err)
	}
	// Two calls never left: their units come back and are granted again, once each.
	for _, g := range grants[:2] {
		if _, err := bs[2].Release(ctx, k, g, ratelimit.NotSent, 0); err != nil {
			t.Fatal(err)
		}
	}
	if again := grantAll(t, bs, 4, k, 10, false); len(again) != 2 {
		t.Errorf("after 2 refunds %d grants, want 2", len(again))
	}
	// A refund for a past day is ignored.
	if err := bs[0].Refund(k.Fingerprint, "2000-01-01"); err != nil {
		t.Fatal(err)
	}
	if used, _ := bs[0].Used(k.Fingerprint, day); used != 1000 {
		t.Errorf("a stale refund changed the count: %d", used)
	}

	// The vendor says spent on another key: every machine stops, whatever the count.
	k2 := &ratelimit.SharedKey{Fingerprint: fp(t) + "-2", DailyQuota: 1000, Location: ratelimit.DefaultLocation()}
	g, err := bs[0].Acquire(ctx, k2)
	if err != nil || !g.OK {
		t.Fatal(g, err)
	}
	if _, err := bs[0].Release(ctx, k2, g, ratelimit.QuotaDaily, 0); err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if g, err := b.Acquire(ctx, k2); err != nil || !g.Spent {
			t.Errorf("after the vendor's quota code: %+v %v, want spent", g, err)
		}
	}
	if used, ex, _ := bs[1].Status(k2.Fingerprint, day); !ex || used != 1000 {
		t.Errorf("status after the vendor's code: used %d exhausted %v; want 1000 true", used, ex)
	}

	// The next vendor day: Redis TIME cannot be set, the test offset moves the day.
	now := bs[0].Now().In(ratelimit.DefaultLocation())
	midnight := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, now.Location())
	offset := midnight.Sub(now) + time.Minute
	next := machines(t, srv, 3, redisbackend.Config{ClockOffset: offset})
	grants = grantAll(t, next, 8, k, 5000, false)
	if len(grants) != 1000 || grants[0].Day == day {
		t.Errorf("next day: %d grants on day %s (was %s), want 1000 on the next day", len(grants), grants[0].Day, day)
	}
	if g, _ := next[0].Acquire(ctx, k2); !g.OK {
		t.Errorf("next day: the vendor's spent of yesterday still holds: %+v", g)
	}
	// The old day's machines now see a later day in Redis: their reservations fail, not
	// count against the new day.
	if _, _, err := bs[0].Reserve(k.Fingerprint, day, 1000); err == nil {
		t.Errorf("Reserve for an earlier day than the key's count succeeded")
	}

	// quota_margin 2%: 980 of 1,000.
	m := machines(t, srv, 3, redisbackend.Config{QuotaMargin: 2})
	k3 := &ratelimit.SharedKey{Fingerprint: fp(t) + "-3", DailyQuota: 1000}
	if n := len(grantAll(t, m, 8, k3, 5000, false)); n != 980 {
		t.Errorf("margin 2%%: %d grants, want 980", n)
	}
	ttl := redisTTL(t, srv, "riskbatch:{"+k3.Fingerprint+"}:quota")
	if ttl <= 47*time.Hour || ttl > 48*time.Hour {
		t.Errorf("quota count TTL %s, want 48h", ttl)
	}
	t.Logf("quota 1000 over 3 machines × 8 workers: exactly 1000 grants; margin 2%%: 980; next day 1000 more")
}

// TestReserveLikeQuotaStore: the Backend interface on a given day behaves as the file store.
func TestReserveLikeQuotaStore(t *testing.T) {
	srv := redistest.Start(t, "")
	b := open(t, srv, redisbackend.Config{})
	dir := t.TempDir()
	qs, err := ratelimit.OpenQuotaStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer qs.Close()
	type op struct {
		name, day string
	}
	ops := []op{{"r", "2026-03-10"}, {"r", "2026-03-10"}, {"f", "2026-03-10"}, {"r", "2026-03-10"}, {"r", "2026-03-10"},
		{"r", "2026-03-10"}, {"f", "2026-03-09"}, {"r", "2026-03-11"}, {"x", "2026-03-11"}, {"r", "2026-03-11"}, {"u", "2026-03-11"},
		{"f", "2026-03-11"}, {"r", "2026-03-11"}, {"r", "2026-03-10"}, {"r", "2026-03-12"}}
	for i, o := range ops {
		var got [2]string
		for j, be := range []ratelimit.Backend{qs, b} {
			fpr := "abcdef0123456789"
			switch o.name {
			case "r":
				used, ok, err := be.Reserve(fpr, o.day, 3)
				got[j] = fmt.Sprintf("%d %v %v", used, ok, err != nil)
			case "f":
				got[j] = fmt.Sprint(be.Refund(fpr, o.day) != nil)
			case "x":
				got[j] = fmt.Sprint(be.MarkExhausted(fpr, o.day) != nil)
			case "u":
				used, err := be.Used(fpr, o.day)
				got[j] = fmt.Sprintf("%d %v", used, err != nil)
			}
		}
		if got[0] != got[1] {
			t.Errorf("op %d %s %s: file store %q, Redis %q", i, o.name, o.day, got[0], got[1])
		}
	}
}

// TestThrottleShared: a 429 seen by one machine halves the key's rate for every machine,
// once per event (a 429 on a call granted before the cut does not halve again), and Sent
// answers bring it back 10% per 10.
func TestThrottleShared(t *testing.T) {
	srv := redistest.Start(t, "")
	ctx := context.Background()
	a, b := open(t, srv, redisbackend.Config{}), open(t, srv, redisbackend.Config{})
	k := &ratelimit.SharedKey{Fingerprint: fp(t), QPS: 1000, Burst: 1}
	g1 := grantAll(t, []*redisbackend.Backend{a}, 1, k, 1, false)[0]
	g2 := grantAll(t, []*redisbackend.Backend{b}, 1, k, 1, false)[0]
	if f, err := a.Release(ctx, k, g1, ratelimit.Throttled, 0); err != nil || f != 0.5 {
		t.Fatalf("first 429: factor %v %v, want 0.5", f, err)
	}
	// g2 was granted before the cut? No: after g1 and before the cut — its 429 is news only
	// if granted after the cut. Both were granted before the cut: the second does not halve.
	if f, _ := b.Release(ctx, k, g2, ratelimit.Throttled, 0); f != 0.5 {
		t.Errorf("a 429 on a call granted before the cut halved again: %v", f)
	}
	g3 := grantAll(t, []*redisbackend.Backend{b}, 1, k, 1, false)[0]
	if g3.Factor != 0.5 {
		t.Errorf("the other machine's grant runs at factor %v, want 0.5", g3.Factor)
	}
	if f, _ := b.Release(ctx, k, g3, ratelimit.Throttled, 0); f != 0.25 {
		t.Errorf("a 429 on a call granted after the cut: %v, want 0.25", f)
	}
	for i := range 10 {
		g := grantAll(t, []*redisbackend.Backend{a}, 1, k, 1, false)[0]
		f, err := a.Release(ctx, k, g, ratelimit.Sent, 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]float64{true: 0.35, false: 0.25}[i == 9]; f != want {
			t.Errorf("after %d Sent answers: factor %v, want %v", i+1, f, want)
		}
	}
	if f, _ := b.Factor(k.Fingerprint); f != 0.35 {
		t.Errorf("shared factor %v, want 0.35", f)
	}
	// Retry-After pauses every machine: the next grant waits at least that long.
	g := grantAll(t, []*redisbackend.Backend{a}, 1, k, 1, false)[0]
	if _, err := a.Release(ctx, k, g, ratelimit.Throttled, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if w, _ := b.Acquire(ctx, k); w.OK || w.Wait < 1900*time.Millisecond {
		t.Errorf("after a 429 with Retry-After 2s the other machine got %+v; want a wait of about 2s", w)
	}
}

// TestFailClosed: with Redis down every operation fails (no grant without a reservation);
// restarted, the counts are all there (append-only file, fsync always).
func TestFailClosed(t *testing.T) {
	srv := redistest.Start(t, "s3cret-redis-pw")
	ctx := context.Background()
	b := open(t, srv, redisbackend.Config{})
	k := &ratelimit.SharedKey{Fingerprint: fp(t), QPS: 0, DailyQuota: 100, MaxInFlight: 10}
	grants := grantAll(t, []*redisbackend.Backend{b}, 1, k, 7, true)
	day := grants[0].Day
	srv.Kill()
	if g, err := b.Acquire(ctx, k); err == nil || g.OK {
		t.Fatalf("Redis down: %+v %v, want an error and no grant", g, err)
	} else if strings.Contains(err.Error(), srv.Password) {
		t.Errorf("the error reveals the password: %v", err)
	} else {
		t.Logf("Redis down: %v", err)
	}
	if _, err := b.Release(ctx, k, ratelimit.SharedGrant{Lease: "x", Day: day}, ratelimit.NotSent, 0); err == nil {
		t.Errorf("Release with Redis down: no error")
	}
	srv.Restart()
	if used, err := b.Used(k.Fingerprint, day); err != nil || used != 7 {
		t.Errorf("after the restart: used %d (%v), want 7", used, err)
	}
	if g, err := b.Acquire(ctx, k); err != nil || !g.OK || g.Used != 8 {
		t.Errorf("after the restart: %+v %v, want the 8th unit", g, err)
	}
}

// TestPasswordNeverShown: a wrong password and a bad URL give errors without the password.
func TestPasswordNeverShown(t *testing.T) {
	srv := redistest.Start(t, "right-pw-7f3a")
	const wrong = "wrong-pw-91bc"
	_, err := redisbackend.Open(context.Background(), redisbackend.Config{URL: "redis://:" + wrong + "@" + srv.Addr() + "/0"})
	if err == nil || strings.Contains(err.Error(), wrong) {
		t.Errorf("wrong password: %v", err)
	}
	_, err = redisbackend.Open(context.Background(), redisbackend.Config{URL: "redis://:" + wrong + "@" + srv.Addr() + "/notadb"})
	if err == nil || strings.Contains(err.Error(), wrong) {
		t.Errorf("bad URL: %v", err)
	}
	if r := redisbackend.Redact("redis://user:" + wrong + "@h:1/0"); strings.Contains(r, wrong) {
		t.Errorf("Redact: %s", r)
	}
}
