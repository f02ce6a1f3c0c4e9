package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/pipeline/journal"
	"github.com/riskbatch/riskbatch/pipeline/output"
	"github.com/riskbatch/riskbatch/pipeline/summary"
	"github.com/riskbatch/riskbatch/sinks"
)

// outputs are a run's output files (package output) and what the engine
// fills each row with before it goes to them: the masks, the decision
// columns, the comparison with the previous run.
type outputs struct {
	dir   string
	files *output.Files // the result sheets, errors.csv, warnings.csv
	width int
	buf   []string
	masks []func(string) string // per input column; nil = keep
	rep   *output.Report        // decision columns and the report outputs
	// status and values are each provider's answer to the row at hand,
	// for the report's decision columns.
	status []string
	values [][]string
	order  []int       // the sheets' columns as indexes into buf (output.Layout)
	row    []string    // buf in the sheets' order
	cmp    *runCompare // compare: with the previous run (compareuse.go)
}

func (e *engine) openOutputs(dir string, header []string) (*outputs, error) {
	cols := append([]string(nil), header...)
	numeric := make([]bool, len(header))
	for _, p := range e.provs {
		cols = append(cols, p.cfg.Name+"_status")
		numeric = append(numeric, false)
		for _, c := range p.prov.Columns() {
			cols = append(cols, p.cfg.Name+"_"+c.Name)
			numeric = append(numeric, c.Numeric)
		}
		for i, c := range p.cfg.CacheColumns() { // <p>_source, <p>_age_days (cacheuse.go)
			cols = append(cols, c)
			numeric = append(numeric, i == 1)
		}
	}
	rep, err := e.newReport(header)
	if err != nil {
		return nil, err
	}
	cols = append(cols, rep.Columns()...)
	numeric = append(numeric, make([]bool, len(rep.Columns()))...)
	layout := output.Layout{Inputs: len(header), Decisions: len(rep.Columns())}
	for _, p := range e.provs {
		layout.Blocks = append(layout.Blocks, 1+len(p.prov.Columns())+len(p.cfg.CacheColumns()))
	}
	order := layout.Order(cols, e.job.Output.Columns)
	rep.Place(layout, output.SheetPositions(len(cols), order))
	o := &outputs{dir: dir, width: len(cols), buf: make([]string, len(cols)), rep: rep, order: order, row: make([]string, len(order)),
		status: make([]string, len(e.provs)), values: make([][]string, len(e.provs))}
	if o.cmp, err = e.openCompare(dir, cols); err != nil { // compare: (compareuse.go)
		return nil, err
	}
	cols, numeric = output.Pick(cols, order), output.Pick(numeric, order)
	if e.job.Output.MaskPII {
		o.masks = make([]func(string) string, len(header))
		for _, p := range e.provs {
			for _, in := range p.prov.Inputs() {
				col := p.binding.Column(in.Name)
				if col == "" {
					continue
				}
				for i, h := range header {
					if h == col {
						o.masks[i] = input.MaskerFor(string(in.Kind))
					}
				}
			}
		}
	}
	bom := true
	if e.job.Output.CSVBOM != nil {
		bom = *e.job.Output.CSVBOM
	}
	o.files, err = output.Open(output.Options{
		Dir: dir, Formats: e.job.Output.Formats, Columns: cols, BOM: bom,
		XLSX: o.cmp.xlsxOptions(rep.XLSXOptions(sinks.XLSXOptions{NumericColumns: numeric, FreezeColumns: e.frozenColumns(header)})),
	})
	if err != nil {
		o.cmp.abort()
		return nil, err
	}
	return o, nil
}

// emit writes one finished row (in input order) and counts it.
func (e *engine) emit(it *rowItem, o *outputs, sum *summary.Summary) error {
	vals := it.row.Values
	n := copy(o.buf, vals)
	for i := range n {
		if o.masks != nil && o.masks[i] != nil && o.buf[i] != "" {
			o.buf[i] = o.masks[i](o.buf[i])
		}
	}
	pos := len(vals)
	ok := true
	if it.rowErr != "" {
		sum.RowsInvalid++
		if err := o.files.WriteError(sinks.ErrorRecord{Row: it.row.Num, Line: it.row.Line, Status: summary.StatusInvalid, Code: "unreadable_row", Message: it.rowErr}); err != nil {
			return err
		}
	}
	for i, p := range e.provs {
		r := &it.res[i]
		if r.values == nil && r.journal >= 0 {
			// Reused from the journal: read the answer back.
			rec, err := e.state.readResult(r.journal)
			if err != nil {
				return fmt.Errorf("row %d provider %s: %w", it.row.Num, p.cfg.Name, err)
			}
			r.reuse(rec)
		}
		o.buf[pos] = r.status
		pos++
		cols := p.ncols
		for c := 0; c < cols; c++ {
			v := ""
			if c < len(r.values) {
				v = r.values[c]
			}
			o.buf[pos+c] = v
		}
		pos += cols
		if p.cfg.Cache != nil {
			o.buf[pos], o.buf[pos+1] = e.cacheCells(r)
			pos += 2
		}
		p.sum.Status[r.status]++
		if err := e.writeWarnings(o.files, it.row.Num, it.row.Line, p, r); err != nil {
			return err
		}
		if r.status != summary.StatusHit && r.status != summary.StatusNoHit {
			ok = false
			if it.rowErr == "" {
				if err := o.files.WriteError(sinks.ErrorRecord{Row: it.row.Num, Line: it.row.Line, Provider: p.cfg.Name, Status: r.status, Code: r.code, Column: r.column, Message: r.msg}); err != nil {
					return err
				}
			}
		}
	}
	for i := range it.res {
		o.status[i] = it.res[i].status
		o.values[i] = it.res[i].values
	}
	o.rep.Observe(o.status, o.values, it.row.Values, o.buf[pos:])
	if err := o.cmp.observe(it.row.Num, o.buf); err != nil {
		return err
	}
	for i, j := range o.order {
		o.row[i] = o.buf[j]
	}
	if err := o.files.WriteRow(o.row); err != nil {
		return err
	}
	sum.RowsOut++
	if ok {
		sum.RowsOK++
	} else {
		e.rowsErr.Add(1)
	}
	return nil
}

