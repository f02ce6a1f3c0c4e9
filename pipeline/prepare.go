package pipeline

import (
	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/pipeline/redact"
	"github.com/riskbatch/riskbatch/pipeline/summary"
	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/sources"
)

// The engine's side of package input: a Prepare error or Excel damage as
// the pair's invalid result, and the Excel check's hooks in the workers
// and the pre-flight.

// invalidResult turns a Prepare error into the pair's invalid result
// (input.Invalid: the provider's reason code and column, the value masked,
// secrets redacted).
func invalidResult(err error, red *redact.Redactor) pairResult {
	code, column, msg := input.Invalid(err, red)
	return pairResult{status: summary.StatusInvalid, code: code, column: column, msg: msg, journal: -1}
}

// excelDamage is the engine's hook before Prepare: the pair's invalid
// result when the row's ID or mobile cell for this provider is a damaged
// number. The first sighting of such a column is printed once per run.
func (e *engine) excelDamage(p *provRun, row sources.Row) (pairResult, bool) {
	if damage := e.excelChecked(p, row); damage != nil {
		return invalidResult(damage, e.red), true
	}
	return pairResult{}, false
}

// excelChecked runs the check for one pair and prints the warning of a
// column seen holding numbers for the first time. The damage, when there
// is some, is a *providers.RowError with its code (for the pre-flight's
// tally as for the pair's result).
func (e *engine) excelChecked(p *provRun, row sources.Row) error {
	damage, warning := e.excel.Check(p.cfg.Type, p.prov, p.binding, row)
	if warning != "" {
		e.warnf("%s", warning)
	}
	return damage
}

// prepareChecked is Prepare behind the Excel check, for the engine's
// pre-flight, so that its tally says id_stored_as_number and the warning
// comes before the first call.
func (e *engine) prepareChecked(p *provRun, row sources.Row) (*providers.Request, error) {
	if damage := e.excelChecked(p, row); damage != nil {
		return nil, damage
	}
	return p.prov.Prepare(providers.Record{Row: row.Num, Binding: p.binding, Values: row.Values})
}
