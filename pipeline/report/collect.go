package report

import (
	"fmt"
	"math"
	"strings"
)

// Label bytes kept per scored row.
const (
	labelGood byte = 0
	labelBad  byte = 1
	labelNone byte = 2
)

// Collector sees every finished row once, in input order, from one
// goroutine (it is not safe for concurrent use), fills the row's decision
// columns, and keeps what the figures need.
type Collector struct {
	plan     *Plan
	labelIdx int // input column of the label, -1 without a back-test
	provs    []*provState

	rows      int
	rowDec    [4]int    // rows by decision; NoVote counts rows decided by no_vote
	rowDecBad [4][2]int // labelled rows by decision × label
	labelled  int
	bads      int
	badLabels int // label cells that are not a label (not 0/1, not a number of days)
	noLabel   int // empty label cells

	// Row-aligned back-test state (see rowstore.go): per row its label and
	// month, per provider its score.
	rowLabels []byte
	dateIdx   int // input column of the application date, -1 none
	rowMonths []uint16
	dates     dateStats
	months    map[uint16]*monthAgg
	overlap   map[uint32]*[3]int // rows by hit combination × label (good, bad, none)
	votes     []Decision         // scratch: this row's votes
}

type provState struct {
	plan      *provPlan
	dec       [4]int
	ruleFires []int
	// scores holds one value per row (row-aligned): the score of a hit,
	// NaN for an answer without a score, +Inf for no answer.
	scores []float32
	// swaps counts labelled and unlabelled rows by the row decision
	// without this provider's vote × with it × label (good, bad, none).
	swaps [4][4][3]int
	lists listAgg
	// labelled rows the provider answered (hit or no_hit), and of those the
	// bad ones; labelled answers without a usable score.
	answered, answeredBad int
	unscored, unscoredBad int
	bandRows, bandBads    []int // per band, then "other"
	// labelled rows by the provider's decision × label.
	decBad [4][2]int
}

// MissingColumnError is a back-test label column absent from the input.
type MissingColumnError struct {
	Key    string // the job key naming it; "" is backtest.label
	Column string
	Header []string
}

func (e *MissingColumnError) Error() string {
	key := e.Key
	if key == "" {
		key = "backtest.label"
	}
	return fmt.Sprintf("%s names column %q, which is not in the file\n  columns in the file: %s", key, e.Column, strings.Join(e.Header, ", "))
}

func findColumn(header []string, name string) int {
	for i, h := range header {
		if strings.EqualFold(strings.TrimSpace(h), name) {
			return i
		}
	}
	return -1
}

// NewCollector starts collecting for plan over an input with header. The
// label column must be in the header (*MissingColumnError otherwise).
func NewCollector(plan *Plan, header []string) (*Collector, error) {
	c := &Collector{plan: plan, labelIdx: -1, dateIdx: -1}
	if l := plan.BacktestLabel(); l != "" {
		if c.labelIdx = findColumn(header, l); c.labelIdx < 0 {
			return nil, &MissingColumnError{Column: l, Header: header}
		}
	}
	if d := plan.dateCol; plan.backtest && d != "" {
		if c.dateIdx = findColumn(header, d); c.dateIdx < 0 {
			return nil, &MissingColumnError{Key: "backtest.date_column", Column: d, Header: header}
		}
		c.months = map[uint16]*monthAgg{}
	}
	c.overlap = map[uint32]*[3]int{}
	for _, pp := range plan.provs {
		ps := &provState{plan: pp, ruleFires: make([]int, len(pp.rules))}
		ps.bandRows = make([]int, len(pp.bands)+1)
		ps.bandBads = make([]int, len(pp.bands)+1)
		c.provs = append(c.provs, ps)
	}
	c.votes = make([]Decision, len(c.provs))
	return c, nil
}

// Columns are the decision columns the collector fills, after the
// providers' own columns: <provider>_decision per provider, then decision
// and decision_rule. None when decisions are off.
func (c *Collector) Columns() []string {
	if !c.plan.decisions {
		return nil
	}
	var out []string
	for _, p := range c.plan.provs {
		out = append(out, p.name+"_decision")
	}
	return append(out, "decision", "decision_rule")
}

