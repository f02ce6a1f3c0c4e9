package report

import (
	"fmt"
	"strings"

	"github.com/riskbatch/riskbatch/sinks"
)

// The Back-test sheet's blocks beyond the metrics: across providers
// (overlap, rank correlation, incremental value, stability by month) and
// per provider (cut-offs, swap-in/swap-out, monotone bins, list products).

func (f *Figures) crossBlocks() []sinks.SheetBlock {
	bt := f.Backtest
	var out []sinks.SheetBlock
	if len(bt.Overlap) > 0 {
		b := sinks.SheetBlock{
			Title:   "Hit overlap: rows by the providers that hit",
			Header:  []string{"providers hit", "rows", "labelled", "bads", "bad rate"},
			Formats: []string{"", "int", "int", "int", "pct"},
			Note:    "each row counted once, under exactly the providers that answered it with a hit",
			Charts:  []sinks.SheetChart{{Kind: "col", Title: "Rows by providers hit", Categories: 0, Series: []int{1}, Colors: []string{xlColor("hit")}}},
		}
		for _, o := range bt.Overlap {
			b.Rows = append(b.Rows, []any{o.Label, o.Rows, o.Labelled, o.Bads, fp(o.BadRate)})
		}
		out = append(out, b)
	}
	if len(bt.RankCorrelation) > 0 {
		b := sinks.SheetBlock{
			Title:   "Rank correlation of the scores (Spearman)",
			Header:  []string{"scores", "rows both scored", "Spearman ρ"},
			Formats: []string{"", "int", "metric"},
			Note:    "1: the same order; near 0: unrelated orders, so the scores can add to each other",
		}
		for _, r := range bt.RankCorrelation {
			b.Rows = append(b.Rows, []any{r.A + " ~ " + r.B, r.Rows, fp(r.Spearman)})
		}
		out = append(out, b)
	}
	if inc := bt.Incremental; inc != nil && len(inc.Models) > 0 {
		b := sinks.SheetBlock{
			Title:   fmt.Sprintf("Incremental value: logistic regression on WoE-binned scores (%d-fold CV)", inc.Folds),
			Header:  []string{"model", "providers", "CV KS", "CV AUC", "CV Gini"},
			Formats: []string{"", "", "metric", "metric", "metric"},
			Note: fmt.Sprintf("%s rows (%s bad) every provider answered; fold = row index mod %d; L2, C = %s; WoE of %s bins fit on the training folds; KS/AUC over the pooled out-of-fold predictions",
				FormatInt(inc.Rows), FormatInt(inc.Bads), inc.Folds, fmtNum(inc.C), inc.Binning),
			Charts: []sinks.SheetChart{{Kind: "col", Title: "Cross-validated AUC", Categories: 0, Series: []int{3}, Colors: []string{xlColor("hit")}}},
		}
		for _, m := range inc.Models {
			b.Rows = append(b.Rows, []any{m.Name, strings.Join(m.Providers, " + "), fp(m.KS), fp(m.AUC), fp(m.Gini)})
		}
		out = append(out, b)
		if len(inc.Adds) > 0 {
			a := sinks.SheetBlock{
				Title:   "What each provider adds to the others",
				Header:  []string{"provider", "AUC gain", "KS gain"},
				Formats: []string{"", "metric", "metric"},
				Note:    "the combined model's CV AUC and KS minus those of the model without the provider",
				Charts:  []sinks.SheetChart{{Kind: "col", Title: "AUC gain", Categories: 0, Series: []int{1}, Colors: []string{xlColor("gain")}}},
			}
			for _, d := range inc.Adds {
				a.Rows = append(a.Rows, []any{d.Name, fp(d.AUC), fp(d.KS)})
			}
			out = append(out, a)
		}
	}
	if len(bt.Months) > 0 {
		b := sinks.SheetBlock{
			Title:   "Stability by application month",
			Header:  []string{"month", "rows", "labelled", "bad rate"},
			Formats: []string{"", "int", "int", "pct"},
		}
		psi := sinks.SheetBlock{
			Title:   "PSI of each score against the first month",
			Header:  []string{"month"},
			Formats: []string{""},
			Note:    "PSI over the first month's score deciles: below 0.1 stable, 0.1–0.25 watch, 0.25 or more shift; noise = (bins − 1)·(1/n + 1/n₀), the PSI of sampling alone",
		}
		hitSeries := []int{3}
		colors := []string{xlColor("bad")}
		dashes := []int{0}
		var psiSeries []int
		for i, mp := range bt.Months[0].Providers {
			b.Header = append(b.Header, mp.Name+" hit rate")
			b.Formats = append(b.Formats, "pct")
			hitSeries = append(hitSeries, 4+i)
			colors = append(colors, xlColor("hit"))
			dashes = append(dashes, i)
			if f.scoredProvider(mp.Name) {
				psi.Header = append(psi.Header, mp.Name+" PSI", mp.Name+" flag", mp.Name+" noise")
				psi.Formats = append(psi.Formats, "metric", "", "metric")
				psiSeries = append(psiSeries, len(psi.Header)-3)
			}
		}
		for _, m := range bt.Months {
			row := []any{m.Month, m.Rows, m.Labelled, fp(m.BadRate)}
			prow := []any{m.Month}
			for _, mp := range m.Providers {
				row = append(row, fp(mp.HitRate))
				if f.scoredProvider(mp.Name) {
					prow = append(prow, fp(mp.PSI), mp.Flag, fp(mp.PSINoise))
				}
			}
			b.Rows = append(b.Rows, row)
			psi.Rows = append(psi.Rows, prow)
		}
		b.Note = "bad rate over the month's labelled rows; hit rate = hits / (hits + no-hits)"
		b.Charts = []sinks.SheetChart{{Kind: "line", Title: "Bad rate and hit rates by month", Categories: 0, Series: hitSeries, Percent: true, Colors: colors, Dashes: dashes}}
		if len(psiSeries) > 0 {
			pc := make([]string, len(psiSeries))
			pd := make([]int, len(psiSeries))
			for i := range pc {
				pc[i], pd[i] = xlColor("psi"), i
			}
			psi.Charts = []sinks.SheetChart{{Kind: "line", Title: "PSI by month", Categories: 0, Series: psiSeries, Colors: pc, Dashes: pd}}
		}
		out = append(out, b, psi)
	}
	return out
}

