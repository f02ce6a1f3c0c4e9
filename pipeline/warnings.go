package pipeline

import (
	"path/filepath"

	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/sinks"
)

// warnings.csv: one line per optional input value a provider left out of a
// request because it failed its check (providers.Request.Warnings). The row
// was still sent and its status is what the vendor answered, so a warning
// changes neither errors.csv nor the row accounting. The columns are
// errors.csv's; status is the pair's status; the message is masked by the
// provider and redacted of secrets. Written atomically like errors.csv.

// warningsFile is the file's name in the output dir.
const warningsFile = "warnings.csv"

// openWarnings creates warnings.csv (a temp file until commit).
func openWarnings(dir string, opts sinks.CSVOptions) (*sinks.ErrorLog, error) {
	return sinks.NewErrorLog(filepath.Join(dir, warningsFile), opts)
}

// writeWarnings writes one pair's warnings and counts them for the
// provider's summary. Called by the writer goroutine (rows in input order).
func (e *engine) writeWarnings(log *sinks.ErrorLog, row, line int, p *provRun, r *pairResult) error {
	for _, w := range r.warns {
		if err := log.Write(input.WarningRecord(e.red, row, line, p.cfg.Name, r.status, w)); err != nil {
			return err
		}
		p.sum.Warnings++
	}
	return nil
}
