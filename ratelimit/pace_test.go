package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// fakePace is a PaceClock that moves only when the test says so: advance jumps to the
// earliest pending timer and fires every timer due. The tests run in a synctest bubble
// only to learn when every goroutine is blocked (synctest.Wait); the time the pool sees is
// this clock's, never the bubble's.
type fakePace struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

func newFakePace() *fakePace {
	return &fakePace{now: time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)}
}

func (c *fakePace) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakePace) Timer(d time.Duration) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- c.now
		return t.c, func() bool { return false }
	}
	c.timers = append(c.timers, t)
	return t.c, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if i := slices.Index(c.timers, t); i >= 0 {
			c.timers = slices.Delete(c.timers, i, i+1)
			return true
		}
		return false
	}
}

// advance moves the clock to the earliest pending timer and fires every timer due then. It
// returns false when no timer is pending.
func (c *fakePace) advance() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return false
	}
	next := c.timers[0].at
	for _, t := range c.timers[1:] {
		if t.at.Before(next) {
			next = t.at
		}
	}
	c.now = next
	c.timers = slices.DeleteFunc(c.timers, func(t *fakeTimer) bool {
		if t.at.After(next) {
			return false
		}
		t.c <- next
		return true
	})
	return true
}

// grantRec is one lease as the schedule granted it, and when its request was written.
type grantRec struct {
	g     grantInfo
	wrote time.Time
}

// writeDelay is how long the call granted as the pool's n-th lease takes from its grant to
// its request's write (Lease.Wrote): none for most, up to 3 ms for one in seven, as a
// worker that wakes late or a journal write that stalls would.
func writeDelay(n int64) time.Duration {
	if n%7 != 3 {
		return 0
	}
	return time.Duration(1+n%3) * time.Millisecond
}

