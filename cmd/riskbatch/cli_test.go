package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestCLIExitCodes runs samples-like jobs on the embedded sandbox through
// the built binary and checks the documented exit codes and what the user
// reads on stdout.
func TestCLIExitCodes(t *testing.T) {
	tests := []struct {
		name   string
		spec   jobSpec
		exit   int
		status []string // allowed statuses of every row
		stdout []string
		after  func(t *testing.T, dir string)
	}{
		{
			name: "every row answered: 0", exit: 0, status: []string{"hit", "no_hit"},
			stdout: []string{"rows in 40 · out 40", "results: "},
		},
		{
			name: "every attempt answered 503: rows failed, 3",
			spec: jobSpec{FaultRate: 1, FaultKinds: "[http_503]"}, exit: 3, status: []string{"failed"},
			stdout: []string{"incomplete", "resume with: riskbatch resume job.yaml"},
			after: func(t *testing.T, dir string) {
				// run on the incomplete state refuses (exit 2) and says how to go on.
				r := runCLI(t, dir, "run", "job.yaml")
				if r.code != 2 || !strings.Contains(r.stderr, "riskbatch resume job.yaml") || !strings.Contains(r.stderr, "--fresh") {
					t.Errorf("run on an incomplete state: want exit 2 naming resume and --fresh, got %s", r)
				}
				// The sandbox is healthy again: --fresh starts over and completes.
				writeJob(t, dir, jobSpec{})
				r = runCLI(t, dir, "run", "--fresh", "job.yaml")
				if r.code != 0 {
					t.Fatalf("run --fresh: %s", r)
				}
				checkResults(t, filepath.Join(dir, "out"), cliRows(40), "hit", "no_hit")
			},
		},
		{
			name: "wrong key: provider stopped, 4",
			spec: jobSpec{Key: "wrong-key-3f9d21"}, exit: 4, status: []string{"skipped"},
			stdout: []string{"stopped", "juhe-1", "10001"},
			after: func(t *testing.T, dir string) {
				// The key value is never printed or written, anywhere.
				_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
					if err != nil || d.IsDir() || filepath.Base(p) == "job.yaml" {
						return err
					}
					if b, _ := os.ReadFile(p); bytes.Contains(b, []byte("wrong-key-3f9d21")) {
						t.Errorf("%s contains the key", p)
					}
					return nil
				})
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			rows := cliRows(40)
			writeCSVFile(t, filepath.Join(dir, "applicants.csv"), cliHeader, rows)
			writeJob(t, dir, tc.spec)
			r := runCLI(t, dir, "run", "--no-progress", "job.yaml")
			if r.code != tc.exit {
				t.Fatalf("want exit %d, got %s", tc.exit, r)
			}
			for _, w := range tc.stdout {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout does not mention %q:\n%s", w, r.stdout)
				}
			}
			if strings.Contains(r.stdout+r.stderr, "wrong-key-3f9d21") {
				t.Errorf("the key is printed:\n%s", r)
			}
			out := filepath.Join(dir, "out")
			sum := checkResults(t, out, rows, tc.status...)
			if sum.ExitCode != tc.exit {
				t.Errorf("summary.json exit_code %d, process exited %d", sum.ExitCode, tc.exit)
			}
			if _, err := os.Stat(filepath.Join(out, "results.xlsx")); err != nil {
				t.Error(err)
			}
			if tc.after != nil {
				tc.after(t, dir)
			}
		})
	}
}

// TestCLISampleJob runs a copy of the shipped samples/job.yaml: the sample
// a new user tries first must complete (exit 0).
func TestCLISampleJob(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "samples")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join("..", "..", "samples")
	job, err := os.ReadFile(filepath.Join(src, "job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "job.yaml"), job, 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := os.ReadFile(filepath.Join(src, "applicants.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "applicants.csv"), in, 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, dir, "run", "job.yaml")
	if r.code != 0 {
		t.Fatalf("samples/job.yaml: %s", r)
	}
	sum := readSummaryFile(t, filepath.Join(dir, "..", "out", "sample"))
	lines := bytes.Count(bytes.TrimSpace(in), []byte("\n")) // data rows (no quoted newlines in the sample)
	if sum.RowsIn != lines || sum.RowsOut != lines || !sum.Complete {
		t.Errorf("sample summary: rows_in %d rows_out %d complete %v; the sample has %d rows", sum.RowsIn, sum.RowsOut, sum.Complete, lines)
	}
}

