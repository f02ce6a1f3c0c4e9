package main

// `riskbatch bench`: the benchmark suite of BENCHMARKS.md. It runs the real
// binary (`riskbatch run`, a child process whose rusage gives CPU time and
// peak RSS) against the sandbox in its own process (`riskbatch sandbox`),
// on inputs made by the gen code, and compares the pipeline with a bare Go
// HTTP client sending the same requests to the same sandbox.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/sandbox"
	"github.com/riskbatch/riskbatch/sources"
)

type benchConfig struct {
	scenarios  string
	rows       int
	sizes      string
	quick      bool
	conc       int
	latConc    int
	latency    time.Duration
	jitter     time.Duration
	qps        float64
	sbBurst    int
	rateFor    time.Duration
	seed       int64
	population int
	duplicates float64
	unknown    float64
	invalid    float64
	cacheDir   string
	workDir    string
	keep       bool
	jsonOut    string
	profileDir string
	noBaseline bool
}

func newBenchCommand() *cobra.Command {
	var c benchConfig
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmark the pipeline against the sandbox in its own process (rows/s, calls/s, CPU, peak RSS) and a bare HTTP client baseline",
		Long: `bench runs the scenarios of BENCHMARKS.md with this binary:

  1  pipeline cost: --rows rows, Juhe + Zhicheng + TD, zero latency, no limits,
     between two baseline runs (a bare Go HTTP client sending the same
     requests); the ratio is to the baselines' mean calls/s
  2  latency-bound: the same with --latency ± --jitter and --latency-concurrency
  3  memory growth: --sizes rows, CSV → CSV and XLSX → XLSX, Juhe only
  4  rate fidelity: achieved vs configured QPS over --rate-for with 2 Juhe keys,
     sandbox limits on (zero throttled answers expected)

The sandbox runs as a child process (riskbatch sandbox), each measured run
as another (riskbatch run), whose CPU time and peak RSS come from its
rusage. Inputs are generated once into --cache-dir and reused.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runBench(ctx, c, cmd.OutOrStdout(), cmd.ErrOrStderr(), cmd.Flags().Changed)
		},
	}
	cmd.AddCommand(newBenchChildCommand())
	f := cmd.Flags()
	f.StringVar(&c.scenarios, "scenario", "1,2,3,4", "scenarios to run, comma-separated")
	f.IntVar(&c.rows, "rows", 100_000, "rows of scenarios 1 and 2")
	f.StringVar(&c.sizes, "sizes", "100000,1000000", "row counts of scenario 3, comma-separated")
	f.BoolVar(&c.quick, "quick", false, "a smoke run in under a minute: 10,000 rows, sizes 2000,10000, rate over 10s (explicit flags win)")
	f.IntVar(&c.conc, "concurrency", 32, "job concurrency of scenarios 1 and 3, and of the baseline")
	f.IntVar(&c.latConc, "latency-concurrency", 256, "job concurrency of scenario 2")
	f.DurationVar(&c.latency, "latency", 20*time.Millisecond, "sandbox latency in scenario 2")
	f.DurationVar(&c.jitter, "jitter", 5*time.Millisecond, "sandbox latency jitter (±) in scenario 2")
	f.Float64Var(&c.qps, "qps", 50, "scenario 4: configured QPS of each of the 2 keys (the sandbox enforces the same)")
	f.IntVar(&c.sbBurst, "sandbox-burst", 5, "scenario 4: the sandbox's bucket size per key (the client's is 1)")
	f.DurationVar(&c.rateFor, "rate-for", 60*time.Second, "scenario 4: how long to run at the configured rate")
	f.Int64Var(&c.seed, "seed", 7, "population seed (sandbox and inputs)")
	f.IntVar(&c.population, "population", 0, "sandbox population (default: the largest row count, at least 100,000, so rows are distinct people)")
	f.Float64Var(&c.duplicates, "duplicates", 0.02, "share of duplicate rows in the inputs")
	f.Float64Var(&c.unknown, "unknown", 0.05, "share of people outside the population (no-hits)")
	f.Float64Var(&c.invalid, "invalid", 0.01, "share of damaged rows (never sent)")
	f.StringVar(&c.cacheDir, "cache-dir", "", "where generated inputs are kept and reused (default: the user cache dir, riskbatch/bench)")
	f.StringVar(&c.workDir, "work-dir", "", "where job files and outputs go (default: a temp dir, removed unless --keep)")
	f.BoolVar(&c.keep, "keep", false, "keep the work dir (outputs, logs)")
	f.StringVar(&c.jsonOut, "json", "bench.json", "write the figures as JSON to this file (\"\" for none)")
	f.StringVar(&c.profileDir, "profile", "", "write a CPU and a heap profile of every measured run into this dir (adds profiling overhead)")
	f.BoolVar(&c.noBaseline, "no-baseline", false, "skip the bare-client baseline")
	return cmd
}

// benchResult is one measured line of the table and of the JSON file.
type benchResult struct {
	Scenario    string  `json:"scenario"`
	Name        string  `json:"name"`
	Kind        string  `json:"kind"` // "run" (riskbatch run) or "baseline" (bare client)
	Rows        int     `json:"rows"`
	Calls       int64   `json:"calls"`
	Throttled   int64   `json:"throttled"`
	Errors      int64   `json:"errors,omitempty"`
	WallS       float64 `json:"wall_seconds"`
	RowsPerS    float64 `json:"rows_per_second"`
	CallsPerS   float64 `json:"calls_per_second"`
	CPUS        float64 `json:"cpu_seconds"`
	CPUPer1k    float64 `json:"cpu_seconds_per_1000_rows"`
	PeakRSSMB   float64 `json:"peak_rss_mb,omitempty"`
	SandboxCPUS float64 `json:"sandbox_cpu_seconds"`
	Load        string  `json:"loadavg_before"`
	ExitCode    int     `json:"exit_code"`
	// Scenario-specific figures: ratio to the baseline, configured and
	// achieved QPS, bytes per row of growth.
	Extra map[string]float64 `json:"extra,omitempty"`
	Note  string             `json:"note,omitempty"`
}

type benchReport struct {
	Date     string            `json:"date"`
	Command  string            `json:"command"`
	Host     map[string]string `json:"host"`
	Settings map[string]string `json:"settings"`
	Results  []*benchResult    `json:"results"`
	Targets  []benchTarget     `json:"targets"`
}

type benchTarget struct {
	Target string  `json:"target"`
	Value  float64 `json:"value"`
	Want   string  `json:"want"`
	Met    bool    `json:"met"`
}

// benchVendor is how the bench's jobs call one vendor of the sandbox.
type benchVendor struct {
	kind, path string
	options    map[string]string
}

var (
	benchJuhe = benchVendor{kind: "juhe", path: "/anti_fraud/queryV2"}
	// benchCN are the three Chinese vendors of scenarios 1 and 2.
	benchCN = []benchVendor{
		benchJuhe,
		{kind: "zhicheng", path: "/submit"},
		{kind: "td", path: "/fraud/promo/v2", options: map[string]string{"channel": "bench", "decision_event": "marketing"}},
	}
)

type bench struct {
	c       benchConfig
	exe     string
	work    string
	log     io.Writer
	sb      *benchSandbox
	keys    *sandbox.Server // the simulators' default keys, never served
	results []*benchResult
	targets []benchTarget
}

func runBench(ctx context.Context, c benchConfig, stdout, stderr io.Writer, changed func(string) bool) error {
	if c.quick {
		if !changed("rows") {
			c.rows = 10_000
		}
		if !changed("sizes") {
			c.sizes = "2000,10000"
		}
		if !changed("rate-for") {
			c.rateFor = 10 * time.Second
		}
	}
	scen, err := parseInts(c.scenarios, "--scenario")
	if err != nil {
		return err
	}
	for _, s := range scen {
		if s < 1 || s > 4 {
			return &usageError{msg: fmt.Sprintf("bench: --scenario %d: scenarios are 1 to 4", s)}
		}
	}
	sizes, err := parseInts(c.sizes, "--sizes")
	if err != nil {
		return err
	}
	if c.rows < 1 || c.conc < 1 || c.latConc < 1 || c.qps <= 0 || c.rateFor <= 0 {
		return &usageError{msg: "bench: --rows, --concurrency, --latency-concurrency, --qps and --rate-for must be positive"}
	}
	if c.population == 0 {
		c.population = 100_000
		for _, s := range scen {
			switch s {
			case 1, 2:
				c.population = max(c.population, c.rows)
			case 3:
				for _, n := range sizes {
					c.population = max(c.population, n)
				}
			}
		}
	}
	if c.cacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		c.cacheDir = filepath.Join(base, "riskbatch", "bench")
	}
	if err := os.MkdirAll(c.cacheDir, 0o755); err != nil {
		return fmt.Errorf("bench: cache dir: %w", err)
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: own executable: %w", err)
	}
	b := &bench{c: c, exe: exe, log: stderr, keys: sandbox.New(sandbox.Config{Population: 1})}
	if c.workDir == "" {
		if b.work, err = os.MkdirTemp("", "riskbatch-bench-"); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		if !c.keep {
			defer os.RemoveAll(b.work)
		}
	} else {
		b.work = c.workDir
		if err := os.MkdirAll(b.work, 0o755); err != nil {
			return fmt.Errorf("bench: work dir: %w", err)
		}
	}
	if c.profileDir != "" {
		if err := os.MkdirAll(c.profileDir, 0o755); err != nil {
			return fmt.Errorf("bench: profile dir: %w", err)
		}
	}
	b.logf("work dir %s, inputs cached in %s, population %d", b.work, c.cacheDir, c.population)
	floor, err := b.rssFloor(ctx)
	if err != nil {
		return err
	}
	b.logf("peak RSS measurement floor (riskbatch version through bench child): %.1f MB", floor)

	b.sb, err = startBenchSandbox(ctx, exe, c.seed, c.population)
	if err != nil {
		return err
	}
	defer b.sb.stop()
	b.logf("sandbox pid %d on %s", b.sb.cmd.Process.Pid, b.sb.url)

	report := benchReport{
		Date:    time.Now().Format(time.RFC3339),
		Command: "riskbatch " + strings.Join(os.Args[1:], " "),
		Host:    benchHost(),
		Settings: map[string]string{
			"scenarios": c.scenarios, "rows": strconv.Itoa(c.rows), "sizes": c.sizes,
			"concurrency": strconv.Itoa(c.conc), "latency_concurrency": strconv.Itoa(c.latConc),
			"latency": c.latency.String(), "jitter": c.jitter.String(), "qps_per_key": strconv.FormatFloat(c.qps, 'g', -1, 64),
			"sandbox_burst": strconv.Itoa(c.sbBurst), "rate_for": c.rateFor.String(), "seed": strconv.FormatInt(c.seed, 10),
			"population": strconv.Itoa(c.population), "duplicates": fmt.Sprint(c.duplicates), "unknown": fmt.Sprint(c.unknown),
			"invalid": fmt.Sprint(c.invalid), "profiling": strconv.FormatBool(c.profileDir != ""),
		},
	}
	report.Host["rss_floor_mb"] = fmt.Sprintf("%.1f", floor)
	var runErr error
	for _, s := range scen {
		if err := ctx.Err(); err != nil {
			runErr = err
			break
		}
		switch s {
		case 1:
			runErr = b.scenarioPipeline(ctx, "1", c.rows, c.conc, 0, 0)
		case 2:
			runErr = b.scenarioPipeline(ctx, "2", c.rows, c.latConc, c.latency, c.jitter)
		case 3:
			runErr = b.scenarioMemory(ctx, sizes)
		case 4:
			runErr = b.scenarioRate(ctx)
		}
		if runErr != nil {
			break
		}
	}
	report.Results, report.Targets = b.results, b.targets
	b.printTable(stdout)
	if c.jsonOut != "" && len(b.results) > 0 {
		data, err := json.MarshalIndent(report, "", "  ")
		if err == nil {
			err = os.WriteFile(c.jsonOut, append(data, '\n'), 0o644)
		}
		if err != nil {
			return fmt.Errorf("bench: write %s: %w", c.jsonOut, err)
		}
		fmt.Fprintf(stdout, "figures: %s\n", c.jsonOut)
	}
	if c.keep || c.workDir != "" {
		fmt.Fprintf(stdout, "outputs: %s\n", b.work)
	}
	return runErr
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "bench: "+format+"\n", args...)
}

func parseInts(s, flag string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(strings.ReplaceAll(f, "_", ""))
		if err != nil || n < 1 {
			return nil, &usageError{msg: fmt.Sprintf("bench: %s %q: want positive whole numbers, comma-separated", flag, s)}
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, &usageError{msg: fmt.Sprintf("bench: %s is empty", flag)}
	}
	return out, nil
}

// input returns a generated applicant file of rows rows, from the cache
// when an identical one was made before (1M-row XLSX takes minutes).
// Scenario 4 asks for clean rows (no invalid or duplicate row) so every
// row is one call and the run lasts --rate-for.
func (b *bench) input(rows int, format string, clean bool) (string, error) {
	c := b.c
	cfg := sandbox.GenConfig{Rows: rows, Seed: c.seed, Population: c.population, Market: "cn",
		Invalid: c.invalid, Duplicates: c.duplicates, Unknown: c.unknown}
	if clean {
		cfg.Invalid, cfg.Duplicates = 0, 0
	}
	name := fmt.Sprintf("gen-cn-seed%d-pop%d-rows%d-dup%g-unk%g-inv%g.%s", c.seed, c.population, rows, cfg.Duplicates, cfg.Unknown, cfg.Invalid, format)
	path := filepath.Join(c.cacheDir, name)
	if st, err := os.Stat(path); err == nil && st.Size() > 0 {
		return path, nil
	}
	b.logf("generating %s (%d rows)", path, rows)
	start := time.Now()
	if err := writeGenFile(cfg, format, path, false); err != nil {
		return "", fmt.Errorf("bench: generate input: %w", err)
	}
	b.logf("generated in %.1fs", time.Since(start).Seconds())
	return path, nil
}

// keyCreds renders one sandbox key's credentials for a job file.
func (b *bench) keyYAML(kind string, n int, qps float64, burst int) (string, error) {
	keys := b.keys.Keys(kind)
	spec, ok := providers.Lookup(kind)
	if len(keys) <= n || !ok {
		return "", fmt.Errorf("bench: vendor %s: the sandbox has no key %d (or this build has no such provider)", kind, n+1)
	}
	k := keys[n]
	var s strings.Builder
	fmt.Fprintf(&s, "      - id: %s\n", k.ID)
	if qps > 0 {
		fmt.Fprintf(&s, "        qps: %g\n        burst: %d\n", qps, burst)
	}
	s.WriteString("        credentials:\n")
	for _, c := range spec.Credentials {
		if v, ok := k.Credentials[c.Name]; ok {
			fmt.Fprintf(&s, "          %s: %q\n", c.Name, v)
		}
	}
	return s.String(), nil
}

// writeJob writes a job file calling the sandbox process like real vendors
// (no `sandbox: true`) and returns its path and output dir.
func (b *bench) writeJob(name, input, format string, conc int, vendors []benchVendor, nkeys int, qps float64) (job, out string, err error) {
	dir := filepath.Join(b.work, name)
	if err := os.RemoveAll(dir); err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	var s strings.Builder
	fmt.Fprintf(&s, "# riskbatch bench, %s\ninput:\n  file: %q\noutput:\n  dir: out\n  formats: [%s]\nconcurrency: %d\nstate_dir: %q\nproviders:\n",
		name, input, format, conc, filepath.Join(b.work, "quota-state"))
	for _, v := range vendors {
		fmt.Fprintf(&s, "  - name: %s\n    type: %s\n    endpoint: %s%s\n    timeout: 30s\n", v.kind, v.kind, b.sb.url, v.path)
		if len(v.options) > 0 {
			names := make([]string, 0, len(v.options))
			for k := range v.options {
				names = append(names, k)
			}
			sort.Strings(names)
			s.WriteString("    options:\n")
			for _, k := range names {
				fmt.Fprintf(&s, "      %s: %q\n", k, v.options[k])
			}
		}
		s.WriteString("    keys:\n")
		for i := 0; i < nkeys; i++ {
			ky, err := b.keyYAML(v.kind, i, qps, 1)
			if err != nil {
				return "", "", err
			}
			s.WriteString(ky)
		}
	}
	job = filepath.Join(dir, "job.yaml")
	if err := os.WriteFile(job, []byte(s.String()), 0o644); err != nil {
		return "", "", err
	}
	return job, filepath.Join(dir, "out"), nil
}

// benchSummary is the part of summary.json the bench reads.
type benchSummary struct {
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
func (b *bench) runJob(ctx context.Context, scenario, name, job, out string) (*benchResult, *benchSummary, error) {
	args := []string{"run", "--no-progress"}
	if b.c.profileDir != "" {
		args = append(args, "--cpuprofile", filepath.Join(b.c.profileDir, name+".cpu.pprof"),
			"--memprofile", filepath.Join(b.c.profileDir, name+".heap.pprof"))
	}
	args = append(args, job)
	dir := filepath.Dir(job)
	logPath := filepath.Join(dir, "run.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, nil, err
	}
	defer logf.Close()
	usagePath := filepath.Join(dir, "usage.json")
	cmd := exec.CommandContext(ctx, b.exe, append([]string{"bench", "child", "--usage", usagePath, "--"}, args...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 60 * time.Second

	res := &benchResult{Scenario: scenario, Name: name, Kind: "run", Load: loadAvg()}
	b.logf("%s: riskbatch %s (load %s)", name, strings.Join(args, " "), res.Load)
	sb0 := b.sb.cpu()
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	res.SandboxCPUS = (b.sb.cpu() - sb0).Seconds()
	if cmd.ProcessState == nil {
		return nil, nil, fmt.Errorf("bench: %s: riskbatch run: %w", name, err)
	}
	res.ExitCode = cmd.ProcessState.ExitCode()
	if res.ExitCode != 0 {
		tail, _ := os.ReadFile(logPath)
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return nil, nil, fmt.Errorf("bench: %s: riskbatch run exited %d (log %s):\n%s", name, res.ExitCode, logPath, tail)
	}
	var usage childUsage
	data, err := os.ReadFile(usagePath)
	if err == nil {
		err = json.Unmarshal(data, &usage)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("bench: %s: usage of the run: %w", name, err)
	}
	cpu, rss := time.Duration(usage.CPUNanos), usage.MaxRSS
	var sum benchSummary
	data, err = os.ReadFile(filepath.Join(out, "summary.json"))
	if err == nil {
		err = json.Unmarshal(data, &sum)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("bench: %s: summary.json: %w", name, err)
	}
	res.Rows = sum.RowsIn
	for _, p := range sum.Providers {
		res.Calls += p.Calls
		res.Throttled += p.Throttled
	}
	res.fill(wall, cpu)
	res.PeakRSSMB = float64(rss) / (1 << 20)
	b.logf("%s: %d rows, %d calls in %.1fs: %.0f rows/s, %.0f calls/s, %.2f CPU s/1k rows, peak RSS %.0f MB",
		name, res.Rows, res.Calls, res.WallS, res.RowsPerS, res.CallsPerS, res.CPUPer1k, res.PeakRSSMB)
	return res, &sum, nil
}

// rssFloor is the peak RSS `bench child` reports for `riskbatch version`:
// what any measured run's peak includes at least (MB).
func (b *bench) rssFloor(ctx context.Context) (float64, error) {
	path := filepath.Join(b.work, "floor.json")
	cmd := exec.CommandContext(ctx, b.exe, "bench", "child", "--usage", path, "--", "version")
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("bench: bench child -- version: %v\n%s", err, out)
	}
	var u childUsage
	data, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(data, &u)
	}
	if err != nil {
		return 0, fmt.Errorf("bench: floor: %w", err)
	}
	return float64(u.MaxRSS) / (1 << 20), nil
}

func (r *benchResult) fill(wall, cpu time.Duration) {
	r.WallS = wall.Seconds()
	r.CPUS = cpu.Seconds()
	if r.WallS > 0 {
		r.RowsPerS = float64(r.Rows) / r.WallS
		r.CallsPerS = float64(r.Calls) / r.WallS
	}
	if r.Rows > 0 {
		r.CPUPer1k = r.CPUS / float64(r.Rows) * 1000
	}
}

func (b *bench) add(r *benchResult) { b.results = append(b.results, r) }

func (b *bench) target(name string, value float64, want string, met bool) {
	b.targets = append(b.targets, benchTarget{Target: name, Value: value, Want: want, Met: met})
}

// scenarioPipeline is scenario 1 (no latency) or 2 (latency): the three
// Chinese vendors, no limits, and the bare-client baseline on the same
// requests.
func (b *bench) scenarioPipeline(ctx context.Context, scenario string, rows, conc int, lat, jit time.Duration) error {
	input, err := b.input(rows, "csv", false)
	if err != nil {
		return err
	}
	if err := b.sb.admin.SetLatency(ctx, lat, jit); err != nil {
		return err
	}
	defer b.sb.admin.SetLatency(context.WithoutCancel(ctx), 0, 0)
	for _, v := range benchCN {
		if err := b.sb.admin.SetLimits(ctx, v.kind, sandbox.Limits{}); err != nil {
			return err
		}
	}
	// The baseline runs before and after the pipeline and the ratio uses
	// their mean: on a shared machine the CPU left to us drifts, and one
	// baseline a minute away from the run measured the drift as much as
	// the pipeline.
	var bases []*benchResult
	if !b.c.noBaseline {
		base, err := b.baseline(ctx, scenario, "before", input, benchCN, conc)
		if err != nil {
			return err
		}
		b.add(base)
		bases = append(bases, base)
	} else if err := b.warmUp(ctx, input, benchCN); err != nil {
		return err
	}
	name := fmt.Sprintf("s%s-3vendors-%d", scenario, rows)
	job, out, err := b.writeJob(name, input, "csv", conc, benchCN, 1, 0)
	if err != nil {
		return err
	}
	if err := b.sb.admin.Reset(ctx); err != nil {
		return err
	}
	res, _, err := b.runJob(ctx, scenario, name, job, out)
	if err != nil {
		return err
	}
	res.Note = fmt.Sprintf("juhe+zhicheng+td, concurrency %d", conc)
	if lat > 0 {
		res.Note += fmt.Sprintf(", latency %s±%s", lat, jit)
	}
	b.add(res)
	if len(bases) == 0 {
		return nil
	}
	after, err := b.baseline(ctx, scenario, "after", input, benchCN, conc)
	if err != nil {
		return err
	}
	b.add(after)
	bases = append(bases, after)
	var callsPerS, cpuPerCall float64
	for _, base := range bases {
		callsPerS += base.CallsPerS / float64(len(bases))
		cpuPerCall += (base.CPUS + base.SandboxCPUS) / float64(base.Calls) / float64(len(bases))
	}
	ratio := res.CallsPerS / callsPerS
	// The same ratio from CPU time (the run's and the sandbox's per call),
	// which the load of other processes moves much less than wall time.
	cpuRatio := cpuPerCall / ((res.CPUS + res.SandboxCPUS) / float64(res.Calls))
	res.Extra = map[string]float64{"ratio_to_baseline": ratio, "cpu_ratio_to_baseline": cpuRatio}
	res.Note += fmt.Sprintf(", %.0f%% of the baselines' mean calls/s (%.0f%% by CPU per call)", ratio*100, cpuRatio*100)
	if bases[0].Calls != res.Calls {
		res.Note += fmt.Sprintf(" (baseline sent %d calls)", bases[0].Calls)
	}
	if scenario == "1" {
		b.target("scenario 1: calls/s vs baseline", ratio, ">= 0.70", ratio >= 0.70)
	}
	return nil
}

// scenarioMemory is scenario 3: one vendor, CSV → CSV and XLSX → XLSX at
// every size; the growth between sizes in bytes per row.
func (b *bench) scenarioMemory(ctx context.Context, sizes []int) error {
	if err := b.sb.admin.SetLatency(ctx, 0, 0); err != nil {
		return err
	}
	if err := b.sb.admin.SetLimits(ctx, "juhe", sandbox.Limits{}); err != nil {
		return err
	}
	for _, format := range []string{"csv", "xlsx"} {
		var prev *benchResult
		for _, n := range sizes {
			input, err := b.input(n, format, false)
			if err != nil {
				return err
			}
			if err := b.warmUp(ctx, input, []benchVendor{benchJuhe}); err != nil {
				return err
			}
			name := fmt.Sprintf("s3-juhe-%s-%d", format, n)
			job, out, err := b.writeJob(name, input, format, b.c.conc, []benchVendor{benchJuhe}, 1, 0)
			if err != nil {
				return err
			}
			if err := b.sb.admin.Reset(ctx); err != nil {
				return err
			}
			res, _, err := b.runJob(ctx, "3", name, job, out)
			if err != nil {
				return err
			}
			res.Note = fmt.Sprintf("juhe, %s → %s", format, format)
			if prev != nil && res.Rows > prev.Rows {
				per := (res.PeakRSSMB - prev.PeakRSSMB) * (1 << 20) / float64(res.Rows-prev.Rows)
				res.Extra = map[string]float64{"rss_growth_bytes_per_row": per}
				res.Note += fmt.Sprintf(", RSS growth %.0f B/row since %d rows", per, prev.Rows)
			}
			if n >= 1_000_000 {
				limit := 150.0
				if format == "xlsx" {
					limit = 400
				}
				b.target(fmt.Sprintf("scenario 3: %s peak RSS at %d rows (MB)", format, n), res.PeakRSSMB, fmt.Sprintf("<= %.0f", limit), res.PeakRSSMB <= limit)
			}
			b.add(res)
			prev = res
		}
	}
	return nil
}

// scenarioRate is scenario 4: two Juhe keys at the configured QPS each, the
// sandbox enforcing the same rate; achieved rate from raw.jsonl.
func (b *bench) scenarioRate(ctx context.Context) error {
	c := b.c
	total := 2 * c.qps
	rows := int(math.Ceil(total*c.rateFor.Seconds())) + 1
	input, err := b.input(rows, "csv", true)
	if err != nil {
		return err
	}
	if err := b.sb.admin.SetLatency(ctx, 0, 0); err != nil {
		return err
	}
	if err := b.warmUp(ctx, input, []benchVendor{benchJuhe}); err != nil {
		return err
	}
	if err := b.sb.admin.SetLimits(ctx, "juhe", sandbox.Limits{QPS: c.qps, Burst: c.sbBurst}); err != nil {
		return err
	}
	defer b.sb.admin.SetLimits(context.WithoutCancel(ctx), "juhe", sandbox.Limits{})
	if err := b.sb.admin.Reset(ctx); err != nil {
		return err
	}
	name := fmt.Sprintf("s4-rate-2x%gqps", c.qps)
	job, out, err := b.writeJob(name, input, "csv", b.c.conc, []benchVendor{benchJuhe}, 2, c.qps)
	if err != nil {
		return err
	}
	res, _, err := b.runJob(ctx, "4", name, job, out)
	if err != nil {
		return err
	}
	achieved, perKey, err := achievedRate(filepath.Join(out, "raw.jsonl"))
	if err != nil {
		return err
	}
	counters, err := b.sb.admin.Counters(ctx, "juhe")
	if err != nil {
		return err
	}
	res.Extra = map[string]float64{"configured_qps": total, "achieved_qps": achieved, "fidelity": achieved / total}
	keys := make([]string, 0, len(perKey))
	for k := range perKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		res.Extra["achieved_qps_"+k] = perKey[k]
		parts = append(parts, fmt.Sprintf("%s %.2f", k, perKey[k]))
	}
	var sbCalls int64
	for _, kc := range counters.Keys {
		sbCalls += kc.Calls
	}
	res.Note = fmt.Sprintf("juhe, 2 keys × %g QPS (sandbox burst %d): achieved %.2f of %g QPS (%.1f%%; %s), %d throttled, sandbox saw %d calls",
		c.qps, c.sbBurst, achieved, total, achieved/total*100, strings.Join(parts, ", "), res.Throttled, sbCalls)
	b.target("scenario 4: achieved / configured QPS", achieved/total, ">= 0.98", achieved/total >= 0.98)
	b.target("scenario 4: throttled answers", float64(res.Throttled), "== 0", res.Throttled == 0)
	b.add(res)
	return nil
}

// achievedRate is the rate of HTTP attempts in raw.jsonl between the first
// and the last, overall and per key.
func achievedRate(path string) (float64, map[string]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	type span struct {
		first, last time.Time
		n           int
	}
	var all span
	keys := map[string]*span{}
	add := func(s *span, t time.Time) {
		if s.n == 0 || t.Before(s.first) {
			s.first = t
		}
		if s.n == 0 || t.After(s.last) {
			s.last = t
		}
		s.n++
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var rec struct {
			Time time.Time `json:"time"`
			Key  string    `json:"key"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return 0, nil, fmt.Errorf("%s: %w", path, err)
		}
		add(&all, rec.Time)
		s := keys[rec.Key]
		if s == nil {
			s = &span{}
			keys[rec.Key] = s
		}
		add(s, rec.Time)
	}
	if err := sc.Err(); err != nil {
		return 0, nil, err
	}
	rate := func(s *span) float64 {
		d := s.last.Sub(s.first).Seconds()
		if s.n < 2 || d <= 0 {
			return 0
		}
		return float64(s.n-1) / d
	}
	per := map[string]float64{}
	for k, s := range keys {
		per[k] = rate(s)
	}
	return rate(&all), per, nil
}

