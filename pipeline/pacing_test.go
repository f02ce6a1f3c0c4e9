package pipeline_test

// Exact pacing against strict vendors (issue 12, part 1), end to end:
// pipeline.Run against the simulator over loopback, two Juhe keys at 50
// QPS, the simulator enforcing either a strict per-key interval (GCRA with
// a 10% tolerance, sandbox.ModeInterval) or a zero-tolerance token bucket.
// Tests assert counts (throttled answers); rates are only reported, by the
// sub-benchmarks of BenchmarkRateFidelity (limits_test.go).

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// pcQPS is each key's rate, on both sides; two keys allow 2·pcQPS calls/s.
const pcQPS = 50

// pacingCase is one run: the simulator's mode and both sides' burst, the
// job's concurrency, the simulator's answer latency, how many rows, and
// how many 429s the simulator forces at the start.
type pacingCase struct {
	mode        string // sandbox.ModeInterval or sandbox.ModeTokenBucket
	burst       int
	concurrency int
	latency     time.Duration
	rows        int
	force429    int
}

func (c pacingCase) name() string {
	m := "strict"
	if c.mode != sandbox.ModeInterval {
		m = "bucket"
	}
	return fmt.Sprintf("%s/burst%d/conc%d/lat%dms", m, c.burst, c.concurrency, c.latency.Milliseconds())
}

// pacingResult is what a run measured.
type pacingResult struct {
	calls, throttled int64   // HTTP attempts, 429 answers (from the summary)
	sbCalls, sbBill  int64   // what the simulator counted: calls == billed means no 429
	rate             float64 // attempts/s between the first and the last attempt in raw.jsonl
	recovery         time.Duration
	recovered        bool
	statuses         map[string]int
	raw              []ltRawLine
}

// pacingRun runs the job of c once.
func pacingRun(tb testing.TB, c pacingCase) pacingResult {
	tb.Helper()
	sb := newLTSandbox(tb, func(cfg *sandbox.Config) {
		cfg.Limits = map[string]sandbox.Limits{"juhe": {QPS: pcQPS, Burst: c.burst, Mode: c.mode}}
		cfg.Latency = sandbox.Latency{Base: c.latency}
	})
	if c.force429 > 0 {
		sb.srv.Force("juhe", "", "", "http_429", c.force429)
	}
	dir := tb.TempDir()
	ltInput(tb, dir, ltRange(0, c.rows))
	job := ltJob{Dir: dir, URL: sb.url, StateDir: filepath.Join(dir, "quota"), Concurrency: c.concurrency, Keys: []ltKey{
		{ID: "k1", Secret: ltSecret1, QPS: pcQPS, Burst: c.burst},
		{ID: "k2", Secret: ltSecret2, QPS: pcQPS, Burst: c.burst},
	}}.load(tb)
	out := filepath.Join(dir, "out")
	sum, _ := ltRun(tb, job, pipeline.Options{})
	p := sum.Providers[0]
	r := pacingResult{calls: p.Calls, throttled: p.Throttled, statuses: ltCount(ltStatuses(tb, out)), raw: ltRaw(tb, out)}
	r.sbCalls, r.sbBill = ltTotals(sb.counters(tb))
	times := make([]time.Time, len(r.raw))
	var last429 time.Time
	for i, l := range r.raw {
		times[i] = l.Time
		if l.HTTPStatus == http.StatusTooManyRequests && l.Time.After(last429) {
			last429 = l.Time
		}
	}
	slices.SortFunc(times, time.Time.Compare)
	if n := len(times); n > 1 {
		r.rate = float64(n-1) / times[n-1].Sub(times[0]).Seconds()
	}
	if c.force429 > 0 && !last429.IsZero() {
		r.recovery, r.recovered = recoveryTime(times, last429, 0.95*2*pcQPS)
	}
	return r
}

// recoveryTime is how long after the last 429 (at from) the attempts in a
// trailing one-second window first reach want per second.
func recoveryTime(times []time.Time, from time.Time, want float64) (time.Duration, bool) {
	lo := 0
	for hi, t := range times {
		if t.Before(from) {
			continue
		}
		for times[lo].Before(t.Add(-time.Second)) {
			lo++
		}
		if t.Sub(from) >= time.Second && float64(hi-lo+1) >= want {
			return t.Sub(from), true
		}
	}
	return 0, false
}

