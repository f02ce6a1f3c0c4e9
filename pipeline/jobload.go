package pipeline

import (
	"fmt"

	"github.com/riskbatch/riskbatch/pipeline/jobfile"
)

// LoadJob reads, interpolates and validates a job file (jobfile.Load) with
// the job state's word on compare.previous: the state of an output folder
// is the engine's (StateExists), so the loading every command does goes
// through here. getenv is os.LookupEnv in production; tests pass their own.
func LoadJob(path string, getenv func(string) (string, bool)) (*jobfile.Job, error) {
	return jobfile.Load(path, getenv, jobfile.LoadOptions{State: StateExists})
}

// LoadJobOffline loads a job for the commands that make no call (validate,
// hash): a credential whose variable is unset is left empty instead of
// being an error, so a job can be checked on a machine without the keys.
func LoadJobOffline(path string, getenv func(string) (string, bool)) (*jobfile.Job, error) {
	return jobfile.Load(path, getenv, jobfile.LoadOptions{Offline: true, State: StateExists})
}

// configErr is a mistake in the job file (or the command line) found while
// running it: a *jobfile.ConfigError, exit 2 like the ones Load finds.
func configErr(format string, args ...any) error {
	return &jobfile.ConfigError{Msg: fmt.Sprintf(format, args...)}
}
