package pipeline

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// Outcome is how a run ended. The process exit code for each outcome and
// each error kind below is decided in one place, the table in cmd/riskbatch
// (exitcodes.go); the engine only says what happened.
type Outcome string

const (
	// OutcomeComplete: every (row, provider) pair is final (hit, no_hit, invalid).
	OutcomeComplete Outcome = "complete"
	// OutcomeIncomplete: rows deferred (quota, budget, a provider whose
	// endpoint is unreachable) or failed after retries; resume continues.
	OutcomeIncomplete Outcome = "incomplete"
	// OutcomeProviderStopped: a provider was stopped by a fatal answer
	// (credentials, permission) or a wrong URL (404, scheme or TLS mismatch).
	OutcomeProviderStopped Outcome = "provider_stopped"
	// OutcomeEnvironment: the journal or an output could not be written
	// (disk full, read-only, permissions); the run stopped like on a signal.
	OutcomeEnvironment Outcome = "environment"
	// OutcomeSIGINT and OutcomeSIGTERM: stopped by a signal; resumable.
	OutcomeSIGINT  Outcome = "SIGINT"
	OutcomeSIGTERM Outcome = "SIGTERM"
)

// setOutcome records how the run ended, and the exit code the caller's
// table (Options.ExitCode, cmd/riskbatch/exitcodes.go) gives it, so that
// summary.json's exit_code is the process's.
func (e *engine) setOutcome(sum *Summary, o Outcome) {
	sum.Outcome = o
	if e.opts.ExitCode != nil {
		sum.ExitCode = e.opts.ExitCode(o)
	}
}

// BusyError: another process holds the job's lock. Nothing was done.
type BusyError struct {
	Dir    string // the output dir
	Holder string // who holds it: pid, host, start time, command
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("job in %s is busy: another riskbatch process holds its lock (%s); nothing was done", e.Dir, e.Holder)
}

// EnvError is a failure of the machine, not of the job or the data: a full
// disk, a read-only or unwritable output dir, missing permissions. Work done
// so far is journaled; resume continues once the cause is fixed.
type EnvError struct {
	Op     string // what failed ("journal write", "write results.csv", …)
	Err    error
	Resume string // the resume command, when the job state exists
}

func (e *EnvError) Error() string {
	msg := fmt.Sprintf("%s: %v", e.Op, e.Err)
	if hint := envHint(e.Err); hint != "" {
		msg += " (" + hint + ")"
	}
	return msg
}

func (e *EnvError) Unwrap() error { return e.Err }

// IsEnvironmental reports whether err comes from the machine rather than the
// job: no space, quota, read-only file system, permission, I/O error.
func IsEnvironmental(err error) bool {
	for _, target := range []error{syscall.ENOSPC, syscall.EDQUOT, syscall.EROFS, syscall.EIO, os.ErrPermission} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

func envHint(err error) string {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return "the disk is full: free space, then resume"
	case errors.Is(err, syscall.EROFS):
		return "the file system is read-only"
	case errors.Is(err, os.ErrPermission):
		return "no permission to write there"
	}
	return ""
}
