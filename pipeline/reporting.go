package pipeline

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/pipeline/output"
	"github.com/riskbatch/riskbatch/pipeline/report"
	"github.com/riskbatch/riskbatch/pipeline/summary"
	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/sinks"
)

// The glue between a run and package report: the job's `decisions` and
// `backtest` keys, the decision columns of the result sheets, and the
// report outputs (Summary and Back-test sheets, report.html, summary.json's
// "report").

// reporter is a run's report: it fills the decision columns of each row,
// collects the figures, and writes them at commit.
type reporter struct {
	plan    *report.Plan
	coll    *report.Collector
	formats []sinks.CondFormat
	figs    *report.Figures
	status  []string
	values  [][]string
	width   int
}

// newReporter compiles the job's rules for the run's providers; place
// then says where the sheets show the columns.
func (e *engine) newReporter(header []string) (*reporter, error) {
	provs := make([]report.Provider, len(e.provs))
	for i, p := range e.provs {
		provs[i] = report.Provider{Name: p.cfg.Name, Type: p.cfg.Type, Columns: providers.ColumnNames(p.prov)}
	}
	plan, errs := report.Compile(e.job.ReportConfig(), provs)
	if len(errs) > 0 {
		return nil, configErr("job file %s:\n  %s", e.job.Path, strings.Join(errs, "\n  "))
	}
	coll, err := report.NewCollector(plan, header)
	if err != nil {
		return nil, &input.Error{Err: err}
	}
	r := &reporter{plan: plan, coll: coll, status: make([]string, len(provs)), values: make([][]string, len(provs))}
	r.width = len(coll.Columns())
	return r, nil
}

// place computes the result sheets' colours for the columns where the
// sheets show them: pos maps each column of the engine's row (l) to its
// sheet column, -1 when left out.
func (r *reporter) place(l output.Layout, pos []int) {
	var layout report.Layout
	start := l.Inputs
	for _, w := range l.Blocks {
		layout.Status = append(layout.Status, pos[start])
		layout.Columns = append(layout.Columns, append([]int(nil), pos[start+1:start+w]...))
		start += w
	}
	if l.Decisions > 0 {
		layout.Decisions = append(layout.Decisions, pos[start:start+len(l.Blocks)+1]...) // <p>_decision…, decision
	}
	r.formats = r.plan.ResultFormats(layout)
}

// columns are the decision columns appended to the result sheets.
func (r *reporter) columns() []string { return r.coll.Columns() }

// xlsxOptions adds the report's sheets and the result sheets' colours.
func (r *reporter) xlsxOptions(o sinks.XLSXOptions) sinks.XLSXOptions {
	o.LeadingSheets = r.plan.SheetNames()
	o.SheetDone = func(f *excelize.File, sheet string, lastRow int) error {
		return sinks.ApplyCondFormats(f, sheet, lastRow, r.formats)
	}
	o.BeforeSave = func(f *excelize.File) error {
		if r.figs == nil {
			return nil
		}
		for _, s := range r.figs.Sheets() {
			if err := sinks.WriteSheet(f, s); err != nil {
				return fmt.Errorf("%s sheet: %w", s.Name, err)
			}
		}
		return nil
	}
	return o
}

// observe takes one finished row (its pairs resolved) and fills out, the
// row's decision columns.
func (r *reporter) observe(it *rowItem, out []string) {
	for i := range it.res {
		r.status[i] = it.res[i].status
		r.values[i] = it.res[i].values
	}
	r.coll.Observe(r.status, r.values, it.row.Values, out[:r.width])
}

// finish computes the figures once the summary is final; they go into
// summary.json and the report sheets.
func (r *reporter) finish(sum *summary.Summary) {
	run := report.Run{
		Tool: sum.Tool, Version: sum.Version, Job: sum.Job, Input: sum.Input, OutputDir: sum.OutputDir,
		StartedAt: sum.StartedAt, FinishedAt: sum.FinishedAt, Seconds: sum.Seconds,
		Complete: sum.Complete, ExitCode: sum.ExitCode, Resume: sum.Resume,
		RowsIn: sum.RowsIn, RowsOK: sum.RowsOK, RowsError: sum.RowsError, Unreadable: sum.RowsInvalid,
		Statuses:    summary.Statuses,
		GeneratedBy: strings.TrimSpace("riskbatch " + sum.Version),
		Headline:    sum.Changes.HeadlineLines(),
	}
	for _, p := range sum.Providers {
		run.Providers = append(run.Providers, report.RunProvider{
			Name: p.Name, Type: p.Type, Status: p.Status, Calls: p.Calls, Billed: p.Billed,
			Cost: p.Cost, Currency: p.Currency, HitRate: p.HitRate, Stopped: p.Stopped,
		})
	}
	r.figs = r.coll.Figures(run)
	sum.Report = r.figs
}

// writeHTML writes report.html into dir (atomically).
func (r *reporter) writeHTML(dir string) error {
	var b bytes.Buffer
	if err := r.figs.WriteHTML(&b); err != nil {
		return fmt.Errorf("report.html: %w", err)
	}
	return sinks.WriteFileAtomic(filepath.Join(dir, "report.html"), b.Bytes(), 0o644)
}
