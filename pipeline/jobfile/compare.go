package jobfile

import "github.com/riskbatch/riskbatch/pipeline/compare"

// validateCompare checks compare: when the job loads, so a refused
// previous run is a job error (exit 2) before anything is read or sent.
func (j *Job) validateCompare() []string {
	c := j.Compare
	if c == nil {
		return nil
	}
	var errs []string
	if c.Previous == "" {
		errs = append(errs, "compare.previous is required: an earlier output folder, or a glob of dated ones (../out/*)")
	}
	if c.ScoreChange < 0 {
		errs = append(errs, "compare.score_change must not be negative")
	}
	if len(errs) == 0 && j.Output.Dir != "" {
		if _, _, err := compare.ResolvePrevious(j.Resolve(c.Previous), j.Resolve(j.Output.Dir), j.stateFunc()); err != nil {
			errs = append(errs, err.Error())
		}
	}
	return errs
}

// stateFunc is Load's State, or a folder without job state for every
// folder when the caller gave none.
func (j *Job) stateFunc() compare.StateFunc {
	if j.state != nil {
		return j.state
	}
	return func(string) (bool, bool) { return false, false }
}
