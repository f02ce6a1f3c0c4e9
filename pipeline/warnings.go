package pipeline

import (
	"path/filepath"

	"github.com/riskbatch/riskbatch/pipeline/redact"
	"github.com/riskbatch/riskbatch/providers"
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
		if err := log.Write(warningRecord(e.red, row, line, p.cfg.Name, r.status, w)); err != nil {
			return err
		}
		p.sum.Warnings++
	}
	return nil
}

// warningRecord is the warnings.csv line of one value left out.
func warningRecord(red *redact.Redactor, row, line int, provider, status string, w *providers.RowError) sinks.ErrorRecord {
	return sinks.ErrorRecord{
		Row: row, Line: line, Provider: provider, Status: status, Code: w.Code, Column: w.Column,
		Message: red.Redact(w.Error()) + "; left out of the request (optional field), the row was sent",
	}
}