// TestCLIInputErrors: usage, job file and input problems exit 2 with a
// message naming the problem, before any call is made.
func TestCLIInputErrors(t *testing.T) {
	rows := cliRows(3)
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) // writes the job and input
		args  []string
		want  []string // in stderr
		after func(t *testing.T, dir string)
	}{
		{
			name: "missing input file",
			setup: func(t *testing.T, dir string) {
				writeJob(t, dir, jobSpec{Input: "nope.csv"})
			},
			want: []string{"nope.csv"},
		},
		{
			name: "text file named .xlsx",
			setup: func(t *testing.T, dir string) {
				writeCSVFile(t, filepath.Join(dir, "applicants.xlsx"), cliHeader, rows)
				writeJob(t, dir, jobSpec{Input: "applicants.xlsx"})
			},
			want: []string{"applicants.xlsx", "not a valid XLSX"},
		},
		{
			name: "wrong sheet",
			setup: func(t *testing.T, dir string) {
				f := excelize.NewFile()
				defer f.Close()
				for c, h := range cliHeader {
					cell, _ := excelize.CoordinatesToCellName(c+1, 1)
					_ = f.SetCellStr("Sheet1", cell, h)
				}
				if err := f.SaveAs(filepath.Join(dir, "applicants.xlsx")); err != nil {
					t.Fatal(err)
				}
				writeJob(t, dir, jobSpec{Input: "applicants.xlsx", Sheet: "申请人"})
			},
			want: []string{`sheet "申请人" not found`, `"Sheet1"`},
		},
		{
			name: "missing required column",
			setup: func(t *testing.T, dir string) {
				var noID [][]string
				for _, r := range rows {
					noID = append(noID, []string{r[0], r[2], r[3]})
				}
				writeCSVFile(t, filepath.Join(dir, "applicants.csv"), []string{"姓名", "手机号", "申请编号"}, noID)
				writeJob(t, dir, jobSpec{})
			},
			want: []string{"idcard", "身份证号", "columns in the file: 姓名, 手机号, 申请编号"},
		},
		{
			name: "empty file",
			setup: func(t *testing.T, dir string) {
				writeCSVFile(t, filepath.Join(dir, "applicants.csv"), nil, nil)
				writeJob(t, dir, jobSpec{})
			},
			want: []string{"applicants.csv", "empty"},
		},
		{
			name: "header only",
			setup: func(t *testing.T, dir string) {
				writeCSVFile(t, filepath.Join(dir, "applicants.csv"), cliHeader, nil)
				writeJob(t, dir, jobSpec{})
			},
			want: []string{"applicants.csv", "no data rows"},
			after: func(t *testing.T, dir string) {
				// Once the file has rows, run works: the refused run left
				// no state that blocks it.
				writeCSVFile(t, filepath.Join(dir, "applicants.csv"), cliHeader, rows)
				if r := runCLI(t, dir, "run", "job.yaml"); r.code != 0 {
					t.Errorf("run after fixing the input: %s", r)
				}
			},
		},
		{
			name: "unknown job key",
			setup: func(t *testing.T, dir string) {
				writeCSVFile(t, filepath.Join(dir, "applicants.csv"), cliHeader, rows)
				writeJob(t, dir, jobSpec{Extra: "retries: 3\n"})
			},
			want: []string{"retries"},
		},
		{
			name: "credential variable not set",
			setup: func(t *testing.T, dir string) {
				writeCSVFile(t, filepath.Join(dir, "applicants.csv"), cliHeader, rows)
				writeJob(t, dir, jobSpec{Key: "${RISKBATCH_TEST_UNSET_KEY}"})
			},
			want: []string{"RISKBATCH_TEST_UNSET_KEY"},
		},
		{name: "no job argument", args: []string{"run"}, want: []string{"expected 1 argument"}},
		{name: "resume without state", setup: func(t *testing.T, dir string) {
			writeCSVFile(t, filepath.Join(dir, "applicants.csv"), cliHeader, rows)
			writeJob(t, dir, jobSpec{})
		}, args: []string{"resume", "job.yaml"}, want: []string{"nothing to resume"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			args := tc.args
			if args == nil {
				args = []string{"run", "job.yaml"}
			}
			r := runCLI(t, dir, args...)
			if r.code != 2 {
				t.Fatalf("want exit 2, got %s", r)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not mention %q:\n%s", w, r.stderr)
				}
			}
			// Detected before any call: no attempt was logged.
			if b, err := os.ReadFile(filepath.Join(dir, "out", "raw.jsonl")); err == nil && len(b) > 0 {
				t.Errorf("raw.jsonl has calls after an exit-2 error:\n%s", b)
			}
			if tc.after != nil {
				tc.after(t, dir)
			}
		})
	}
}