// reuse fills a pair whose final answer is taken by journal offset (an
// earlier run's, or an identical row's in this run: dedupe.go keeps only
// the offset and the status) with every field the answering run wrote to
// the outputs from it: the result columns, the source, and the vendor's
// code and message that errors.csv shows for an invalid row. A resumed
// run's outputs are then those of an uninterrupted run.
func (r *pairResult) reuse(rec *journal.Record) {
	r.values = rec.Values
	r.source, r.fetched = rec.Source, rec.FetchedAt
	if r.code == "" {
		r.code = rec.Code
	}
	if r.msg == "" && r.status == summary.StatusInvalid {
		r.msg = vendorRejected(rec.Message)
	}
}

// vendorRejected is the errors.csv message of a row the vendor answered
// invalid, from the vendor's (redacted) message: one wording for a fresh
// answer and a reused one.
func vendorRejected(msg string) string { return "vendor rejected the row: " + msg }

func (o *outputs) abort() {
	o.cmp.abort()
	o.files.Abort()
}

func (o *outputs) commit(sum *summary.Summary) error {
	if err := o.cmp.finish(sum); err != nil { // changes.csv and the counts, before the report reads them
		return err
	}
	o.rep.Finish(sum) // the figures, before the XLSX writer's summary sheet needs them
	if err := o.files.Commit(); err != nil {
		return err
	}
	if err := o.rep.WriteHTML(o.dir); err != nil {
		return err
	}
	return output.WriteSummary(o.dir, sum)
}

// finishSummary fills the figures and the exit code once every row is out.
func (e *engine) finishSummary(sum *summary.Summary, ctx context.Context) {
	sum.FinishedAt = time.Now()
	sum.Seconds = sum.FinishedAt.Sub(sum.StartedAt).Seconds()
	sum.RowsError = sum.RowsIn - sum.RowsOK
	incomplete, fatal := false, false
	for _, p := range e.provs {
		s := p.sum
		s.Calls = p.calls.Load()
		s.Billed = p.billedN.Load()
		s.Cost = summary.RoundCost(float64(s.Billed) * p.cfg.PricePerCall)
		s.Retries = p.retries.Load()
		s.Throttled = p.throttled.Load()
		s.InDoubt = p.inDoubt.Load()
		s.Reused = p.reused.Load()
		s.Deduped = p.saved.Load()
		p.cacheSummary(s)
		p.budgetSummary(s)
		e.totalsSummary(sum, p, s)
		if h, nh := s.Status[summary.StatusHit], s.Status[summary.StatusNoHit]; h+nh > 0 {
			s.HitRate = float64(h) / float64(h+nh)
		}
		if p.stopped.Load() {
			s.Stopped = p.stopReason()
			fatal = true
		}
		if !p.resetAt.IsZero() {
			t := p.resetAt
			s.QuotaReset = &t
			if sum.QuotaReset == nil || t.Before(*sum.QuotaReset) {
				sum.QuotaReset = &t
			}
		}
		for i, ks := range p.pool.Stats() {
			s.Keys = append(s.Keys, summary.KeySummary{
				ID: ks.ID, Calls: ks.Calls, Billed: p.keyStats[i].billed.Load(), Throttled: ks.Throttled,
				Retries: p.keyStats[i].retries.Load(), InDoubt: p.keyStats[i].inDoubt.Load(),
				QuotaUsedToday: ks.QuotaUsedToday, DailyQuota: ks.DailyQuota, State: ks.State, QPS: ks.QPS,
			})
		}
		if s.Status[summary.StatusFailed]+s.Status[summary.StatusDeferred]+s.Status[summary.StatusSkipped] > 0 {
			incomplete = true
		}
	}
	sum.Complete = !incomplete
	if e.opts.merge != nil {
		applyMerge(sum, e.opts.merge)
	}
	switch {
	case ctx.Err() != nil:
		sig := "SIGINT"
		if e.opts.Signal != nil {
			sig = e.opts.Signal()
		}
		sum.Stopped = sig
		o := summary.OutcomeSIGINT
		if sig == "SIGTERM" {
			o = summary.OutcomeSIGTERM
		}
		e.setOutcome(sum, o)
		sum.Complete = false
	case fatal:
		e.setOutcome(sum, summary.OutcomeProviderStopped)
	case incomplete:
		e.setOutcome(sum, summary.OutcomeIncomplete)
	default:
		e.setOutcome(sum, summary.OutcomeComplete)
	}
	if !sum.Complete {
		sum.Resume = e.opts.ResumeCommand
	}
}