// benchRequest is one prepared call of the baseline.
type benchRequest struct {
	prov providers.Provider
	key  providers.Key
	req  *providers.Request
}

// prepare reads input and prepares every row for every vendor the way the
// pipeline does (invalid rows dropped, identical requests sent once), so
// the baseline sends the same calls as the run.
func (b *bench) prepare(input string, vendors []benchVendor, limit int) ([]benchRequest, error) {
	src, err := sources.Open(input, sources.Options{})
	if err != nil {
		return nil, err
	}
	defer src.Close()
	header := src.Header()
	type bound struct {
		prov    providers.Provider
		binding *providers.Binding
		key     providers.Key
		seen    map[[32]byte]bool
	}
	var bs []bound
	for _, v := range vendors {
		spec, ok := providers.Lookup(v.kind)
		if !ok {
			return nil, fmt.Errorf("bench: this build has no provider %s", v.kind)
		}
		opts := map[string]any{}
		for k, val := range v.options {
			opts[k] = val
		}
		prov, err := spec.New(providers.Config{Name: v.kind, Endpoint: b.sb.url + v.path, Options: opts})
		if err != nil {
			return nil, fmt.Errorf("bench: provider %s: %w", v.kind, err)
		}
		binding, missing := providers.NewBinding(header, prov.Inputs(), nil)
		if len(missing) > 0 {
			return nil, fmt.Errorf("bench: provider %s: input lacks %s", v.kind, strings.Join(missing, ", "))
		}
		keys := b.keys.Keys(v.kind)
		if len(keys) == 0 {
			return nil, fmt.Errorf("bench: the sandbox has no key for %s", v.kind)
		}
		bs = append(bs, bound{prov: prov, binding: binding, key: providers.Key{ID: keys[0].ID, Credentials: keys[0].Credentials}, seen: map[[32]byte]bool{}})
	}
	var out []benchRequest
	for {
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if row.Err != nil {
			continue
		}
		for _, p := range bs {
			req, err := p.prov.Prepare(providers.Record{Row: row.Num, Binding: p.binding, Values: row.Values})
			if err != nil || p.seen[req.Dedupe] {
				continue
			}
			p.seen[req.Dedupe] = true
			out = append(out, benchRequest{prov: p.prov, key: p.key, req: req})
		}
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

// benchClient is a keep-alive client sized like the pipeline's.
func benchClient(conc int) *http.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conc * 4,
		MaxIdleConnsPerHost: conc * 2,
		IdleConnTimeout:     90 * time.Second,
	}
	return &http.Client{Transport: tr}
}

