//go:build linux

package main

// Unattended runs (issue 11): the real binary against the sandbox as its own
// process, as a nightly cron job would meet it — a second process on the
// same job, a killed holder, a dead endpoint, a wrong scheme, a full disk.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// newUnattendedHarness starts `riskbatch sandbox` and generates rows input
// rows of the harness's population.
func newUnattendedHarness(t *testing.T, rows int) *crashHarness {
	t.Helper()
	h := &crashHarness{t: t, bin: riskbatchBin, dir: t.TempDir(), vendors: crashVendors[:2]} // juhe, td
	h.input = filepath.Join(h.dir, "in.csv")
	r := h.cli(t, "gen", "--rows", strconv.Itoa(rows), "--seed", strconv.Itoa(crashSeed), "--population", strconv.Itoa(crashPopulation), "--out", h.input)
	if r.code != 0 {
		t.Fatalf("riskbatch gen: %s", r)
	}
	h.startSandbox(t)
	return h
}

// editJob rewrites the job file with fn.
func editJob(t *testing.T, job string, fn func(string) string) {
	t.Helper()
	b, err := os.ReadFile(job)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(job, []byte(fn(string(b))), 0o644); err != nil {
		t.Fatal(err)
	}
}

// startBackground starts the binary and returns a channel with its result.
func startBackground(t *testing.T, bin string, args ...string) (*exec.Cmd, <-chan crashResult) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan crashResult, 1)
	go func() {
		err := cmd.Wait()
		r := crashResult{stdout: stdout.String(), stderr: stderr.String()}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			r.code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				r.code = -1
			}
		}
		done <- r
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, done
}

// waitFor polls cond (every 5 ms, bounded) for a state another process
// reaches; it is a condition, not a guess at how long work takes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// lockHolderPID reads the pid the job lock's holder wrote (0 when none yet).
func lockHolderPID(out string) int {
	b, err := os.ReadFile(filepath.Join(out, ".state", "lock"))
	if err != nil {
		return 0
	}
	var h struct {
		PID int `json:"pid"`
	}
	if json.Unmarshal(b, &h) != nil {
		return 0
	}
	return h.PID
}

func journalSize(out string) int64 {
	st, err := os.Stat(filepath.Join(out, ".state", "journal.log"))
	if err != nil {
		return 0
	}
	return st.Size()
}

func (h *crashHarness) totalCalls(t *testing.T) int64 {
	t.Helper()
	var n int64
	for _, v := range h.vendors {
		c, err := h.admin.Counters(context.Background(), v.kind)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range c.Keys {
			n += k.Calls
		}
	}
	return n
}

