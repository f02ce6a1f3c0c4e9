package pipeline

import (
	"fmt"
	"path/filepath"

	"github.com/xuri/excelize/v2"

	"github.com/riskbatch/riskbatch/sinks"
)

// runCompare is a run's comparison with the previous run (compare: in the
// job): the previous result sheet is loaded before the first call, each row
// is compared as it is written, and changes.csv, the Changes sheet and the
// counts are written with the results. nil when the job has no compare.
type runCompare struct {
	c       *comparer
	w       sinks.RowWriter
	sum     *ChangeSummary
	dir     string
	changes []Change
}

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
		if _, _, err := resolvePrevious(j.Resolve(c.Previous), j.Resolve(j.Output.Dir)); err != nil {
			errs = append(errs, err.Error())
		}
	}
	return errs
}

// openCompare loads the previous run for a job with compare:, given the
// result sheet's final header.
func (e *engine) openCompare(outDir string, header []string) (*runCompare, error) {
	cfg := e.job.Compare
	if cfg == nil {
		return nil, nil
	}
	prevDir, note, err := resolvePrevious(e.job.Resolve(cfg.Previous), outDir)
	if err != nil {
		return nil, configErr("job file %s: %v", e.job.Path, err)
	}
	rc := &runCompare{dir: outDir}
	if prevDir == "" {
		rc.sum = &ChangeSummary{Note: note, Counts: map[string]int{}}
		return rc, nil
	}
	prev, err := loadPrevious(prevDir, cfg.Key)
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
	rc.w, err = sinks.NewCSV(filepath.Join(outDir, changesFile), changesHeader, sinks.CSVOptions{BOM: bom})
	if err != nil {
		return nil, err
	}
	rc.c, err = newComparer(prev, header, kinds, cfg.Key, cfg.ScoreChange, func(ch Change) error { return rc.w.Write(ch.record()) })
	if err != nil {
		_ = rc.w.Abort()
		return nil, configErr("job file %s: compare: %v", e.job.Path, err)
	}
	if note != "" {
		e.logf("compare: %s", note)
	}
	e.logf("compare: with %s (%d rows, matched by %s)", prevDir, len(prev.rows), rc.c.cfg.Key)
	return rc, nil
}

// observe compares one written row.
func (rc *runCompare) observe(num int, vals []string) error {
	if rc == nil || rc.c == nil {
		return nil
	}
	return rc.c.observe(num, vals)
}

// finish adds the gone rows, commits changes.csv and puts the counts in
// the summary (before the report reads them).
func (rc *runCompare) finish(sum *Summary) error {
	if rc == nil {
		return nil
	}
	if rc.c != nil {
		cs, err := rc.c.finish()
		if err != nil {
			return err
		}
		if err := rc.w.Commit(); err != nil {
			return err
		}
		rc.w = nil
		cs.File = filepath.Join(rc.dir, changesFile)
		rc.sum, rc.changes = cs, rc.c.changes
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
	o.LeadingSheets = append(lead[:at:at], append([]string{ChangesSheet}, lead[at:]...)...)
	before := o.BeforeSave
	o.BeforeSave = func(f *excelize.File) error {
		if before != nil {
			if err := before(f); err != nil {
				return err
			}
		}
		if err := sinks.WriteSheet(f, changesSheet(rc.sum, rc.changes)); err != nil {
			return fmt.Errorf("%s sheet: %w", ChangesSheet, err)
		}
		return nil
	}
	return o
}