// TestCLISignals: SIGINT / SIGTERM during a run stop it cleanly: exit
// 130 / 143, the summary says stopped and incomplete, stdout says how to
// resume, and resume completes every row without re-buying answers.
func TestCLISignals(t *testing.T) {
	tests := []struct {
		name string
		sig  os.Signal
		exit int
	}{
		{"SIGINT", os.Interrupt, 130},
		{"SIGTERM", syscall.SIGTERM, 143},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			rows := cliRows(3000)
			writeCSVFile(t, filepath.Join(dir, "applicants.csv"), cliHeader, rows)
			writeJob(t, dir, jobSpec{Latency: 20 * time.Millisecond, Concurrency: 4})

			cmd := exec.Command(riskbatchBin, "run", "job.yaml")
			cmd.Dir = dir
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			defer func() {
				select {
				case <-done:
				default:
					_ = cmd.Process.Kill()
					<-done
				}
			}()

			// Wait until calls are being logged, then signal.
			raw := filepath.Join(dir, "out", "raw.jsonl")
			deadline := time.Now().Add(30 * time.Second)
			for {
				if b, err := os.ReadFile(raw); err == nil && bytes.Count(b, []byte("\n")) >= 5 {
					break
				}
				select {
				case err := <-done:
					done <- err
					t.Fatalf("riskbatch ended before the signal (%v):\n%s\n%s", err, stdout.String(), stderr.String())
				case <-time.After(20 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					t.Fatal("raw.jsonl got no lines within 30s")
				}
			}
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			var err error
			select {
			case err = <-done:
				done <- err
			case <-time.After(60 * time.Second):
				t.Fatalf("riskbatch did not stop within 60s of %s", tc.name)
			}
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != tc.exit {
				t.Fatalf("exit %d after %s, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.name, tc.exit, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), "riskbatch resume job.yaml") {
				t.Errorf("stdout does not say how to resume:\n%s", stdout.String())
			}
			out := filepath.Join(dir, "out")
			sum := checkResults(t, out, rows, "hit", "no_hit", "deferred")
			if sum.Stopped != tc.name || sum.Complete || sum.ExitCode != tc.exit {
				t.Errorf("summary.json: stopped %q complete %v exit_code %d; want %s, false, %d", sum.Stopped, sum.Complete, sum.ExitCode, tc.name, tc.exit)
			}
			answered := sum.Providers[0].Status["hit"] + sum.Providers[0].Status["no_hit"]
			if answered == 0 || sum.Providers[0].Status["deferred"] == 0 {
				t.Fatalf("after %s: %v; want some rows answered and some deferred", tc.name, sum.Providers[0].Status)
			}

			// Resume without the latency: every row ends answered, in order,
			// and nothing answered before the signal is bought again.
			writeJob(t, dir, jobSpec{Concurrency: 16})
			r := runCLI(t, dir, "resume", "job.yaml")
			if r.code != 0 {
				t.Fatalf("resume: %s", r)
			}
			sum2 := checkResults(t, out, rows, "hit", "no_hit")
			if sum2.Run != 2 || !sum2.Complete || sum2.Providers[0].Reused != int64(answered) {
				t.Errorf("resume summary: run %d complete %v reused %d; want 2, true, %d", sum2.Run, sum2.Complete, sum2.Providers[0].Reused, answered)
			}
			if calls := sum2.Providers[0].Calls; calls > int64(len(rows)-answered) {
				t.Errorf("resume made %d calls for %d rows left", calls, len(rows)-answered)
			}
		})
	}
}