// send sends reqs with conc goroutines and returns the calls made and the
// answers that were not HTTP 200.
func send(ctx context.Context, client *http.Client, reqs []benchRequest, conc int) (calls, errs int64, err error) {
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(len(reqs)) || ctx.Err() != nil {
					return
				}
				r := reqs[i]
				hreq, err := r.prov.NewHTTPRequest(ctx, r.key, r.req)
				if err == nil {
					var resp *http.Response
					if resp, err = client.Do(hreq); err == nil {
						_, err = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							atomic.AddInt64(&errs, 1)
						}
					}
				}
				atomic.AddInt64(&calls, 1)
				if err != nil {
					atomic.AddInt64(&errs, 1)
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if errs > calls/100 && firstErr != nil {
		return calls, errs, fmt.Errorf("bench: baseline: %d of %d calls failed, first: %w", errs, calls, firstErr)
	}
	return calls, errs, ctx.Err()
}

// warmUp sends a few of the input's requests so the sandbox builds its
// lookup indexes before anything is measured.
func (b *bench) warmUp(ctx context.Context, input string, vendors []benchVendor) error {
	reqs, err := b.prepare(input, vendors, 20*len(vendors))
	if err != nil {
		return err
	}
	client := benchClient(4)
	defer client.CloseIdleConnections()
	_, _, err = send(ctx, client, reqs, 4)
	return err
}

