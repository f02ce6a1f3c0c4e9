package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/pipeline/summary"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

func mkRows(n int) []applicant {
	rows := make([]applicant, n)
	for i := range rows {
		if i%5 == 4 {
			rows[i] = outsider(i, ref(i))
		} else {
			rows[i] = person(300+i, ref(i))
		}
	}
	return rows
}

// incompleteRun runs rows one at a time with every key answering 10012 from
// row stop on: rows before it are answered, the rest deferred (exit 3).
// The sandbox is reset afterwards, counters included, so the next run's
// calls can be counted alone.
func (f *fixture) incompleteRun(rows []applicant, stop int) *summary.Summary {
	f.t.Helper()
	ctx := context.Background()
	if err := f.admin.Force(ctx, "juhe", "", rows[stop].ID, "10012", 0); err != nil {
		f.t.Fatal(err)
	}
	sum := f.mustRun(f.job(map[string]string{"CONCURRENCY": "1"}), pipeline.Options{})
	eq(f.t, "first run exit code", sum.Outcome, summary.OutcomeIncomplete)
	eq(f.t, "first run deferred rows", sum.Providers[0].Status["deferred"], len(rows)-stop)
	if err := f.admin.Reset(ctx); err != nil {
		f.t.Fatal(err)
	}
	return sum
}

// TestResumeAfterQuota: the sandbox's daily quota (10 calls a key) runs out
// mid-run: answered rows are kept, the rest deferred with exit 3 and the
// reset time. After the quota resets, resume sends only the deferred rows
// (no answered row is bought twice) and rebuilds the whole sheet in order.
func TestResumeAfterQuota(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, func(c *sandbox.Config) {
		c.Limits = map[string]sandbox.Limits{"juhe": {DailyQuota: 10}}
	})
	rows := mkRows(60)
	writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)
	job := f.job(nil)

	sum1 := f.mustRun(job, pipeline.Options{ResumeCommand: "riskbatch resume job.yaml"})
	res1 := checkAccounting(t, f.outDir(), sum1, inputValues(rows))
	checkAnswers(t, res1, rows)
	st1 := statusCounts(res1)
	eq(t, "run 1 exit code", sum1.Outcome, summary.OutcomeIncomplete)
	eq(t, "run 1 answered rows (2 keys × quota 10)", st1["hit"]+st1["no_hit"], 20)
	eq(t, "run 1 deferred rows", st1["deferred"], 40)
	eq(t, "run 1 complete", sum1.Complete, false)
	eq(t, "run 1 resume command", sum1.Resume, "riskbatch resume job.yaml")
	if sum1.QuotaReset == nil {
		t.Error("run 1 summary has no quota_reset_at")
	}
	answered := map[int]bool{}
	for i := range rows {
		if s := res1.get(i, "juhe_status"); s == "hit" || s == "no_hit" {
			answered[i] = true
		}
	}

	// The quota resets: clear the sandbox's counters, quotas and limits.
	if err := f.admin.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.admin.SetLimits(ctx, "juhe", sandbox.Limits{}); err != nil {
		t.Fatal(err)
	}
	sum2 := f.mustRun(f.job(nil), pipeline.Options{Resume: true})
	res2 := checkAccounting(t, f.outDir(), sum2, inputValues(rows))
	checkAnswers(t, res2, rows)
	eq(t, "resume exit code", sum2.Outcome, summary.OutcomeComplete)
	eq(t, "resume complete", sum2.Complete, true)
	eq(t, "resume run number", sum2.Run, 2)
	eq(t, "resume rows_ok", sum2.RowsOK, 60)
	eq(t, "resume calls", sum2.Providers[0].Calls, int64(40))
	eq(t, "resume reused answers", sum2.Providers[0].Reused, int64(20))

	c := f.counters()
	calls, _ := totalCalls(c)
	eq(t, "sandbox calls on resume", calls, int64(40))
	for i, r := range rows {
		want := int64(1)
		if answered[i] {
			want = 0 // bought in run 1: never sent again
		}
		eq(t, "resume calls for row "+r.Ref, identityCalls(c, r.ID), want)
		if answered[i] {
			if a, b := res1.juheValues(i), res2.juheValues(i); strings.Join(a, "|") != strings.Join(b, "|") {
				t.Errorf("row %s: run 1 answer %q, after resume %q", r.Ref, a, b)
			}
		}
	}
	if len(readErrors(t, f.outDir())) != 0 {
		t.Error("errors.csv still lists rows after a complete resume")
	}
	checkStateModes(t, f.outDir())
	checkNoSecrets(t, f.outDir())
}

