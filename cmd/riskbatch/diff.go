package main

import (
	"github.com/spf13/cobra"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/compare"
)

// newDiffCommand builds `diff OLD_DIR NEW_DIR`: what changed between two
// complete runs' result sheets, as changes.csv (docs/cache.md).
func newDiffCommand() *cobra.Command {
	var opts compare.DiffOptions
	cmd := &cobra.Command{
		Use:   "diff OLD_DIR NEW_DIR",
		Short: "What changed between two runs: decisions worse or better, new and cleared risk codes, score moves, rows new and gone (changes.csv)",
		Long: `diff compares the result sheets (results.csv, else results.xlsx) of two complete runs' output
folders. Rows are matched by --key (an input column such as a loan id) or else by the normalised ID
number and mobile. It writes changes.csv (into NEW_DIR unless --out says otherwise) with one line per
change: the row's decision got worse or better; per provider the status changed, risk codes appeared
or cleared, the score moved by at least --score-change; rows new and gone; with each side's answer
source and age for providers with an answer cache. A job's compare: key does the same in the run and
adds a Changes sheet to results.xlsx.`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			sum, err := pipeline.Diff(args[0], args[1], opts)
			if err != nil {
				return err
			}
			sum.WriteChanges(cmd.OutOrStdout())
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.Key, "key", "", "the input column that identifies a row in both runs (default: ID number and mobile)")
	cmd.Flags().Float64Var(&opts.ScoreChange, "score-change", 10, "the smallest score move reported")
	cmd.Flags().StringVar(&opts.Out, "out", "", "where to write changes.csv (default NEW_DIR/changes.csv)")
	return cmd
}
