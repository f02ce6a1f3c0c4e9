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
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("riskbatch {{.Version}}\n")
	// A wrong flag is a usage error (exit 2), like a wrong argument count.
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{msg: fmt.Sprintf("%s: %v (see riskbatch %s --help)", cmd.CommandPath(), err, cmd.Name())}
	})
	root.AddCommand(newRunCommand(false), newRunCommand(true), newSandboxCommand(), newVersionCommand(), newGenCommand(), newValidateCommand(), newHashCommand(), newBenchCommand())
	return root
}

func main() {
	os.Exit(execute(os.Args[1:]))
}

// execute runs the CLI; the exit code comes from the one table in
// exitcodes.go.
func execute(args []string) int {
	root := newRootCommand()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if !errors.As(err, &ee) || ee.err != nil {
		fmt.Fprintln(os.Stderr, "riskbatch:", err)
	}
	var env *pipeline.EnvError
	if errors.As(err, &env) && env.Resume != "" {
		fmt.Fprintln(os.Stderr, "riskbatch: the work done so far is journaled; once the cause is fixed, resume with:", env.Resume)
	}
	return exitCodeForError(err)
}

type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }
