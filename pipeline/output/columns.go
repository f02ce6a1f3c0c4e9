package output

import (
	"slices"
)

// The order of the result sheets' columns (results.xlsx, results.csv).
//
// The engine fills each row in its own layout: the input columns, then per
// provider its block (<p>_status, its result columns, <p>_source and
// <p>_age_days with a cache), then the decision columns (<p>_decision per
// provider, decision, decision_rule). The sheets show the input columns
// first, then, by default, the row's decision and decision_rule, then per
// provider <p>_status, <p>_decision and the rest of its block; the job's
// output.columns chooses, orders and drops the result columns by name.

// identifyingInputs are the input fields that say who a row is: the
// result sheet freezes the input columns up to the last of them.
var identifyingInputs = map[string]bool{"name": true, "idcard": true, "id_no": true, "mobile": true}

// maxFrozenColumns: identifying columns further right than this are not
// frozen (a frozen pane wider than the window would hide the results).
const maxFrozenColumns = 6

// Layout describes the engine's row: inputs, then the provider blocks
// (each starting with its status), then decisions (0, or providers + 2).
type Layout struct {
	Inputs    int
	Blocks    []int // width of each provider's block
	Decisions int
}

// defaultOrder is the sheets' default column order, as indexes into the
// engine's row.
func (l Layout) defaultOrder() []int {
	var out []int
	for i := range l.Inputs {
		out = append(out, i)
	}
	dec := l.Inputs
	for _, w := range l.Blocks {
		dec += w
	}
	if l.Decisions > 0 {
		out = append(out, dec+len(l.Blocks), dec+len(l.Blocks)+1) // decision, decision_rule
	}
	pos := l.Inputs
	for i, w := range l.Blocks {
		out = append(out, pos) // <p>_status
		if l.Decisions > 0 {
			out = append(out, dec+i) // <p>_decision
		}
		for c := 1; c < w; c++ {
			out = append(out, pos+c)
		}
		pos += w
	}
	return out
}

// Order is the sheets' column order: the default, or the input columns
// followed by the result columns chosen by name (names is the engine's
// row header; a chosen name not among its result columns is left out —
// the job's validation has named it already).
func (l Layout) Order(names, chosen []string) []int {
	if len(chosen) == 0 {
		return l.defaultOrder()
	}
	out := make([]int, 0, l.Inputs+len(chosen))
	for i := range l.Inputs {
		out = append(out, i)
	}
	for _, c := range chosen {
		if i := slices.Index(names[l.Inputs:], c); i >= 0 {
			out = append(out, l.Inputs+i)
		}
	}
	return out
}

// Pick returns xs in order.
func Pick[T any](xs []T, order []int) []T {
	out := make([]T, len(order))
	for i, j := range order {
		out[i] = xs[j]
	}
	return out
}

// SheetPositions inverts order: for each column of the engine's row, its
// column in the sheets, -1 when left out.
func SheetPositions(width int, order []int) []int {
	pos := make([]int, width)
	for i := range pos {
		pos[i] = -1
	}
	for i, j := range order {
		pos[j] = i
	}
	return pos
}

// Identifying says whether a provider input says who a row is (name, ID,
// mobile): FrozenColumns freezes the input columns bound to one.
func Identifying(input string) bool { return identifyingInputs[input] }

// FrozenColumns is how many input columns the result sheet freezes: up to
// the last of the columns bound to an identifying input of any provider
// (0 when there is none or it is further right than maxFrozenColumns).
func FrozenColumns(header, identifying []string) int {
	last := -1
	for _, col := range identifying {
		if i := slices.Index(header, col); i > last {
			last = i
		}
	}
	if last+1 > maxFrozenColumns {
		return 0
	}
	return last + 1
}