// pacingSeconds is how long each rate sub-benchmark runs at the allowed
// rate: 10 s by default, RISKBATCH_RATE_SECONDS=60 for the figures of record.
func pacingSeconds(tb testing.TB) int {
	s := os.Getenv("RISKBATCH_RATE_SECONDS")
	if s == "" {
		return 10
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		tb.Fatalf("RISKBATCH_RATE_SECONDS=%q: want whole seconds", s)
	}
	return n
}

// benchRatePacing are BenchmarkRateFidelity's sub-benchmarks for issue 12:
//
//   - strict/…: the strict interval mode, burst 1 and 5 on both sides,
//     concurrency 2, 32 and 256, latency 0 and 20 ms (want ≥ 95% of the
//     allowed rate and 0 throttled);
//   - bucket/burst1/…: today's zero-tolerance token bucket with burst 1
//     (want ≥ 90% and at most 1% throttled);
//   - recovery: 20 forced 429s at the start, then the time from the last
//     429 until a trailing second holds ≥ 95% of the allowed calls (want
//     ≤ 10 s).
//
// Metrics: calls/s, %allowed (of 2 keys × 50 QPS), throttled (answers per
// run), throttled% (of calls), recovery_s.
func benchRatePacing(b *testing.B) {
	secs := pacingSeconds(b)
	rows := 2 * pcQPS * secs
	var cases []pacingCase
	for _, burst := range []int{1, 5} {
		for _, conc := range []int{2, 32, 256} {
			for _, lat := range []time.Duration{0, 20 * time.Millisecond} {
				cases = append(cases, pacingCase{mode: sandbox.ModeInterval, burst: burst, concurrency: conc, latency: lat, rows: rows})
			}
		}
	}
	for _, lat := range []time.Duration{0, 20 * time.Millisecond} {
		cases = append(cases, pacingCase{mode: sandbox.ModeTokenBucket, burst: 1, concurrency: 32, latency: lat, rows: rows})
	}
	for _, c := range cases {
		b.Run(c.name(), func(b *testing.B) {
			var rate float64
			var throttled, calls int64
			for range b.N {
				r := pacingRun(b, c)
				rate += r.rate
				throttled += r.throttled
				calls += r.calls
			}
			n := float64(b.N)
			b.ReportMetric(rate/n, "calls/s")
			b.ReportMetric(100*rate/n/(2*pcQPS), "%allowed")
			b.ReportMetric(float64(throttled)/n, "throttled")
			b.ReportMetric(100*float64(throttled)/float64(max(calls, 1)), "throttled%")
		})
	}
	b.Run("recovery/strict/burst1/conc32/20x429", func(b *testing.B) {
		c := pacingCase{mode: sandbox.ModeInterval, burst: 1, concurrency: 32, rows: rows, force429: 20}
		var rec time.Duration
		var rate float64
		for range b.N {
			r := pacingRun(b, c)
			if !r.recovered {
				b.Fatalf("the rate never came back to 95%% of %d calls/s after the last forced 429: %s", 2*pcQPS, recoveryReport(r.raw))
			}
			rec += r.recovery
			rate += r.rate
		}
		b.ReportMetric(rec.Seconds()/float64(b.N), "recovery_s")
		b.ReportMetric(rate/float64(b.N), "calls/s")
	})
}

