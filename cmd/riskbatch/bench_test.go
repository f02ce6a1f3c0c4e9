package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Flags bench refuses before starting anything.
func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--scenario", "5"},
		{"bench", "--scenario", "1,x"},
		{"bench", "--sizes", "0"},
		{"bench", "--rows", "0"},
		{"bench", "extra"},
	} {
		r := runCLI(t, t.TempDir(), args...)
		if r.code != 2 {
			t.Errorf("riskbatch %s: want exit 2 (usage); got %s", strings.Join(args, " "), r)
		}
	}
}

// A small run of every scenario but the latency one: the table and the
// JSON file carry a line per measurement, the run and the baseline made
// the same calls, and scenario 4 kept to the limit (no throttled answer).
func TestBenchSmall(t *testing.T) {
	if os.Getenv("RISKBATCH_SLOW_TESTS") == "" {
		t.Skip("starts a sandbox and several runs: set RISKBATCH_SLOW_TESTS=1 (.ci/run does)")
	}
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "bench.json")
	r := runCLI(t, dir, "bench", "--scenario", "1,3,4", "--rows", "300", "--sizes", "150,300", "--population", "3000",
		"--rate-for", "2s", "--qps", "10", "--cache-dir", filepath.Join(dir, "cache"), "--json", jsonPath)
	if r.code != 0 {
		t.Fatalf("bench: %s", r)
	}
	var rep benchReport
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("%s: %v", jsonPath, err)
	}
	byName := map[string]*benchResult{}
	for _, res := range rep.Results {
		byName[res.Name] = res
		if !strings.Contains(r.stdout, res.Name) {
			t.Errorf("the table does not show %s:\n%s", res.Name, r.stdout)
		}
		if res.WallS <= 0 || res.Calls <= 0 || res.CPUS <= 0 {
			t.Errorf("%s: wall %.3fs, %d calls, CPU %.3fs; want all positive", res.Name, res.WallS, res.Calls, res.CPUS)
		}
		if res.Kind == "run" && res.PeakRSSMB <= 0 {
			t.Errorf("%s: no peak RSS", res.Name)
		}
	}
	for _, name := range []string{"s1-baseline-before", "s1-3vendors-300", "s1-baseline-after", "s3-juhe-csv-150", "s3-juhe-csv-300", "s3-juhe-xlsx-150", "s3-juhe-xlsx-300", "s4-rate-2x10qps"} {
		if byName[name] == nil {
			t.Fatalf("no result %s in %s; have %v", name, jsonPath, rep.Results)
		}
	}
	run, base := byName["s1-3vendors-300"], byName["s1-baseline-before"]
	if run.Rows != 300 || base.Rows != 300 || run.Calls != base.Calls {
		t.Errorf("scenario 1: run %d rows %d calls, baseline %d rows %d calls; want 300 rows each and the same calls", run.Rows, run.Calls, base.Rows, base.Calls)
	}
	for _, k := range []string{"ratio_to_baseline", "cpu_ratio_to_baseline"} {
		if run.Extra[k] <= 0 {
			t.Errorf("scenario 1 has no %s: %v", k, run.Extra)
		}
	}
	if x := byName["s3-juhe-xlsx-300"]; x.Rows != 300 || x.Extra["rss_growth_bytes_per_row"] == 0 && x.Note == "" {
		t.Errorf("scenario 3 xlsx at 300 rows: %+v", x)
	}
	rate := byName["s4-rate-2x10qps"]
	if rate.Throttled != 0 || rate.Extra["configured_qps"] != 20 || rate.Extra["achieved_qps"] <= 0 {
		t.Errorf("scenario 4: %d throttled, configured %v, achieved %v; want 0 throttled at 20 QPS", rate.Throttled, rate.Extra["configured_qps"], rate.Extra["achieved_qps"])
	}
	if len(rep.Targets) == 0 || rep.Host["nproc"] == "" || rep.Date == "" {
		t.Errorf("report lacks targets, host or date: %+v", rep)
	}
}
