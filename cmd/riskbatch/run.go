package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/summary"
)

type runOptions struct {
	fresh, force, waitForQuota, noProgress bool
	limit                                  int
	shard                                  string
	grace                                  time.Duration
	cpuProfile, memProfile                 string
}

// newRunCommand builds `run` (resume=false) or `resume` (resume=true).
func newRunCommand(cl *cliLog, resume bool) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run JOB",
		Short: "Run a job: read the input, call the providers, write the results",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runJob(cmd.Context(), cl.logger(), args[0], resume, o)
		},
	}
	if resume {
		cmd.Use = "resume JOB"
		cmd.Short = "Continue an interrupted or incomplete run: reuse journaled answers, send the rest"
		cmd.Flags().BoolVar(&o.force, "force", false, "resume even if the input file or result-affecting settings changed")
	} else {
		cmd.Flags().BoolVar(&o.fresh, "fresh", false, "discard the state of an incomplete run and start over")
		cmd.Flags().IntVar(&o.limit, "limit", 0, "a trial: process only the first N rows; a later run without --limit reuses their answers")
	}
	cmd.Flags().StringVar(&o.shard, "shard", "", "run shard i/n of the job (0 ≤ i < n): only the rows whose identity hashes to i, into <output dir>/shard-i-of-n; also from JOB_COMPLETION_INDEX with RISKBATCH_SHARD_COUNT; put them together with riskbatch merge")
	cmd.Flags().BoolVar(&o.waitForQuota, "wait-for-quota", false, "when every key is spent, sleep until the quota resets instead of deferring rows (nightly jobs)")
	cmd.Flags().BoolVar(&o.noProgress, "no-progress", false, "no progress bar even on a terminal")
	cmd.Flags().DurationVar(&o.grace, "grace", 30*time.Second, "after SIGINT/SIGTERM, how long in-flight calls may take to finish")
	cmd.Flags().StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile (pprof) to this file")
	cmd.Flags().StringVar(&o.memProfile, "memprofile", "", "write a heap profile (pprof) to this file at the end")
	return cmd
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return &usageError{msg: fmt.Sprintf("%s: expected %d argument(s), got %d (usage: riskbatch %s)", cmd.Name(), n, len(args), cmd.Use)}
		}
		return nil
	}
}

func runJob(parent context.Context, log *slog.Logger, jobPath string, resume bool, o runOptions) error {
	shard, err := shardOf(o.shard)
	if err != nil {
		return err
	}
	if o.limit < 0 {
		return &usageError{msg: fmt.Sprintf("--limit %d: want a number of rows (> 0)", o.limit)}
	}
	job, err := pipeline.LoadJob(jobPath, nil)
	if err != nil {
		return err
	}
	stopProfiles, err := startProfiles(o.cpuProfile, o.memProfile)
	if err != nil {
		return err
	}
	defer stopProfiles()
	defer tuneGC()()
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()

	// First SIGINT/SIGTERM: stop taking rows, let in-flight calls finish,
	// journal, write what is done. A second one exits at once (the journal
	// is already safe on disk).
	var sigName atomic.Value
	sigName.Store("")
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		s, ok := <-sigs
		if !ok {
			return
		}
		name, code := "SIGINT", exitCodeForOutcome(summary.OutcomeSIGINT)
		if s == syscall.SIGTERM {
			name, code = "SIGTERM", exitCodeForOutcome(summary.OutcomeSIGTERM)
		}
		sigName.Store(name)
		log.Warn(fmt.Sprintf("%s received: finishing in-flight calls (up to %s), then writing results; send again to quit at once", name, o.grace))
		cancel()
		select {
		case <-sigs:
			log.Warn("second signal: exiting now; resume with: riskbatch resume " + jobPath)
			os.Exit(code)
		case <-time.After(o.grace + 30*time.Second):
			log.Error("in-flight calls did not finish in time; exiting")
			os.Exit(code)
		case <-parent.Done():
		}
	}()

	// The bar is for a person at a terminal; JSON logs get progress records.
	tty := !o.noProgress && term.IsTerminal(int(os.Stderr.Fd())) && log.Handler().Enabled(context.Background(), slog.LevelInfo) && !isJSONLog(log)
	sum, err := pipeline.Run(ctx, job, pipeline.Options{
		Version:       version,
		Log:           os.Stderr,
		Logger:        log,
		TTY:           tty,
		Resume:        resume,
		Fresh:         o.fresh,
		Force:         o.force,
		WaitForQuota:  o.waitForQuota,
		Grace:         o.grace,
		Signal:        func() string { return sigName.Load().(string) },
		ResumeCommand: resumeCommand(shard, jobPath),
		Command:       commandLine(resume, o, jobPath),
		Limit:         o.limit,
		Shard:         shard,
		ExitCode:      exitCodeForOutcome,
		Sandbox:       embeddedSandbox,
	})
	if err != nil {
		return err
	}
	sum.WriteTable(os.Stdout)
	out := job.Resolve(job.Output.Dir)
	fmt.Fprintf(os.Stdout, "results: %s (report: %s)\n", filepath.Join(out, "results."+job.Output.Formats[0]), filepath.Join(out, "report.html"))
	if sum.TrialLimit > 0 {
		fmt.Fprintf(os.Stdout, "partial trial: only the first %d rows were processed; `riskbatch run %s` (without --limit) does the whole file and reuses these answers\n", sum.TrialLimit, jobPath)
	}
	for _, w := range sum.Warnings {
		fmt.Fprintf(os.Stdout, "WARNING: %s\n", w)
	}
	return endOfRun(sum)
}

