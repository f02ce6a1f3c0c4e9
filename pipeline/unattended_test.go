package pipeline_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/pipeline/summary"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// TestPlainHTTPToTLSEndpoint: http:// to an HTTPS-only endpoint gets the TLS
// port's 400 "Client sent an HTTP request to an HTTPS server". That is a
// wrong URL, not a row the vendor rejected: the provider stops after one
// attempt (exit 4) instead of marking every row invalid.
func TestPlainHTTPToTLSEndpoint(t *testing.T) {
	f := newFixture(t, nil)
	tls := httptest.NewTLSServer(f.srv.Handler())
	t.Cleanup(tls.Close)
	rows := []applicant{person(1, "A1"), person(2, "A2"), person(3, "A3"), person(4, "A4")}
	writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)
	job := f.job(nil)
	job.Providers[0].Endpoint = strings.Replace(tls.URL, "https://", "http://", 1) + "/anti_fraud/queryV2"
	sum, err, log := f.runJob(job, pipeline.Options{})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, log)
	}
	eq(t, "outcome", sum.Outcome, summary.OutcomeProviderStopped)
	eq(t, "attempts", len(readRaw(t, f.outDir())), 1)
	eq(t, "skipped rows", sum.Providers[0].Status["skipped"], len(rows))
	if !strings.Contains(log, "wrong endpoint URL") || !strings.Contains(log, "HTTPS") {
		t.Errorf("log does not say the URL is wrong:\n%s", log)
	}
}

// TestRetryBudgetPerDigest: the retry budget belongs to the request. Five
// rows of one person against a vendor that answers 503 to everything, with
// max_attempts 2: two attempts in all, not two per row.
func TestRetryBudgetPerDigest(t *testing.T) {
	f := newFixture(t, func(c *sandbox.Config) { c.Faults = sandbox.Faults{Rate: 1, Kinds: []string{"http_503"}} })
	p := person(7, "")
	var rows []applicant
	for _, r := range []string{"D1", "D2", "D3", "D4", "D5"} {
		a := p
		a.Ref = r
		rows = append(rows, a)
	}
	writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)
	job := f.job(map[string]string{"CONCURRENCY": "1"})
	job.Providers[0].Retry.MaxAttempts = 2
	sum, err, log := f.runJob(job, pipeline.Options{})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, log)
	}
	eq(t, "outcome", sum.Outcome, summary.OutcomeIncomplete)
	eq(t, "attempts", len(readRaw(t, f.outDir())), 2)
	eq(t, "failed rows", sum.Providers[0].Status["failed"], len(rows))
	eq(t, "calls saved", sum.Providers[0].Deduped, int64(len(rows)-1))
}

// TestPreflight: 4 of 10 rows have a bad check digit. Without
// max_invalid_share the run warns before the first call and at the end;
// with max_invalid_share 0.3 it refuses before any call (exit 2): no call,
// no job state, no raw.jsonl.
func TestPreflight(t *testing.T) {
	var rows []applicant
	for i := range 10 {
		a := person(i, ref(i))
		if i%5 < 2 {
			a.ID = badCheckDigit(a.ID)
		}
		rows = append(rows, a)
	}
	t.Run("warns", func(t *testing.T) {
		f := newFixture(t, nil)
		writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)
		sum, err, log := f.runJob(f.job(nil), pipeline.Options{})
		if err != nil {
			t.Fatalf("Run: %v\n%s", err, log)
		}
		eq(t, "outcome", sum.Outcome, summary.OutcomeComplete)
		eq(t, "input_encoding", sum.InputEncoding, "utf-8")
		if !strings.Contains(log, "input: ") || !strings.Contains(log, "encoding utf-8)") {
			t.Errorf("the input's encoding is not said at the start:\n%s", log)
		}
		want := "juhe: 4 of the first 10 rows (40%) are invalid and will not be sent (id_checksum 4)"
		if len(sum.Warnings) != 1 || !strings.HasPrefix(sum.Warnings[0], want) {
			t.Errorf("summary warnings %q, want one starting %q", sum.Warnings, want)
		}
		if c := strings.Count(log, want); c != 2 {
			t.Errorf("the warning is logged %d times, want 2 (before the first call and at the end):\n%s", c, log)
		}
		if first, call := strings.Index(log, want), strings.Index(log, "rows in"); call >= 0 && first > call {
			t.Errorf("warning after the run's progress:\n%s", log)
		}
	})
	t.Run("refuses", func(t *testing.T) {
		f := newFixture(t, nil)
		writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)
		job := f.job(nil)
		job.MaxInvalidShare = 0.3
		_, err, _ := f.runJob(job, pipeline.Options{})
		var ie *input.Error
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "max_invalid_share 30%") || !strings.Contains(err.Error(), "40%") {
			t.Fatalf("Run: %v; want an input error naming max_invalid_share and the share", err)
		}
		if calls, _ := totalCalls(f.counters()); calls != 0 {
			t.Errorf("%d calls made by a refused run", calls)
		}
		if _, err := os.Stat(filepath.Join(f.outDir(), "raw.jsonl")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("raw.jsonl exists after a refused run: %v", err)
		}
		if exists, _ := pipeline.StateExists(f.outDir()); exists {
			t.Error("a refused run left a job state (the next run would refuse as incomplete)")
		}
	})
}

