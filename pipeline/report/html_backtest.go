package report

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// report.html's back-test sections beyond the metrics, built from the same
// figures as the Back-test sheet (sheet_backtest.go).

// tableView is one titled table with an optional chart; a cell with a Key
// carries data-figure="<Key>".
type tableView struct {
	Title  string
	Note   string
	Head   []string
	Rows   [][]figCell
	Charts []template.HTML
}

func cells(vals ...string) []figCell {
	out := make([]figCell, len(vals))
	for i, v := range vals {
		out[i].Value = v
	}
	return out
}

func (f *Figures) crossViews() []tableView {
	bt := f.Backtest
	var out []tableView
	if len(bt.Overlap) > 0 {
		t := tableView{Title: "Hit overlap", Note: "Each row once, under exactly the providers that hit it.",
			Head: []string{"providers hit", "rows", "labelled", "bads", "bad rate"}}
		var labels []string
		var vals []float64
		for _, o := range bt.Overlap {
			row := cells(o.Label, FormatInt(o.Rows), FormatInt(o.Labelled), FormatInt(o.Bads), FormatRate(o.BadRate))
			row[1].Key = "overlap." + strings.ReplaceAll(o.Label, " + ", "~") + ".rows"
			t.Rows = append(t.Rows, row)
			labels = append(labels, o.Label)
			vals = append(vals, float64(o.Rows))
		}
		t.Charts = append(t.Charts, columns("rows by providers hit", labels, vals, axisCount, "hit"))
		out = append(out, t)
	}
	if len(bt.RankCorrelation) > 0 {
		t := tableView{Title: "Rank correlation (Spearman)", Note: "1: the scores order rows alike; near 0: unrelated, so each can add to the other.",
			Head: []string{"scores", "rows both scored", "Spearman ρ"}}
		for _, r := range bt.RankCorrelation {
			row := cells(r.A+" ~ "+r.B, FormatInt(r.Rows), FormatMetric(r.Spearman))
			row[2].Key = "spearman." + r.A + "~" + r.B
			t.Rows = append(t.Rows, row)
		}
		out = append(out, t)
	}
	if inc := bt.Incremental; inc != nil && len(inc.Models) > 0 {
		t := tableView{Title: fmt.Sprintf("Incremental value: logistic regression on WoE-binned scores, %d-fold cross-validated", inc.Folds),
			Note: fmt.Sprintf("%s rows (%s bad) every provider answered; fold = row index mod %d; L2 with C = %s (sklearn's convention); WoE of %s bins fit on the training folds; KS and AUC over the pooled out-of-fold predictions.",
				FormatInt(inc.Rows), FormatInt(inc.Bads), inc.Folds, fmtNum(inc.C), inc.Binning),
			Head: []string{"model", "providers", "CV KS", "CV AUC", "CV Gini"}}
		var labels []string
		var vals []float64
		for _, m := range inc.Models {
			row := cells(m.Name, strings.Join(m.Providers, " + "), FormatMetric(m.KS), FormatMetric(m.AUC), FormatMetric(m.Gini))
			key := "model." + strings.ReplaceAll(m.Name, " ", "_")
			row[2].Key, row[3].Key = key+".ks", key+".auc"
			t.Rows = append(t.Rows, row)
			labels = append(labels, m.Name)
			if m.AUC != nil {
				vals = append(vals, *m.AUC)
			} else {
				vals = append(vals, 0)
			}
		}
		t.Charts = append(t.Charts, columns("cross-validated AUC", labels, vals, axisNum, "hit"))
		out = append(out, t)
		if len(inc.Adds) > 0 {
			a := tableView{Title: "What each provider adds", Note: "The combined model's CV AUC and KS minus those of the model without the provider.",
				Head: []string{"provider", "AUC gain", "KS gain"}}
			for _, d := range inc.Adds {
				row := cells(d.Name, FormatMetric(d.AUC), FormatMetric(d.KS))
				row[1].Key = d.Name + ".adds_auc"
				a.Rows = append(a.Rows, row)
			}
			out = append(out, a)
		}
	}
	if len(bt.Months) > 0 {
		t := tableView{Title: "Stability by application month",
			Note: "Bad rate over the month's labelled rows; hit rate = hits / (hits + no-hits); PSI of each score against the first month's deciles: below 0.1 stable, 0.1–0.25 watch, 0.25 or more shift; noise is the PSI two samples of these sizes from one distribution give on average, and a PSI near it says nothing.",
			Head: []string{"month", "rows", "labelled", "bad rate"}}
		if d := bt.Dates; d != nil {
			t.Note = fmt.Sprintf("Dates from %s: %s rows dated, %s empty, %s unreadable%s. ", d.Column, FormatInt(d.Dated), FormatInt(d.Empty), FormatInt(d.Bad), examples(d.BadExamples)) + t.Note
		}
		for _, mp := range bt.Months[0].Providers {
			t.Head = append(t.Head, mp.Name+" hit rate")
			if f.scoredProvider(mp.Name) {
				t.Head = append(t.Head, mp.Name+" PSI")
			}
		}
		labels := make([]string, len(bt.Months))
		psi := map[string]*lineSeries{}
		var psiLines []*lineSeries
		for i, m := range bt.Months {
			labels[i] = m.Month
			row := cells(m.Month, FormatInt(m.Rows), FormatInt(m.Labelled), FormatRate(m.BadRate))
			row[3].Key = "month." + m.Month + ".bad_rate"
			for _, mp := range m.Providers {
				row = append(row, figCell{mp.Name + ".month." + m.Month + ".hit_rate", FormatRate(mp.HitRate)})
				if f.scoredProvider(mp.Name) {
					v := FormatMetric(mp.PSI)
					if mp.Flag != "" {
						v += " " + mp.Flag
					}
					if mp.PSINoise != nil {
						v += " (noise " + FormatMetric(mp.PSINoise) + ")"
					}
					row = append(row, figCell{mp.Name + ".month." + m.Month + ".psi", v})
					if psi[mp.Name] == nil {
						psi[mp.Name] = &lineSeries{name: mp.Name + " PSI", meaning: "psi", dash: dash(len(psiLines))}
						psiLines = append(psiLines, psi[mp.Name])
					}
					psi[mp.Name].values = append(psi[mp.Name].values, nanIfNil(mp.PSI))
				}
			}
			t.Rows = append(t.Rows, row)
		}
		t.Charts = append(t.Charts, lineChart("PSI by month", labels, psiLines, axisNum, []float64{psiWatch, psiShift}))
		bad := &lineSeries{name: "bad rate", meaning: "bad"}
		rates := []*lineSeries{bad}
		hit := map[string]*lineSeries{}
		for k, mp := range bt.Months[0].Providers {
			hit[mp.Name] = &lineSeries{name: mp.Name + " hit rate", meaning: "hit", dash: dash(k)}
			rates = append(rates, hit[mp.Name])
		}
		for _, m := range bt.Months {
			bad.values = append(bad.values, nanIfNil(m.BadRate))
			for _, mp := range m.Providers {
				if l := hit[mp.Name]; l != nil {
					l.values = append(l.values, nanIfNil(mp.HitRate))
				}
			}
		}
		t.Charts = append(t.Charts, lineChart("bad rate and hit rates by month", labels, rates, axisPct, nil))
		out = append(out, t)
	}
	return out
}