// label reads the row's label: 0 good, 1 bad, labelNone when it has none.
func (c *Collector) label(input []string) byte {
	if c.labelIdx < 0 || c.labelIdx >= len(input) {
		return labelNone
	}
	v := strings.TrimSpace(input[c.labelIdx])
	if v == "" {
		c.noLabel++
		return labelNone
	}
	x, ok := parseNum(v)
	if !ok || math.IsInf(x, 0) {
		c.badLabels++
		return labelNone
	}
	if c.plan.dpd != nil {
		if x < 0 {
			c.badLabels++
			return labelNone
		}
		if x >= *c.plan.dpd {
			return labelBad
		}
		return labelGood
	}
	switch x {
	case 0:
		return labelGood
	case 1:
		return labelBad
	}
	c.badLabels++
	return labelNone
}

// Observe takes one finished row: per provider its status and result
// values (aligned with the provider's columns), and the input values. out
// receives the decision columns (len(Columns())).
func (c *Collector) Observe(status []string, values [][]string, input []string, out []string) {
	c.rows++
	lbl := labelNone
	if c.plan.backtest {
		lbl = c.label(input)
		if lbl != labelNone {
			c.labelled++
			if lbl == labelBad {
				c.bads++
			}
		}
	}
	month := uint16(0)
	if c.dateIdx >= 0 {
		month = c.dates.month(input, c.dateIdx, c.rows)
	}
	if c.plan.backtest {
		c.rowLabels = append(c.rowLabels, lbl)
		if c.dateIdx >= 0 {
			c.rowMonths = append(c.rowMonths, month)
		}
	}
	var hitMask uint32
	worst := NoVote
	var why []string
	for i, ps := range c.provs {
		pp := ps.plan
		var vals []string
		if i < len(values) {
			vals = values[i]
		}
		st := status[i]
		d, ri := pp.decide(st, vals)
		c.votes[i] = d
		if st == statusHit && i < 32 {
			hitMask |= 1 << i
		}
		if st == statusHit || st == statusNoHit {
			ps.lists.observe(pp, st, vals, lbl)
		}
		ps.dec[d]++
		if ri >= 0 {
			ps.ruleFires[ri]++
		}
		if c.plan.decisions {
			out[i] = d.String()
			switch {
			case d > worst:
				worst, why = d, append(why[:0], pp.name+": "+pp.rules[ri].name)
			case d == worst && d != NoVote:
				why = append(why, pp.name+": "+pp.rules[ri].name)
			}
		}
		score, scored := math.NaN(), false
		if st == statusHit && pp.score >= 0 && pp.score < len(vals) {
			if x, ok := parseNum(vals[pp.score]); ok && !math.IsInf(x, 0) {
				score, scored = x, true
			}
		}
		if pp.score >= 0 {
			v := float32(math.Inf(1))
			switch {
			case scored:
				v = float32(math.Max(-math.MaxFloat32, math.Min(score, math.MaxFloat32)))
			case st == statusHit || st == statusNoHit:
				v = float32(math.NaN())
			}
			ps.scores = append(ps.scores, v)
		}
		if lbl == labelNone || (st != statusHit && st != statusNoHit) {
			continue
		}
		bad := int(lbl)
		ps.answered++
		ps.answeredBad += bad
		ps.decBad[d][bad]++
		if !scored {
			ps.unscored++
			ps.unscoredBad += bad
			continue
		}
		b := len(pp.bands)
		for j, bd := range pp.bands {
			if bd.when.eval(vals) {
				b = j
				break
			}
		}
		ps.bandRows[b]++
		ps.bandBads[b] += bad
	}
	c.observeRow(status, hitMask, month, lbl)
	if !c.plan.decisions {
		return
	}
	n := len(c.provs)
	if worst == NoVote {
		out[n] = c.plan.noVote.String()
		out[n+1] = "no provider voted"
		c.rowDec[NoVote]++
		if lbl != labelNone {
			c.rowDecBad[NoVote][lbl]++
		}
		return
	}
	out[n] = worst.String()
	out[n+1] = strings.Join(why, "; ")
	c.rowDec[worst]++
	if lbl != labelNone {
		c.rowDecBad[worst][lbl]++
	}
}
