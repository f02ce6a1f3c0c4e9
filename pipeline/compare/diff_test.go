package compare_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/pipeline/compare"
	// The score and risk-code columns compared are the vendors' report
	// defaults, from the registry.
	_ "github.com/riskbatch/riskbatch/providers/all"
)

// noState is an output folder without job state (the fixtures): its
// summary.json says whether its run completed.
func noState(string) (exists, complete bool) { return false, false }

// golden compares got with testdata/<name>; RISKBATCH_UPDATE_GOLDEN=1
// rewrites it.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
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

// Diff on two fixed result sheets: every kind of change, matched
// by the loan id, against a golden changes.csv.
func TestDiffGolden(t *testing.T) {
	out := filepath.Join(t.TempDir(), "changes.csv")
	sum, err := compare.Diff("testdata/old", "testdata/new", noState, compare.DiffOptions{Key: "申请编号", ScoreChange: 10, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{
		compare.Worse: 1, compare.Better: 1, compare.NewCodes: 1, compare.ClearedCodes: 1,
		compare.ScoreUp: 1, compare.ScoreDown: 1, compare.StatusChanged: 2, compare.NewRow: 1, compare.GoneRow: 1,
	}
	for k, n := range want {
		if sum.Counts[k] != n {
			t.Errorf("%s: %d, want %d (counts %v)", k, sum.Counts[k], n, sum.Counts)
		}
	}
	if sum.RowsCompared != 4 || sum.Key != "申请编号" {
		t.Errorf("compared %d rows by %s", sum.RowsCompared, sum.Key)
	}
	b, _ := os.ReadFile(out)
	golden(t, "changes.golden.csv", b)
	var sb strings.Builder
	sum.WriteChanges(&sb)
	if !strings.Contains(sb.String(), "decision worse 1 · decision better 1") {
		t.Errorf("console: %s", sb.String())
	}
}

// Without a key the rows match by normalised ID number and mobile (a
// +86 mobile is the same person); changes.csv shows them masked.
func TestDiffByIdentity(t *testing.T) {
	out := filepath.Join(t.TempDir(), "changes.csv")
	sum, err := compare.Diff("testdata/old", "testdata/new", noState, compare.DiffOptions{Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Key != "identity" || sum.RowsCompared != 4 || sum.Counts[compare.NewRow] != 1 || sum.Counts[compare.GoneRow] != 1 {
		t.Fatalf("%+v", sum)
	}
	b, _ := os.ReadFile(out)
	if strings.Contains(string(b), "110101199003074477") || strings.Contains(string(b), "13800138000") {
		t.Fatal("changes.csv shows an ID or mobile in clear")
	}
	golden(t, "changes_identity.golden.csv", b)
}

// Diff refuses a folder whose run is incomplete, by its summary.json (no
// job state) or by its job state (which says more than summary.json: a
// resume in progress after a complete run).
func TestDiffRefusesIncomplete(t *testing.T) {
	tests := []struct {
		name  string
		old   string
		state compare.StateFunc
	}{
		{"summary.json says incomplete", "testdata/incomplete", noState},
		{"job state says incomplete", "testdata/old", func(dir string) (bool, bool) { return dir == "testdata/old", false }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "c.csv")
			_, err := compare.Diff(tc.old, "testdata/new", tc.state, compare.DiffOptions{Out: out})
			var fe *compare.FolderError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.old+" holds an incomplete run") {
				t.Fatalf("diff with an incomplete run: %v", err)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("changes.csv written for a refused diff (%v)", err)
			}
		})
	}
}