// TestStrictVendorNeverThrottled: against a vendor enforcing a strict
// per-key interval (sandbox.ModeInterval), riskbatch paced at the same QPS
// and burst draws not one 429, whatever the concurrency: counted by the
// summary, raw.jsonl and the simulator (calls == billed: it never
// throttled). Slow: about 12 s per case at 100 calls/s. The simulator's
// tolerance is 2 ms at 50 QPS: the test needs CPUs that are not
// oversubscribed (BENCHMARKS.md, "Exact pacing at burst 1").
func TestStrictVendorNeverThrottled(t *testing.T) {
	if os.Getenv("RISKBATCH_SLOW_TESTS") == "" {
		t.Skip("takes about 50 s at 100 calls/s: set RISKBATCH_SLOW_TESTS=1 (.ci/run does)")
	}
	const rows = 1200
	// Burst 1 with answers in no time and after 20 ms: a request written
	// late after its grant, or a timer that fires late, is what a strict
	// vendor punishes (ratelimit.Lease.Wrote, SystemPaceClock.Timer).
	tests := []pacingCase{
		{mode: sandbox.ModeInterval, burst: 1, concurrency: 32, rows: rows},
		{mode: sandbox.ModeInterval, burst: 1, concurrency: 256, rows: rows},
		{mode: sandbox.ModeInterval, burst: 1, concurrency: 32, latency: 20 * time.Millisecond, rows: rows},
		{mode: sandbox.ModeInterval, burst: 5, concurrency: 32, rows: rows},
	}
	for _, tc := range tests {
		t.Run(tc.name(), func(t *testing.T) {
			r := pacingRun(t, tc)
			var raw429 int
			for _, l := range r.raw {
				if l.HTTPStatus == http.StatusTooManyRequests || l.Outcome == "throttled" {
					raw429++
				}
			}
			if r.throttled != 0 || raw429 != 0 || r.sbCalls != r.sbBill {
				// The simulator runs in this process: when the machine is
				// oversubscribed the scheduler can hold its handler for longer
				// than the 2 ms tolerance. Say so, with the load, rather than
				// leave it to be taken for a pacing fault.
				load, _ := os.ReadFile("/proc/loadavg")
				t.Errorf("throttled: summary %d, raw.jsonl %d, simulator %d calls vs %d billed; want 0, 0, equal (load average %s); %s",
					r.throttled, raw429, r.sbCalls, r.sbBill, strings.TrimSpace(string(load)), throttledWhere(r.raw))
			}
			// Every row answered once; any call beyond that was a throttled one,
			// reported above.
			if r.calls-r.throttled != rows || r.sbBill != rows || r.statuses["hit"]+r.statuses["no_hit"] != rows {
				t.Errorf("%d calls less %d throttled (simulator billed %d), statuses %v; want %d, every row answered",
					r.calls, r.throttled, r.sbBill, r.statuses, rows)
			}
			t.Logf("%s: %d calls, %d throttled, %.1f calls/s", tc.name(), r.calls, r.throttled, r.rate)
		})
	}
}

// throttledWhere says where in the run each throttled answer came: its key, the
// how-manieth call of that key it was, and when (after the run's first answer).
func throttledWhere(raw []ltRawLine) string {
	sorted := slices.Clone(raw)
	slices.SortFunc(sorted, func(a, b ltRawLine) int { return a.Time.Compare(b.Time) })
	n := map[string]int{}
	var where []string
	for _, l := range sorted {
		n[l.Key]++
		if l.HTTPStatus == http.StatusTooManyRequests || l.Outcome == "throttled" {
			where = append(where, fmt.Sprintf("key %s call %d at +%v", l.Key, n[l.Key], l.Time.Sub(sorted[0].Time).Round(time.Millisecond)))
		}
	}
	return "throttled: " + strings.Join(where, ", ")
}

// recoveryReport describes a run that did not recover: when the last 429 came, how
// long the run went on, and the most attempts any trailing second held after it.
func recoveryReport(raw []ltRawLine) string {
	times := make([]time.Time, len(raw))
	var last429 time.Time
	for i, l := range raw {
		times[i] = l.Time
		if l.HTTPStatus == http.StatusTooManyRequests && l.Time.After(last429) {
			last429 = l.Time
		}
	}
	slices.SortFunc(times, time.Time.Compare)
	if len(times) == 0 {
		return "no attempts"
	}
	best, lo := 0, 0
	for hi, t := range times {
		for times[lo].Before(t.Add(-time.Second)) {
			lo++
		}
		if !t.Before(last429.Add(time.Second)) {
			best = max(best, hi-lo+1)
		}
	}
	return fmt.Sprintf("%d attempts over %v, the last 429 at +%v, at most %d attempts in a second after it",
		len(times), times[len(times)-1].Sub(times[0]).Round(time.Millisecond), last429.Sub(times[0]).Round(time.Millisecond), best)
}