// baseline drives the sandbox with a bare client: the run's requests,
// prepared beforehand (not timed), sent by conc goroutines over keep-alive
// connections, bodies read and dropped — no pipeline, journal or sinks.
func (b *bench) baseline(ctx context.Context, scenario, when, input string, vendors []benchVendor, conc int) (*benchResult, error) {
	reqs, err := b.prepare(input, vendors, 0)
	if err != nil {
		return nil, err
	}
	client := benchClient(conc)
	defer client.CloseIdleConnections()
	if _, _, err := send(ctx, client, reqs[:min(len(reqs), 20*len(vendors))], 4); err != nil { // warm-up
		return nil, err
	}
	if err := b.sb.admin.Reset(ctx); err != nil {
		return nil, err
	}
	runtime.GC()
	res := &benchResult{Scenario: scenario, Name: fmt.Sprintf("s%s-baseline-%s", scenario, when), Kind: "baseline", Load: loadAvg()}
	b.logf("%s: bare client, %d requests, %d goroutines (load %s)", res.Name, len(reqs), conc, res.Load)
	sb0, cpu0 := b.sb.cpu(), selfCPU()
	start := time.Now()
	calls, errs, err := send(ctx, client, reqs, conc)
	wall := time.Since(start)
	cpu := selfCPU() - cpu0
	res.SandboxCPUS = (b.sb.cpu() - sb0).Seconds()
	if err != nil {
		return nil, err
	}
	res.Calls, res.Errors = calls, errs
	// Rows are the input's rows, so CPU per 1,000 rows compares with the run.
	res.Rows = b.countRows(input)
	res.fill(wall, cpu)
	res.Note = fmt.Sprintf("bare net/http client, %d goroutines, same requests (prepared beforehand)", conc)
	b.logf("%s: %d calls in %.1fs: %.0f calls/s, %.2f CPU s/1k rows", res.Name, res.Calls, res.WallS, res.CallsPerS, res.CPUPer1k)
	return res, nil
}

