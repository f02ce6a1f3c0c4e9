package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// summary is the part of summary.json the bench reads.
type summary struct {
	RowsIn    int  `json:"rows_in"`
	RowsOK    int  `json:"rows_ok"`
	Complete  bool `json:"complete"`
	ExitCode  int  `json:"exit_code"`
	Providers []struct {
		Name      string `json:"name"`
		Calls     int64  `json:"calls"`
		Throttled int64  `json:"throttled"`
		Retries   int64  `json:"retries"`
		Deduped   int64  `json:"deduped"`
	} `json:"providers"`
}

// runJob runs `riskbatch run` on job as a child process and measures it.
func (b *bench) runJob(ctx context.Context, scenario, name, job, out string) (*Result, error) {
	args := []string{"run", "--no-progress"}
	if b.c.ProfileDir != "" {
		args = append(args, "--cpuprofile", filepath.Join(b.c.ProfileDir, name+".cpu.pprof"),
			"--memprofile", filepath.Join(b.c.ProfileDir, name+".heap.pprof"))
	}
	args = append(args, job)
	dir := filepath.Dir(job)
	logPath := filepath.Join(dir, "run.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer logf.Close()
	usagePath := filepath.Join(dir, "usage.json")
	cmd := exec.CommandContext(ctx, b.c.Exe, append([]string{"bench", "child", "--usage", usagePath, "--"}, args...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 60 * time.Second

	res := &Result{Scenario: scenario, Name: name, Kind: "run", Load: loadAvg()}
	b.logf("%s: riskbatch %s (load %s)", name, strings.Join(args, " "), res.Load)
	sb0 := b.sb.cpu()
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	res.SandboxCPUS = (b.sb.cpu() - sb0).Seconds()
	if cmd.ProcessState == nil {
		return nil, fmt.Errorf("bench: %s: riskbatch run: %w", name, err)
	}
	res.ExitCode = cmd.ProcessState.ExitCode()
	if res.ExitCode != 0 {
		tail, _ := os.ReadFile(logPath)
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return nil, fmt.Errorf("bench: %s: riskbatch run exited %d (log %s):\n%s", name, res.ExitCode, logPath, tail)
	}
	var usage childUsage
	if err := readJSON(usagePath, &usage); err != nil {
		return nil, fmt.Errorf("bench: %s: usage of the run: %w", name, err)
	}
	var sum summary
	if err := readJSON(filepath.Join(out, "summary.json"), &sum); err != nil {
		return nil, fmt.Errorf("bench: %s: %w", name, err)
	}
	res.Rows = sum.RowsIn
	for _, p := range sum.Providers {
		res.Calls += p.Calls
		res.Throttled += p.Throttled
	}
	res.fill(wall, time.Duration(usage.CPUNanos))
	res.PeakRSSMB = float64(usage.MaxRSS) / (1 << 20)
	b.logf("%s: %d rows, %d calls in %.1fs: %.0f rows/s, %.0f calls/s, %.2f CPU s/1k rows, peak RSS %.0f MB",
		name, res.Rows, res.Calls, res.WallS, res.RowsPerS, res.CallsPerS, res.CPUPer1k, res.PeakRSSMB)
	return res, nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(data, v)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return nil
}

// rssFloor is the peak RSS `bench child` reports for `riskbatch version`:
// what any measured run's peak includes at least (MB).
func (b *bench) rssFloor(ctx context.Context) (float64, error) {
	path := filepath.Join(b.work, "floor.json")
	cmd := exec.CommandContext(ctx, b.c.Exe, "bench", "child", "--usage", path, "--", "version")
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("bench: bench child -- version: %w\n%s", err, out)
	}
	var u childUsage
	if err := readJSON(path, &u); err != nil {
		return 0, fmt.Errorf("bench: floor: %w", err)
	}
	return float64(u.MaxRSS) / (1 << 20), nil
}

// sandboxProcess is `riskbatch sandbox` running as a child process.
type sandboxProcess struct {
	cmd    *exec.Cmd
	url    string
	admin  sandbox.Admin
	exited chan struct{}
}

var listening = regexp.MustCompile(`sandbox listening on (http://\S+)`)

func startSandbox(ctx context.Context, exe string, seed int64, population int) (*sandboxProcess, error) {
	cmd := exec.Command(exe, "sandbox", "--listen", "127.0.0.1:0", "--seed", strconv.FormatInt(seed, 10), "--population", strconv.Itoa(population))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("bench: start sandbox: %w", err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start sandbox: %w", err)
	}
	s := &sandboxProcess{cmd: cmd, exited: make(chan struct{})}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		close(s.exited)
	}()
	select {
	case line := <-lines:
		m := listening.FindStringSubmatch(line)
		if m == nil {
			s.stop()
			return nil, fmt.Errorf("bench: riskbatch sandbox printed %q", line)
		}
		s.url = m[1]
	case <-s.exited:
		return nil, fmt.Errorf("bench: riskbatch sandbox exited: %s", stderr.String())
	case <-time.After(30 * time.Second):
		s.stop()
		return nil, errors.New("bench: riskbatch sandbox did not report its address within 30s")
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
	s.admin = sandbox.Admin{BaseURL: s.url}
	return s, nil
}

func (s *sandboxProcess) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// cpu is the sandbox process's CPU time so far (Linux /proc; 0 elsewhere).
func (s *sandboxProcess) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	return statCPU(b)
}

// statCPU reads utime + stime from a /proc/PID/stat line.
func statCPU(b []byte) time.Duration {
	// Fields after the command name (which may hold spaces) in parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64) // field 14 of the line
	st, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	const userHZ = 100                       // USER_HZ, fixed at 100 on Linux
	return time.Duration(ut+st) * time.Second / userHZ
}

// childUsage is what `riskbatch bench child` reports about the command it ran.
type childUsage struct {
	ExitCode int   `json:"exit_code"`
	CPUNanos int64 `json:"cpu_ns"`  // user + system
	MaxRSS   int64 `json:"max_rss"` // bytes; 0 when the platform has no rusage
}

// Child is the hidden `bench child --usage FILE -- ARGS`: it runs exe with
// args as its own child and writes the child's rusage to usagePath,
// returning the child's exit code. The indirection keeps the peak RSS
// honest: Linux carries a process's peak RSS across exec, and a child
// started straight from the bench inherits the bench's own peak (the
// baseline's prepared requests, generated inputs). This small process is
// what the run inherits from, so its peak (a few MB, below any run's) is
// the floor of the measurement.
func Child(exe, usagePath string, args []string) (int, error) {
	child := exec.Command(exe, args...)
	child.Stdin, child.Stdout, child.Stderr = os.Stdin, os.Stdout, os.Stderr
	// Pass SIGINT/SIGTERM on; the child decides how to stop.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := child.Start(); err != nil {
		return 0, fmt.Errorf("bench child: %w", err)
	}
	go func() {
		for s := range sigs {
			_ = child.Process.Signal(s)
		}
	}()
	_ = child.Wait() // the exit code is the answer; a failure to wait shows as -1
	cpu, rss, _ := processUsage(child.ProcessState)
	u := childUsage{ExitCode: child.ProcessState.ExitCode(), CPUNanos: int64(cpu), MaxRSS: rss}
	data, err := json.Marshal(u)
	if err != nil {
		return 0, fmt.Errorf("bench child: %w", err)
	}
	if err := os.WriteFile(usagePath, data, 0o644); err != nil {
		return 0, fmt.Errorf("bench child: %w", err)
	}
	return u.ExitCode, nil
}