// TestScheduleUnderLoad drives a pool with 256 concurrent acquirers on a fake pace clock.
// Every lease is held for a simulated 30 ms answer (longer than the interval, so calls are
// in flight on both keys when a 429 comes back); a run of leases is answered 429, with and
// without Retry-After, and the keys must slow down and then recover to the full rate.
//
// The invariant, counted over every grant: with burst b, a key's grant m is never less than
// the interval in force at m after its grant m−b. With burst 1 that is the issue's
// wording: never two grants on a key closer than the interval in force.
func TestScheduleUnderLoad(t *testing.T) {
	const (
		acquirers = 256
		qps       = 50
		grants    = 3000
		hold      = 30 * time.Millisecond
	)
	interval := intervalOf(qps)
	tests := []struct {
		name  string
		burst int
		// throttled answers: the pool-wide lease numbers (from 1) answered 429, and the
		// Retry-After they carry
		throttleFrom, throttleN int
		retryAfter              time.Duration
	}{
		{"burst 1, 20 throttles without Retry-After", 1, 400, 20, 0},
		{"burst 1, 20 throttles with Retry-After 1s", 1, 400, 20, time.Second},
		{"burst 5, 20 throttles without Retry-After", 5, 400, 20, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				pace := newFakePace()
				p := newPool(t, PoolConfig{Pace: pace, Keys: []KeyConfig{
					{ID: "A", QPS: qps, Burst: tc.burst},
					{ID: "B", QPS: qps, Burst: tc.burst},
				}})
				var (
					mu      sync.Mutex
					recs    = map[string][]grantRec{}
					leases  atomic.Int64
					minQPS  = map[string]float64{"A": qps, "B": qps}
					stopped atomic.Bool
					wg      sync.WaitGroup
				)
				for range acquirers {
					wg.Go(func() {
						for {
							l, err := p.Acquire(context.Background())
							if errors.Is(err, ErrClosed) {
								return
							}
							if err != nil {
								t.Errorf("Acquire: %v", err)
								return
							}
							n := leases.Add(1)
							g := l.grant // the lease's copy changes as the write is reported
							if n == grants {
								stopped.Store(true)
								p.Close()
							}
							if d := writeDelay(n); d > 0 {
								c, _ := pace.Timer(d)
								<-c
							}
							wrote := pace.Now()
							l.Wrote()
							mu.Lock()
							recs[l.KeyID()] = append(recs[l.KeyID()], grantRec{g, wrote})
							mu.Unlock()
							c, _ := pace.Timer(hold - writeDelay(n)) // the answer's latency
							<-c
							if n >= int64(tc.throttleFrom) && n < int64(tc.throttleFrom+tc.throttleN) {
								l.Release(Throttled, tc.retryAfter)
								mu.Lock()
								for _, s := range p.Stats() {
									minQPS[s.ID] = min(minQPS[s.ID], s.QPS)
								}
								mu.Unlock()
							} else {
								l.Release(Sent, 0)
							}
						}
					})
				}
				// Move the clock whenever every acquirer is blocked: no sleeps.
				for {
					synctest.Wait()
					if pace.advance() {
						continue
					}
					if !stopped.Load() {
						t.Fatal("every acquirer is blocked and no timer is pending: deadlock")
					}
					break
				}
				wg.Wait()

				var violations, exact, total int
				for id, rs := range recs {
					slices.SortFunc(rs, func(a, b grantRec) int { return int(a.g.n) - int(b.g.n) })
					for m := range rs {
						if m > 0 && rs[m].g.n != rs[m-1].g.n+1 {
							t.Fatalf("key %s: grant numbers %d then %d", id, rs[m-1].g.n, rs[m].g.n)
						}
						if m < tc.burst {
							continue
						}
						total++
						gap := rs[m].g.at.Sub(rs[m-tc.burst].g.at)
						if gap < rs[m].g.interval {
							violations++
							if violations <= 5 {
								t.Errorf("key %s: grant %d at +%v, %d grants after one at +%v: %v apart, interval in force %v",
									id, rs[m].g.n, rs[m].g.at.Sub(rs[0].g.at), tc.burst, rs[m-tc.burst].g.at.Sub(rs[0].g.at), gap, rs[m].g.interval)
							}
						}
						if tc.burst == 1 {
							// What a strict vendor sees: the writes, however late each
							// one came after its grant, never closer than the interval.
							if wgap := rs[m].wrote.Sub(rs[m-1].wrote); wgap < rs[m].g.interval {
								violations++
								if violations <= 5 {
									t.Errorf("key %s: request %d written %v after request %d, interval in force %v", id, rs[m].g.n, wgap, rs[m-1].g.n, rs[m].g.interval)
								}
							}
							// Exact: granted one pacing interval after the previous write.
							if rs[m].g.at.Sub(rs[m-1].wrote) == rs[m].g.pace {
								exact++
							}
						}
					}
				}
				if violations != 0 {
					t.Errorf("%d of %d grants closer than the interval in force", violations, total)
				}
				for _, s := range p.Stats() {
					if minQPS[s.ID] >= qps {
						t.Errorf("key %s never slowed down after the 429s (lowest rate %v)", s.ID, minQPS[s.ID])
					}
					if s.QPS != qps {
						t.Errorf("key %s at %v QPS after %d grants, want it recovered to %d", s.ID, s.QPS, grants, qps)
					}
					if s.InFlight != 0 {
						t.Errorf("key %s: %d leases in flight at the end", s.ID, s.InFlight)
					}
				}
				if got := len(recs["A"]) + len(recs["B"]); got != grants {
					t.Errorf("%d grants recorded, want %d", got, grants)
				}
				// Exact, not merely safe: with 256 callers waiting, a key at full rate
				// is granted one pacing interval after the previous call's write, to the
				// nanosecond.
				if tc.burst == 1 && exact < total*9/10 {
					t.Errorf("only %d of %d gaps exactly one interval (%v)", exact, total, interval)
				}
				t.Logf("%d grants, %d gaps checked, %d exactly one interval, lowest rates %v", grants, total, exact, minQPS)
			})
		})
	}
}

