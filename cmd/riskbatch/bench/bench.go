// Package bench is `riskbatch bench`: the benchmark suite of BENCHMARKS.md.
// It runs the real binary (`riskbatch run`, a child process whose rusage
// gives CPU time and peak RSS) against the sandbox in its own process
// (`riskbatch sandbox`), on inputs made by the gen code, and compares the
// pipeline with a bare Go HTTP client sending the same requests to the same
// sandbox.
//
// The package names no vendor type: the scenarios name providers by their
// registry names, and everything the bench needs from a vendor (the path of
// its endpoint, the options that build it, its credentials, its inputs and
// its market) comes from the providers registry and the sandbox.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/riskbatch/riskbatch/providers/sandbox"
	_ "github.com/riskbatch/riskbatch/providers/sandbox/allsims" // the simulators' default keys (bench.keys)
)

// Config is one `riskbatch bench` invocation: the flags, and what the
// command gives the package (its own binary, its version, the gen code).
type Config struct {
	Scenarios  string // comma-separated scenario numbers, 1 to 4
	Rows       int    // rows of scenarios 1 and 2
	Sizes      string // comma-separated row counts of scenario 3
	Conc       int    // job concurrency of scenarios 1 and 3, and of the baseline
	LatConc    int    // job concurrency of scenario 2
	Latency    time.Duration
	Jitter     time.Duration
	QPS        float64 // scenario 4: configured QPS of each of the 2 keys
	SBBurst    int     // scenario 4: the sandbox's bucket size per key
	RateFor    time.Duration
	Seed       int64
	Population int // 0: the largest row count, at least 100,000
	Duplicates float64
	Unknown    float64
	Invalid    float64
	CacheDir   string // "": the user cache dir, riskbatch/bench
	WorkDir    string // "": a temp dir, removed unless Keep
	Keep       bool
	JSONOut    string // "": no JSON file
	ProfileDir string
	NoBaseline bool

	// Exe is the riskbatch binary the bench runs as `riskbatch sandbox`,
	// `riskbatch run` (through `riskbatch bench child`) and `riskbatch
	// version`.
	Exe string
	// Version is the binary's version, recorded with the host.
	Version string
	// Generate writes a generated applicant file (csv or xlsx) to path;
	// `riskbatch gen` writes its files with the same function.
	Generate func(cfg sandbox.GenConfig, format, path string) error
	// Command is the command line recorded in the JSON file.
	Command string
}

// ConfigError is a flag value the bench refuses before starting anything
// (the command turns it into a usage error).
type ConfigError struct{ Msg string }

func (e *ConfigError) Error() string { return e.Msg }

// Quick are the settings of `--quick`, a smoke run in under a minute; the
// command applies the ones whose flag was not given.
var Quick = struct {
	Rows    int
	Sizes   string
	RateFor time.Duration
}{Rows: 10_000, Sizes: "2000,10000", RateFor: 10 * time.Second}

