package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/riskbatch/riskbatch/pipeline"
)

// newMergeCommand builds `riskbatch merge SHARD_DIR... --into DIR`: the
// outputs of a sharded run put together as one run over the whole file.
func newMergeCommand(cl *cliLog) *cobra.Command {
	var into, jobPath string
	cmd := &cobra.Command{
		Use:   "merge SHARD_DIR... --into DIR",
		Short: "Put the outputs of a sharded run (run --shard i/n) together, in input order, as one run over the whole file",
		Long: `Merge reads the output folders of every shard of a sharded run (each made by
riskbatch run --shard i/n) and writes into --into the results, errors.csv, warnings.csv,
summary.json and the report that one run over the whole input would have written. It makes no
call: every answer comes from a shard's journal. It refuses incomplete shards, a missing shard,
and shards made from another input or other settings. The job file is the one the shards ran
(read from their summary.json unless --job says otherwise).`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{msg: "merge: name the shards' output folders (usage: riskbatch merge SHARD_DIR... --into DIR)"}
			}
			if into == "" {
				return &usageError{msg: "merge: --into DIR is required"}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			// The command that runs this merge again (the job lock's
			// holder, and the resume command of a merge that could not finish).
			mergeCommand := "riskbatch merge --into " + into
			if jobPath != "" {
				mergeCommand += " --job " + jobPath
			}
			mergeCommand += " " + strings.Join(args, " ")
			if jobPath == "" {
				b, err := os.ReadFile(filepath.Join(args[0], "summary.json"))
				if err != nil {
					return &usageError{msg: fmt.Sprintf("merge: %s has no summary.json: give the job with --job (%v)", args[0], err)}
				}
				var s struct {
					Job string `json:"job"`
				}
				if err := json.Unmarshal(b, &s); err != nil || s.Job == "" {
					return &usageError{msg: fmt.Sprintf("merge: %s/summary.json names no job: give it with --job", args[0])}
				}
				jobPath = s.Job
			}
			job, err := pipeline.LoadJobOffline(jobPath, nil) // no call: the keys need not be set
			if err != nil {
				return err
			}
			abs, err := filepath.Abs(into)
			if err != nil {
				return err
			}
			job.Output.Dir = abs
			log := cl.logger()
			sum, err := pipeline.Merge(cmd.Context(), job, args, pipeline.Options{
				Version: version, Log: os.Stderr, Logger: log, ExitCode: exitCodeForOutcome,
				ResumeCommand: mergeCommand, Command: mergeCommand,
			})
			if err != nil {
				return err
			}
			sum.WriteTable(os.Stdout)
			fmt.Fprintf(os.Stdout, "merged %d shards into %s\n", len(args), abs)
			return endOfRun(sum) // a merge that could not finish exits as a run does
		},
	}
	cmd.Flags().StringVar(&into, "into", "", "the folder to write the merged outputs to")
	cmd.Flags().StringVar(&jobPath, "job", "", "the job file the shards ran (default: from the first shard's summary.json)")
	return cmd
}
