package main

import (
	"errors"
	"strings"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/pipeline/summary"
)

// The exit codes of riskbatch: this file is the one place where errors and
// run outcomes become them (README "Exit codes", docs/state-and-resume.md).
// Scripts and schedulers branch on these numbers; never renumber.
const (
	exitOK              = 0   // every (row, provider) final
	exitInternal        = 1   // a bug: anything not classified below
	exitUsage           = 2   // usage, job file, input file, input limits, max_invalid_share — before any call
	exitIncomplete      = 3   // resumable: quota, failed after retries, breaker stopped a provider, budget
	exitProviderStopped = 4   // a fatal answer or a wrong URL stopped a provider
	exitBusy            = 5   // another process holds the job's lock; nothing done
	exitEnvironment     = 6   // disk full, read-only or unwritable output, permissions — resumable
	exitSIGINT          = 130 // stopped by SIGINT, resumable
	exitSIGTERM         = 143 // stopped by SIGTERM, resumable
)

// exitCodeForOutcome maps how a run ended to its exit code.
func exitCodeForOutcome(o summary.Outcome) int {
	switch o {
	case summary.OutcomeComplete:
		return exitOK
	case summary.OutcomeIncomplete:
		return exitIncomplete
	case summary.OutcomeProviderStopped:
		return exitProviderStopped
	case summary.OutcomeEnvironment:
		return exitEnvironment
	case summary.OutcomeSIGINT:
		return exitSIGINT
	case summary.OutcomeSIGTERM:
		return exitSIGTERM
	}
	return exitInternal
}

// exitCodeForError maps an error that ended a command to its exit code.
func exitCodeForError(err error) int {
	var (
		ee   *exitError
		ce   *jobfile.ConfigError
		ie   *input.Error
		ue   *usageError
		busy *pipeline.BusyError
		env  *pipeline.EnvError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &busy):
		return exitBusy
	case errors.As(err, &env):
		return exitEnvironment
	case errors.As(err, &ce), errors.As(err, &ie), errors.As(err, &ue), isCobraUsage(err):
		return exitUsage
	case pipeline.IsEnvironmental(err):
		return exitEnvironment
	}
	return exitInternal
}

// isCobraUsage recognises cobra's error for an unknown command, which it
// returns as a plain error (flag errors become *usageError through the
// root's FlagErrorFunc).
func isCobraUsage(err error) bool {
	return strings.HasPrefix(err.Error(), "unknown command ")
}
