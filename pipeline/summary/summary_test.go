package summary

import (
	"bytes"
	"strings"
	"testing"
)

func TestFormatCost(t *testing.T) {
	tests := []struct {
		cost     float64
		currency string
		want     string
	}{
		{226.8, "CNY", "226.80 CNY"},
		{117000, "IDR", "117000 IDR"},
		{117000.4, "jpy", "117000 jpy"},
		{1.5, "", "1.50"},
		{RoundCost(0.1 * 2268), "CNY", "226.80 CNY"},
	}
	for _, tt := range tests {
		if got := FormatCost(tt.cost, tt.currency); got != tt.want {
			t.Errorf("FormatCost(%v, %q) = %q, want %q", tt.cost, tt.currency, got, tt.want)
		}
	}
	if got := RoundCost(0.1 * 2268); got != 226.8 {
		t.Errorf("RoundCost(0.1 × 2268) = %v, want 226.8", got)
	}
}

func TestWriteTable(t *testing.T) {
	s := &Summary{
		RowsIn: 3, RowsOut: 3, RowsOK: 2, RowsError: 1, Seconds: 1.25, Run: 2,
		Providers: []*ProviderSummary{{
			Name: "juhe", Status: map[string]int{StatusHit: 1, StatusNoHit: 1, StatusFailed: 1}, Calls: 4, Billed: 2, Cost: 0.2, Currency: "CNY",
			Keys:     []KeySummary{{ID: "k1", Calls: 4, Billed: 2, QuotaUsedToday: 4, DailyQuota: 100, State: "ok"}},
			Cache:    &CacheSummary{MaxAge: "30d", Served: 1, CostSaved: 0.1},
			Budget:   &BudgetSummary{MaxCost: 1, Spent: 0.3, SpentThisPass: 0.2},
			JobTotal: &PassTotals{Passes: 2, Calls: 5, Billed: 3, Cost: 0.3},
		}},
		Notes: []string{"a note"},
	}
	var b bytes.Buffer
	s.WriteTable(&b)
	for _, want := range []string{
		"rows in 3 · out 3 · ok 2 · with errors 1   (1.2s)",
		"juhe key k1: 4 calls, 2 billed, 0 throttled, 0 retries, 0 in doubt, quota 4/100 today ok",
		"juhe cache (max_age 30d): 1 served (0.10 CNY saved)",
		"juhe budget: max_cost",
		"job total over 2 passes: juhe 5 calls, 3 billed",
		"note: a note",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}