// move sets the fake clock d later without firing anything (a test's own step of time).
func (c *fakePace) move(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// TestBurstOneFirstCallAlone: a burst-1 key's second call waits for the first one's answer,
// then one interval, however long that answer takes; a burst-5 key does not wait.
func TestBurstOneFirstCallAlone(t *testing.T) {
	tests := []struct {
		burst int
		want  time.Duration // second grant after the first
	}{
		{1, 100*time.Millisecond + 20*time.Millisecond}, // the answer at +100ms, then 1/50 s
		{5, 20 * time.Millisecond},                      // one token at the start, the next 1/50 s later
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("burst %d", tc.burst), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				pace := newFakePace()
				p := newPool(t, PoolConfig{Pace: pace, Keys: []KeyConfig{{ID: "A", QPS: 50, Burst: tc.burst}}})
				first := acquire(t, p)
				got := acquireAsync(t, p)
				// Time passes while the first call is out (the answer takes 100ms).
				for range 100 {
					synctest.Wait()
					if len(got) == 1 {
						break
					}
					if !pace.advance() {
						pace.move(time.Millisecond)
					}
				}
				if len(got) == 0 {
					first.Release(Sent, 0)
				}
				for len(got) == 0 {
					synctest.Wait()
					if len(got) == 0 && !pace.advance() {
						t.Fatal("second Acquire blocked with no timer pending")
					}
				}
				second := <-got
				if gap := second.grant.at.Sub(first.grant.at); gap != tc.want {
					t.Fatalf("second grant %v after the first, want %v", gap, tc.want)
				}
				first.Release(Sent, 0)
				second.Release(Sent, 0)
			})
		})
	}
}

// TestBurstOneWaitsForWrite: a burst-1 key grants no call while a granted one is unwritten,
// however long that takes, and the next is due one pacing interval after the write; a call
// released without a write (it never left) frees the key at its grant schedule.
func TestBurstOneWaitsForWrite(t *testing.T) {
	const writeAfter = 50 * time.Millisecond // far beyond the 20 ms interval
	tests := []struct {
		name string
		end  func(l *Lease, pace *fakePace) time.Time // ends the second call's write phase; returns its time
		want func(pace time.Duration, end, granted time.Time) time.Time
	}{
		{"written late", func(l *Lease, pace *fakePace) time.Time {
			l.Wrote()
			return pace.Now()
		}, func(interval time.Duration, end, granted time.Time) time.Time { return end.Add(interval) }},
		{"never left", func(l *Lease, pace *fakePace) time.Time {
			l.Release(NotSent, 0)
			return pace.Now()
		}, func(interval time.Duration, end, granted time.Time) time.Time { return end }}, // its slot is long past
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				pace := newFakePace()
				p := newPool(t, PoolConfig{Pace: pace, Keys: []KeyConfig{{ID: "A", QPS: 50, Burst: 1}}})
				first := acquire(t, p) // goes alone until answered (TestBurstOneFirstCallAlone)
				first.Wrote()
				first.Release(Sent, 0)
				second := acquireAdvancing(t, pace, p)
				got := acquireAsync(t, p)
				// The second call is not written for writeAfter: nothing is granted meanwhile.
				until := pace.Now().Add(writeAfter)
				for pace.Now().Before(until) {
					synctest.Wait()
					if len(got) != 0 {
						t.Fatalf("third call granted at +%v while the second was unwritten", pace.Now().Sub(second.grant.at))
					}
					if !pace.advance() {
						pace.move(time.Millisecond)
					}
				}
				end := tc.end(second, pace)
				third := receiveAdvancing(t, pace, got)
				if want := tc.want(second.grant.pace, end, second.grant.at); !third.grant.at.Equal(want) {
					t.Errorf("third call granted %v after the second's write phase ended, want %v", third.grant.at.Sub(end), want.Sub(end))
				}
				second.Release(Sent, 0)
				third.Release(NotSent, 0)
			})
		})
	}
}

// acquireAdvancing acquires a lease, moving the fake clock while Acquire waits.
func acquireAdvancing(t *testing.T, pace *fakePace, p *Pool) *Lease {
	t.Helper()
	return receiveAdvancing(t, pace, acquireAsync(t, p))
}

// acquireAsync calls Acquire in a goroutine; the lease arrives on the channel.
func acquireAsync(t *testing.T, p *Pool) <-chan *Lease {
	got := make(chan *Lease, 1)
	go func() {
		l, err := p.Acquire(context.Background())
		if err != nil {
			t.Error(err)
		}
		got <- l
	}()
	return got
}

// receiveAdvancing waits for a lease on got, moving the fake clock to each pending timer.
func receiveAdvancing(t *testing.T, pace *fakePace, got <-chan *Lease) *Lease {
	t.Helper()
	for {
		synctest.Wait()
		select {
		case l := <-got:
			return l
		default:
		}
		if !pace.advance() {
			t.Fatal("Acquire blocked with no timer pending")
		}
	}
}