func (b *bench) countRows(input string) int {
	src, err := sources.Open(input, sources.Options{})
	if err != nil {
		return 0
	}
	defer src.Close()
	n := 0
	for {
		if _, err := src.Next(); err != nil {
			return n
		}
		n++
	}
}

func (b *bench) printTable(w io.Writer) {
	if len(b.results) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tname\trows\tcalls\twall s\trows/s\tcalls/s\tCPU s/1k rows\tpeak RSS MB\tsandbox CPU s\tload\t")
	for _, r := range b.results {
		rss := "-"
		if r.Kind == "run" {
			rss = fmt.Sprintf("%.1f", r.PeakRSSMB)
		}
		load, _, _ := strings.Cut(r.Load, " ")
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.1f\t%.0f\t%.0f\t%.3f\t%s\t%.1f\t%s\t\n",
			r.Scenario, r.Name, r.Rows, r.Calls, r.WallS, r.RowsPerS, r.CallsPerS, r.CPUPer1k, rss, r.SandboxCPUS, load)
	}
	tw.Flush()
	for _, r := range b.results {
		if r.Note != "" {
			fmt.Fprintf(w, "  %s: %s\n", r.Name, r.Note)
		}
	}
	for _, t := range b.targets {
		mark := "MET"
		if !t.Met {
			mark = "MISSED"
		}
		fmt.Fprintf(w, "target %-45s %10.3f  want %-8s %s\n", t.Target, t.Value, t.Want, mark)
	}
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func benchHost() map[string]string {
	h := map[string]string{
		"go":     runtime.Version(),
		"os":     runtime.GOOS + "/" + runtime.GOARCH,
		"nproc":  strconv.Itoa(runtime.NumCPU()),
		"load":   loadAvg(),
		"binary": version,
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`(?m)^model name\s*:\s*(.+)$`).FindSubmatch(b); m != nil {
			h["cpu"] = string(m[1])
		}
	}
	return h
}