func examples(ex []string) string {
	if len(ex) == 0 {
		return ""
	}
	return " (" + strings.Join(ex, ", ") + ")"
}

func cutoffView(title string, cs []Cutoff, withScore bool, name, key string) tableView {
	t := tableView{Title: title, Head: []string{"up to"}}
	if withScore {
		t.Head = append(t.Head, "approve score ≤")
	}
	t.Head = append(t.Head, "approval rate", "bad rate approved", "bad rate rejected", "cum lift", "bads rejected")
	for i, c := range cs {
		k := itoa(i + 1)
		row := []figCell{{Value: c.Label}}
		if withScore {
			row = append(row, figCell{Value: FormatMetric(nil)})
			if c.Score != nil {
				row[1].Value = fmtNum(*c.Score)
			}
		}
		row = append(row,
			figCell{name + "." + key + "." + k + ".approval_rate", FormatRate(c.ApprovalRate)},
			figCell{name + "." + key + "." + k + ".bad_rate_approved", FormatRate(c.BadRateApproved)},
			figCell{Value: FormatRate(c.BadRateRejected)},
			figCell{Value: FormatMetric(c.CumLift)},
			figCell{Value: FormatRate(c.BadsRejected)})
		t.Rows = append(t.Rows, row)
	}
	return t
}

