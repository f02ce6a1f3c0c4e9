// Command riskbatch sends applicant lists to anti-fraud data vendors in
// batch and writes enriched result sheets. See README.md.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/riskbatch/riskbatch/pipeline"
	_ "github.com/riskbatch/riskbatch/providers/all"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// exitError carries an exit code chosen by a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "riskbatch",
		Short:         "Send applicant lists to anti-fraud data vendors and write enriched result sheets",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newRunCommand(false), newRunCommand(true), newSandboxCommand(), newVersionCommand(), newGenCommand(), newValidateCommand(), newHashCommand(), newBenchCommand())
	return root
}

func main() {
	os.Exit(execute(os.Args[1:]))
}

// execute runs the CLI and maps errors to the documented exit codes in one
// place: usage, job file and input errors are 2; anything unexpected is 1.
func execute(args []string) int {
	root := newRootCommand()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(os.Stderr, "riskbatch:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "riskbatch:", err)
	var ce *pipeline.ConfigError
	var ie *pipeline.InputError
	if errors.As(err, &ce) || errors.As(err, &ie) || isUsageError(err) {
		return pipeline.ExitUsage
	}
	return pipeline.ExitInternal
}

func isUsageError(err error) bool {
	var ue *usageError
	return errors.As(err, &ue)
}

type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }
