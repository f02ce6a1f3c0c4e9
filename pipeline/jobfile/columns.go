package jobfile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/riskbatch/riskbatch/pipeline/report"
	"github.com/riskbatch/riskbatch/providers"
)

// The result columns a job's providers add, by name, and the job's checks
// of what names them: output.columns and the report's rules (package
// report). The engine lays the columns out (pipeline/columns.go).

// ReportProviders describes the job's providers to the report. A provider
// that cannot be built has unknown columns (its error is reported by the
// provider checks).
func (j *Job) ReportProviders() []report.Provider {
	out := make([]report.Provider, len(j.Providers))
	for i, p := range j.Providers {
		out[i] = report.Provider{Name: p.Name, Type: p.Type}
		spec, ok := providers.Lookup(p.Type)
		if !ok {
			continue
		}
		prov, err := spec.New(providers.Config{Name: p.Name, Endpoint: p.Endpoint, Options: p.Options})
		if err != nil {
			continue
		}
		out[i].Columns = providers.ColumnNames(prov)
	}
	return out
}

// ReportConfig is the job's decisions and backtest keys for package report.
func (j *Job) ReportConfig() report.Config {
	return report.Config{Decisions: j.Decisions, Backtest: j.Backtest}
}

// validateReport checks the decision rules and back-test setup at load.
func (j *Job) validateReport() []string {
	_, errs := report.Compile(j.ReportConfig(), j.ReportProviders())
	return errs
}

// ResultColumns are the job's result columns by name, in the default
// order (after the input columns): decision and decision_rule, then per
// provider <p>_status, <p>_decision, its result columns and, with a cache,
// <p>_source and <p>_age_days. A provider whose type or options are wrong
// adds only its status and decision.
func (j *Job) ResultColumns() []string {
	decisions := j.Decisions.Enabled == nil || *j.Decisions.Enabled
	var out []string
	if decisions {
		out = append(out, "decision", "decision_rule")
	}
	for i, rp := range j.ReportProviders() {
		p := &j.Providers[i]
		out = append(out, p.Name+"_status")
		if decisions {
			out = append(out, p.Name+"_decision")
		}
		for _, c := range rp.Columns {
			out = append(out, p.Name+"_"+c)
		}
		out = append(out, p.CacheColumns()...)
	}
	return out
}

// validateOutputColumns checks output.columns against the result columns.
func (j *Job) validateOutputColumns() []string {
	if len(j.Output.Columns) == 0 {
		return nil
	}
	known := j.ResultColumns()
	var errs []string
	seen := map[string]bool{}
	unknown := false
	for _, c := range j.Output.Columns {
		switch {
		case seen[c]:
			errs = append(errs, fmt.Sprintf("output.columns: %q is listed twice", c))
		case !slices.Contains(known, c):
			unknown = true
			msg := fmt.Sprintf("output.columns: unknown result column %q", c)
			if near := nearestName(c, known); near != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", near)
			}
			errs = append(errs, msg)
		}
		seen[c] = true
	}
	if unknown {
		errs = append(errs, "output.columns: the result columns of this job are "+strings.Join(known, ", ")+
			" (the input columns always come first and are not listed)")
	}
	return errs
}

// nearestName is the name closest to s by edit distance, if close enough
// to be a typo (at most 2 edits, or a third of its length).
func nearestName(s string, names []string) string {
	best, bestD := "", max(2, len([]rune(s))/3)+1
	for _, n := range names {
		if d := editDistance(strings.ToLower(s), strings.ToLower(n)); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
