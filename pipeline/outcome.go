package pipeline

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/riskbatch/riskbatch/pipeline/summary"
)

// setOutcome records how the run ended, and the exit code the caller's
// table (Options.ExitCode, cmd/riskbatch/exitcodes.go) gives it, so that
// summary.json's exit_code is the process's.
func (e *engine) setOutcome(sum *summary.Summary, o summary.Outcome) {
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
