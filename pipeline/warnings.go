package pipeline

import (
	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/pipeline/output"
)

// writeWarnings writes one pair's warnings to warnings.csv (package output
// says what the file holds) and counts them for the provider's summary.
// Called by the writer goroutine (rows in input order).
func (e *engine) writeWarnings(files *output.Files, row, line int, p *provRun, r *pairResult) error {
	for _, w := range r.warns {
		if err := files.WriteWarning(input.WarningRecord(e.red, row, line, p.cfg.Name, r.status, w)); err != nil {
			return err
		}
		p.sum.Warnings++
	}
	return nil
}
