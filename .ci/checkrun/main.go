// Command checkrun checks a finished run's output directory the way a user
// would: every file is there and the row accounting of docs/state-and-resume.md holds.
// .ci/run uses it after running the sample jobs from a clean clone.
package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

type summary struct {
	RowsIn    int  `json:"rows_in"`
	RowsOut   int  `json:"rows_out"`
	RowsOK    int  `json:"rows_ok"`
	RowsError int  `json:"rows_error"`
	Complete  bool `json:"complete"`
	ExitCode  int  `json:"exit_code"`
	Providers []struct {
		Name     string         `json:"name"`
		Status   map[string]int `json:"status"`
		Warnings int            `json:"warnings"`
	} `json:"providers"`
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: checkrun OUTDIR MIN_ROWS [PROVIDER=WARNINGS ...]")
		os.Exit(2)
	}
	// PROVIDER=WARNINGS: the provider must count exactly that many warnings
	// (the samples have rows whose optional values are left out).
	wantWarnings := map[string]int{}
	for _, a := range os.Args[3:] {
		name, n, ok := strings.Cut(a, "=")
		var w int
		if _, err := fmt.Sscan(n, &w); !ok || err != nil {
			fmt.Fprintf(os.Stderr, "checkrun: %q is not PROVIDER=WARNINGS\n", a)
			os.Exit(2)
		}
		wantWarnings[name] = w
	}
	dir := os.Args[1]
	var minRows int
	fmt.Sscan(os.Args[2], &minRows)
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "checkrun %s: "+format+"\n", append([]any{dir}, args...)...)
		os.Exit(1)
	}
	for _, f := range []string{"results.xlsx", "errors.csv", "warnings.csv", "raw.jsonl", "summary.json", "report.html"} {
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
	// warnings.csv: one line per optional value left out of a request; each
	// provider's count in summary.json is its number of lines.
	f, err := os.Open(filepath.Join(dir, "warnings.csv"))
	if err != nil {
		fail("%v", err)
	}
	wr := csv.NewReader(f)
	wr.FieldsPerRecord = -1
	wrecs, err := wr.ReadAll()
	f.Close()
	if err != nil || len(wrecs) == 0 {
		fail("warnings.csv: %v", err)
	}
	perProvider := map[string]int{}
	for _, r := range wrecs[1:] {
		perProvider[r[2]]++
	}
	warnings := 0
	for _, p := range s.Providers {
		if perProvider[p.Name] != p.Warnings {
			fail("provider %s: summary.json says %d warnings, warnings.csv has %d", p.Name, p.Warnings, perProvider[p.Name])
		}
		warnings += p.Warnings
		if w, ok := wantWarnings[p.Name]; ok && p.Warnings != w {
			fail("provider %s: %d warnings, want %d", p.Name, p.Warnings, w)
		}
	}
	fmt.Printf("checkrun %s: ok (%d rows in = %d ok + %d with errors; %d warnings)\n", dir, s.RowsIn, s.RowsOK, s.RowsError, warnings)
}