func (f *Figures) providerViews(pb ProviderBacktest) []tableView {
	var out []tableView
	if len(pb.Cutoffs) > 0 {
		t := cutoffView("Cut-offs by decile (approve deciles 1..k, reject the rest)", pb.Cutoffs, true, pb.Name, "cutoff")
		t.Note = "Cum lift = bad rate of the rejected rows / the scored rows' bad rate; bads rejected = share of all bad rows the cut stops."
		labels := make([]string, len(pb.Cutoffs))
		approval := &lineSeries{name: "approval rate", meaning: "pass"}
		badApproved := &lineSeries{name: "bad rate approved", meaning: "bad"}
		for i, c := range pb.Cutoffs {
			labels[i] = c.Label
			approval.values = append(approval.values, val(c.ApprovalRate))
			badApproved.values = append(badApproved.values, val(c.BadRateApproved))
		}
		t.Charts = append(t.Charts, lineChart(pb.Name+": approval rate and bad rate approved by cut-off", labels, []*lineSeries{approval, badApproved}, axisPct, nil))
		out = append(out, t)
	}
	if len(pb.BandCutoffs) > 0 {
		t := cutoffView("Cut-offs by band (approve the bands up to)", pb.BandCutoffs, false, pb.Name, "band_cutoff")
		t.Note = "Over the scored rows in the named bands, in their order."
		out = append(out, t)
	}
	if len(pb.Monotone) > 0 {
		t := tableView{Title: fmt.Sprintf("Monotone bins (IV %s)", FormatMetric(pb.MonotoneIV)),
			Note: fmt.Sprintf("From %d equal-frequency bins, adjacent bins merged until the bad rate is monotone and each holds at least %s of the scored rows.", monotoneStart, FormatRate(ptr(f.Backtest.MinBinShare))),
			Head: []string{"bin", "scores", "rows", "bads", "bad rate", "lift", "cum bad", "cum good", "WoE", "IV"}}
		labels := make([]string, len(pb.Monotone))
		vals := make([]float64, len(pb.Monotone))
		for i, r := range binRows(pb.Monotone, true) {
			row := cells(r...)
			t.Rows = append(t.Rows, row)
			labels[i] = scoreRange(pb.Monotone[i])
			vals[i] = val(pb.Monotone[i].BadRate)
		}
		t.Rows[0][0].Key = pb.Name + ".monotone.bins"
		t.Charts = append(t.Charts, columns(pb.Name+": bad rate by monotone bin", labels, vals, axisPct, "bad"))
		out = append(out, t)
	}
	if s := pb.Swap; s != nil {
		t := tableView{Title: "Swap-in / swap-out: the row decision with against without its vote",
			Note: "Newly rejected: reject with the vote, not without it. Newly accepted: pass with it, not without it (rows only it voted on).",
			Head: []string{"", "without", "with", "rows", "labelled", "bads", "bad rate"}}
		add := func(what string, r SwapRow, key string) {
			row := cells(what, r.Without, r.With, FormatInt(r.Rows), FormatInt(r.Labelled), FormatInt(r.Bads), FormatRate(r.BadRate))
			if key != "" {
				row[3].Key = pb.Name + "." + key + ".rows"
				row[6].Key = pb.Name + "." + key + ".bad_rate"
			}
			t.Rows = append(t.Rows, row)
		}
		add("newly rejected", s.NewlyRejected, "newly_rejected")
		add("newly accepted", s.NewlyAccepted, "newly_accepted")
		for _, c := range s.Changes {
			add("changed", c, "")
		}
		out = append(out, t)
	}
	if l := pb.Lists; l != nil {
		t := tableView{Title: fmt.Sprintf("List hits (%s)", l.Column),
			Note: fmt.Sprintf("Hit rate over the %s answered rows; bad rate over the labelled rows with the code; lift over the answered rows' bad rate %s.", FormatInt(l.Answered), FormatRate(l.BaseRate)),
			Head: []string{"code", "rows", "hit rate", "labelled", "bads", "bad rate", "lift"}}
		var labels []string
		var vals []float64
		for i, r := range append([]ListRow{l.Any}, l.Codes...) {
			row := cells(r.Code, FormatInt(r.Rows), FormatRate(r.HitRate), FormatInt(r.Labelled), FormatInt(r.Bads), FormatRate(r.BadRate), FormatMetric(r.Lift))
			if i == 0 {
				row[2].Key, row[5].Key, row[6].Key = pb.Name+".list.hit_rate", pb.Name+".list.bad_rate", pb.Name+".list.lift"
			}
			t.Rows = append(t.Rows, row)
			if i > 0 && i <= 16 {
				labels = append(labels, r.Code)
				vals = append(vals, val(r.Lift))
			}
		}
		if len(vals) > 0 {
			t.Charts = append(t.Charts, columns(pb.Name+": lift by list code", labels, vals, axisNum, "bad"))
		}
		out = append(out, t)
	}
	return out
}

