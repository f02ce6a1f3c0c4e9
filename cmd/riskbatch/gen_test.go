package main

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// gen's shares are the file's shares: duplicates are the only repeated
// people (draws without replacement, even when the rows use up the whole
// population), outsiders are people the sandbox does not know.
func TestGenProportions(t *testing.T) {
	const rows, population, seed = 2000, 2000, 31
	cases := []struct {
		name                string
		duplicates, unknown float64
	}{
		{"no duplicates asked", 0, 0.1},
		{"ten percent each", 0.1, 0.1},
		{"a quarter duplicates", 0.25, 0},
	}
	pop := sandbox.NewPopulation(seed, population)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "in.csv")
			r := runCLI(t, dir, "gen", "--rows", strconv.Itoa(rows), "--population", strconv.Itoa(population), "--seed", strconv.Itoa(seed),
				"--duplicates", strconv.FormatFloat(c.duplicates, 'f', -1, 64), "--unknown", strconv.FormatFloat(c.unknown, 'f', -1, 64), "--out", out)
			if r.code != 0 {
				t.Fatalf("gen: %s", r)
			}
			f, err := os.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			records, err := csv.NewReader(f).ReadAll()
			f.Close()
			if err != nil {
				t.Fatalf("%s: %v", out, err)
			}
			if len(records) != rows+1 || records[0][1] != "身份证号" {
				t.Fatalf("gen wrote %d records, header %q; want %d rows under a header with 身份证号", len(records), records[0], rows)
			}
			seen := map[string]bool{}
			dups, outsiders := 0, 0
			for _, rec := range records[1:] {
				id := rec[1]
				if seen[id] {
					dups++
					continue
				}
				seen[id] = true
				if _, ok := pop.Lookup(sandbox.FieldIDCard, sandbox.Plain, id); !ok {
					outsiders++
				}
			}
			// Binomial counts: four standard deviations either side.
			within := func(what string, got int, share float64) {
				t.Helper()
				want := share * rows
				sd := 4 * math.Sqrt(rows*share*(1-share))
				if float64(got) < want-sd-1 || float64(got) > want+sd+1 {
					t.Errorf("%s: %d rows, want %.0f ± %.0f (share %v)", what, got, want, sd, share)
				}
			}
			within("repeated people", dups, c.duplicates)
			within("people outside the population", outsiders, c.unknown)
		})
	}
}
