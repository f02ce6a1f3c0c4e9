package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/pipeline/summary"
	"github.com/riskbatch/riskbatch/ratelimit/redisbackend/redistest"
)

// TestCLIConventions: the flags and exit codes users of restic, rclone and
// kubectl expect.
func TestCLIConventions(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args   []string
		exit   int
		stdout string
		stderr string
	}{
		{[]string{"--version"}, 0, "riskbatch dev", ""},
		{[]string{"run", "--bogus", "job.yaml"}, exitUsage, "", "unknown flag: --bogus"},
		{[]string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{[]string{"run"}, exitUsage, "", "expected 1 argument"},
		{[]string{"--log-format", "xml", "version"}, exitUsage, "", "--log-format"},
		{[]string{"-v", "--quiet", "version"}, exitUsage, "", "contradict"},
	}
	for _, tc := range tests {
		r := runCLI(t, dir, tc.args...)
		if r.code != tc.exit || !strings.Contains(r.stdout, tc.stdout) || !strings.Contains(r.stderr, tc.stderr) {
			t.Errorf("riskbatch %v: %s\nwant exit %d, stdout with %q, stderr with %q", tc.args, r, tc.exit, tc.stdout, tc.stderr)
		}
	}
}

// TestJSONLog: with --log-format json every stderr line is one JSON object
// with a level and a message, and no line holds the key, even when the
// vendor rejects it (the key is in the request that failed).
func TestJSONLog(t *testing.T) {
	dir := t.TempDir()
	writeCSVFile(t, filepath.Join(dir, "applicants.csv"), cliHeader, cliRows(20))
	writeJob(t, dir, jobSpec{Key: "wrong-key-3f9d21"})
	r := runCLI(t, dir, "--log-format", "json", "-v", "run", "--no-progress", "job.yaml")
	if r.code != exitProviderStopped {
		t.Fatalf("run with a wrong key: %s", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	levels := map[string]int{}
	for _, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("stderr line is not JSON: %q (%v)", line, err)
			continue
		}
		lvl, _ := rec["level"].(string)
		msg, _ := rec["msg"].(string)
		if lvl == "" || msg == "" {
			t.Errorf("line without level or msg: %q", line)
		}
		levels[lvl]++
	}
	if strings.Contains(r.stderr+r.stdout, "wrong-key-3f9d21") {
		t.Errorf("the key is in the output:\n%s", r)
	}
	if levels["ERROR"] == 0 || levels["DEBUG"] == 0 || levels["INFO"] == 0 {
		t.Errorf("levels seen %v: want the key stop as ERROR, the sandbox address as DEBUG (-v), the input as INFO", levels)
	}
	// --quiet keeps warnings and errors only.
	r = runCLI(t, dir, "--log-format", "json", "--quiet", "run", "--no-progress", "--fresh", "job.yaml")
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		if strings.Contains(line, `"level":"INFO"`) || strings.Contains(line, `"level":"DEBUG"`) {
			t.Errorf("--quiet wrote %q", line)
		}
	}
}

// TestCostWithCurrency: the console table shows each cost with its
// currency, and summary.json has no float dust.
func TestCostWithCurrency(t *testing.T) {
	dir := t.TempDir()
	writeCSVFile(t, filepath.Join(dir, "applicants.csv"), cliHeader, cliRows(30))
	writeJob(t, dir, jobSpec{})
	r := runCLI(t, dir, "run", "--no-progress", "job.yaml")
	if r.code != 0 {
		t.Fatalf("run: %s", r)
	}
	sum := readSummaryFile(t, filepath.Join(dir, "out"))
	p := sum.Providers[0]
	want := summary.FormatCost(p.Cost, "CNY")
	if !strings.Contains(r.stdout, want) {
		t.Errorf("stdout does not show the cost as %q:\n%s", want, r.stdout)
	}
	if got := float64(p.Billed) * 0.5; p.Cost != got {
		t.Errorf("summary cost %v, want %v", p.Cost, got)
	}
}

// TestOfflineCommandsNeedNoKeys: validate and hash make no call, so an
// unset credential variable is no error there; run still names it.
func TestOfflineCommandsNeedNoKeys(t *testing.T) {
	dir := t.TempDir()
	writeCSVFile(t, filepath.Join(dir, "applicants.csv"), cliHeader, cliRows(10))
	writeJob(t, dir, jobSpec{Key: "${RISKBATCH_TEST_KEY_NEVER_SET}"})
	if r := runCLI(t, dir, "validate", "job.yaml"); r.code != 0 {
		t.Errorf("validate without the key's variable: %s", r)
	}
	if r := runCLI(t, dir, "hash", "--digest", "md5", "job.yaml"); r.code != 0 {
		t.Errorf("hash without the key's variable: %s", r)
	}
	r := runCLI(t, dir, "run", "job.yaml")
	if r.code != exitUsage || !strings.Contains(r.stderr, "RISKBATCH_TEST_KEY_NEVER_SET") {
		t.Errorf("run without the key's variable: %s; want exit 2 naming it", r)
	}
}

