// Command checkrun checks a finished run's output directory the way a user
// would: every file is there and the row accounting of DESIGN.md holds.
// .ci/run uses it after running the sample jobs from a clean clone.
package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

type summary struct {
	RowsIn    int  `json:"rows_in"`
	RowsOut   int  `json:"rows_out"`
	RowsOK    int  `json:"rows_ok"`
	RowsError int  `json:"rows_error"`
	Complete  bool `json:"complete"`
	ExitCode  int  `json:"exit_code"`
	Providers []struct {
		Name   string         `json:"name"`
		Status map[string]int `json:"status"`
	} `json:"providers"`
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: checkrun OUTDIR MIN_ROWS")
		os.Exit(2)
	}
	dir := os.Args[1]
	var minRows int
	fmt.Sscan(os.Args[2], &minRows)
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "checkrun %s: "+format+"\n", append([]any{dir}, args...)...)
		os.Exit(1)
	}
	for _, f := range []string{"results.xlsx", "errors.csv", "raw.jsonl", "summary.json", "report.html"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			fail("missing or empty %s", f)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		fail("%v", err)
	}
	var s summary
	if err := json.Unmarshal(b, &s); err != nil {
		fail("summary.json: %v", err)
	}
	if s.RowsIn < minRows || s.RowsOut != s.RowsIn || s.RowsOK+s.RowsError != s.RowsIn {
		fail("row accounting broken: in %d out %d ok %d error %d (want in ≥ %d)", s.RowsIn, s.RowsOut, s.RowsOK, s.RowsError, minRows)
	}
	for _, p := range s.Providers {
		n := 0
		for _, c := range p.Status {
			n += c
		}
		if n != s.RowsIn {
			fail("provider %s statuses add up to %d, not rows_in %d", p.Name, n, s.RowsIn)
		}
		if p.Status["hit"] == 0 || p.Status["no_hit"] == 0 {
			fail("provider %s: expected hits and no-hits, got %v", p.Name, p.Status)
		}
	}
	if !s.Complete || s.ExitCode != 0 {
		fail("run not complete (exit code %d)", s.ExitCode)
	}
	if f, err := os.Open(filepath.Join(dir, "results.csv")); err == nil {
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			fail("results.csv: %v", err)
		}
		if len(recs)-1 != s.RowsIn {
			fail("results.csv has %d data rows, rows_in is %d", len(recs)-1, s.RowsIn)
		}
	}
	fmt.Printf("checkrun %s: ok (%d rows in = %d ok + %d with errors)\n", dir, s.RowsIn, s.RowsOK, s.RowsError)
}
