// Command riskbatch sends applicant lists to anti-fraud data vendors in
// batch and writes enriched result sheets. See README.md.
package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	_ "time/tzdata" // the IANA zones the quota days need, also on machines without a zone database (Windows)

	"github.com/spf13/cobra"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/logging"
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

// cliLog holds the global logging flags and the logger built from them
// before a command runs (-v, --quiet, --log-format).
type cliLog struct {
	verbose, quiet bool
	format         string
	log            *slog.Logger
}

// logger returns the configured logger, or plain text at info level when
// the flags were never parsed (a usage error before any command ran).
func (c *cliLog) logger() *slog.Logger {
	if c.log == nil {
		c.log, _ = logging.New(os.Stderr, logging.Options{})
	}
	return c.log
}

func (c *cliLog) setup() error {
	if c.verbose && c.quiet {
		return &usageError{msg: "-v and --quiet contradict each other"}
	}
	level := slog.LevelInfo
	switch {
	case c.verbose:
		level = slog.LevelDebug
	case c.quiet:
		level = slog.LevelWarn
	}
	l, err := logging.New(os.Stderr, logging.Options{Format: c.format, Level: level})
	if err != nil {
		return &usageError{msg: "--log-format: " + err.Error()}
	}
	c.log = l
	return nil
}

func newRootCommand() *cobra.Command {
	cmd, _ := newRoot()
	return cmd
}

// newRoot builds the command tree and the logging state its commands share.
func newRoot() (*cobra.Command, *cliLog) {
	cl := &cliLog{}
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
	root.PersistentFlags().BoolVarP(&cl.verbose, "verbose", "v", false, "also log debug messages (the embedded sandbox's address, …)")
	root.PersistentFlags().BoolVarP(&cl.quiet, "quiet", "q", false, "log only warnings and errors (no progress lines)")
	root.PersistentFlags().StringVar(&cl.format, "log-format", logging.FormatText, "log format on stderr: text, or json (one JSON object per line)")
	_ = root.RegisterFlagCompletionFunc("log-format", cobra.FixedCompletions([]string{logging.FormatText, logging.FormatJSON}, cobra.ShellCompDirectiveNoFileComp))
	root.PersistentPreRunE = func(*cobra.Command, []string) error { return cl.setup() }
	root.AddCommand(newRunCommand(cl, false), newRunCommand(cl, true), newSandboxCommand(), newVersionCommand(), newGenCommand(), newValidateCommand(), newHashCommand(), newBenchCommand(), newQuotaCommand(), newCacheCommand(), newProvidersCommand(), newMergeCommand(cl), newDiffCommand(), newInitCommand())
	registerCompletions(root) // completion.go
	return root, cl
}

func main() {
	os.Exit(execute(os.Args[1:]))
}

// execute runs the CLI; the exit code comes from the one table in
// exitcodes.go.
func execute(args []string) int {
	root, cl := newRoot()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	log := cl.logger()
	var ee *exitError
	if !errors.As(err, &ee) || ee.err != nil {
		log.Error(err.Error())
	}
	var env *pipeline.EnvError
	if errors.As(err, &env) && env.Resume != "" {
		log.Error("the work done so far is journaled; once the cause is fixed, resume with: " + env.Resume)
	}
	return exitCodeForError(err)
}

type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }
