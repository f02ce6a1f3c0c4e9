package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/riskbatch/riskbatch/sinks"
)

// Sheet names in results.xlsx, ahead of the result sheets.
const (
	SummarySheet  = "Summary"
	BacktestSheet = "Back-test"
)

// Excel's own good / neutral / bad cell colours.
var decisionFill = map[Decision][2]string{
	Pass:   {"C6EFCE", "006100"},
	Review: {"FFEB9C", "9C5700"},
	Reject: {"FFC7CE", "9C0006"},
}

// Layout says where a provider's columns are in the result sheet (0-based
// sheet columns; -1 for a column the job's output.columns leaves out).
type Layout struct {
	Status  []int   // per provider: the <provider>_status column
	Columns [][]int // per provider, per result column (in the provider's order)
	// Decisions: per provider its <provider>_decision column, then the
	// row's decision column; nil without decisions.
	Decisions []int
}

// ResultFormats colours the result sheet: each decision cell by its value,
// and each result cell a rule looks at by the decision of the first rule
// that holds for the row (only on hits) — the same first-match order, so
// a 85 in juhe_score is red because "score > 80" rejects. A rule over a
// column the sheet leaves out cannot be written, and a later rule would
// then colour cells it decides: a provider's colours stop before it.
func (pl *Plan) ResultFormats(l Layout) []sinks.CondFormat {
	var out []sinks.CondFormat
	for i, pp := range pl.provs {
		if i >= len(l.Status) || i >= len(l.Columns) || l.Status[i] < 0 {
			continue
		}
		pos := l.Columns[i]
		sheetCol := func(c int) int {
			if c < len(pos) {
				return pos[c]
			}
			return -1
		}
		ref := func(c int) string { return sinks.ColumnRef(sheetCol(c)) }
		guard := sinks.ColumnRef(l.Status[i]) + `="hit"`
	rules:
		for _, r := range pp.rules {
			seen := map[int]bool{}
			var cols []int
			r.when.columns(func(c int) {
				if !seen[c] {
					seen[c] = true
					cols = append(cols, c)
				}
			})
			for _, c := range cols {
				if sheetCol(c) < 0 {
					break rules
				}
			}
			fill, ok := decisionFill[r.decision]
			if !ok {
				continue
			}
			sort.Ints(cols)
			formula := fmt.Sprintf("AND(%s,%s)", guard, r.when.excel(ref))
			for _, c := range cols {
				out = append(out, sinks.CondFormat{Column: sheetCol(c), Formula: formula, Fill: fill[0], Font: fill[1]})
			}
		}
	}
	if pl.decisions {
		for _, col := range l.Decisions {
			if col < 0 {
				continue
			}
			for _, d := range Decisions {
				out = append(out, sinks.CondFormat{Column: col, Equals: d.String(), Fill: decisionFill[d][0], Font: decisionFill[d][1]})
			}
		}
	}
	return out
}

// SheetNames are the report sheets the figures will have, in order.
func (pl *Plan) SheetNames() []string {
	if pl.backtest {
		return []string{SummarySheet, BacktestSheet}
	}
	return []string{SummarySheet}
}