func checkStateModes(t *testing.T, out string) {
	t.Helper()
	for path, want := range map[string]os.FileMode{
		filepath.Join(out, ".state"):                  0o700 | os.ModeDir,
		filepath.Join(out, ".state", "manifest.json"): 0o600,
		filepath.Join(out, ".state", "journal.log"):   0o600,
		filepath.Join(out, "raw.jsonl"):               0o600,
	} {
		st, err := os.Stat(path)
		if err != nil {
			t.Error(err)
			continue
		}
		if st.Mode() != want {
			t.Errorf("%s mode %v, want %v", path, st.Mode(), want)
		}
	}
}

// TestRunAgain: run on an incomplete state refuses and names resume and
// --fresh; --fresh starts over; run on a completed state starts over; resume
// with no state says there is nothing to resume.
func TestRunAgain(t *testing.T) {
	rows := mkRows(6)
	t.Run("run on an incomplete state refuses, --fresh starts over", func(t *testing.T) {
		f := newFixture(t, nil)
		writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)
		f.incompleteRun(rows, 3)
		before, err := os.ReadFile(filepath.Join(f.outDir(), "results.csv"))
		if err != nil {
			t.Fatal(err)
		}

		_, err, _ = f.runJob(f.job(nil), pipeline.Options{ResumeCommand: "riskbatch resume job.yaml"})
		var ce *jobfile.ConfigError
		if !errors.As(err, &ce) {
			t.Fatalf("run on an incomplete state: %v (%T), want a ConfigError (exit 2)", err, err)
		}
		for _, w := range []string{"incomplete", "riskbatch resume job.yaml", "--fresh"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error does not mention %q: %v", w, err)
			}
		}
		after, _ := os.ReadFile(filepath.Join(f.outDir(), "results.csv"))
		if !bytes.Equal(before, after) {
			t.Error("the refused run changed results.csv")
		}
		calls, _ := totalCalls(f.counters())
		eq(t, "calls by the refused run", calls, int64(0))

		sum := f.mustRun(f.job(nil), pipeline.Options{Fresh: true})
		checkAccounting(t, f.outDir(), sum, inputValues(rows))
		eq(t, "--fresh exit code", sum.Outcome, summary.OutcomeComplete)
		eq(t, "--fresh run number", sum.Run, 1)
		eq(t, "--fresh reused", sum.Providers[0].Reused, int64(0))
		calls, _ = totalCalls(f.counters())
		eq(t, "--fresh sends every row again", calls, int64(6))

		// The state is complete now: run starts over without a flag.
		sum = f.mustRun(f.job(nil), pipeline.Options{})
		checkAccounting(t, f.outDir(), sum, inputValues(rows))
		eq(t, "run on a completed state: exit code", sum.Outcome, summary.OutcomeComplete)
		eq(t, "run on a completed state: run number", sum.Run, 1)
		calls, _ = totalCalls(f.counters())
		eq(t, "run on a completed state sends every row", calls, int64(12))
	})
	t.Run("an input with a header only leaves no state behind", func(t *testing.T) {
		f := newFixture(t, nil)
		in := filepath.Join(f.dir, "in.csv")
		writeCSV(t, in, utf8Plain, nil, nil)
		_, err, _ := f.runJob(f.job(nil), pipeline.Options{})
		var ie *input.Error
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "no data rows") {
			t.Fatalf("header-only input: %v, want an InputError (exit 2) saying it has no data rows", err)
		}
		// Once the file has rows, run works without --fresh.
		writeCSV(t, in, utf8Plain, rows, nil)
		sum := f.mustRun(f.job(nil), pipeline.Options{})
		checkAccounting(t, f.outDir(), sum, inputValues(rows))
		eq(t, "exit code", sum.Outcome, summary.OutcomeComplete)
	})
	t.Run("resume without a state", func(t *testing.T) {
		f := newFixture(t, nil)
		writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)
		_, err, _ := f.runJob(f.job(nil), pipeline.Options{Resume: true})
		var ce *jobfile.ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "nothing to resume") {
			t.Fatalf("resume without a state: %v, want a ConfigError saying there is nothing to resume", err)
		}
	})
}

