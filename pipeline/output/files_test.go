package output

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/pipeline/summary"
	"github.com/riskbatch/riskbatch/sinks"
)

func TestFilesCommitAndAbort(t *testing.T) {
	files := []string{"results.csv", "errors.csv", "warnings.csv"}
	tests := []struct {
		name   string
		commit bool
		want   map[string]string // file → content; nil: no file at all
	}{
		{"commit", true, map[string]string{
			"results.csv":  "id,juhe_status\n1,hit\n2,invalid\n",
			"errors.csv":   "row,line,provider,status,code,column,message\n2,3,juhe,invalid,bad_id,id,vendor rejected the row: bad\n",
			"warnings.csv": "row,line,provider,status,code,column,message\n1,2,juhe,hit,,email,left out\n",
		}},
		{"abort", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			f, err := Open(Options{Dir: dir, Formats: []string{"csv"}, Columns: []string{"id", "juhe_status"}})
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range [][]string{{"1", "hit"}, {"2", "invalid"}} {
				if err := f.WriteRow(row); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.WriteError(sinks.ErrorRecord{Row: 2, Line: 3, Provider: "juhe", Status: "invalid", Code: "bad_id", Column: "id", Message: "vendor rejected the row: bad"}); err != nil {
				t.Fatal(err)
			}
			if err := f.WriteWarning(sinks.ErrorRecord{Row: 1, Line: 2, Provider: "juhe", Status: "hit", Column: "email", Message: "left out"}); err != nil {
				t.Fatal(err)
			}
			if tt.commit {
				if err := f.Commit(); err != nil {
					t.Fatal(err)
				}
			} else {
				f.Abort()
			}
			for _, name := range files {
				b, err := os.ReadFile(filepath.Join(dir, name))
				want, ok := tt.want[name]
				if !ok {
					if err == nil {
						t.Errorf("%s exists after abort", name)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if string(b) != want {
					t.Errorf("%s:\n%s\nwant:\n%s", name, b, want)
				}
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var left []string
			for _, e := range entries {
				if _, final := tt.want[e.Name()]; !final {
					left = append(left, e.Name())
				}
			}
			if len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

func TestWriteSummary(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	sum := &summary.Summary{Tool: "riskbatch", Job: "job.yaml", StartedAt: at, FinishedAt: at, Complete: true, Outcome: summary.OutcomeComplete, RowsIn: 2, RowsOut: 2}
	if err := WriteSummary(dir, sum); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"outcome": "complete"`, `"rows_in": 2`, `"complete": true`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("summary.json lacks %s:\n%s", want, b)
		}
	}
}