func fp(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// Sheets are the Summary sheet and, with a back-test, the Back-test sheet.
func (f *Figures) Sheets() []sinks.SheetSpec {
	r := f.run
	state := "complete"
	if !r.Complete {
		state = "incomplete: " + r.Resume
	}
	sum := sinks.SheetSpec{
		Name:  SummarySheet,
		Title: "riskbatch run summary",
		Lines: []string{
			"job: " + r.Job,
			"input: " + r.Input,
			fmt.Sprintf("finished %s · %s · %s (exit code %d)", r.FinishedAt.Format("2006-01-02 15:04:05 -07:00"), fmtSeconds(r.Seconds), state, r.ExitCode),
		},
	}
	sum.Lines = append(sum.Lines, r.Headline...) // what changed since the previous run
	sum.Blocks = append(sum.Blocks, sinks.SheetBlock{
		Title:   "Rows",
		Header:  []string{"", "rows"},
		Formats: []string{"", "int"},
		Rows: [][]any{
			{"rows in", r.RowsIn},
			{"rows ok (every provider hit or no-hit)", r.RowsOK},
			{"rows with an error", r.RowsError},
			{"unreadable rows", r.Unreadable},
		},
	})
	prov := sinks.SheetBlock{Title: "Providers", Header: []string{"provider", "type"}, Formats: []string{"", ""}}
	for _, st := range r.Statuses {
		prov.Header = append(prov.Header, st)
		prov.Formats = append(prov.Formats, "int")
	}
	prov.Header = append(prov.Header, "hit rate", "calls", "billed", "cost", "currency", "cost per hit")
	prov.Formats = append(prov.Formats, "pct", "int", "int", "money", "", "money")
	for i, pf := range f.Providers {
		var rp RunProvider
		if i < len(r.Providers) {
			rp = r.Providers[i]
		}
		row := []any{pf.Name, pf.Type}
		for _, st := range r.Statuses {
			row = append(row, rp.Status[st])
		}
		row = append(row, fp(pf.HitRate), rp.Calls, rp.Billed, pf.Cost, pf.Currency, fp(pf.CostPerHit))
		prov.Rows = append(prov.Rows, row)
	}
	ns := len(r.Statuses)
	statusCols := make([]int, ns)
	statusColors := make([]string, ns)
	for i, st := range r.Statuses {
		statusCols[i] = 2 + i
		statusColors[i] = hexColor(statusColorsFor(st))
	}
	prov.Note = "hit rate = hits / (hits + no-hits); cost = billed calls × price per call"
	prov.Charts = []sinks.SheetChart{
		{Kind: "col", Title: "Hit rate", Categories: 0, Series: []int{2 + ns}, Percent: true, Colors: []string{xlColor("hit")}},
		{Kind: "bar_stacked", Title: "Rows by status", Categories: 0, Series: statusCols, Colors: statusColors},
	}
	sum.Blocks = append(sum.Blocks, prov)

	if d := f.Decisions; d != nil {
		dec := sinks.SheetBlock{
			Title:   "Decisions",
			Header:  []string{"", "pass", "review", "reject", "no vote"},
			Formats: []string{"", "int", "int", "int", "int"},
			Rows:    [][]any{{"rows", d.Rows["pass"], d.Rows["review"], d.Rows["reject"], d.NoVote}},
			Note:    fmt.Sprintf("a row takes the worst vote of its providers; the %d rows no provider voted on are %s", d.NoVote, d.NoVoteDecision),
			Charts: []sinks.SheetChart{{Kind: "bar_stacked", Title: "Decisions", Categories: 0, Series: []int{1, 2, 3, 4},
				Colors: []string{xlColor("pass"), xlColor("review"), xlColor("reject"), xlColor("no_vote")}}},
		}
		rules := sinks.SheetBlock{Title: "Rules", Header: []string{"provider", "rule", "decision", "rows", "source"}, Formats: []string{"", "", "", "int", ""},
			Note: "source: a vendor document, riskbatch's own suggestion where the document gives no rule, or the job file"}
		for _, pf := range f.Providers {
			if pf.Decisions == nil {
				continue
			}
			dec.Rows = append(dec.Rows, []any{pf.Name, pf.Decisions["pass"], pf.Decisions["review"], pf.Decisions["reject"], pf.Decisions["no_vote"]})
			for _, rc := range pf.Rules {
				rules.Rows = append(rules.Rows, []any{pf.Name, rc.Rule, rc.Decision, rc.Rows, rc.Source})
			}
		}
		sum.Blocks = append(sum.Blocks, dec, rules)
	}
	for _, pf := range f.Providers {
		d := pf.Scores
		if d == nil || d.Count == 0 {
			continue
		}
		b := sinks.SheetBlock{
			Title:   fmt.Sprintf("%s: %s distribution", pf.Name, d.Column),
			Header:  []string{d.Column, "hits"},
			Formats: []string{"", "int"},
			Note:    fmt.Sprintf("%d hits: min %s, median %s, mean %s, max %s", d.Count, fmtNum(d.Min), fmtNum(d.Median), fmtNum(roundTo(d.Mean, 2)), fmtNum(d.Max)),
			Charts:  []sinks.SheetChart{{Kind: "col", Title: pf.Name + " " + d.Column, Categories: 0, Series: []int{1}, Colors: []string{xlColor("hit")}}},
		}
		for _, bin := range d.Bins {
			b.Rows = append(b.Rows, []any{bin.Label, bin.Count})
		}
		sum.Blocks = append(sum.Blocks, b)
	}
	if f.Backtest == nil {
		return []sinks.SheetSpec{sum}
	}
	head := f.backtestHeadline()
	sumHead := head
	sumHead.Charts = nil
	sumHead.Note = "details, deciles, bands and KS/ROC charts on the Back-test sheet"
	sum.Blocks = append(sum.Blocks, sumHead)
	return []sinks.SheetSpec{sum, f.backtestSheet(head)}
}

func statusColorsFor(st string) string { return color(st) }

func hexColor(c string) string {
	if len(c) > 0 && c[0] == '#' {
		return c[1:]
	}
	return c
}

func (f *Figures) backtestHeadline() sinks.SheetBlock {
	b := sinks.SheetBlock{
		Title:   "Back-test",
		Header:  []string{"provider", "score", "KS", "AUC", "Gini", "IV", "hit rate", "bad rate", "scored", "answered", "IV (monotone)"},
		Formats: []string{"", "", "metric", "metric", "metric", "metric", "pct", "pct", "int", "int", "metric"},
		Charts:  []sinks.SheetChart{{Kind: "col", Title: "KS and AUC", Categories: 0, Series: []int{2, 3}, Colors: []string{xlColor("ks"), xlColor("hit")}}},
	}
	for _, pb := range f.Backtest.Providers {
		b.Rows = append(b.Rows, []any{pb.Name, pb.ScoreColumn, fp(pb.KS), fp(pb.AUC), fp(pb.Gini), fp(pb.IV), fp(pb.HitRate), fp(pb.BadRate), pb.Scored, pb.Answered, fp(pb.MonotoneIV)})
	}
	return b
}

func binBlock(title, first string, bins []Bin, decile bool) sinks.SheetBlock {
	b := sinks.SheetBlock{Title: title, Header: []string{first}, Formats: []string{""}}
	if decile {
		b.Header = append(b.Header, "score from", "score to")
		b.Formats = append(b.Formats, "", "")
	}
	b.Header = append(b.Header, "rows", "bads", "goods", "bad rate", "lift")
	b.Formats = append(b.Formats, "int", "int", "int", "pct", "metric")
	if decile {
		b.Header = append(b.Header, "cum bad", "cum good", "WoE", "IV")
		b.Formats = append(b.Formats, "pct", "pct", "metric", "metric")
	}
	for _, x := range bins {
		row := []any{x.Label}
		if decile {
			row = append(row, fp(x.From), fp(x.To))
		}
		row = append(row, x.Rows, x.Bads, x.Goods, fp(x.BadRate), fp(x.Lift))
		if decile {
			row = append(row, fp(x.CumBad), fp(x.CumGood), fp(x.WoE), fp(x.IV))
		}
		b.Rows = append(b.Rows, row)
	}
	return b
}

func (f *Figures) backtestSheet(head sinks.SheetBlock) sinks.SheetSpec {
	bt := f.Backtest
	lbl := bt.Label + ": 1 = bad, 0 = good"
	if bt.DPDThreshold != nil {
		lbl = fmt.Sprintf("%s: days past due, bad at %s or more", bt.Label, fmtNum(*bt.DPDThreshold))
	}
	s := sinks.SheetSpec{
		Name:  BacktestSheet,
		Title: "Back-test",
		Lines: []string{
			"label " + lbl,
			fmt.Sprintf("%d labelled rows, %d bad (%s); %d without a label and %d with an unreadable label left out",
				bt.RowsLabelled, bt.Bads, FormatRate(bt.BadRate), bt.RowsUnlabelled, bt.BadLabels),
			"KS: largest gap of the cumulative bad / good score distributions over distinct scores. AUC: Mann–Whitney, ties half; Gini = 2·AUC − 1.",
			"IV over equal-frequency deciles (tied scores kept in one bin; 0.5 in empty cells). Higher scores must mean riskier.",
		},
	}
	if d := bt.Dates; d != nil {
		line := fmt.Sprintf("application date %s: %d rows dated, %d empty, %d unreadable", d.Column, d.Dated, d.Empty, d.Bad)
		if len(d.BadExamples) > 0 {
			line += " (" + strings.Join(d.BadExamples, ", ") + ")"
		}
		s.Lines = append(s.Lines, line)
	}
	s.Blocks = append(s.Blocks, head)
	if len(bt.ByDecision) > 0 {
		b := binBlock("Bad rate by row decision", "decision", bt.ByDecision, false)
		b.Note = "lift over the bad rate of every labelled row"
		s.Blocks = append(s.Blocks, b)
	}
	s.Blocks = append(s.Blocks, f.crossBlocks()...)
	for _, pb := range bt.Providers {
		dec := binBlock(fmt.Sprintf("%s: deciles of %s (ascending)", pb.Name, pb.ScoreColumn), "decile", pb.Deciles, true)
		dec.Note = "lift over the scored rows' bad rate"
		dec.Charts = []sinks.SheetChart{{Kind: "col", Title: pb.Name + ": bad rate by decile", Categories: 0, Series: []int{6}, Percent: true, Colors: []string{xlColor("bad")}}}
		bands := binBlock(pb.Name+": bands", "band", append(append([]Bin(nil), pb.Bands...), pb.Unscored), false)
		bands.Note = "lift over the answered rows' bad rate; \"no score\": answered without a score"
		bands.Charts = []sinks.SheetChart{{Kind: "col", Title: pb.Name + ": bad rate by band", Categories: 0, Series: []int{4}, Percent: true, Colors: []string{xlColor("bad")}}}
		s.Blocks = append(s.Blocks, dec, bands)
		if len(pb.ByDecision) > 0 {
			b := binBlock(pb.Name+": bad rate by vote", "vote", pb.ByDecision, false)
			b.Note = "lift over the answered rows' bad rate"
			s.Blocks = append(s.Blocks, b)
		}
		if len(pb.KSCurve) > 0 {
			ks := sinks.SheetBlock{
				Title:   fmt.Sprintf("%s: KS curve (KS %s at %s)", pb.Name, FormatMetric(pb.KS), fmtNum(*pb.KSScore)),
				Header:  []string{pb.ScoreColumn, "cum bad", "cum good", "gap"},
				Formats: []string{"", "pct", "pct", "pct"},
				Charts: []sinks.SheetChart{{Kind: "line", Title: pb.Name + ": KS", Categories: 0, Series: []int{1, 2}, Percent: true,
					Colors: []string{xlColor("bad"), xlColor("good")}, XTitle: pb.ScoreColumn}},
			}
			for _, p := range pb.KSCurve {
				gap := p.CumGood - p.CumBad
				if gap < 0 {
					gap = -gap
				}
				ks.Rows = append(ks.Rows, []any{p.Score, p.CumBad, p.CumGood, gap})
			}
			roc := sinks.SheetBlock{
				Title:   fmt.Sprintf("%s: ROC (AUC %s)", pb.Name, FormatMetric(pb.AUC)),
				Header:  []string{"false positive rate", "true positive rate", "chance"},
				Formats: []string{"pct", "pct", "pct"},
				Charts: []sinks.SheetChart{{Kind: "scatter", Title: pb.Name + ": ROC", Categories: 0, Series: []int{1, 2}, Percent: true,
					Colors: []string{xlColor("hit"), xlColor("reference")}, XTitle: "false positive rate (good)", YTitle: "true positive rate (bad)"}},
			}
			for _, p := range pb.ROC {
				roc.Rows = append(roc.Rows, []any{p.FPR, p.TPR, p.FPR})
			}
			s.Blocks = append(s.Blocks, ks, roc)
		}
		s.Blocks = append(s.Blocks, f.providerBlocks(pb)...)
	}
	return s
}
