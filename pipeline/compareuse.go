package pipeline

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/xuri/excelize/v2"

	"github.com/riskbatch/riskbatch/pipeline/compare"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/pipeline/summary"
	"github.com/riskbatch/riskbatch/sinks"
)

// runCompare is a run's comparison with the previous run (compare: in the
// job): the previous result sheet is loaded before the first call, each row
// is compared as it is written, and changes.csv, the Changes sheet and the
// counts are written with the results. nil when the job has no compare.
type runCompare struct {
	c       *compare.Comparer
	w       sinks.RowWriter
	sum     *compare.Summary
	dir     string
	changes []compare.Change
}

// openCompare loads the previous run for a job with compare:, given the
// result sheet's final header.
func (e *engine) openCompare(outDir string, header []string) (*runCompare, error) {
	cfg := e.job.Compare
	if cfg == nil {
		return nil, nil
	}
	prevDir, note, err := compare.ResolvePrevious(e.job.Resolve(cfg.Previous), outDir, StateExists)
	if err != nil {
		return nil, configErr("job file %s: %v", e.job.Path, err)
	}
	rc := &runCompare{dir: outDir}
	if prevDir == "" {
		rc.sum = &compare.Summary{Note: note, Counts: map[string]int{}}
		return rc, nil
	}
	prev, err := compare.LoadPrevious(prevDir, cfg.Key)
	if err != nil {
		return nil, configErr("job file %s: compare: %v", e.job.Path, err)
	}
	kinds := map[string]string{}
	for _, p := range e.provs {
		kinds[p.cfg.Name] = p.cfg.Type
	}
	bom := true
	if e.job.Output.CSVBOM != nil {
		bom = *e.job.Output.CSVBOM
	}
	rc.w, err = sinks.NewCSV(filepath.Join(outDir, compare.FileName), compare.Header, sinks.CSVOptions{BOM: bom})
	if err != nil {
		return nil, err
	}
	rc.c, err = compare.New(prev, header, kinds, cfg.Key, cfg.ScoreChange, func(ch compare.Change) error { return rc.w.Write(ch.Record()) })
	if err != nil {
		_ = rc.w.Abort()
		return nil, configErr("job file %s: compare: %v", e.job.Path, err)
	}
	if note != "" {
		e.logf("compare: %s", note)
	}
	e.logf("compare: with %s (%d rows, matched by %s)", prevDir, prev.Len(), rc.c.Key())
	return rc, nil
}

// observe compares one written row.
func (rc *runCompare) observe(num int, vals []string) error {
	if rc == nil || rc.c == nil {
		return nil
	}
	return rc.c.Observe(num, vals)
}

// finish adds the gone rows, commits changes.csv and puts the counts in
// the summary (before the report reads them).
func (rc *runCompare) finish(sum *summary.Summary) error {
	if rc == nil {
		return nil
	}
	if rc.c != nil {
		cs, err := rc.c.Finish()
		if err != nil {
			return err
		}
		if err := rc.w.Commit(); err != nil {
			return err
		}
		rc.w = nil
		cs.File = filepath.Join(rc.dir, compare.FileName)
		rc.sum, rc.changes = cs, rc.c.Changes()
	}
	sum.Changes = rc.sum
	return nil
}

func (rc *runCompare) abort() {
	if rc != nil && rc.w != nil {
		_ = rc.w.Abort()
	}
}

// xlsxOptions adds the Changes sheet after the report's leading sheets.
func (rc *runCompare) xlsxOptions(o sinks.XLSXOptions) sinks.XLSXOptions {
	if rc == nil {
		return o
	}
	lead := append([]string(nil), o.LeadingSheets...)
	at := 0
	if len(lead) > 0 {
		at = 1 // right after Summary
	}
	o.LeadingSheets = append(lead[:at:at], append([]string{compare.SheetName}, lead[at:]...)...)
	before := o.BeforeSave
	o.BeforeSave = func(f *excelize.File) error {
		if before != nil {
			if err := before(f); err != nil {
				return err
			}
		}
		if err := sinks.WriteSheet(f, compare.Sheet(rc.sum, rc.changes)); err != nil {
			return fmt.Errorf("%s sheet: %w", compare.SheetName, err)
		}
		return nil
	}
	return o
}

// Diff is riskbatch diff: compare.Diff with the job state's word on whether
// each folder's run completed; a folder it cannot compare is a
// *jobfile.ConfigError (exit 2), like a job file's mistake.
func Diff(oldDir, newDir string, opts compare.DiffOptions) (*compare.Summary, error) {
	sum, err := compare.Diff(oldDir, newDir, StateExists, opts)
	if fe := (*compare.FolderError)(nil); errors.As(err, &fe) {
		return nil, &jobfile.ConfigError{Msg: fe.Msg}
	}
	return sum, err
}
