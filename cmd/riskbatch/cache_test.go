package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCacheCommands: a job with cache: {max_age} run twice makes no call
// the second time; `cache stats` counts the entries, `cache purge` deletes
// them and the next run buys them again. The store and its secret live in
// the state directory, mode 0600, with no PII in clear.
func TestCacheCommands(t *testing.T) {
	dir := t.TempDir()
	rows := cliRows(30)
	writeCSVFile(t, filepath.Join(dir, "applicants.csv"), cliHeader, rows)
	job := writeJob(t, dir, jobSpec{})
	b, _ := os.ReadFile(job)
	withCache := strings.Replace(string(b), "    price_per_call: 0.50\n", "    price_per_call: 0.50\n    cache: {max_age: 7d}\n", 1)
	if err := os.WriteFile(job, []byte(withCache), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, dir, "cache", "stats"); r.code != exitUsage || !strings.Contains(r.stderr, "no answer cache") {
		t.Fatalf("stats before any run: %s", r)
	}
	if r := runCLI(t, dir, "run", "--no-progress", "job.yaml"); r.code != 0 {
		t.Fatalf("run 1: %s", r)
	}
	first := readSummaryFile(t, filepath.Join(dir, "out"))
	if first.Providers[0].Calls != 30 || first.Providers[0].Cache == nil || first.Providers[0].Cache.Stored != 30 {
		t.Fatalf("run 1: calls %d cache %+v", first.Providers[0].Calls, first.Providers[0].Cache)
	}
	r := runCLI(t, dir, "run", "--no-progress", "job.yaml")
	if r.code != 0 || !strings.Contains(r.stderr+r.stdout, "30 served (15.00 CNY saved)") {
		t.Fatalf("run 2: %s", r)
	}
	second := readSummaryFile(t, filepath.Join(dir, "out"))
	if second.Providers[0].Calls != 0 || second.Providers[0].Billed != 0 || second.Providers[0].Cache.Served != 30 {
		t.Fatalf("run 2: calls %d billed %d cache %+v", second.Providers[0].Calls, second.Providers[0].Billed, second.Providers[0].Cache)
	}
	r = runCLI(t, dir, "cache", "stats")
	want := regexp.MustCompile(fmt.Sprintf(`(?m)^juhe\s+30\s+%d\s+%d\s`, first.Providers[0].Status["hit"], first.Providers[0].Status["no_hit"]))
	if r.code != 0 || !want.MatchString(r.stdout) {
		t.Fatalf("cache stats: %s", r)
	}
	state := filepath.Join(dir, "quota-state")
	for _, name := range []string{"cache.db", "cache.secret"} {
		fi, err := os.Stat(filepath.Join(state, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", name, fi, err)
		}
		data, _ := os.ReadFile(filepath.Join(state, name))
		for _, row := range rows {
			if strings.Contains(string(data), row[1]) || strings.Contains(string(data), row[2]) {
				t.Fatalf("%s holds an ID or mobile in clear", name)
			}
		}
	}
	if r := runCLI(t, dir, "cache", "purge"); r.code != exitUsage {
		t.Fatalf("purge without a filter: %s", r)
	}
	if r := runCLI(t, dir, "cache", "purge", "--older-than", "30d"); r.code != 0 || !strings.Contains(r.stdout, "deleted 0 entries") {
		t.Fatalf("purge --older-than 30d: %s", r)
	}
	if r := runCLI(t, dir, "cache", "purge", "--provider", "juhe", "job.yaml"); r.code != 0 || !strings.Contains(r.stdout, "deleted 30 entries") {
		t.Fatalf("purge --provider juhe: %s", r)
	}
	if r := runCLI(t, dir, "run", "--no-progress", "job.yaml"); r.code != 0 {
		t.Fatalf("run 3: %s", r)
	}
	if third := readSummaryFile(t, filepath.Join(dir, "out")); third.Providers[0].Calls != 30 {
		t.Fatalf("run 3 after the purge: %d calls, want 30", third.Providers[0].Calls)
	}
}

// TestDiffCommand: `riskbatch diff OLD NEW` prints the counts and writes
// changes.csv; an incomplete run is a usage error (exit 2).
func TestDiffCommand(t *testing.T) {
	dir := t.TempDir()
	td, _ := filepath.Abs(filepath.Join("..", "..", "pipeline", "compare", "testdata"))
	out := filepath.Join(dir, "changes.csv")
	r := runCLI(t, dir, "diff", "--key", "申请编号", "--out", out, filepath.Join(td, "old"), filepath.Join(td, "new"))
	if r.code != 0 || !strings.Contains(r.stdout, "decision worse 1 · decision better 1") || !strings.Contains(r.stdout, "written: "+out) {
		t.Fatalf("diff: %s", r)
	}
	got, _ := os.ReadFile(out)
	want, _ := os.ReadFile(filepath.Join(td, "changes.golden.csv"))
	if string(got) != string(want) {
		t.Fatalf("changes.csv differs from the golden file:\n%s", got)
	}
	r = runCLI(t, dir, "diff", "--out", out, filepath.Join(td, "incomplete"), filepath.Join(td, "new"))
	if r.code != exitUsage || !strings.Contains(r.stderr, "incomplete run") {
		t.Fatalf("diff with an incomplete run: %s", r)
	}
}