// TestResumeAfterInputEdit: an input edited after an incomplete run stops
// resume with a message naming the change; --force resumes, reusing the
// answers of unchanged rows and sending the edited row.
func TestResumeAfterInputEdit(t *testing.T) {
	f := newFixture(t, nil)
	rows := mkRows(6)
	in := filepath.Join(f.dir, "in.csv")
	writeCSV(t, in, utf8Plain, rows, nil)
	f.incompleteRun(rows, 3)

	edited := append([]applicant(nil), rows...)
	edited[1].Mobile = pop.Person(1500).Mobile // row 2 was answered; its request changes
	writeCSV(t, in, utf8Plain, edited, nil)

	_, err, _ := f.runJob(f.job(nil), pipeline.Options{Resume: true})
	var ce *jobfile.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("resume after an input edit: %v (%T), want a ConfigError", err, err)
	}
	for _, w := range []string{"cannot resume", "in.csv", "changed", "--force", "--fresh"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not mention %q: %v", w, err)
		}
	}
	calls, _ := totalCalls(f.counters())
	eq(t, "calls by the refused resume", calls, int64(0))

	sum := f.mustRun(f.job(nil), pipeline.Options{Resume: true, Force: true})
	res := checkAccounting(t, f.outDir(), sum, inputValues(edited))
	checkAnswers(t, res, edited)
	eq(t, "forced resume exit code", sum.Outcome, summary.OutcomeComplete)
	if !strings.Contains(strings.Join(sum.Notes, "\n"), "resumed with --force") {
		t.Errorf("summary notes %q do not record the forced resume", sum.Notes)
	}
	c := f.counters()
	for i, r := range edited {
		want := int64(1)
		if i == 0 || i == 2 {
			want = 0 // answered in run 1 and unchanged
		}
		eq(t, "calls for row "+r.Ref, identityCalls(c, r.ID), want)
	}
	eq(t, "reused", sum.Providers[0].Reused, int64(2))
}

// TestResumeDamagedJournal: a torn last record (a crash mid-write) is
// dropped with a note and resume completes; damage before the end is a
// clear error that points at --fresh.
func TestResumeDamagedJournal(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(t *testing.T, b []byte) []byte
		wantErr []string // empty: resume succeeds
		note    string
	}{
		{
			name: "torn last record",
			damage: func(t *testing.T, b []byte) []byte {
				last := bytes.LastIndexByte(b[:len(b)-1], '\n') + 1
				return b[:last+(len(b)-last)/2] // half of the last line, no newline
			},
			note: "torn last record",
		},
		{
			name: "garbage line in the middle",
			damage: func(t *testing.T, b []byte) []byte {
				first := bytes.IndexByte(b, '\n') + 1
				return append(append(append([]byte(nil), b[:first]...), "garbage\n"...), b[first:]...)
			},
			wantErr: []string{"journal", "damaged at line 2", "--fresh"},
		},
		{
			name: "one byte changed in the second record",
			damage: func(t *testing.T, b []byte) []byte {
				first := bytes.IndexByte(b, '\n') + 1
				c := append([]byte(nil), b...)
				c[first+12] ^= 0x01
				return c
			},
			wantErr: []string{"damaged at line 2", "checksum mismatch"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			rows := mkRows(6)
			writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)
			f.incompleteRun(rows, 3)
			jpath := filepath.Join(f.outDir(), ".state", "journal.log")
			b, err := os.ReadFile(jpath)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(jpath, tc.damage(t, b), 0o600); err != nil {
				t.Fatal(err)
			}
			sum, err, log := f.runJob(f.job(nil), pipeline.Options{Resume: true})
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("resume on a damaged journal succeeded (outcome %s)", sum.Outcome)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error does not mention %q: %v", w, err)
					}
				}
				calls, _ := totalCalls(f.counters())
				eq(t, "calls after a refused resume", calls, int64(0))
				return
			}
			if err != nil {
				t.Fatalf("resume: %v\n%s", err, log)
			}
			res := checkAccounting(t, f.outDir(), sum, inputValues(rows))
			checkAnswers(t, res, rows)
			eq(t, "exit code", sum.Outcome, summary.OutcomeComplete)
			if !strings.Contains(strings.Join(sum.Notes, "\n"), tc.note) {
				t.Errorf("summary notes %q do not mention %q", sum.Notes, tc.note)
			}
			c := f.counters()
			for i := 0; i < 3; i++ {
				eq(t, "calls for answered row "+rows[i].Ref, identityCalls(c, rows[i].ID), int64(0))
			}
		})
	}
}
