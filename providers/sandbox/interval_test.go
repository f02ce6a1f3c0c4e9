package sandbox

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestIntervalLimiter: which calls a strict key admits, at 50 QPS (interval 20ms, tolerance
// 2ms), arrival times in microseconds.
func TestIntervalLimiter(t *testing.T) {
	tests := []struct {
		name   string
		burst  int
		at     []int // µs
		admit  string
		waitUS []int // for each refused call, µs until it would have been admitted
	}{
		{"burst 1: on the interval", 1, []int{0, 20000, 40000, 60000}, "YYYY", nil},
		{"burst 1: 10% early is admitted", 1, []int{0, 18000, 36000}, "YYY", nil},
		{"burst 1: more than 10% early is refused", 1, []int{0, 17999}, "YN", []int{1}},
		{"burst 1: measured from the previous admitted call, not the refused one", 1, []int{0, 10000, 18000}, "YNY", []int{8000}},
		{"burst 1: a late call moves the next one", 1, []int{0, 25000, 42000, 43000}, "YYNY", []int{1000}},
		{"burst 1: idle time is not saved", 1, []int{0, 100000, 100001}, "YYN", []int{18000 - 1}},
		{"burst 5: five at once after an idle spell, not six", 5, []int{0, 0, 0, 0, 0, 0}, "YYYYYN", []int{18000}},
		{"burst 5: then one per interval", 5, []int{0, 0, 0, 0, 0, 18000, 36000, 37000}, "YYYYYYYN", []int{17000}},
	}
	origin := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newIntervalLimiter(50, tc.burst)
			var got strings.Builder
			var waits []int
			for _, us := range tc.at {
				ok, wait := l.admit(origin.Add(time.Duration(us) * time.Microsecond))
				if ok {
					got.WriteByte('Y')
				} else {
					got.WriteByte('N')
					waits = append(waits, int(wait/time.Microsecond))
				}
			}
			if got.String() != tc.admit {
				t.Fatalf("admitted %s, want %s", got.String(), tc.admit)
			}
			if len(waits) != len(tc.waitUS) {
				t.Fatalf("waits %v, want %v", waits, tc.waitUS)
			}
			for i := range waits {
				if waits[i] != tc.waitUS[i] {
					t.Fatalf("waits %v µs, want %v", waits, tc.waitUS)
				}
			}
		})
	}
}

// TestIntervalLimiterInvariant: whatever the arrivals, an admitted call is never earlier than
// the interval less the tolerance after the one admitted burst calls before it (the
// documented rule), and a client pacing exactly on the interval is never refused.
func TestIntervalLimiterInvariant(t *testing.T) {
	const qps = 50
	origin := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	for _, burst := range []int{1, 2, 5, 10} {
		l := newIntervalLimiter(qps, burst)
		min := l.interval - l.tol
		rnd := rand.New(rand.NewPCG(uint64(burst), 1))
		var admitted []time.Time
		now := origin
		violations := 0
		for range 20000 {
			now = now.Add(time.Duration(rnd.Int64N(int64(25 * time.Millisecond))))
			if ok, _ := l.admit(now); ok {
				admitted = append(admitted, now)
				if n := len(admitted); n > burst && admitted[n-1].Sub(admitted[n-1-burst]) < min {
					violations++
				}
			}
		}
		if violations != 0 || len(admitted) < 1000 {
			t.Errorf("burst %d: %d of %d admitted calls closer than %v to the one %d before", burst, violations, len(admitted), min, burst)
		}
		exact := newIntervalLimiter(qps, burst)
		for i := range 1000 {
			if ok, _ := exact.admit(origin.Add(time.Duration(i) * exact.interval)); !ok {
				t.Fatalf("burst %d: call %d on the interval refused", burst, i)
			}
		}
	}
}

// testVendor answers 429 or 200 as Admit says, so the shared machinery is tested without a
// real vendor's wire format.
type testVendor struct{}

func (testVendor) Name() string             { return "testv" }
func (testVendor) Paths() []string          { return []string{"/testv"} }
func (testVendor) Location() *time.Location { return time.UTC }
func (testVendor) DefaultKeys() []KeySpec {
	return []KeySpec{{ID: "k", Credentials: map[string]string{}}}
}
func (testVendor) Serve(s *Server, w http.ResponseWriter, r *http.Request) {
	v := s.Admit(w, r, "testv", "k", "")
	switch {
	case v.Handled:
	case v.Throttled:
		WriteThrottled(w, v.RetryAfter)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

func init() { RegisterVendor(func() Vendor { return testVendor{} }) }

// TestIntervalModeAdmin: the mode is set through the admin API, an unknown one is refused,
// and in the interval mode the limit is decided at arrival, before the answer's latency.
func TestIntervalModeAdmin(t *testing.T) {
	srv := New(Config{Population: 10})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	admin := Admin{BaseURL: ts.URL, Client: ts.Client()}
	ctx := context.Background()

	if err := admin.SetLimits(ctx, "testv", Limits{QPS: 1, Mode: "leaky"}); err == nil || !strings.Contains(err.Error(), "unknown mode") {
		t.Fatalf("unknown mode: err = %v, want HTTP 400 naming it", err)
	}
	// 1 QPS, burst 1, and 300ms of latency: two calls sent 100ms apart are both still in
	// the latency when the second arrives, and the second is refused.
	if err := admin.SetLimits(ctx, "testv", Limits{QPS: 1, Burst: 1, Mode: ModeInterval}); err != nil {
		t.Fatal(err)
	}
	if err := admin.SetLatency(ctx, 300*time.Millisecond, 0); err != nil {
		t.Fatal(err)
	}
	codes := make(chan int, 2)
	send := func() {
		resp, err := ts.Client().Get(ts.URL + "/testv")
		if err != nil {
			codes <- 0
			return
		}
		resp.Body.Close()
		codes <- resp.StatusCode
	}
	go send()
	time.Sleep(100 * time.Millisecond) // spacing the two requests, not waiting for work
	go send()
	got := map[int]int{<-codes: 1}
	got[<-codes]++
	if got[http.StatusOK] != 1 || got[http.StatusTooManyRequests] != 1 {
		t.Fatalf("answers %v, want one 200 and one 429", got)
	}
}
