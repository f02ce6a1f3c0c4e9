package pipeline_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/pipeline/summary"
)

// TestShardsAndMerge: the same 90 rows (duplicates, outsiders, a bad ID)
// run once whole and once as 4 shards merged: the merged results.csv is
// byte-identical to the single run's, the summary figures are equal, and
// the shards together bought exactly what the single run bought.
func TestShardsAndMerge(t *testing.T) {
	f := newFixture(t, nil)
	var rows []applicant
	for i := range 90 {
		switch {
		case i%10 == 9:
			rows = append(rows, person(i-5, ref(i))) // a duplicate person, another row
		case i%13 == 4:
			rows = append(rows, outsider(i, ref(i)))
		case i == 50:
			a := person(i, ref(i))
			a.ID = badCheckDigit(a.ID)
			rows = append(rows, a)
		default:
			rows = append(rows, person(i, ref(i)))
		}
	}
	writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)
	withXLSX := func(j *jobfile.Job) *jobfile.Job { j.Output.Formats = []string{"csv", "xlsx"}; return j }
	single := f.mustRun(withXLSX(f.job(map[string]string{"OUTDIR": "single"})), pipeline.Options{})
	singleCalls, _ := totalCalls(f.counters())

	var dirs []string
	for i := range 4 {
		job := withXLSX(f.job(map[string]string{"OUTDIR": "sharded"}))
		sum := f.mustRun(job, pipeline.Options{Shard: pipeline.Shard{Index: i, Count: 4}})
		eq(t, "shard outcome", sum.Outcome, summary.OutcomeComplete)
		eq(t, "shard", sum.Shard, pipeline.Shard{Index: i, Count: 4}.String())
		dirs = append(dirs, job.Resolve(job.Output.Dir))
	}
	allCalls, _ := totalCalls(f.counters())
	eq(t, "calls of the shards", allCalls-singleCalls, singleCalls)

	// A missing shard is refused before anything is written.
	if _, err := pipeline.Merge(context.Background(), f.job(map[string]string{"OUTDIR": "partial"}), dirs[:3], pipeline.Options{}); err == nil || !strings.Contains(err.Error(), "3/4 missing") {
		t.Fatalf("merge of 3 shards of 4: %v", err)
	}

	job := withXLSX(f.job(map[string]string{"OUTDIR": "merged"}))
	merged, err := pipeline.Merge(context.Background(), job, dirs, pipeline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := totalCalls(f.counters())
	eq(t, "calls made by the merge", after-allCalls, int64(0))

	want, _ := os.ReadFile(filepath.Join(f.dir, "single", "results.csv"))
	got, _ := os.ReadFile(filepath.Join(f.dir, "merged", "results.csv"))
	if !bytes.Equal(got, want) || len(want) == 0 {
		t.Errorf("merged results.csv differs from the single run's (%d vs %d bytes)", len(got), len(want))
	}
	wantErr, _ := os.ReadFile(filepath.Join(f.dir, "single", "errors.csv"))
	gotErr, _ := os.ReadFile(filepath.Join(f.dir, "merged", "errors.csv"))
	if !bytes.Equal(gotErr, wantErr) {
		t.Errorf("merged errors.csv differs:\n%s\nwant\n%s", gotErr, wantErr)
	}
	wantCells := xlsxRows(t, filepath.Join(f.dir, "single", "results.xlsx"), "Results")
	gotCells := xlsxRows(t, filepath.Join(f.dir, "merged", "results.xlsx"), "Results")
	if len(wantCells) != len(rows)+1 || !reflect.DeepEqual(gotCells, wantCells) {
		t.Errorf("merged Results sheet differs from the single run's (%d vs %d rows)", len(gotCells), len(wantCells))
	}
	eq(t, "rows in", merged.RowsIn, single.RowsIn)
	eq(t, "rows ok", merged.RowsOK, single.RowsOK)
	s, m := single.Providers[0], merged.Providers[0]
	for _, st := range summary.Statuses {
		eq(t, "status "+st, m.Status[st], s.Status[st])
	}
	eq(t, "calls", m.Calls, s.Calls)
	eq(t, "billed", m.Billed, s.Billed)
	eq(t, "cost", m.Cost, s.Cost)
	eq(t, "calls saved", m.Deduped, s.Deduped)
	eq(t, "hit rate", m.HitRate, s.HitRate)
	checkAccounting(t, filepath.Join(f.dir, "merged"), merged, inputValues(rows))
}

func xlsxRows(t *testing.T, path, sheet string) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatalf("%s sheet %s: %v", path, sheet, err)
	}
	return rows
}