func nanIfNil(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func val(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// lineSeries is one line of a line chart: its legend name, its palette
// meaning and dash pattern, and a value per category (NaN: a gap).
type lineSeries struct {
	name, meaning, dash string
	values              []float64
}

// lineChart draws one line per series over categories, with dashed
// reference lines at refs; kind is the value axis.
func lineChart(title string, cats []string, lines []*lineSeries, kind string, refs []float64) template.HTML {
	const top, right, ph = 10.0, 10.0, 150.0
	w := chartW
	hi := 0.0
	for _, l := range lines {
		for _, v := range l.values {
			if !math.IsNaN(v) {
				hi = math.Max(hi, v)
			}
		}
	}
	for _, r := range refs {
		hi = math.Max(hi, r)
	}
	top0, ts := ticks(hi, kind)
	left := tickRoom(ts, kind)
	pw := w - left - right
	n := len(cats)
	// The first and last points sit inset by half a label, so their
	// labels stay inside the chart.
	inset := math.Min(maxLabel(cats)/2, pw/4)
	px := func(i int) float64 {
		if n <= 1 {
			return left + pw/2
		}
		return left + inset + (pw-2*inset)*float64(i)/float64(n-1)
	}
	py := func(v float64) float64 { return top + ph*(1-v/top0) }
	var b strings.Builder
	yTicks(&b, left, w-right, top, ph, top0, ts, kind)
	for _, r := range refs {
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="4 3" data-meaning="reference"/>`, left, w-right, py(r), py(r), color("reference"))
	}
	slot := pw
	if n > 1 {
		slot = (pw - 2*inset) / float64(n-1)
	}
	below := catLabels(&b, cats, px, slot, top+ph+2)
	var leg []segment
	for _, l := range lines {
		var pts strings.Builder
		for i, v := range l.values {
			if math.IsNaN(v) {
				continue
			}
			fmt.Fprintf(&pts, "%.2f,%.2f ", px(i), py(v))
		}
		fmt.Fprintf(&b, `<polyline points="%s" %s/>`, pts.String(), stroke(l.meaning, l.dash))
		leg = append(leg, segment{name: l.name, meaning: l.meaning, dash: l.dash})
	}
	y := legend(&b, 0, top+ph+2+below+axFont, w, leg, true)
	return svgWrap(title, kind, w, y+4, b.String())
}
