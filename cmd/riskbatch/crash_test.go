//go:build linux

package main

// The crash harness (issue 5): the real binary, the sandbox as its own
// process (so killing the client leaves its counters alone), a 5,000-row
// job with vendor latency and real SIGKILLs at random moments. Every
// interrupted run is resumed to completion and compared with one
// uninterrupted run: the result files must be identical, every (row,
// provider) final, and the calls the sandbox saw beyond the reference run's
// must not exceed the in-doubt calls the resumes reported.
//
// Slow (160s on a shared, busy 2-core machine): it runs when
// RISKBATCH_SLOW_TESTS is set, which .ci/run does. RISKBATCH_CRASH_SEED
// replays the kill moments of an earlier run (its seed is logged). Linux
// only: the processes it starts get a parent-death signal, so a test killed
// by its timeout leaves no sandbox behind.

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/riskbatch/riskbatch/pipeline/summary"
	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// The harness's world: `riskbatch gen` and `riskbatch sandbox` share this
// seed and population, so generated people are the vendors' people.
const (
	crashSeed        = 23
	crashPopulation  = 20000
	crashRows        = 5000
	crashConcurrency = 16
	crashTrials      = 10
	crashLatency     = 5 * time.Millisecond
	crashJitter      = 3 * time.Millisecond
)

// crashBuild builds the binary the harness drives into dir (the CLI
// tests' TestMain builds its own; this file stands on its own).
func crashBuild(dir string) (string, error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	bin := filepath.Join(dir, "riskbatch")
	build := exec.Command("go", "build", "-o", bin, "./cmd/riskbatch")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/riskbatch: %v\n%s", err, out)
	}
	return bin, nil
}

// crashVendor is how the harness's job calls one vendor of the sandbox.
type crashVendor struct {
	kind, path string
	options    string // YAML flow mapping, "" for none
}

// crashVendors are the Chinese vendors the harness knows how to call; the
// ones this build registers (`riskbatch version`) all go into the job.
var crashVendors = []crashVendor{
	{kind: "juhe", path: "/anti_fraud/queryV2"},
	{kind: "td", path: "/fraud/promo/v2", options: "{channel: crash, decision_event: marketing}"},
	{kind: "zhicheng", path: "/submit"},
}

type crashHarness struct {
	t       *testing.T
	bin     string
	dir     string
	input   string
	url     string
	admin   sandbox.Admin
	vendors []crashVendor
	ref     crashReference
}

// crashReference is the uninterrupted run everything is compared with.
type crashReference struct {
	out        string
	csv        []byte
	xlsx       crashWorkbook
	journal    int64            // size of its journal: the scale of the kill moments
	calls      int64            // sandbox calls, every vendor and key
	identities map[string]int64 // sandbox calls per vendor/identity
}

