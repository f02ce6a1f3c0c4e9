package pipeline

import (
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/pipeline/summary"
)

// A provider's spending cap (budget: {max_cost: N}), counted over every
// pass of the job: the calls billed in earlier passes come from the job's
// journal, and each call of this pass reserves one price_per_call before it
// is made, like a quota unit — so the billed cost never exceeds the cap,
// whatever the concurrency. A reservation becomes spent when the answer is
// billed or in doubt (it may have been billed), and is given back otherwise.
// When the cap is reached, the provider's remaining rows are deferred with
// code "budget" (exit 3): raise max_cost and resume.

// budget is one provider's cap in a run; nil when it has none.
type budget struct {
	maxCost, price float64
	units          int64 // calls the cap pays for: floor(max_cost / price)
	prior          int64 // spent in earlier passes of the job (billed or in doubt)

	mu       sync.Mutex
	cond     *sync.Cond
	spent    int64 // this pass
	reserved int64
	said     bool
}

func newBudget(pc *jobfile.ProviderConfig, prior int64) *budget {
	if pc.Budget == nil || pc.PricePerCall <= 0 {
		return nil
	}
	b := &budget{maxCost: pc.Budget.MaxCost, price: pc.PricePerCall, prior: prior,
		units: int64(math.Floor(pc.Budget.MaxCost/pc.PricePerCall + 1e-9))}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// full reports, without waiting, that no call can be paid for any more:
// what is spent leaves no unit, and nothing reserved may come back.
func (b *budget) full() bool {
	if b == nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.prior+b.spent >= b.units
}

// reserve takes one unit for a call about to be made. While the cap is
// taken only by reservations, it waits for them to settle (an unbilled
// answer gives its unit back), so the cap is used exactly.
func (b *budget) reserve() bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.prior+b.spent+b.reserved >= b.units && b.reserved > 0 {
		b.cond.Wait()
	}
	if b.prior+b.spent >= b.units {
		return false
	}
	b.reserved++
	return true
}

// settle ends a reservation: spent when the call was billed or is in doubt.
func (b *budget) settle(spent bool) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.reserved--
	if spent {
		b.spent++
	}
	b.cond.Broadcast()
	b.mu.Unlock()
}

// reason is the message of a row deferred by the cap: it names the cap.
func (b *budget) reason(currency string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return fmt.Sprintf("budget.max_cost %s reached: %d call(s) at %s billed or in doubt over all passes of the job (raise budget.max_cost, then resume)",
		jobfile.Money(b.maxCost, currency), b.prior+b.spent, trimFloat(b.price))
}

// overBudget is the result of a pair the cap keeps from a call; the first
// one says so on the console.
func (e *engine) overBudget(p *provRun) (pairResult, bool) {
	b := p.budget
	if b == nil || !b.full() {
		return pairResult{}, false
	}
	return e.budgetDeferred(p), true
}

func (e *engine) budgetDeferred(p *provRun) pairResult {
	b := p.budget
	msg := b.reason(p.cfg.Currency)
	b.mu.Lock()
	first := !b.said
	b.said = true
	b.mu.Unlock()
	if first {
		e.logf("%s: %s; its remaining rows are deferred", p.cfg.Name, msg)
	}
	return pairResult{status: summary.StatusDeferred, code: "budget", msg: msg, journal: -1}
}

// billedAnswer says whether an answer is billed by the provider's rule.
func (p *provRun) billedAnswer(status string, code string) bool {
	return p.billed[code] || p.billed[status]
}

func (p *provRun) budgetSummary(s *summary.ProviderSummary) {
	b := p.budget
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s.Budget = &summary.BudgetSummary{MaxCost: b.maxCost, Spent: float64(b.prior+b.spent) * b.price, SpentThisPass: float64(b.spent) * b.price, Reached: b.prior+b.spent >= b.units}
}

// trimFloat prints a price with at most three decimals and no trailing
// zeros (validate's table prints prices and rates the same way).
func trimFloat(f float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", f), "0"), ".")
}
