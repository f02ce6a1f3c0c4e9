package main

import (
	"errors"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/riskbatch/riskbatch/cmd/riskbatch/bench"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// newBenchCommand is `riskbatch bench`: the flags; the suite is package bench.
func newBenchCommand() *cobra.Command {
	var c bench.Config
	var quick bool
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
			if quick {
				changed := cmd.Flags().Changed
				if !changed("rows") {
					c.Rows = bench.Quick.Rows
				}
				if !changed("sizes") {
					c.Sizes = bench.Quick.Sizes
				}
				if !changed("rate-for") {
					c.RateFor = bench.Quick.RateFor
				}
			}
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			c.Exe, c.Version = exe, version
			c.Command = "riskbatch " + strings.Join(os.Args[1:], " ")
			c.Generate = func(cfg sandbox.GenConfig, format, path string) error {
				return writeGenFile(cfg, format, path, false)
			}
			err = bench.Run(ctx, c, cmd.OutOrStdout(), cmd.ErrOrStderr())
			var ce *bench.ConfigError
			if errors.As(err, &ce) {
				return &usageError{msg: ce.Msg}
			}
			return err
		},
	}
	cmd.AddCommand(newBenchChildCommand())
	f := cmd.Flags()
	f.StringVar(&c.Scenarios, "scenario", "1,2,3,4", "scenarios to run, comma-separated")
	f.IntVar(&c.Rows, "rows", 100_000, "rows of scenarios 1 and 2")
	f.StringVar(&c.Sizes, "sizes", "100000,1000000", "row counts of scenario 3, comma-separated")
	f.BoolVar(&quick, "quick", false, "a smoke run in under a minute: 10,000 rows, sizes 2000,10000, rate over 10s (explicit flags win)")
	f.IntVar(&c.Conc, "concurrency", 32, "job concurrency of scenarios 1 and 3, and of the baseline")
	f.IntVar(&c.LatConc, "latency-concurrency", 256, "job concurrency of scenario 2")
	f.DurationVar(&c.Latency, "latency", 20*time.Millisecond, "sandbox latency in scenario 2")
	f.DurationVar(&c.Jitter, "jitter", 5*time.Millisecond, "sandbox latency jitter (±) in scenario 2")
	f.Float64Var(&c.QPS, "qps", 50, "scenario 4: configured QPS of each of the 2 keys (the sandbox enforces the same)")
	f.IntVar(&c.SBBurst, "sandbox-burst", 5, "scenario 4: the sandbox's bucket size per key (the client's is 1)")
	f.DurationVar(&c.RateFor, "rate-for", 60*time.Second, "scenario 4: how long to run at the configured rate")
	f.Int64Var(&c.Seed, "seed", 7, "population seed (sandbox and inputs)")
	f.IntVar(&c.Population, "population", 0, "sandbox population (default: the largest row count, at least 100,000, so rows are distinct people)")
	f.Float64Var(&c.Duplicates, "duplicates", 0.02, "share of duplicate rows in the inputs")
	f.Float64Var(&c.Unknown, "unknown", 0.05, "share of people outside the population (no-hits)")
	f.Float64Var(&c.Invalid, "invalid", 0.01, "share of damaged rows (never sent)")
	f.StringVar(&c.CacheDir, "cache-dir", "", "where generated inputs are kept and reused (default: the user cache dir, riskbatch/bench)")
	f.StringVar(&c.WorkDir, "work-dir", "", "where job files and outputs go (default: a temp dir, removed unless --keep)")
	f.BoolVar(&c.Keep, "keep", false, "keep the work dir (outputs, logs)")
	f.StringVar(&c.JSONOut, "json", "bench.json", "write the figures as JSON to this file (\"\" for none)")
	f.StringVar(&c.ProfileDir, "profile", "", "write a CPU and a heap profile of every measured run into this dir (adds profiling overhead)")
	f.BoolVar(&c.NoBaseline, "no-baseline", false, "skip the bare-client baseline")
	return cmd
}

// newBenchChildCommand is the hidden `bench child --usage FILE -- ARGS`
// (bench.Child says why it exists).
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
			code, err := bench.Child(exe, usagePath, args)
			if err != nil {
				return err
			}
			if code != 0 {
				return &exitError{code: code}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&usagePath, "usage", "", "file to write the usage JSON to")
	return cmd
}