// TestJobLock: a second run, resume or run --fresh of a job whose first
// process is still running exits 5 at once naming the holder, and makes no
// call; a holder killed with SIGKILL does not block the next process.
func TestJobLock(t *testing.T) {
	h := newUnattendedHarness(t, 400)
	ctx := context.Background()
	if err := h.admin.SetLatency(ctx, 20*time.Millisecond, 0); err != nil {
		t.Fatal(err)
	}
	out, job := h.trialDir(t, "lock", h.input)
	if err := h.admin.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	first, done := startBackground(t, h.bin, "run", "--no-progress", job)
	waitFor(t, "the first run to take the lock and start calling", func() bool {
		return lockHolderPID(out) == first.Process.Pid && journalSize(out) > 0
	})
	for _, args := range [][]string{{"run", job}, {"resume", job}, {"run", "--fresh", job}} {
		r := h.cli(t, append(args[:len(args):len(args)], "--no-progress")...)
		if r.code != exitBusy {
			t.Errorf("riskbatch %v while the first run holds the job: %s; want exit %d", args, r, exitBusy)
		}
		if !strings.Contains(r.stderr, "busy") || !strings.Contains(r.stderr, fmt.Sprintf("pid %d", first.Process.Pid)) {
			t.Errorf("riskbatch %v: stderr does not name the holder (pid %d):\n%s", args, first.Process.Pid, r.stderr)
		}
	}
	r := <-done
	if r.code != 0 {
		t.Fatalf("first run: %s", r)
	}
	sum := crashSummary(t, out)
	var calls int64
	for _, p := range sum.Providers {
		calls += p.Calls
	}
	if got := h.totalCalls(t); got != calls {
		t.Errorf("sandbox saw %d calls, the first run made %d: the refused processes called", got, calls)
	}

	// A holder killed with SIGKILL: the kernel drops its lock.
	killed, done := startBackground(t, h.bin, "run", "--no-progress", job)
	waitFor(t, "the second run to take the lock and start calling", func() bool {
		return lockHolderPID(out) == killed.Process.Pid && journalSize(out) > 0
	})
	if err := killed.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	if r := h.cli(t, "resume", "--no-progress", job); r.code != 0 {
		t.Fatalf("resume after the holder was killed: %s", r)
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// rawAttempts counts raw.jsonl lines of a provider.
func rawAttempts(t *testing.T, out, provider string) int {
	t.Helper()
	f, err := os.Open(filepath.Join(out, "raw.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec struct {
			Provider string `json:"provider"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("raw.jsonl: %v", err)
		}
		if rec.Provider == provider {
			n++
		}
	}
	return n
}

// TestDeadEndpoint: Juhe's endpoint is a closed port. The circuit breaker
// stops Juhe after at most failures + probes attempts with the cause said
// once, TD completes, the run exits 3, and a resume with the endpoint fixed
// completes.
func TestDeadEndpoint(t *testing.T) {
	const failures, probes = 3, 2
	h := newUnattendedHarness(t, 120)
	out, job := h.trialDir(t, "dead", h.input)
	dead := closedPort(t)
	sandboxHost := strings.TrimPrefix(h.url, "http://")
	editJob(t, job, func(s string) string {
		s = strings.Replace(s, sandboxHost+"/anti_fraud", dead+"/anti_fraud", 1)
		return strings.Replace(s, "    timeout: 10s\n", fmt.Sprintf("    timeout: 10s\n    circuit_breaker: {failures: %d, probes: %d, backoff: 20ms}\n", failures, probes), 1)
	})
	r := h.cli(t, "run", "--no-progress", job)
	if r.code != exitIncomplete {
		t.Fatalf("run with a dead Juhe endpoint: %s; want exit %d", r, exitIncomplete)
	}
	if n := rawAttempts(t, out, "juhe"); n < 1 || n > failures+probes {
		t.Errorf("juhe: %d attempts on a closed port, want 1..%d", n, failures+probes)
	}
	for _, w := range []string{"endpoint unreachable", "connection refused"} {
		if c := strings.Count(r.stderr, w); c < 1 {
			t.Errorf("stderr does not say %q:\n%s", w, r.stderr)
		}
	}
	if c := strings.Count(r.stderr, "pausing the provider"); c != 1 {
		t.Errorf("the pause is said %d times, want once:\n%s", c, r.stderr)
	}
	sum := crashSummary(t, out)
	for _, p := range sum.Providers {
		switch p.Name {
		case "juhe":
			if p.Status["deferred"] != 120 {
				t.Errorf("juhe statuses %v: want every row deferred", p.Status)
			}
		case "td":
			if p.Status["hit"]+p.Status["no_hit"]+p.Status["invalid"] != 120 {
				t.Errorf("td statuses %v: want every row final while juhe is down", p.Status)
			}
		}
	}
	recs := crashParseCSV(t, filepath.Join(out, "errors.csv"))
	unreachable := 0
	for _, rec := range recs {
		if strings.Contains(strings.Join(rec, ","), "unreachable") {
			unreachable++
		}
	}
	if unreachable != 120 {
		t.Errorf("errors.csv: %d lines say unreachable, want 120", unreachable)
	}

	// The endpoint is back: resume sends the deferred Juhe rows only.
	editJob(t, job, func(s string) string { return strings.Replace(s, dead, sandboxHost, 1) })
	r = h.cli(t, "resume", "--no-progress", job)
	if r.code != 0 {
		t.Fatalf("resume with the endpoint fixed: %s", r)
	}
	crashAllFinal(t, crashParseCSV(t, filepath.Join(out, "results.csv")))
}

// TestWrongScheme: https:// to the plain-HTTP sandbox is a wrong URL: the
// provider stops after one attempt and the run exits 4.
func TestWrongScheme(t *testing.T) {
	h := newUnattendedHarness(t, 60)
	out, job := h.trialDir(t, "scheme", h.input)
	editJob(t, job, func(s string) string {
		return strings.Replace(s, h.url+"/anti_fraud", strings.Replace(h.url, "http://", "https://", 1)+"/anti_fraud", 1)
	})
	r := h.cli(t, "run", "--no-progress", job)
	if r.code != exitProviderStopped {
		t.Fatalf("https:// to a plain-HTTP endpoint: %s; want exit %d", r, exitProviderStopped)
	}
	if n := rawAttempts(t, out, "juhe"); n != 1 {
		t.Errorf("juhe: %d attempts, want 1", n)
	}
	if !strings.Contains(r.stderr, "HTTP response to HTTPS client") || !strings.Contains(r.stderr, "wrong endpoint URL") {
		t.Errorf("stderr does not name the cause:\n%s", r.stderr)
	}
}

// TestDiskFull: the output dir is a 1 MiB tmpfs that fills mid-run. The run
// stops at once with exit 6 and the resume command; after space is freed,
// resume completes with every row final. Needs root for the mount; when
// CI=true and the mount fails, the test fails.
func TestDiskFull(t *testing.T) {
	mnt := filepath.Join(t.TempDir(), "small")
	if err := os.MkdirAll(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount a 1 MiB tmpfs (needs root): %v %s", err, out)
		}
		t.Skipf("cannot mount a tmpfs here (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })

	h := newUnattendedHarness(t, 3000)
	_, job := h.trialDir(t, "full", h.input)
	out := filepath.Join(mnt, "out")
	editJob(t, job, func(s string) string { return strings.Replace(s, "  dir: out\n", "  dir: "+out+"\n", 1) })
	r := h.cli(t, "run", "--no-progress", job)
	if r.code != exitEnvironment {
		t.Fatalf("run on a full disk: %s; want exit %d", r, exitEnvironment)
	}
	if c := strings.Count(r.stderr, "no space left on device"); c < 1 || c > 3 {
		t.Errorf("stderr names the full disk %d times, want once or twice (the stop, the final error):\n%s", c, r.stderr)
	}
	if !strings.Contains(r.stdout+r.stderr, "riskbatch resume "+job) {
		t.Errorf("the resume command is not printed:\n%s", r)
	}
	before := h.totalCalls(t)

	if out, err := exec.Command("mount", "-o", "remount,size=256m", mnt).CombinedOutput(); err != nil {
		t.Fatalf("remount bigger: %v %s", err, out)
	}
	r = h.cli(t, "resume", "--no-progress", job)
	if r.code != 0 {
		t.Fatalf("resume after space was freed: %s", r)
	}
	crashAllFinal(t, crashParseCSV(t, filepath.Join(out, "results.csv")))
	sum := crashSummary(t, out)
	if sum.RowsIn != 3000 || sum.RowsOut != 3000 {
		t.Errorf("rows in %d out %d, want 3000", sum.RowsIn, sum.RowsOut)
	}
	t.Logf("calls before the disk filled %d, total after resume %d", before, h.totalCalls(t))
}

var _ = sandbox.Admin{}
