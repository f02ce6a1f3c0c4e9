package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/pipeline/summary"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// riskbatchBin is the binary built once by TestMain: exit codes and signals
// are only real in a real process (`go run` turns every exit status into 1).
var riskbatchBin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "go env GOMOD:", err)
		return 1
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	dir, err := os.MkdirTemp("", "riskbatch-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	riskbatchBin = filepath.Join(dir, "riskbatch")
	build := exec.Command("go", "build", "-o", riskbatchBin, "./cmd/riskbatch")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/riskbatch: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// cliResult is a finished riskbatch process.
type cliResult struct {
	code           int
	stdout, stderr string
}

// runCLI runs the binary in dir and waits for it.
func runCLI(t *testing.T, dir string, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(riskbatchBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "RISKBATCH_STATE_DIR="+filepath.Join(dir, "quota-state"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		t.Fatalf("riskbatch %v: %v", args, err)
	}
	return res
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// The CLI tests' world: the embedded sandbox is built from this seed and
// size, so rows from Person(i < cliPop) are known people and the rest are
// outsiders.
const (
	cliSeed = 11
	cliPop  = 5000
)

var cliPeople = sandbox.NewPopulation(cliSeed, cliPop)

var cliHeader = []string{"姓名", "身份证号", "手机号", "申请编号"}

// cliRows are n input rows: mostly known people, every 6th an outsider.
func cliRows(n int) [][]string {
	rows := make([][]string, n)
	for i := range rows {
		idx := i % cliPop
		if i%6 == 5 {
			idx = cliPop + i
		}
		p := cliPeople.Person(idx)
		rows[i] = []string{p.Name, p.IDCard, p.Mobile, fmt.Sprintf("C%05d", i+1)}
	}
	return rows
}

func writeCSVFile(t *testing.T, path string, header []string, rows [][]string) {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if header != nil {
		_ = w.Write(header)
	}
	_ = w.WriteAll(rows)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// jobSpec fills the CLI job template.
type jobSpec struct {
	Input       string
	Sheet       string
	Key         string // Juhe key credential; the embedded sandbox accepts sandbox-juhe-key-1
	Latency     time.Duration
	FaultRate   float64
	FaultKinds  string
	Concurrency int
	Extra       string // appended at top level (e.g. an unknown key)
}

// writeJob writes job.yaml in dir: sandbox: true, paths relative to the
// job file, a samples-like Juhe provider.
func writeJob(t *testing.T, dir string, s jobSpec) string {
	t.Helper()
	if s.Input == "" {
		s.Input = "applicants.csv"
	}
	if s.Key == "" {
		s.Key = "${JUHE_KEY:sandbox-juhe-key-1}"
	}
	if s.Concurrency == 0 {
		s.Concurrency = 8
	}
	if s.FaultKinds == "" {
		s.FaultKinds = "[]"
	}
	job := fmt.Sprintf(`# written by the CLI tests
input:
  file: %s
  sheet: "%s"
output:
  dir: out
  formats: [csv, xlsx]
sandbox: true
sandbox_options:
  seed: %d
  population: %d
  latency: %s
  fault_rate: %g
  fault_kinds: %s
concurrency: %d
providers:
  - name: juhe
    type: juhe
    endpoint: http://apis.juhe.cn/anti_fraud/queryV2
    price_per_call: 0.50
    currency: CNY
    timeout: 10s
    retry: {max_attempts: 2, initial: 1ms, max: 2ms}
    keys:
      - id: juhe-1
        credentials:
          key: %s
%s`, s.Input, s.Sheet, cliSeed, cliPop, s.Latency, s.FaultRate, s.FaultKinds, s.Concurrency, s.Key, s.Extra)
	path := filepath.Join(dir, "job.yaml")
	if err := os.WriteFile(path, []byte(job), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readSummaryFile(t *testing.T, dir string) *summary.Summary {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s summary.Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	return &s
}

func readResultsCSV(t *testing.T, dir string) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff"))))
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// checkResults asserts the result sheet has one row per input row, in
// order, every status among want, and the summary's accounting holds.
func checkResults(t *testing.T, out string, rows [][]string, want ...string) *summary.Summary {
	t.Helper()
	recs := readResultsCSV(t, out)
	if len(recs) != len(rows)+1 {
		t.Fatalf("results.csv has %d rows, input has %d", len(recs)-1, len(rows))
	}
	st := -1
	for i, h := range recs[0] {
		if h == "juhe_status" {
			st = i
		}
	}
	if st < 0 {
		t.Fatalf("results.csv has no juhe_status column: %v", recs[0])
	}
	ok := map[string]bool{}
	for _, w := range want {
		ok[w] = true
	}
	for i, r := range rows {
		got := recs[i+1]
		if got[3] != r[3] || got[1] != r[1] {
			t.Fatalf("results row %d is %v, want input row %v (order lost)", i+1, got[:4], r)
		}
		if !ok[got[st]] {
			t.Fatalf("results row %d status %q, want one of %v", i+1, got[st], want)
		}
	}
	sum := readSummaryFile(t, out)
	total := 0
	for _, n := range sum.Providers[0].Status {
		total += n
	}
	if sum.RowsIn != len(rows) || sum.RowsOut != sum.RowsIn || sum.RowsOK+sum.RowsError != sum.RowsIn || total != sum.RowsIn {
		t.Errorf("summary accounting: rows_in %d rows_out %d ok %d error %d statuses %v; input %d rows",
			sum.RowsIn, sum.RowsOut, sum.RowsOK, sum.RowsError, sum.Providers[0].Status, len(rows))
	}
	return sum
}