// Result is one measured line of the table and of the JSON file.
type Result struct {
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

// Report is the JSON file.
type Report struct {
	Date     string            `json:"date"`
	Command  string            `json:"command"`
	Host     map[string]string `json:"host"`
	Settings map[string]string `json:"settings"`
	Results  []*Result         `json:"results"`
	Targets  []Target          `json:"targets"`
}

// Target is one of BENCHMARKS.md's targets, met or missed.
type Target struct {
	Target string  `json:"target"`
	Value  float64 `json:"value"`
	Want   string  `json:"want"`
	Met    bool    `json:"met"`
}

type bench struct {
	c       Config
	work    string
	log     io.Writer
	sb      *sandboxProcess
	keys    *sandbox.Server // the simulators' default keys, never served
	results []*Result
	targets []Target
}

// plan is a validated Config: the scenarios and sizes parsed.
type plan struct {
	scenarios, sizes []int
}

func (c *Config) check() (plan, error) {
	var p plan
	var err error
	if p.scenarios, err = parseInts(c.Scenarios, "--scenario"); err != nil {
		return p, err
	}
	for _, s := range p.scenarios {
		if s < 1 || s > 4 {
			return p, &ConfigError{Msg: fmt.Sprintf("bench: --scenario %d: scenarios are 1 to 4", s)}
		}
	}
	if p.sizes, err = parseInts(c.Sizes, "--sizes"); err != nil {
		return p, err
	}
	if c.Rows < 1 || c.Conc < 1 || c.LatConc < 1 || c.QPS <= 0 || c.RateFor <= 0 {
		return p, &ConfigError{Msg: "bench: --rows, --concurrency, --latency-concurrency, --qps and --rate-for must be positive"}
	}
	if c.Exe == "" || c.Generate == nil {
		return p, fmt.Errorf("bench: the command gave no binary or generator") // a programming error
	}
	if c.Population == 0 {
		c.Population = 100_000
		for _, s := range p.scenarios {
			switch s {
			case 1, 2:
				c.Population = max(c.Population, c.Rows)
			case 3:
				for _, n := range p.sizes {
					c.Population = max(c.Population, n)
				}
			}
		}
	}
	return p, nil
}

// Run runs the configured scenarios, prints the table to stdout and its
// progress to stderr, and writes the JSON file. A refused flag value is a
// *ConfigError.
func Run(ctx context.Context, c Config, stdout, stderr io.Writer) error {
	p, err := c.check()
	if err != nil {
		return err
	}
	if c.CacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		c.CacheDir = filepath.Join(base, "riskbatch", "bench")
	}
	if err := os.MkdirAll(c.CacheDir, 0o755); err != nil {
		return fmt.Errorf("bench: cache dir: %w", err)
	}
	b := &bench{c: c, log: stderr, keys: sandbox.New(sandbox.Config{Population: 1})}
	if c.WorkDir == "" {
		if b.work, err = os.MkdirTemp("", "riskbatch-bench-"); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		if !c.Keep {
			defer os.RemoveAll(b.work)
		}
	} else {
		b.work = c.WorkDir
		if err := os.MkdirAll(b.work, 0o755); err != nil {
			return fmt.Errorf("bench: work dir: %w", err)
		}
	}
	if c.ProfileDir != "" {
		if err := os.MkdirAll(c.ProfileDir, 0o755); err != nil {
			return fmt.Errorf("bench: profile dir: %w", err)
		}
	}
	b.logf("work dir %s, inputs cached in %s, population %d", b.work, c.CacheDir, c.Population)
	floor, err := b.rssFloor(ctx)
	if err != nil {
		return err
	}
	b.logf("peak RSS measurement floor (riskbatch version through bench child): %.1f MB", floor)

	b.sb, err = startSandbox(ctx, c.Exe, c.Seed, c.Population)
	if err != nil {
		return err
	}
	defer b.sb.stop()
	b.logf("sandbox pid %d on %s", b.sb.cmd.Process.Pid, b.sb.url)

	report := Report{
		Date:    time.Now().Format(time.RFC3339),
		Command: c.Command,
		Host:    host(c.Version),
		Settings: map[string]string{
			"scenarios": c.Scenarios, "rows": strconv.Itoa(c.Rows), "sizes": c.Sizes,
			"concurrency": strconv.Itoa(c.Conc), "latency_concurrency": strconv.Itoa(c.LatConc),
			"latency": c.Latency.String(), "jitter": c.Jitter.String(), "qps_per_key": strconv.FormatFloat(c.QPS, 'g', -1, 64),
			"sandbox_burst": strconv.Itoa(c.SBBurst), "rate_for": c.RateFor.String(), "seed": strconv.FormatInt(c.Seed, 10),
			"population": strconv.Itoa(c.Population), "duplicates": fmt.Sprint(c.Duplicates), "unknown": fmt.Sprint(c.Unknown),
			"invalid": fmt.Sprint(c.Invalid), "profiling": strconv.FormatBool(c.ProfileDir != ""),
		},
	}
	report.Host["rss_floor_mb"] = fmt.Sprintf("%.1f", floor)
	var runErr error
	for _, s := range p.scenarios {
		if err := ctx.Err(); err != nil {
			runErr = err
			break
		}
		switch s {
		case 1:
			runErr = b.scenarioPipeline(ctx, "1", c.Rows, c.Conc, 0, 0)
		case 2:
			runErr = b.scenarioPipeline(ctx, "2", c.Rows, c.LatConc, c.Latency, c.Jitter)
		case 3:
			runErr = b.scenarioMemory(ctx, p.sizes)
		case 4:
			runErr = b.scenarioRate(ctx)
		}
		if runErr != nil {
			break
		}
	}
	report.Results, report.Targets = b.results, b.targets
	printTable(stdout, b.results, b.targets)
	if c.JSONOut != "" && len(b.results) > 0 {
		data, err := json.MarshalIndent(report, "", "  ")
		if err == nil {
			err = os.WriteFile(c.JSONOut, append(data, '\n'), 0o644)
		}
		if err != nil {
			return fmt.Errorf("bench: write %s: %w", c.JSONOut, err)
		}
		fmt.Fprintf(stdout, "figures: %s\n", c.JSONOut)
	}
	if c.Keep || c.WorkDir != "" {
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
			return nil, &ConfigError{Msg: fmt.Sprintf("bench: %s %q: want positive whole numbers, comma-separated", flag, s)}
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, &ConfigError{Msg: fmt.Sprintf("bench: %s is empty", flag)}
	}
	return out, nil
}

func (r *Result) fill(wall, cpu time.Duration) {
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

func (b *bench) add(r *Result) { b.results = append(b.results, r) }

func (b *bench) target(name string, value float64, want string, met bool) {
	b.targets = append(b.targets, Target{Target: name, Value: value, Want: want, Met: met})
}

func printTable(w io.Writer, results []*Result, targets []Target) {
	if len(results) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tname\trows\tcalls\twall s\trows/s\tcalls/s\tCPU s/1k rows\tpeak RSS MB\tsandbox CPU s\tload\t")
	for _, r := range results {
		rss := "-"
		if r.Kind == "run" {
			rss = fmt.Sprintf("%.1f", r.PeakRSSMB)
		}
		load, _, _ := strings.Cut(r.Load, " ")
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.1f\t%.0f\t%.0f\t%.3f\t%s\t%.1f\t%s\t\n",
			r.Scenario, r.Name, r.Rows, r.Calls, r.WallS, r.RowsPerS, r.CallsPerS, r.CPUPer1k, rss, r.SandboxCPUS, load)
	}
	tw.Flush()
	for _, r := range results {
		if r.Note != "" {
			fmt.Fprintf(w, "  %s: %s\n", r.Name, r.Note)
		}
	}
	for _, t := range targets {
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

var cpuModel = regexp.MustCompile(`(?m)^model name\s*:\s*(.+)$`)

func host(version string) map[string]string {
	h := map[string]string{
		"go":     runtime.Version(),
		"os":     runtime.GOOS + "/" + runtime.GOARCH,
		"nproc":  strconv.Itoa(runtime.NumCPU()),
		"load":   loadAvg(),
		"binary": version,
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := cpuModel.FindSubmatch(b); m != nil {
			h["cpu"] = string(m[1])
		}
	}
	return h
}
