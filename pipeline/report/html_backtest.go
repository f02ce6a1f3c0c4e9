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
		t.Charts = append(t.Charts, columns("rows by providers hit", labels, vals, false, accentColor))
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
		t.Charts = append(t.Charts, columns("cross-validated AUC", labels, vals, false, accentColor))
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
		series := map[string][]float64{}
		var names []string
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
					if i == 0 {
						names = append(names, mp.Name)
					}
					x := math.NaN()
					if mp.PSI != nil {
						x = *mp.PSI
					}
					series[mp.Name] = append(series[mp.Name], x)
				}
			}
			t.Rows = append(t.Rows, row)
		}
		t.Charts = append(t.Charts, lineChart("PSI by month", labels, names, series, []float64{psiWatch, psiShift}))
		rates := map[string][]float64{}
		rateNames := []string{"bad rate"}
		for _, m := range bt.Months {
			rates["bad rate"] = append(rates["bad rate"], nanIfNil(m.BadRate))
			for _, mp := range m.Providers {
				rates[mp.Name+" hit rate"] = append(rates[mp.Name+" hit rate"], nanIfNil(mp.HitRate))
			}
		}
		for _, mp := range bt.Months[0].Providers {
			rateNames = append(rateNames, mp.Name+" hit rate")
		}
		t.Charts = append(t.Charts, lineChart("bad rate and hit rates by month", labels, rateNames, rates, nil))
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
		series := map[string][]float64{}
		for i, c := range pb.Cutoffs {
			labels[i] = c.Label
			series["approval rate"] = append(series["approval rate"], val(c.ApprovalRate))
			series["bad rate approved"] = append(series["bad rate approved"], val(c.BadRateApproved))
		}
		t.Charts = append(t.Charts, lineChart(pb.Name+": approval rate and bad rate approved by cut-off", labels, []string{"approval rate", "bad rate approved"}, series, nil))
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
		t.Charts = append(t.Charts, columns(pb.Name+": bad rate by monotone bin", labels, vals, true, badColor))
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
			t.Charts = append(t.Charts, columns(pb.Name+": lift by list code", labels, vals, false, "#6a1b9a"))
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

var lineColors = []string{"#c62828", "#1565c0", "#2e7d32", "#f9a825", "#6a1b9a", "#00838f"}

// lineChart draws one line per named series over categories (NaN: a gap),
// with dashed reference lines at refs.
func lineChart(title string, cats, names []string, series map[string][]float64, refs []float64) template.HTML {
	const w, h, left, bottom, top, right = 320.0, 210.0, 34.0, 46.0, 8.0, 8.0
	hi := 0.0
	for _, s := range series {
		for _, v := range s {
			if !math.IsNaN(v) {
				hi = math.Max(hi, v)
			}
		}
	}
	for _, r := range refs {
		hi = math.Max(hi, r)
	}
	if hi == 0 {
		hi = 1
	}
	hi = niceWidth(hi)
	pw, ph := w-left-right, h-top-bottom
	n := len(cats)
	px := func(i int) float64 {
		if n <= 1 {
			return left + pw/2
		}
		return left + pw*float64(i)/float64(n-1)
	}
	py := func(v float64) float64 { return top + ph*(1-v/hi) }
	var b strings.Builder
	for i := 0; i <= 4; i++ {
		v := hi * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" class="grid"/><text x="%.0f" y="%.1f" class="ax" text-anchor="end">%s</text>`,
			left, w-right, py(v), py(v), left-3, py(v)+3, fmtNum(math.Round(v*1000)/1000))
	}
	for _, r := range refs {
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#90a4ae" stroke-dasharray="4 3"/>`, left, w-right, py(r), py(r))
	}
	every := 1
	if n > 12 {
		every = 2
	}
	for i, c := range cats {
		if i%every == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="ax" text-anchor="end" transform="rotate(-40 %.1f %.1f)">%s</text>`,
				px(i)+3, h-bottom+12, px(i)+3, h-bottom+12, esc(c))
		}
	}
	var leg []segment
	for k, name := range names {
		color := lineColors[k%len(lineColors)]
		var pts strings.Builder
		for i, v := range series[name] {
			if math.IsNaN(v) {
				continue
			}
			fmt.Fprintf(&pts, "%.2f,%.2f ", px(i), py(v))
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, pts.String(), color)
		leg = append(leg, segment{name: name, color: color})
	}
	legend(&b, left, h-4, leg)
	return svgWrap(title, w, h, b.String())
}
