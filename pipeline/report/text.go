package report

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteText prints the decisions and back-test lines of the end-of-run
// table.
func (f *Figures) WriteText(w io.Writer) {
	if d := f.Decisions; d != nil {
		fmt.Fprintf(w, "decisions: pass %d · review %d · reject %d   (%d rows without a vote are %s)\n",
			d.Rows["pass"], d.Rows["review"], d.Rows["reject"], d.NoVote, d.NoVoteDecision)
	}
	bt := f.Backtest
	if bt == nil {
		return
	}
	fmt.Fprintf(w, "back-test on %s: %d labelled rows, %d bad (%s)\n", bt.Label, bt.RowsLabelled, bt.Bads, FormatRate(bt.BadRate))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "  provider\tscore\tKS\tAUC\tGini\tIV\thit rate\tbad rate\tscored\t\n")
	for _, p := range bt.Providers {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n", p.Name, p.ScoreColumn, FormatMetric(p.KS), FormatMetric(p.AUC),
			FormatMetric(p.Gini), FormatMetric(p.IV), FormatRate(p.HitRate), FormatRate(p.BadRate), p.Scored)
	}
	tw.Flush()
}