func (f *Figures) scoredProvider(name string) bool {
	for _, pb := range f.Backtest.Providers {
		if pb.Name == name {
			return true
		}
	}
	return false
}

func cutoffBlock(title, first string, cs []Cutoff, withScore bool) sinks.SheetBlock {
	b := sinks.SheetBlock{Title: title, Header: []string{first}, Formats: []string{""}}
	if withScore {
		b.Header = append(b.Header, "approve score ≤")
		b.Formats = append(b.Formats, "")
	}
	b.Header = append(b.Header, "approved", "rejected", "approval rate", "bad rate approved", "bad rate rejected", "cum lift", "bads rejected")
	b.Formats = append(b.Formats, "int", "int", "pct", "pct", "pct", "metric", "pct")
	for _, c := range cs {
		row := []any{c.Label}
		if withScore {
			row = append(row, fp(c.Score))
		}
		row = append(row, c.Approved, c.Rejected, fp(c.ApprovalRate), fp(c.BadRateApproved), fp(c.BadRateRejected), fp(c.CumLift), fp(c.BadsRejected))
		b.Rows = append(b.Rows, row)
	}
	return b
}

func (f *Figures) providerBlocks(pb ProviderBacktest) []sinks.SheetBlock {
	var out []sinks.SheetBlock
	if len(pb.Cutoffs) > 0 {
		c := cutoffBlock(pb.Name+": cut-offs by decile (approve deciles 1..k)", "up to decile", pb.Cutoffs, true)
		c.Note = "cum lift = bad rate of the rejected rows / the scored rows' bad rate; bads rejected = share of all bad rows"
		c.Charts = []sinks.SheetChart{{Kind: "line", Title: pb.Name + ": approval rate vs bad rate approved", Categories: 0,
			Series: []int{4, 5}, Percent: true, Colors: []string{xlColor("pass"), xlColor("bad")}}}
		out = append(out, c)
	}
	if len(pb.BandCutoffs) > 0 {
		c := cutoffBlock(pb.Name+": cut-offs by band (approve bands up to)", "up to band", pb.BandCutoffs, false)
		c.Note = "over the scored rows in the named bands, in their order"
		out = append(out, c)
	}
	if len(pb.Monotone) > 0 {
		m := binBlock(fmt.Sprintf("%s: monotone bins of %s (IV %s)", pb.Name, pb.ScoreColumn, FormatMetric(pb.MonotoneIV)), "bin", pb.Monotone, true)
		m.Note = fmt.Sprintf("from %d equal-frequency bins, adjacent bins merged until the bad rate is monotone and each holds ≥ %s of the scored rows", monotoneStart, FormatRate(ptr(f.Backtest.MinBinShare)))
		m.Charts = []sinks.SheetChart{{Kind: "col", Title: pb.Name + ": bad rate by monotone bin", Categories: 0, Series: []int{6}, Percent: true, Colors: []string{xlColor("bad")}}}
		out = append(out, m)
	}
	if s := pb.Swap; s != nil {
		b := sinks.SheetBlock{
			Title:   pb.Name + ": swap-in / swap-out (row decision with vs without its vote)",
			Header:  []string{"rows", "without", "with", "rows", "labelled", "bads", "bad rate"},
			Formats: []string{"", "", "", "int", "int", "int", "pct"},
			Note:    "newly rejected: reject with the vote, not without; newly accepted: pass with it, not without (rows only it voted on)",
		}
		b.Rows = append(b.Rows,
			[]any{"newly rejected", "", "reject", s.NewlyRejected.Rows, s.NewlyRejected.Labelled, s.NewlyRejected.Bads, fp(s.NewlyRejected.BadRate)},
			[]any{"newly accepted", "", "pass", s.NewlyAccepted.Rows, s.NewlyAccepted.Labelled, s.NewlyAccepted.Bads, fp(s.NewlyAccepted.BadRate)})
		for _, c := range s.Changes {
			b.Rows = append(b.Rows, []any{"changed", c.Without, c.With, c.Rows, c.Labelled, c.Bads, fp(c.BadRate)})
		}
		out = append(out, b)
	}
	if l := pb.Lists; l != nil {
		b := sinks.SheetBlock{
			Title:   fmt.Sprintf("%s: list hits (%s)", pb.Name, l.Column),
			Header:  []string{"code", "rows", "hit rate", "labelled", "bads", "bad rate", "lift"},
			Formats: []string{"", "int", "pct", "int", "int", "pct", "metric"},
			Note: fmt.Sprintf("hit rate over the %s answered rows; lift over their bad rate %s; \"any\": at least one code",
				FormatInt(l.Answered), FormatRate(l.BaseRate)),
		}
		for _, r := range append([]ListRow{l.Any}, l.Codes...) {
			b.Rows = append(b.Rows, []any{r.Code, r.Rows, fp(r.HitRate), r.Labelled, r.Bads, fp(r.BadRate), fp(r.Lift)})
		}
		if len(b.Rows) > 1 {
			b.Charts = []sinks.SheetChart{{Kind: "col", Title: pb.Name + ": lift by list code", Categories: 0, Series: []int{6}, Colors: []string{xlColor("bad")}, Rows: 16}}
		}
		out = append(out, b)
	}
	return out
}
