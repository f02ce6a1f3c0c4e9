package pipeline_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/summary"
)

// The journal_v1 fixture (testdata/journal_v1) is a job state written by
// the engine of 84862ce, before the journal record's fields had real
// names: the on-disk form must not change with them, and a job interrupted
// by the old binary must resume with the new one. See its README.md.

const journalV1 = "testdata/journal_v1"

// journalV1Rows are the fixture's input rows (in.csv): rows 5 and 10
// (index 4 and 9) are people the vendor does not know.
func journalV1Rows() []applicant { return mkRows(12) }

// TestWriteJournalV1 writes the fixture's job state again, into the
// directory RISKBATCH_WRITE_JOURNAL_V1 names, as the committed files were
// made. Run 1 meets, one row each, a reset connection after the request
// left (in doubt), an HTTP 429 (throttled), 237001 (invalid), 10014 (a
// transient vendor code) and from row 9 on 10012 on both keys (every key
// spent: rows 9-12 deferred). Run 2 resumes after the quota reset and is
// cut as a SIGKILL would cut it: right after the intent of row 11, with
// half of that call's outcome record written and no newline; its manifest
// still says complete false, as it did on disk while run 2 ran.
func TestWriteJournalV1(t *testing.T) {
	dst := os.Getenv("RISKBATCH_WRITE_JOURNAL_V1")
	if dst == "" {
		t.Skip("writes the journal_v1 fixture: set RISKBATCH_WRITE_JOURNAL_V1 to a directory")
	}
	ctx := context.Background()
	f := newFixture(t, nil)
	rows := journalV1Rows()
	writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)
	for _, fc := range []struct {
		row   int
		code  string
		count int
	}{
		{1, "reset", 1},
		{2, "http_429", 1},
		{3, "237001", 0},
		{5, "10014", 1},
		{8, "10012", 0},
	} {
		if err := f.admin.Force(ctx, "juhe", "", rows[fc.row].ID, fc.code, fc.count); err != nil {
			t.Fatal(err)
		}
	}
	sum := f.mustRun(f.jobFrom(filepath.Join(journalV1, "job.yaml"), "job.yaml", nil), pipeline.Options{})
	eq(t, "run 1 outcome", sum.Outcome, summary.OutcomeIncomplete)
	if err := f.admin.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	sum = f.mustRun(f.jobFrom(filepath.Join(journalV1, "job.yaml"), "job.yaml", nil), pipeline.Options{Resume: true})
	eq(t, "run 2 outcome", sum.Outcome, summary.OutcomeComplete)

	state := filepath.Join(f.outDir(), ".state")
	journal, err := os.ReadFile(filepath.Join(state, "journal.log"))
	if err != nil {
		t.Fatal(err)
	}
	// The intent of row 11 in run 2, then half of the next record.
	intent := []byte(`{"t":"i","r":11,"p":"juhe"`)
	var cut []byte
	for off := 0; off < len(journal); {
		end := off + bytes.IndexByte(journal[off:], '\n') + 1
		line := journal[off:end]
		if bytes.Contains(line, intent) && bytes.Contains(line, []byte(`"n":2}`)) {
			next := journal[end:]
			next = next[:bytes.IndexByte(next, '\n')]
			cut = append(journal[:end:end], next[:len(next)/2]...)
			break
		}
		off = end
	}
	if cut == nil {
		t.Fatalf("no intent of row 11 in run 2:\n%s", journal)
	}
	manifest, err := os.ReadFile(filepath.Join(state, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(manifest, []byte(`"complete": true`)); n != 1 {
		t.Fatalf("manifest.json says complete true %d times:\n%s", n, manifest)
	}
	manifest = bytes.Replace(manifest, []byte(`"complete": true`), []byte(`"complete": false`), 1)
	in, err := os.ReadFile(filepath.Join(f.dir, "in.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"journal.log": cut, "manifest.json": manifest, "in.csv": in} {
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestResumeJournalV1: a job stopped by the old binary (run 1 incomplete,
// run 2 killed in flight) resumes: every answer it journaled is reused,
// the call in flight at the kill is sent again and reported in doubt,
// the row never sent is sent, and nothing answered is bought twice.
func TestResumeJournalV1(t *testing.T) {
	f := newFixture(t, nil)
	rows := journalV1Rows()
	state := filepath.Join(f.outDir(), ".state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	for src, dst := range map[string]string{
		"in.csv":        filepath.Join(f.dir, "in.csv"),
		"manifest.json": filepath.Join(state, "manifest.json"),
		"journal.log":   filepath.Join(state, "journal.log"),
	} {
		b, err := os.ReadFile(filepath.Join(journalV1, src))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The fixture's input is the rows the test knows.
	in := readCSVFile(t, filepath.Join(f.dir, "in.csv"))
	for i, r := range rows {
		eq(t, "fixture input row "+r.Ref, strings.Join(in[i+1], ","), strings.Join(r.values(), ","))
	}

	sum := f.mustRun(f.jobFrom(filepath.Join(journalV1, "job.yaml"), "job.yaml", nil), pipeline.Options{Resume: true})
	res := checkAccounting(t, f.outDir(), sum, inputValues(rows))
	checkAnswers(t, res, rows)
	eq(t, "outcome", sum.Outcome, summary.OutcomeComplete)
	eq(t, "run number", sum.Run, 3)
	notes := strings.Join(sum.Notes, "\n")
	for _, w := range []string{"dropped a torn last record", "1 call(s) were in flight"} {
		if !strings.Contains(notes, w) {
			t.Errorf("summary notes %q do not say %q", sum.Notes, w)
		}
	}
	eq(t, "in doubt sent again", sum.InDoubt, 1)

	// Each row's status, as journaled (rows 1-10) or answered now (11, 12).
	want := []string{"hit", "no_hit", "hit", "invalid", "no_hit", "hit", "hit", "hit", "hit", "no_hit", "hit", "hit"}
	for i, r := range rows {
		eq(t, "status of row "+r.Ref, res.get(i, "juhe_status"), want[i])
	}
	// Row 1's columns come from the fixture's journal record, as is.
	eq(t, "row 1 columns", strings.Join(res.juheValues(0), "|"), "6|1|1||J847520797344712543241")
	// Row 4's errors.csv line is the one run 1 wrote: the vendor's code
	// and message, both from the journal record.
	errs := readErrors(t, f.outDir())
	want4 := errLine{Row: "4", Line: "5", Provider: "juhe", Status: "invalid", Code: "237001", Message: "vendor rejected the row: 参数错误"}
	if len(errs) != 1 || errs[0] != want4 {
		t.Errorf("errors.csv = %+v, want only %+v", errs, want4)
	}

	p := sum.Providers[0]
	eq(t, "calls", p.Calls, int64(2))
	eq(t, "reused answers", p.Reused, int64(10))
	eq(t, "billed", p.Billed, int64(2))
	// Over the three runs: 13 attempts in run 1, 2 answered and 1 in flight
	// in run 2, 2 now; billed 7 + 2 + 2; in doubt the reset of row 2 and the
	// call in flight at the kill.
	if p.JobTotal == nil {
		t.Fatal("no job_total")
	}
	eq(t, "job calls", p.JobTotal.Calls, int64(18))
	eq(t, "job billed", p.JobTotal.Billed, int64(11))
	eq(t, "job in doubt", p.JobTotal.InDoubt, int64(2))

	c := f.counters()
	calls, _ := totalCalls(c)
	eq(t, "sandbox calls", calls, int64(2))
	for i, r := range rows {
		want := int64(0)
		if i >= 10 {
			want = 1 // row 11 was in flight at the kill, row 12 never sent
		}
		eq(t, "sandbox calls for row "+r.Ref, identityCalls(c, r.ID), want)
	}
	checkNoSecrets(t, f.outDir())
}