// TestQuotaCommand: `riskbatch quota` shows today's count of each key that
// a run used, --reset needs --yes, and --reset --yes sets it to zero.
func TestQuotaCommand(t *testing.T) {
	dir := t.TempDir()
	writeCSVFile(t, filepath.Join(dir, "applicants.csv"), cliHeader, cliRows(12))
	job := writeJob(t, dir, jobSpec{})
	b, _ := os.ReadFile(job)
	withQuota := strings.Replace(string(b), "      - id: juhe-1\n", "      - id: juhe-1\n        daily_quota: 100\n", 1)
	if err := os.WriteFile(job, []byte(withQuota), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, dir, "run", "--no-progress", "job.yaml"); r.code != 0 {
		t.Fatalf("run: %s", r)
	}
	sum := readSummaryFile(t, filepath.Join(dir, "out"))
	calls := sum.Providers[0].Calls
	r := runCLI(t, dir, "quota", "job.yaml")
	want := regexp.MustCompile(fmt.Sprintf(`juhe\s+juhe-1\s+\d{4}-\d\d-\d\d\s+%d\s+100\s+%d\s+active`, calls, 100-calls))
	if r.code != 0 || !want.MatchString(r.stdout) {
		t.Fatalf("quota: %s\nwant a line matching %s", r, want)
	}
	if r := runCLI(t, dir, "quota", "--reset", "job.yaml"); r.code != exitUsage || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("quota --reset without --yes: %s", r)
	}
	r = runCLI(t, dir, "quota", "--reset", "--yes", "job.yaml")
	if r.code != 0 || !regexp.MustCompile(`juhe-1\s+\S+\s+0\s+100\s+100\s+active`).MatchString(r.stdout) || !strings.Contains(r.stderr, fmt.Sprintf("reset from %d to 0", calls)) {
		t.Errorf("quota --reset --yes: %s", r)
	}
}

// TestProvidersCommand: the registry as users see it.
func TestProvidersCommand(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(t, dir, "providers")
	for _, k := range []string{"juhe", "zhicheng", "td", "accuauth"} {
		if r.code != 0 || !strings.Contains(r.stdout, k) {
			t.Errorf("providers does not list %s: %s", k, r)
		}
	}
	r = runCLI(t, dir, "providers", "zhicheng")
	for _, want := range []string{"query_reason", "LOAN_AUDIT, LOAN_MANAGE", "query_corp_addr_detection", "true, false", "inputs", "name", "yes", "result columns"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("providers zhicheng does not show %q: %s", want, r)
		}
	}
	for _, k := range []string{"juhe", "td", "accuauth"} {
		if r := runCLI(t, dir, "providers", k); r.code != 0 || !strings.Contains(r.stdout, "options") {
			t.Errorf("providers %s: %s", k, r)
		}
	}
	if r := runCLI(t, dir, "providers", "nosuch"); r.code != exitUsage || !strings.Contains(r.stderr, "known: ") {
		t.Errorf("providers nosuch: %s", r)
	}
}

// TestQuotaCommandCoordinated: with coordination, `quota` reads the
// counters every machine shares in Redis (never printing its password),
// and --reset is refused there.
func TestQuotaCommandCoordinated(t *testing.T) {
	srv := redistest.Start(t, "quota-s3cret-pw")
	dir := t.TempDir()
	writeCSVFile(t, filepath.Join(dir, "applicants.csv"), cliHeader, cliRows(12))
	job := writeJob(t, dir, jobSpec{Extra: "coordination:\n  redis:\n    url: " + srv.URL() + "\n"})
	b, _ := os.ReadFile(job)
	withQuota := strings.Replace(string(b), "      - id: juhe-1\n", "      - id: juhe-1\n        daily_quota: 100\n", 1)
	if err := os.WriteFile(job, []byte(withQuota), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, dir, "run", "--no-progress", "job.yaml"); r.code != 0 {
		t.Fatalf("run: %s", r)
	}
	calls := readSummaryFile(t, filepath.Join(dir, "out")).Providers[0].Calls
	r := runCLI(t, dir, "quota", "job.yaml")
	want := regexp.MustCompile(fmt.Sprintf(`juhe\s+juhe-1\s+\d{4}-\d\d-\d\d\s+%d\s+100\s+%d\s+active`, calls, 100-calls))
	if r.code != 0 || !want.MatchString(r.stdout) {
		t.Fatalf("quota on a coordinated job: %s\nwant a line matching %s", r, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "quota-state")); err == nil {
		if ents, _ := os.ReadDir(filepath.Join(dir, "quota-state")); len(ents) > 0 {
			t.Errorf("the local quota store was used under coordination: %v", ents)
		}
	}
	r = runCLI(t, dir, "quota", "--reset", "--yes", "job.yaml")
	if r.code != exitUsage || !strings.Contains(r.stderr, "Redis") {
		t.Errorf("quota --reset on a coordinated job: %s", r)
	}
	if strings.Contains(r.stdout+r.stderr, "quota-s3cret-pw") {
		t.Errorf("the Redis password is printed: %s", r)
	}
}