// benchSandbox is `riskbatch sandbox` running as a child process.
type benchSandbox struct {
	cmd    *exec.Cmd
	url    string
	admin  sandbox.Admin
	exited chan struct{}
}

func startBenchSandbox(ctx context.Context, exe string, seed int64, population int) (*benchSandbox, error) {
	cmd := exec.Command(exe, "sandbox", "--listen", "127.0.0.1:0", "--seed", strconv.FormatInt(seed, 10), "--population", strconv.Itoa(population))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start sandbox: %w", err)
	}
	s := &benchSandbox{cmd: cmd, exited: make(chan struct{})}
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
		m := regexp.MustCompile(`sandbox listening on (http://\S+)`).FindStringSubmatch(line)
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

func (s *benchSandbox) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// cpu is the sandbox process's CPU time so far (Linux /proc; 0 elsewhere).
func (s *benchSandbox) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
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

// newBenchChildCommand is the hidden `bench child --usage FILE -- ARGS`: it
// runs this binary with ARGS as its own child and writes the child's
// rusage to FILE. The indirection keeps the peak RSS honest: Linux carries
// a process's peak RSS across exec, and a child started straight from the
// bench inherits the bench's own peak (the baseline's prepared requests,
// generated inputs). This small process is what the run inherits from, so
// its peak (a few MB, below any run's) is the floor of the measurement.
func newBenchChildCommand() *cobra.Command {
	var usagePath string
	cmd := &cobra.Command{
		Use:    "child --usage FILE -- ARGS...",
		Short:  "Run riskbatch ARGS as a child and write its CPU time and peak RSS to FILE (used by bench)",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if usagePath == "" || len(args) == 0 {
				return &usageError{msg: "bench child: --usage FILE and the arguments are required"}
			}
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			child := exec.Command(exe, args...)
			child.Stdin, child.Stdout, child.Stderr = os.Stdin, os.Stdout, os.Stderr
			// Pass SIGINT/SIGTERM on; the child decides how to stop.
			sigs := make(chan os.Signal, 2)
			signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
			defer signal.Stop(sigs)
			if err := child.Start(); err != nil {
				return err
			}
			go func() {
				for s := range sigs {
					_ = child.Process.Signal(s)
				}
			}()
			_ = child.Wait()
			cpu, rss, _ := processUsage(child.ProcessState)
			u := childUsage{ExitCode: child.ProcessState.ExitCode(), CPUNanos: int64(cpu), MaxRSS: rss}
			data, err := json.Marshal(u)
			if err != nil {
				return err
			}
			if err := os.WriteFile(usagePath, data, 0o644); err != nil {
				return err
			}
			if u.ExitCode != 0 {
				return &exitError{code: u.ExitCode}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&usagePath, "usage", "", "file to write the usage JSON to")
	return cmd
}
