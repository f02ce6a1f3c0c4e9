package output

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/riskbatch/riskbatch/pipeline/report"
	"github.com/riskbatch/riskbatch/pipeline/summary"
	"github.com/riskbatch/riskbatch/sinks"
)

// Report is a run's report (package report) in its outputs: the decision
// columns of the result sheets, their colours, the Summary and Back-test
// sheets, report.html and summary.json's "report".
type Report struct {
	plan    *report.Plan
	coll    *report.Collector
	formats []sinks.CondFormat
	figs    *report.Figures
	width   int
}

// NewReport starts the report of a run whose input has header, with the
// job's rules compiled for its providers; Place then says where the
// sheets show the columns.
func NewReport(plan *report.Plan, header []string) (*Report, error) {
	coll, err := report.NewCollector(plan, header)
	if err != nil {
		return nil, err
	}
	return &Report{plan: plan, coll: coll, width: len(coll.Columns())}, nil
}

// Place computes the result sheets' colours for the columns where the
// sheets show them: pos maps each column of the engine's row (l) to its
// sheet column, -1 when left out.
func (r *Report) Place(l Layout, pos []int) {
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

// Columns are the decision columns appended to the result sheets.
func (r *Report) Columns() []string { return r.coll.Columns() }

// XLSXOptions adds the report's sheets and the result sheets' colours.
func (r *Report) XLSXOptions(o sinks.XLSXOptions) sinks.XLSXOptions {
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

// Observe takes one finished row, each provider's status and result
// values and the row's input values, and fills out, the row's decision
// columns.
func (r *Report) Observe(status []string, values [][]string, inputs, out []string) {
	r.coll.Observe(status, values, inputs, out[:r.width])
}

// Finish computes the figures once the summary is final; they go into
// summary.json and the report sheets.
func (r *Report) Finish(sum *summary.Summary) {
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

// WriteHTML writes report.html into dir (atomically).
func (r *Report) WriteHTML(dir string) error {
	var b bytes.Buffer
	if err := r.figs.WriteHTML(&b); err != nil {
		return fmt.Errorf("report.html: %w", err)
	}
	return sinks.WriteFileAtomic(filepath.Join(dir, "report.html"), b.Bytes(), 0o644)
}
