package pipeline_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/compare"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/pipeline/summary"
)

// golden compares got with testdata/compare/<name> (the nightly run's
// files; riskbatch diff's are in compare/testdata); RISKBATCH_UPDATE_GOLDEN=1
// rewrites it.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "compare", name)
	if os.Getenv("RISKBATCH_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// riskbatch diff's refusals are job-file mistakes (exit 2), not failures.
func TestDiffRefusesIncomplete(t *testing.T) {
	_, err := pipeline.Diff(filepath.Join("compare", "testdata", "incomplete"), filepath.Join("compare", "testdata", "new"), compare.DiffOptions{Out: filepath.Join(t.TempDir(), "c.csv")})
	var ce *jobfile.ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "incomplete run") {
		t.Fatalf("diff with an incomplete run: %v", err)
	}
}

// compare: in a nightly job: night 2 against the newest complete earlier
// folder (a glob), a Changes sheet in results.xlsx and changes.csv equal
// to their golden files, the counts at the top of the Summary sheet and
// report.html; a glob matching only incomplete runs is refused before any
// call.
func TestCompareInNightlyRun(t *testing.T) {
	f := newFixture(t, nil)
	clock := &nightClock{t: night1}
	rows := book(t, 12)
	src, _ := os.ReadFile(filepath.Join("testdata", "compare_job.yaml"))
	path := filepath.Join(f.dir, "compare_job.yaml")
	os.WriteFile(path, src, 0o644)
	run := func(night string, rows []applicant) (*summary.Summary, string) {
		writeCSV(t, filepath.Join(f.dir, "in-"+night+".csv"), utf8Plain, rows, nil)
		job, err := pipeline.LoadJob(path, f.env(map[string]string{"NIGHT": night}))
		if err != nil {
			t.Fatalf("night %s: %v", night, err)
		}
		sum, err, log := f.runJob(job, pipeline.Options{Clock: clock})
		if err != nil {
			t.Fatalf("night %s: %v\n%s", night, err, log)
		}
		return sum, filepath.Join(f.dir, "out-"+night)
	}
	sum1, _ := run("1", rows)
	if sum1.Changes == nil || sum1.Changes.Previous != "" || !strings.Contains(sum1.Changes.Note, "first run") {
		t.Fatalf("night 1 changes %+v", sum1.Changes)
	}
	// Night 2: row 2 becomes an outsider (no-hit), row 5 another known
	// person, row 12 leaves the book and a new row 13 joins.
	rows2 := append([]applicant(nil), rows[:11]...)
	rows2[1] = outsider(900, rows2[1].Ref)
	rows2[4] = person(hitPeople(t, 1700, 1)[0], rows2[4].Ref)
	rows2 = append(rows2, person(hitPeople(t, 1800, 1)[0], "A99999"))
	clock.set(night1.Add(24 * time.Hour))
	sum2, out2 := run("2", rows2)
	c := sum2.Changes
	if c == nil || c.Counts[compare.NewRow] != 1 || c.Counts[compare.GoneRow] != 1 || c.RowsCompared != 11 || c.Counts[compare.StatusChanged] != 1 {
		t.Fatalf("night 2 changes %+v", c)
	}
	b, err := os.ReadFile(filepath.Join(out2, "changes.csv"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "nightly_changes.golden.csv", b)

	x, err := excelize.OpenFile(filepath.Join(out2, "results.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if sheets := x.GetSheetList(); len(sheets) < 3 || sheets[0] != "Summary" || sheets[1] != "Changes" {
		t.Fatalf("sheets %v", sheets)
	}
	cells, err := x.GetRows("Changes")
	if err != nil {
		t.Fatal(err)
	}
	var sheet strings.Builder
	for _, r := range cells {
		sheet.WriteString(strings.Join(r, "\t") + "\n")
	}
	// The previous folder is a temporary directory: named as $DIR here.
	golden(t, "nightly_changes_sheet.golden.txt", []byte(strings.ReplaceAll(sheet.String(), f.dir, "$DIR")))
	summ, _ := x.GetRows("Summary")
	var top strings.Builder
	for _, r := range summ[:min(6, len(summ))] {
		top.WriteString(strings.Join(r, " ") + "\n")
	}
	if !strings.Contains(top.String(), "changes since") || !strings.Contains(top.String(), "new row 1") {
		t.Fatalf("Summary sheet top:\n%s", top.String())
	}
	html, _ := os.ReadFile(filepath.Join(out2, "report.html"))
	if !strings.Contains(string(html), "changes since") {
		t.Fatal("report.html has no changes line")
	}

	// An incomplete earlier run is refused when it is all the glob matches.
	os.WriteFile(filepath.Join(f.dir, "only.yaml"), []byte(strings.Replace(string(src), "previous: out-*", "previous: inc-*", 1)), 0o644)
	os.MkdirAll(filepath.Join(f.dir, "inc-1"), 0o755)
	os.WriteFile(filepath.Join(f.dir, "inc-1", "summary.json"), []byte(`{"complete": false, "providers": []}`), 0o644)
	if _, err := pipeline.LoadJob(filepath.Join(f.dir, "only.yaml"), f.env(map[string]string{"NIGHT": "3"})); err == nil || !strings.Contains(err.Error(), "incomplete") {
		t.Fatalf("a glob of incomplete runs: %v", err)
	}
}

// A folder with results.xlsx only is read from its Results sheet (the
// report's sheets come first).
func TestDiffReadsXLSXResults(t *testing.T) {
	f := newFixture(t, nil)
	rows := book(t, 6)
	writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)
	job := f.job(nil)
	job.Output.Formats = []string{"xlsx"}
	f.mustRun(job, pipeline.Options{})
	out := filepath.Join(t.TempDir(), "changes.csv")
	sum, err := pipeline.Diff(f.outDir(), f.outDir(), compare.DiffOptions{Key: "申请编号", Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if sum.RowsCompared != 6 {
		t.Fatalf("compared %d rows of results.xlsx, want 6", sum.RowsCompared)
	}
	for k, n := range sum.Counts {
		if n != 0 {
			t.Errorf("a run compared with itself has %d %s", n, k)
		}
	}
}