// TestBusyJob: a second Run on the output dir of a running one is refused
// with a *BusyError naming the holder, before anything is read or sent.
func TestBusyJob(t *testing.T) {
	f := newFixture(t, nil)
	writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, []applicant{person(1, "B1")}, nil)
	job := f.job(nil)
	// Hold the lock the way a running process does: through a first Run
	// parked on its first call would need a slow vendor; the lock file is
	// the contract, so take it directly with a second open file.
	holder := pipeline.LockJobForTest(t, f.outDir())
	defer holder()
	_, err, _ := f.runJob(job, pipeline.Options{})
	var be *pipeline.BusyError
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "pid ") {
		t.Fatalf("Run on a locked job: %v; want a BusyError naming the holder", err)
	}
	if calls, _ := totalCalls(f.counters()); calls != 0 {
		t.Errorf("%d calls made by a refused run", calls)
	}
}

// TestLimitTrial: `run --limit 5` processes the first 5 of 12 rows and says
// it is a trial; the following full run reuses those 5 answers and buys
// only the other 7.
func TestLimitTrial(t *testing.T) {
	f := newFixture(t, nil)
	var rows []applicant
	for i := range 12 {
		rows = append(rows, person(i, ref(i)))
	}
	writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)
	job := f.job(nil)
	sum := f.mustRun(job, pipeline.Options{Limit: 5})
	eq(t, "trial rows in", sum.RowsIn, 5)
	eq(t, "trial_limit", sum.TrialLimit, 5)
	eq(t, "trial result rows", len(readResults(t, f.outDir()).rows), 5)
	calls, _ := totalCalls(f.counters())
	eq(t, "trial calls", calls, int64(5))

	sum = f.mustRun(f.job(nil), pipeline.Options{})
	eq(t, "full rows in", sum.RowsIn, 12)
	eq(t, "full trial_limit", sum.TrialLimit, 0)
	eq(t, "full outcome", sum.Outcome, summary.OutcomeComplete)
	eq(t, "answers reused", sum.Providers[0].Reused, int64(5))
	calls, _ = totalCalls(f.counters())
	eq(t, "calls in all", calls, int64(12))
	checkAccounting(t, f.outDir(), sum, inputValues(rows))
}

// TestHugeRetryAfter: a vendor's 429 asking to wait longer than the retry
// budget (here a garbled Retry-After of 295 years, which once overflowed
// into a negative wait) defers the row with the reason, instead of
// sleeping or hammering; a resume then gets the answer.
func TestHugeRetryAfter(t *testing.T) {
	f := newFixture(t, nil)
	var once atomic.Bool
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if once.CompareAndSwap(false, true) {
			w.Header().Set("Retry-After", "9300000000")
			http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
			return
		}
		f.srv.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, []applicant{person(3, "R1")}, nil)
	job := f.job(map[string]string{"SANDBOX_URL": ts.URL})
	sum, err, log := f.runJob(job, pipeline.Options{})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, log)
	}
	eq(t, "outcome", sum.Outcome, summary.OutcomeIncomplete)
	eq(t, "deferred", sum.Providers[0].Status["deferred"], 1)
	errs := readErrors(t, f.outDir())
	if len(errs) != 1 || errs[0].Code != "HTTP 429" || !strings.Contains(errs[0].Message, "more than the retry budget") {
		t.Errorf("errors.csv: %v", errs)
	}
	sum, err, log = f.runJob(f.job(map[string]string{"SANDBOX_URL": ts.URL}), pipeline.Options{Resume: true})
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, log)
	}
	eq(t, "resume outcome", sum.Outcome, summary.OutcomeComplete)
}