func TestCrashResume(t *testing.T) {
	if os.Getenv("RISKBATCH_SLOW_TESTS") == "" {
		t.Skip("crash harness is slow: set RISKBATCH_SLOW_TESTS=1 (.ci/run does)")
	}
	h := newCrashHarness(t)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("RISKBATCH_CRASH_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("RISKBATCH_CRASH_SEED=%q: %v", s, err)
		}
	}
	t.Logf("kill moments from RISKBATCH_CRASH_SEED=%d", seed)
	rnd := rand.New(rand.NewPCG(seed, 5))

	t.Run("sigkill", func(t *testing.T) {
		t.Logf("%-5s %7s %9s %8s %12s %12s %7s", "trial", "kill_at", "kill_ms", "in_doubt", "resent_ident", "resent_calls", "resumes")
		for i := range crashTrials {
			frac := 0.05 + 0.85*rnd.Float64()
			out, job := h.trialDir(t, fmt.Sprintf("trial%02d", i+1), h.input)
			killMS, _ := h.killAt(t, job, out, frac, syscall.SIGKILL, -1)
			inDoubt, resumes := h.resumeAll(t, job, out)
			resentIdent, resentCalls := h.check(t, out, inDoubt)
			t.Logf("%-5d %6.0f%% %9d %8d %12d %12d %7d", i+1, frac*100, killMS, inDoubt, resentIdent, resentCalls, resumes)
		}
	})

	// A resume killed too: each resume reports the calls still in doubt
	// (the killed one on stderr only: it writes no summary), never more
	// than were in flight, and the next resume ends with the reference's
	// files.
	t.Run("sigkill_during_resume", func(t *testing.T) {
		out, job := h.trialDir(t, "resumekill", h.input)
		h.killAt(t, job, out, 0.6, syscall.SIGKILL, -1)
		_, stderr := h.killAt(t, job, out, 0.8, syscall.SIGKILL, -1, "resume")
		first := inDoubtNote(t, stderr)
		inDoubt, resumes := h.resumeAll(t, job, out)
		resentIdent, resentCalls := h.check(t, out, inDoubt+first)
		t.Logf("run killed at 60%%, its resume at 80%% of the rest: in doubt %d (killed resume) + %d, re-sent %d by identity, %d calls, %d resume(s)",
			first, inDoubt, resentIdent, resentCalls, resumes)
	})

	// SIGINT: in-flight calls finish and are journaled, so nothing is in
	// doubt and the resume buys nothing twice.
	t.Run("sigint", func(t *testing.T) {
		out, job := h.trialDir(t, "sigint", h.input)
		h.killAt(t, job, out, 0.4, syscall.SIGINT, exitSIGINT)
		sum := crashSummary(t, out)
		if sum.Stopped != "SIGINT" || sum.Complete || sum.ExitCode != exitSIGINT {
			t.Errorf("summary after SIGINT: stopped %q complete %v exit_code %d", sum.Stopped, sum.Complete, sum.ExitCode)
		}
		inDoubt, _ := h.resumeAll(t, job, out)
		if inDoubt != 0 {
			t.Errorf("resume after SIGINT reported %d in-doubt calls, want 0 (in-flight calls finish on SIGINT)", inDoubt)
		}
		resentIdent, resentCalls := h.check(t, out, inDoubt)
		t.Logf("SIGINT at 40%%: in doubt %d, re-sent %d by identity, %d calls", inDoubt, resentIdent, resentCalls)
	})

	// The input changes between the kill and the resume: resume refuses
	// (exit 2, naming the input) before any call; --force completes, and
	// every row but the removed one equals the reference.
	t.Run("input_edited", func(t *testing.T) {
		dir := t.TempDir()
		input := filepath.Join(dir, "in.csv")
		copyFile(t, h.input, input)
		out, job := h.trialDir(t, "edited", input)
		h.killAt(t, job, out, 0.5, syscall.SIGKILL, -1)
		b, err := os.ReadFile(input)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
		edited := strings.Join(lines[:len(lines)-1], "") // drop the last row
		if err := os.WriteFile(input, []byte(strings.TrimSuffix(edited, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		before := h.counters(t)
		r := h.cli(t, "resume", "--no-progress", job)
		if r.code != exitUsage || !strings.Contains(r.stderr, "input file") || !strings.Contains(r.stderr, input) || !strings.Contains(r.stderr, "--force") {
			t.Fatalf("resume on an edited input: want exit 2 naming the input file and --force; got %s", r)
		}
		if after := h.counters(t); crashCalls(after) != crashCalls(before) {
			t.Errorf("refused resume made %d calls", crashCalls(after)-crashCalls(before))
		}
		r = h.cli(t, "resume", "--no-progress", "--force", job)
		if r.code != 0 {
			t.Fatalf("resume --force: %s", r)
		}
		if !strings.Contains(r.stderr, "resumed with --force") {
			t.Errorf("resume --force does not note the change:\n%s", r.stderr)
		}
		got := crashParseCSV(t, filepath.Join(out, "results.csv"))
		want := crashParseCSV(t, filepath.Join(h.ref.out, "results.csv"))
		if len(got) != len(want)-1 {
			t.Fatalf("results.csv has %d records after removing a row, reference %d", len(got), len(want))
		}
		for i := range got {
			if !slices.Equal(got[i], want[i]) {
				t.Fatalf("results.csv record %d differs from the reference:\n got %q\nwant %q", i, got[i], want[i])
			}
		}
		crashAllFinal(t, got)
	})

	// A torn last journal record (a crash in the middle of a write) is
	// dropped with a note; the resume completes with the reference's files.
	t.Run("torn_journal", func(t *testing.T) {
		out, job := h.trialDir(t, "torn", h.input)
		h.killAt(t, job, out, 0.3, syscall.SIGKILL, -1)
		jpath := filepath.Join(out, ".state", "journal.log")
		b, err := os.ReadFile(jpath)
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
		last := lines[len(lines)-1]
		f, err := os.OpenFile(jpath, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(last[:len(last)/2]); err != nil {
			t.Fatal(err)
		}
		f.Close()
		r := h.cli(t, "resume", "--no-progress", job)
		if r.code != 0 {
			t.Fatalf("resume with a torn journal: %s", r)
		}
		if !strings.Contains(r.stderr, "torn last record") {
			t.Errorf("resume does not note the torn record:\n%s", r.stderr)
		}
		inDoubt := readInDoubt(t, out, r.stderr)
		resentIdent, resentCalls := h.check(t, out, inDoubt)
		t.Logf("torn journal after a kill at 30%%: in doubt %d, re-sent %d by identity, %d calls", inDoubt, resentIdent, resentCalls)
	})
}

func newCrashHarness(t *testing.T) *crashHarness {
	t.Helper()
	bin, err := crashBuild(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := &crashHarness{t: t, bin: bin, dir: t.TempDir()}

	// The vendors this build serves and calls.
	r := h.cli(t, "version")
	m := regexp.MustCompile(`vendors: \[([^\]]*)\]`).FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("riskbatch version: %s", r)
	}
	built := strings.Fields(m[1])
	for _, v := range crashVendors {
		if slices.Contains(built, v.kind) {
			h.vendors = append(h.vendors, v)
		}
	}
	if len(h.vendors) == 0 || h.vendors[0].kind != "juhe" {
		t.Fatalf("riskbatch version lists %v: the harness needs juhe", built)
	}

	h.input = filepath.Join(h.dir, "in.csv")
	r = h.cli(t, "gen", "--rows", strconv.Itoa(crashRows), "--duplicates", "0.05", "--unknown", "0.05", "--invalid", "0.02",
		"--seed", strconv.Itoa(crashSeed), "--population", strconv.Itoa(crashPopulation), "--out", h.input)
	if r.code != 0 {
		t.Fatalf("riskbatch gen: %s", r)
	}
	h.startSandbox(t)
	ctx := context.Background()
	if err := h.admin.SetLatency(ctx, crashLatency, crashJitter); err != nil {
		t.Fatal(err)
	}

	// The reference: one uninterrupted run, counters reset before it.
	out, job := h.trialDir(t, "reference", h.input)
	if err := h.admin.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r = h.cli(t, "run", "--no-progress", job)
	if r.code != 0 {
		t.Fatalf("reference run: %s", r)
	}
	c := h.counters(t)
	h.ref = crashReference{out: out, calls: crashCalls(c), identities: c.Identities}
	if h.ref.csv, err = os.ReadFile(filepath.Join(out, "results.csv")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(out, ".state", "journal.log"))
	if err != nil {
		t.Fatal(err)
	}
	h.ref.journal = st.Size()
	crashAllFinal(t, crashParseCSV(t, filepath.Join(out, "results.csv")))
	h.ref.xlsx = crashOpenXLSX(t, filepath.Join(out, "results.xlsx"))
	var kinds []string
	for _, v := range h.vendors {
		kinds = append(kinds, v.kind)
	}
	t.Logf("reference: %d rows, providers %v, %d sandbox calls, %.1fs", crashRows, kinds, h.ref.calls, time.Since(start).Seconds())
	return h
}

// startSandbox runs `riskbatch sandbox` on a free loopback port and reads
// its address from the line it prints.
func (h *crashHarness) startSandbox(t *testing.T) {
	cmd := exec.Command(h.bin, "sandbox", "--listen", "127.0.0.1:0",
		"--seed", strconv.Itoa(crashSeed), "--population", strconv.Itoa(crashPopulation))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	select {
	case line := <-lines:
		m := regexp.MustCompile(`sandbox listening on (http://\S+)`).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("riskbatch sandbox printed %q", line)
		}
		h.url = m[1]
	case <-exited:
		t.Fatalf("riskbatch sandbox exited: %s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("riskbatch sandbox did not report its address within 30s")
	}
	h.admin = sandbox.Admin{BaseURL: h.url}
}

// trialDir makes a fresh directory with a job file whose output is out. The
// job calls the sandbox process like real vendors (no `sandbox: true`).
func (h *crashHarness) trialDir(t *testing.T, name, input string) (out, job string) {
	t.Helper()
	dir := filepath.Join(h.dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Default sandbox credentials, from the simulators themselves.
	sims := sandbox.New(sandbox.Config{Seed: crashSeed, Population: 1})
	var b strings.Builder
	fmt.Fprintf(&b, "# crash harness job\ninput:\n  file: %s\noutput:\n  dir: out\n  formats: [csv, xlsx]\nconcurrency: %d\nstate_dir: quota-state\nproviders:\n",
		input, crashConcurrency)
	for _, v := range h.vendors {
		keys := sims.Keys(v.kind)
		spec, ok := providers.Lookup(v.kind)
		if len(keys) == 0 || !ok {
			t.Fatalf("vendor %s: no sandbox key or provider spec", v.kind)
		}
		fmt.Fprintf(&b, "  - name: %s\n    type: %s\n    endpoint: %s%s\n    timeout: 10s\n", v.kind, v.kind, h.url, v.path)
		if v.options != "" {
			fmt.Fprintf(&b, "    options: %s\n", v.options)
		}
		fmt.Fprintf(&b, "    keys:\n      - id: %s\n        credentials:\n", keys[0].ID)
		for _, c := range spec.Credentials {
			if val, ok := keys[0].Credentials[c.Name]; ok {
				fmt.Fprintf(&b, "          %s: %q\n", c.Name, val)
			}
		}
	}
	job = filepath.Join(dir, "job.yaml")
	if err := os.WriteFile(job, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "out"), job
}

// killAt starts `riskbatch run` (or the given command) on job, waits until
// its journal has grown past frac of the reference run's journal, and sends
// sig. The sandbox counters are reset first when the command is run. It
// returns when the signal was sent (milliseconds after the start) and the
// process's stderr; want is the expected exit code, -1 for a kill.
func (h *crashHarness) killAt(t *testing.T, job, out string, frac float64, sig syscall.Signal, want int, command ...string) (int64, string) {
	t.Helper()
	if len(command) == 0 {
		command = []string{"run"}
		if err := h.admin.Reset(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	jpath := filepath.Join(out, ".state", "journal.log")
	var base int64
	if st, err := os.Stat(jpath); err == nil {
		base = st.Size()
	}
	// A resume journals only what is left: scale to the rest.
	threshold := base + int64(frac*float64(h.ref.journal-base))
	cmd := exec.Command(h.bin, append(command, "--no-progress", job)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(60 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case err := <-done:
			t.Fatalf("riskbatch %s ended (%v) before its journal reached %d bytes:\n%s\n%s", command[0], err, threshold, stdout.String(), stderr.String())
		case <-deadline:
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("riskbatch %s: journal did not reach %d bytes within 60s", command[0], threshold)
		case <-tick.C:
			if st, err := os.Stat(jpath); err == nil && st.Size() >= threshold {
				break wait
			}
		}
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	killMS := time.Since(start).Milliseconds()
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("riskbatch did not stop within 60s of %v", sig)
	}
	var ee *exec.ExitError
	switch {
	case want < 0:
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("riskbatch %s: want killed by SIGKILL, got %v", command[0], err)
		}
	case errors.As(err, &ee):
		if ee.ExitCode() != want {
			t.Fatalf("riskbatch %s after %v: exit %d, want %d\n%s\n%s", command[0], sig, ee.ExitCode(), want, stdout.String(), stderr.String())
		}
	default:
		t.Fatalf("riskbatch %s after %v: %v, want exit %d", command[0], sig, err, want)
	}
	if want == exitSIGINT && !strings.Contains(stdout.String(), "riskbatch resume "+job) {
		t.Errorf("no resume command on stdout after %v:\n%s", sig, stdout.String())
	}
	return killMS, stderr.String()
}

// resumeAll resumes until the job completes (at most 3 times) and returns
// the in-doubt calls the resumes reported, summed.
func (h *crashHarness) resumeAll(t *testing.T, job, out string) (inDoubt, resumes int) {
	t.Helper()
	for resumes < 3 {
		resumes++
		r := h.cli(t, "resume", "--no-progress", job)
		inDoubt += readInDoubt(t, out, r.stderr)
		switch r.code {
		case 0:
			return inDoubt, resumes
		case exitIncomplete:
			t.Logf("resume %d: incomplete, resuming again", resumes)
		default:
			t.Fatalf("resume %d: %s", resumes, r)
		}
	}
	t.Fatalf("job not complete after %d resumes", resumes)
	return
}

var inFlightNote = regexp.MustCompile(`(\d+) call\(s\) were in flight`)

// inDoubtNote is the in-doubt figure a resume printed on stderr ("N call(s)
// were in flight ..."), 0 without the note. A resume prints it before any
// call, so even a killed resume has reported it.
func inDoubtNote(t *testing.T, stderr string) int {
	t.Helper()
	n := 0
	if m := inFlightNote.FindStringSubmatch(stderr); m != nil {
		n, _ = strconv.Atoi(m[1])
	}
	// Each row sends to its providers one after the other, so at most
	// `concurrency` calls are in flight when a process dies.
	if n > crashConcurrency {
		t.Errorf("resume reported %d in-doubt calls; at most %d can be in flight", n, crashConcurrency)
	}
	return n
}

// readInDoubt reads the in-doubt figure a finished resume reported:
// summary.json's in_doubt_resent, which must agree with its stderr note.
func readInDoubt(t *testing.T, out, stderr string) int {
	t.Helper()
	note := inDoubtNote(t, stderr)
	sum := crashSummary(t, out)
	if sum.InDoubt != note {
		t.Errorf("resume: summary.json in_doubt_resent %d, stderr note says %d", sum.InDoubt, note)
	}
	return sum.InDoubt
}

// check compares a finished trial with the reference and returns the calls
// re-sent: by identity (calls beyond the reference's for each person) and
// in total. Both must be at most inDoubt.
func (h *crashHarness) check(t *testing.T, out string, inDoubt int) (resentIdent, resentCalls int64) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(out, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// The reference's statuses are all final (checked once): identical
	// bytes are too.
	if !bytes.Equal(got, h.ref.csv) {
		t.Errorf("results.csv differs from the uninterrupted run's (%d vs %d bytes)", len(got), len(h.ref.csv))
		crashAllFinal(t, crashParseCSV(t, filepath.Join(out, "results.csv")))
	}
	crashSameXLSX(t, filepath.Join(out, "results.xlsx"), filepath.Join(h.ref.out, "results.xlsx"), h.ref.xlsx)
	if m, _ := filepath.Glob(filepath.Join(out, "*.tmp-*")); len(m) > 0 {
		t.Errorf("half-written files left in the output dir: %v", m)
	}

	c := h.counters(t)
	for id, n := range c.Identities {
		if d := n - h.ref.identities[id]; d > 0 {
			resentIdent += d
		}
	}
	for id, n := range h.ref.identities {
		if c.Identities[id] < n {
			t.Errorf("sandbox saw %d calls for %s, the reference run %d: an answer came from nowhere", c.Identities[id], id, n)
		}
	}
	resentCalls = crashCalls(c) - h.ref.calls
	if resentIdent > int64(inDoubt) || resentCalls > int64(inDoubt) {
		t.Errorf("re-sent %d calls by identity, %d in total; the resumes reported %d in doubt", resentIdent, resentCalls, inDoubt)
	}
	return resentIdent, resentCalls
}

func (h *crashHarness) counters(t *testing.T) sandbox.Counters {
	t.Helper()
	c, err := h.admin.Counters(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func crashCalls(c sandbox.Counters) int64 {
	var n int64
	for _, k := range c.Keys {
		n += k.Calls
	}
	return n
}

type crashResult struct {
	code           int
	stdout, stderr string
}

func (r crashResult) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// cli runs the binary to completion (bounded: 3 minutes).
func (h *crashHarness) cli(t *testing.T, args ...string) crashResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := crashResult{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		t.Fatalf("riskbatch %v: did not finish within 3 minutes", args)
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("riskbatch %v: %v", args, err)
	}
	return r
}

func crashSummary(t *testing.T, out string) *summary.Summary {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s summary.Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	return &s
}

func crashParseCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

// crashAllFinal asserts every <provider>_status cell is hit, no_hit or invalid.
func crashAllFinal(t *testing.T, recs [][]string) {
	t.Helper()
	var cols []int
	for i, h := range recs[0] {
		if strings.HasSuffix(h, "_status") {
			cols = append(cols, i)
		}
	}
	if len(cols) == 0 {
		t.Fatalf("results have no status column: %v", recs[0])
	}
	for r, rec := range recs[1:] {
		for _, c := range cols {
			switch rec[c] {
			case summary.StatusHit, summary.StatusNoHit, summary.StatusInvalid:
			default:
				t.Fatalf("row %d %s = %q, not final", r+1, recs[0][c], rec[c])
			}
		}
	}
}

// crashRunFactSheets are workbook sheets that report the run itself (job
// path, finish time, calls and cost of this run): run facts, which differ
// between a resumed run and an uninterrupted one by design.
var crashRunFactSheets = map[string]bool{"Summary": true}

// crashSameXLSX asserts two workbooks hold the same sheets and, in every
// sheet but the run facts, the same cell values. Reading a 5,000-row sheet
// with excelize takes about 15s under -race, so each sheet's XML is compared
// first: identical worksheet XML (and identical shared strings if it uses
// any) means identical cells. Only a sheet whose XML differs is read with
// excelize, in both files, and compared cell by cell.
func crashSameXLSX(t *testing.T, path, refPath string, want crashWorkbook) {
	t.Helper()
	got := crashOpenXLSX(t, path)
	if !slices.Equal(got.names, want.names) {
		t.Errorf("results.xlsx sheets %v, the reference's %v", got.names, want.names)
		return
	}
	for _, name := range want.names {
		if crashRunFactSheets[name] {
			continue
		}
		g, w := got.parts[got.sheets[name]], want.parts[want.sheets[name]]
		if g != nil && bytes.Equal(g, w) &&
			(!bytes.Contains(w, []byte(`t="s"`)) || bytes.Equal(got.parts["xl/sharedStrings.xml"], want.parts["xl/sharedStrings.xml"])) {
			continue
		}
		crashSameCells(t, name, crashReadSheet(t, path, name), crashReadSheet(t, refPath, name))
		if !t.Failed() {
			t.Logf("results.xlsx sheet %q: XML differs from the reference's, every cell value is the same", name)
		}
	}
}

type crashWorkbook struct {
	names  []string          // sheets in workbook order
	sheets map[string]string // sheet name → zip part
	parts  map[string][]byte // zip part → content
}

// crashOpenXLSX reads every part of the workbook's zip and finds each
// sheet's part through xl/workbook.xml and its relationships.
func crashOpenXLSX(t *testing.T, path string) crashWorkbook {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer zr.Close()
	wb := crashWorkbook{sheets: map[string]string{}, parts: map[string][]byte{}}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("%s: %s: %v", path, f.Name, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %s: %v", path, f.Name, err)
		}
		wb.parts[f.Name] = b
	}
	var book struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			ID   string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := xml.Unmarshal(wb.parts["xl/workbook.xml"], &book); err != nil {
		t.Fatalf("%s: workbook.xml: %v", path, err)
	}
	if err := xml.Unmarshal(wb.parts["xl/_rels/workbook.xml.rels"], &rels); err != nil {
		t.Fatalf("%s: workbook.xml.rels: %v", path, err)
	}
	for _, sh := range book.Sheets {
		wb.names = append(wb.names, sh.Name)
		for _, r := range rels.Rels {
			if r.ID == sh.ID {
				part := strings.TrimPrefix(r.Target, "/")
				if !strings.HasPrefix(part, "xl/") {
					part = "xl/" + part
				}
				wb.sheets[sh.Name] = part
			}
		}
	}
	return wb
}

// crashReadSheet reads a sheet's cells as stored (raw values: formatted
// ones would turn 18-digit IDs into 3.30328E+17).
func crashReadSheet(t *testing.T, path, sheet string) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.Rows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	var cells [][]string
	for rows.Next() {
		row, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		cells = append(cells, row)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	return cells
}

func crashSameCells(t *testing.T, sheet string, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("results.xlsx sheet %q has %d rows, the reference %d", sheet, len(got), len(want))
		return
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("results.xlsx sheet %q row %d differs:\n got %q\nwant %q", sheet, i+1, got[i], want[i])
			return
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
