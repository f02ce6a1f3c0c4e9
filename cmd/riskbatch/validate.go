package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/dryrun"
)

// newValidateCommand builds `validate JOB`: every row through the run's
// normalization and validation, no network call, a report of what a run
// would send and cost.
func newValidateCommand() *cobra.Command {
	var (
		strict   bool
		examples int
	)
	cmd := &cobra.Command{
		Use:   "validate JOB",
		Short: "Check every row without calling any vendor: invalid rows by reason, duplicates, calls, cost, time and days",
		Long: `validate reads the job's input exactly as run does and prepares every row for
every provider, without any network call (the embedded sandbox is not started
either). It prints a table and writes validate.json and validate-errors.csv
(the columns of errors.csv, values masked) into the job's output directory.

Exit status: 0 when the validation completed, whatever it found (the report
says how many rows are invalid); 2 for a job file or input file error; with
--strict, 1 when any row is unreadable or invalid for any provider.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			job, err := pipeline.LoadJobOffline(args[0], nil) // no call: the keys need not be set
			if err != nil {
				return err
			}
			rep, err := dryrun.Validate(job, dryrun.ValidateOptions{Version: version, Examples: examples, Spent: pipeline.SpentSoFar})
			if err != nil {
				return err
			}
			rep.WriteTable(os.Stdout)
			if strict && rep.RowsInvalid > 0 {
				return &exitError{code: exitUsage, err: fmt.Errorf("--strict: %d of %d rows are unreadable or invalid for a provider (see %s)", rep.RowsInvalid, rep.RowsRead, rep.ErrorsFile)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&strict, "strict", false, "exit 1 when any row is unreadable or invalid for any provider")
	cmd.Flags().IntVar(&examples, "examples", 5, "examples kept per reason code in validate.json and the table")
	return cmd
}
