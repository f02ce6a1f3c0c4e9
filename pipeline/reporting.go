package pipeline

import (
	"strings"

	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/pipeline/output"
	"github.com/riskbatch/riskbatch/pipeline/report"
	"github.com/riskbatch/riskbatch/providers"
)

// The glue between a run and package report: the job's `decisions` and
// `backtest` keys compiled for the run's providers. The decision columns of
// the result sheets and the report outputs (Summary and Back-test sheets,
// report.html, summary.json's "report") are output.Report's.

// newReport compiles the job's rules for the run's providers; Place then
// says where the sheets show the columns.
func (e *engine) newReport(header []string) (*output.Report, error) {
	provs := make([]report.Provider, len(e.provs))
	for i, p := range e.provs {
		provs[i] = report.Provider{Name: p.cfg.Name, Type: p.cfg.Type, Columns: providers.ColumnNames(p.prov)}
	}
	plan, errs := report.Compile(e.job.ReportConfig(), provs)
	if len(errs) > 0 {
		return nil, configErr("job file %s:\n  %s", e.job.Path, strings.Join(errs, "\n  "))
	}
	rep, err := output.NewReport(plan, header)
	if err != nil {
		return nil, &input.Error{Err: err}
	}
	return rep, nil
}