// TestMergeExitCode: merge ends as run does, with its outcome's exit code
// from the one table (exitcodes.go), the code summary.json holds. Whole
// shards merge with exit 0; a shard journal that lost a row's records
// leaves that row deferred (no shard holds its answer): exit 3, and
// summary.json says 3 too (merge used to exit 0 whatever the outcome).
func TestMergeExitCode(t *testing.T) {
	tests := []struct {
		name     string
		lose     bool // drop one row's records from shard 0's journal
		exit     int
		stdout   []string
		stderr   []string
		deferred int
	}{
		{name: "whole shards: 0", exit: 0, stdout: []string{"merged 2 shards"}},
		{name: "a row's answer lost from a shard's journal: 3", lose: true, exit: 3, deferred: 1,
			stdout: []string{"merged 2 shards", "incomplete", "resume with: riskbatch merge --into merged out/shard-0-of-2 out/shard-1-of-2"},
			stderr: []string{"some rows have no answer in the shards", "were the shards run on this input with this job?"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			rows := cliRows(24)
			writeCSVFile(t, filepath.Join(dir, "applicants.csv"), cliHeader, rows)
			writeJob(t, dir, jobSpec{})
			shards := []string{filepath.Join("out", "shard-0-of-2"), filepath.Join("out", "shard-1-of-2")}
			for i := range shards {
				if r := runCLI(t, dir, "run", "--no-progress", "--shard", fmt.Sprintf("%d/2", i), "job.yaml"); r.code != 0 {
					t.Fatalf("shard %d/2: %s", i, r)
				}
			}
			if tc.lose {
				loseFirstAnswer(t, filepath.Join(dir, shards[0], ".state", "journal.log"))
			}
			r := runCLI(t, dir, append([]string{"merge", "--into", "merged"}, shards...)...)
			if r.code != tc.exit {
				t.Fatalf("merge: want exit %d, got %s", tc.exit, r)
			}
			for _, w := range tc.stdout {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout does not mention %q:\n%s", w, r.stdout)
				}
			}
			for _, w := range tc.stderr {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not mention %q:\n%s", w, r.stderr)
				}
			}
			statuses := []string{"hit", "no_hit"}
			if tc.deferred > 0 {
				statuses = append(statuses, "deferred")
			}
			sum := checkResults(t, filepath.Join(dir, "merged"), rows, statuses...)
			if sum.ExitCode != tc.exit {
				t.Errorf("summary.json exit_code %d, merge exited %d", sum.ExitCode, tc.exit)
			}
			if got := sum.Providers[0].Status["deferred"]; got != tc.deferred {
				t.Errorf("%d rows deferred, want %d", got, tc.deferred)
			}
		})
	}
}

// loseFirstAnswer removes from a journal every record of the row of its
// first final answer.
func loseFirstAnswer(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type rec struct {
		Row    int    `json:"r"`
		Status string `json:"s"`
	}
	lines := strings.SplitAfter(string(b), "\n")
	row := 0
	for _, l := range lines {
		var r rec
		if len(l) > 9 && json.Unmarshal([]byte(l[9:]), &r) == nil && r.Status != "" {
			row = r.Row
			break
		}
	}
	if row == 0 {
		t.Fatalf("%s holds no final answer", path)
	}
	var kept strings.Builder
	for _, l := range lines {
		var r rec
		if len(l) > 9 && json.Unmarshal([]byte(l[9:]), &r) == nil && r.Row == row {
			continue
		}
		kept.WriteString(l)
	}
	if err := os.WriteFile(path, []byte(kept.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}
