package pipeline_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/pipeline/summary"
)

// resumeRows are the input of TestResumedOutputsEqualUninterrupted: ten
// rows (rows 5 and 10 people the vendor does not know, row 4 forced
// invalid by resumeInvalid), then row 11 repeating row 4's request and
// row 12 repeating row 1's (another reference, the same lookup), so that
// the duplicates' answers are reused through dedupe, within the run or
// from an earlier run's journal.
func resumeRows() []applicant {
	rows := mkRows(10)
	dup4, dup1 := rows[3], rows[0]
	dup4.Ref, dup1.Ref = ref(10), ref(11)
	return append(rows, dup4, dup1)
}

// resumeInvalid makes the sandbox answer row 4's lookup (and row 11's, the
// same one) with 237001, an invalid row, until the next reset.
func resumeInvalid(f *fixture, rows []applicant) {
	f.t.Helper()
	if err := f.admin.Force(context.Background(), "juhe", "", rows[3].ID, "237001", 0); err != nil {
		f.t.Fatal(err)
	}
}

// resetSandbox ends the interruption: counters, quotas and forced codes
// cleared, row 4 invalid again (a vendor's answer to the same data does
// not change between runs).
func resetSandbox(f *fixture, rows []applicant) {
	f.t.Helper()
	if err := f.admin.Reset(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	resumeInvalid(f, rows)
}

// resumeOutputs are the files a user's scripts read, compared byte for byte.
var resumeOutputs = []string{"results.csv", "errors.csv", "warnings.csv"}

// TestResumedOutputsEqualUninterrupted: a run cut short (every key spent,
// a row failed after its retries, a --limit trial) and then resumed (or
// continued), or run as shards and merged, writes the same results.csv, errors.csv and warnings.csv,
// byte for byte, as the same job run once without interruption. Row 4's
// invalid answer keeps its vendor code in errors.csv whether it is this
// run's, an earlier run's from the journal, or the answer to an identical
// request (row 11) reused through dedupe; cached answers keep their source
// and age.
func TestResumedOutputsEqualUninterrupted(t *testing.T) {
	rows := resumeRows()
	juheJob := func(f *fixture, over map[string]string) *jobfile.Job { return f.job(over) }
	cachedJob := func(f *fixture, over map[string]string) *jobfile.Job { return cacheJob(f, over) }

	// keysSpent cuts the first run at row at+1 (rows one at a time): every
	// key answers 10012 there, the rest of the rows are deferred.
	keysSpent := func(at int) func(*fixture, func(*fixture, map[string]string) *jobfile.Job, pipeline.Options) {
		return func(f *fixture, load func(*fixture, map[string]string) *jobfile.Job, opts pipeline.Options) {
			if err := f.admin.Force(context.Background(), "juhe", "", rows[at].ID, "10012", 0); err != nil {
				f.t.Fatal(err)
			}
			sum := f.mustRun(load(f, map[string]string{"CONCURRENCY": "1"}), opts)
			eq(f.t, "first run outcome", sum.Outcome, summary.OutcomeIncomplete)
			eq(f.t, "first run deferred", sum.Providers[0].Status["deferred"], len(rows)-at-2) // rows 11 and 12 reuse rows 4 and 1
			resetSandbox(f, rows)
		}
	}
	// failedAt resets the connection of row at+1 on every attempt, after
	// the request left: the row fails after its retries, in doubt.
	failedAt := func(at int) func(*fixture, func(*fixture, map[string]string) *jobfile.Job, pipeline.Options) {
		return func(f *fixture, load func(*fixture, map[string]string) *jobfile.Job, opts pipeline.Options) {
			if err := f.admin.Force(context.Background(), "juhe", "", rows[at].ID, "reset", 0); err != nil {
				f.t.Fatal(err)
			}
			sum := f.mustRun(load(f, nil), opts)
			eq(f.t, "first run outcome", sum.Outcome, summary.OutcomeIncomplete)
			eq(f.t, "first run failed", sum.Providers[0].Status["failed"], 1)
			resetSandbox(f, rows)
		}
	}
	// trial runs the first n rows (run --limit n); the next plain run
	// continues from its journal over the whole file.
	trial := func(n int) func(*fixture, func(*fixture, map[string]string) *jobfile.Job, pipeline.Options) {
		return func(f *fixture, load func(*fixture, map[string]string) *jobfile.Job, opts pipeline.Options) {
			opts.Limit = n
			sum := f.mustRun(load(f, nil), opts)
			eq(f.t, "trial rows", sum.RowsIn, n)
		}
	}

	// shards runs the job as n shards, each to completion, into shard/
	// (merged by the case's second step).
	shards := func(n int) func(*fixture, func(*fixture, map[string]string) *jobfile.Job, pipeline.Options) {
		return func(f *fixture, load func(*fixture, map[string]string) *jobfile.Job, opts pipeline.Options) {
			for i := range n {
				opts.Shard = pipeline.Shard{Index: i, Count: n}
				sum := f.mustRun(load(f, map[string]string{"OUTDIR": "shard"}), opts)
				eq(f.t, "shard outcome", sum.Outcome, summary.OutcomeComplete)
			}
		}
	}

	for _, c := range []struct {
		name string
		load func(*fixture, map[string]string) *jobfile.Job
		// cached: a night before, the answer cache was filled with rows
		// 1-6 (cache_job.yaml); this job runs a day later and is served
		// those answers.
		cached bool
		first  func(*fixture, func(*fixture, map[string]string) *jobfile.Job, pipeline.Options)
		resume bool // resume (else a plain run, which continues a trial)
		merge  int  // the second step merges this many shards (first: shards) instead of running
		// The requests the sandbox saw in the second step, and the
		// answers its summary reports reused.
		calls, reused int64
	}{
		// Rows 1-7 answered; rows 11 and 12 reuse rows 4 and 1 in both runs.
		{name: "every key spent at row 8", load: juheJob, first: keysSpent(7), resume: true, calls: 3, reused: 9},
		{name: "row 8 failed after retries", load: juheJob, first: failedAt(7), resume: true, calls: 1, reused: 11},
		{name: "--limit 6 trial, then the whole file", load: juheJob, first: trial(6), calls: 4, reused: 8},
		// Rows 1-3, 5, 6 served from the cache, 4 (an invalid is never
		// cached), 7 and 8 called; the resume calls 9 and 10.
		{name: "cached answers, every key spent at row 9", load: cachedJob, cached: true, first: keysSpent(8), resume: true, calls: 2, reused: 10},
		// The merge makes no call: every answer comes from a shard's
		// journal. Its summary sums the shards' figures (applyMerge), in
		// which nothing was reused.
		{name: "3 shards merged", load: juheJob, first: shards(3), merge: 3, calls: 0, reused: 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			// prepare starts a sandbox with row 4 invalid and, for a
			// cached job, fills its answer cache the night before.
			prepare := func() (*fixture, pipeline.Options) {
				f := newFixture(t, nil)
				writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)
				resumeInvalid(f, rows)
				var opts pipeline.Options
				if c.cached {
					clock := &nightClock{t: night1}
					writeCSV(t, filepath.Join(f.dir, "in-0.csv"), utf8Plain, rows[:6], nil)
					f.mustRun(c.load(f, map[string]string{"INPUT": "in-0.csv", "OUTDIR": "out-0"}), pipeline.Options{Clock: clock})
					clock.set(night1.Add(24 * time.Hour))
					opts.Clock = clock
				}
				return f, opts
			}

			// The job run once, without interruption.
			whole, opts := prepare()
			sum := whole.mustRun(c.load(whole, nil), opts)
			eq(t, "uninterrupted outcome", sum.Outcome, summary.OutcomeComplete)
			// Row 4 answered by the vendor, row 11 the same request:
			// both with the vendor's code.
			errs := readErrors(t, whole.outDir())
			want := []errLine{
				{Row: "4", Line: "5", Provider: "juhe", Status: "invalid", Code: "237001", Message: "vendor rejected the row: 参数错误"},
				{Row: "11", Line: "12", Provider: "juhe", Status: "invalid", Code: "237001", Message: "vendor rejected the row: 参数错误"},
			}
			if len(errs) != len(want) || errs[0] != want[0] || errs[1] != want[1] {
				t.Errorf("uninterrupted errors.csv = %+v, want %+v", errs, want)
			}

			// The same job cut short, then resumed.
			f, opts := prepare()
			c.first(f, c.load, opts)
			opts.Resume = c.resume
			before, _ := totalCalls(f.counters())
			if c.merge > 0 {
				var dirs []string
				for i := range c.merge {
					dirs = append(dirs, pipeline.Shard{Index: i, Count: c.merge}.Dir(filepath.Join(f.dir, "shard")))
				}
				var err error
				if sum, err = pipeline.Merge(context.Background(), c.load(f, nil), dirs, opts); err != nil {
					t.Fatalf("merge: %v", err)
				}
			} else {
				sum = f.mustRun(c.load(f, nil), opts)
			}
			eq(t, "resumed outcome", sum.Outcome, summary.OutcomeComplete)
			after, _ := totalCalls(f.counters())
			eq(t, "sandbox calls in the second step", after-before, c.calls)
			eq(t, "resumed reused answers", sum.Providers[0].Reused, c.reused)
			checkAccounting(t, f.outDir(), sum, inputValues(rows))

			for _, name := range resumeOutputs {
				a, err := os.ReadFile(filepath.Join(whole.outDir(), name))
				if err != nil {
					t.Fatal(err)
				}
				b, err := os.ReadFile(filepath.Join(f.outDir(), name))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(a, b) {
					t.Errorf("%s after the resume differs from the uninterrupted run's:\nuninterrupted:\n%s\nresumed:\n%s", name, a, b)
				}
			}
			checkNoSecrets(t, f.outDir())
		})
	}
}