// endOfRun says how a run (or a merge) ended and how to go on, and returns
// the process exit its outcome maps to in the table (exitcodes.go), the
// code summary.json holds.
func endOfRun(sum *summary.Summary) error {
	switch sum.Outcome {
	case summary.OutcomeComplete:
	case summary.OutcomeIncomplete:
		msg := "incomplete: some rows are deferred or failed"
		if sum.QuotaReset != nil {
			msg += fmt.Sprintf("; quotas reset at %s", sum.QuotaReset.Format("2006-01-02 15:04 -07"))
		}
		fmt.Fprintf(os.Stdout, "%s\nresume with: %s\n", msg, sum.Resume)
	case summary.OutcomeProviderStopped:
		fmt.Fprintf(os.Stdout, "a provider was stopped by a fatal answer or a wrong URL (see above); fix the job, then: %s\n", sum.Resume)
	case summary.OutcomeEnvironment:
		fmt.Fprintf(os.Stdout, "stopped: %s\nfix the cause, then resume with: %s\n", sum.Failure, sum.Resume)
	default:
		fmt.Fprintf(os.Stdout, "stopped by %s; resume with: %s\n", sum.Stopped, sum.Resume)
	}
	if code := exitCodeForOutcome(sum.Outcome); code != exitOK {
		return &exitError{code: code}
	}
	return nil
}

// commandLine describes this process for the job lock's holder message.
func commandLine(resume bool, o runOptions, jobPath string) string {
	switch {
	case resume:
		return "riskbatch resume " + jobPath
	case o.fresh:
		return "riskbatch run --fresh " + jobPath
	}
	return "riskbatch run " + jobPath
}

func isJSONLog(l *slog.Logger) bool {
	_, ok := l.Handler().(*slog.JSONHandler)
	return ok
}

// shardOf reads --shard, else the Kubernetes Indexed Job environment.
func shardOf(flag string) (pipeline.Shard, error) {
	if flag != "" {
		s, err := pipeline.ParseShard(flag)
		if err != nil {
			return s, &usageError{msg: "--shard: " + err.Error()}
		}
		return s, nil
	}
	s, _, err := pipeline.ShardFromEnv(os.Getenv)
	if err != nil {
		return s, &usageError{msg: err.Error()}
	}
	return s, nil
}

func resumeCommand(shard pipeline.Shard, jobPath string) string {
	if shard.Count > 1 {
		return fmt.Sprintf("riskbatch resume --shard %s %s", shard, jobPath)
	}
	return "riskbatch resume " + jobPath
}
