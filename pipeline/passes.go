package pipeline

import (
	"fmt"
	"path/filepath"

	"github.com/riskbatch/riskbatch/pipeline/journal"
	"github.com/riskbatch/riskbatch/pipeline/summary"
)

// Totals across passes: a job resumed three times has four passes; today's
// summary fields describe this pass, and JobTotal the job over every pass,
// counted from the job's journal (which every pass appends to and a fresh
// run starts anew) plus this pass's counters. The journal is the record: a
// pass killed before it wrote its summary still counts.

// journalTotals are what earlier passes did per provider, from the journal:
// outcome records of attempts (cache answers have no attempt and are not
// calls), intents that never got an outcome (calls cut off by a crash:
// sent and in doubt).
type journalTotals struct {
	calls, billed, inDoubt int64
}

// scanPriorTotals reads the journal before this pass makes its first call.
func scanPriorTotals(path string) (map[string]*journalTotals, error) {
	out := map[string]*journalTotals{}
	get := func(p string) *journalTotals {
		t := out[p]
		if t == nil {
			t = &journalTotals{}
			out[p] = t
		}
		return t
	}
	pending := map[uint64]string{}
	run := -1
	orphans := func() {
		for _, p := range pending {
			t := get(p)
			t.calls++
			t.inDoubt++
		}
		clear(pending)
	}
	_, err := journal.Scan(path, func(r *journal.Record, _ int64) error {
		switch r.Type {
		case journal.TypeIntent:
			if r.Run != run {
				orphans()
				run = r.Run
			}
			pending[r.AttemptID] = r.Provider
		case journal.TypeOutcome:
			if r.AttemptID == 0 {
				return nil // served from the answer cache: no call
			}
			delete(pending, r.AttemptID)
			t := get(r.Provider)
			if r.Code != codeUnreachable && r.Code != codeJournal && r.Code != codeWrongURL {
				t.calls++
			}
			if r.Billed {
				t.billed++
			}
			if r.InDoubt {
				t.inDoubt++
			}
		}
		return nil
	})
	orphans()
	return out, err
}

// setupPassTotals reads what earlier passes did, for the job totals and
// the budgets.
func (e *engine) setupPassTotals() error {
	if e.state == nil {
		return nil
	}
	prior, err := scanPriorTotals(filepath.Join(e.state.dir, "journal.log"))
	if err != nil {
		return fmt.Errorf("job totals: %w", err)
	}
	for _, p := range e.provs {
		t := prior[p.cfg.Name]
		if t == nil {
			t = &journalTotals{}
		}
		p.prior = *t
		if p.cfg.Budget != nil {
			p.budget = newBudget(p.cfg, t.billed+t.inDoubt)
		}
	}
	return nil
}

// totalsSummary fills a provider's JobTotal: earlier passes plus this one.
func (e *engine) totalsSummary(sum *summary.Summary, p *provRun, s *summary.ProviderSummary) {
	s.JobTotal = &summary.PassTotals{
		Passes:  e.runNo,
		Calls:   p.prior.calls + s.Calls,
		Billed:  p.prior.billed + s.Billed,
		InDoubt: p.prior.inDoubt + s.InDoubt,
	}
	s.JobTotal.Cost = float64(s.JobTotal.Billed) * p.cfg.PricePerCall
	sum.JobInDoubt += s.JobTotal.InDoubt
}

// SpentSoFar is what earlier passes of an incomplete run in outDir spent,
// per provider, in calls billed or in doubt (a budget counts both; a
// resume continues against the same cap); nil when there is no job state,
// its last run completed (the next run starts over) or its journal cannot
// be read. validate's budget estimate reads it (dryrun.ValidateOptions.Spent):
// the job state is the engine's.
func SpentSoFar(outDir string) map[string]int64 {
	if exists, complete := StateExists(outDir); !exists || complete {
		return nil
	}
	m, err := scanPriorTotals(filepath.Join(StateDir(outDir), "journal.log"))
	if err != nil {
		return nil
	}
	out := make(map[string]int64, len(m))
	for name, t := range m {
		out[name] = t.billed + t.inDoubt
	}
	return out
}
