package dryrun

import (
	"math"

	"github.com/riskbatch/riskbatch/pipeline/jobfile"
)

// BudgetEstimate is validate's verdict on a provider's cap.
type BudgetEstimate struct {
	MaxCost float64 `json:"max_cost"`
	// Spent is what earlier passes of an incomplete run of the job spent
	// (a resume continues against the same cap); 0 when the next run
	// starts over.
	Spent        float64 `json:"spent"`
	CallsCovered int     `json:"calls_covered"`
	Covers       bool    `json:"covers"`
}

// budgetEstimate fills pv.Budget from the calls a run would make and the
// calls (billed or in doubt) earlier passes of an incomplete run made.
func budgetEstimate(spentSoFar map[string]int64, pv *ProviderValidation, pc *jobfile.ProviderConfig) {
	if pc.Budget == nil || pc.PricePerCall <= 0 {
		return
	}
	spent := spentSoFar[pc.Name]
	units := int64(math.Floor(pc.Budget.MaxCost/pc.PricePerCall + 1e-9))
	left := max(units-spent, 0)
	pv.Budget = &BudgetEstimate{MaxCost: pc.Budget.MaxCost, Spent: float64(spent) * pc.PricePerCall,
		CallsCovered: int(min(left, int64(pv.Calls))), Covers: int64(pv.Calls) <= left}
}
