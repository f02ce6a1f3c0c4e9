package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/riskbatch/riskbatch/providers"
)

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and the vendors this build supports",
		Args:  exactArgs(0),
		Run: func(cmd *cobra.Command, args []string) {
			v := version
			if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
				v = bi.Main.Version
			}
			fmt.Fprintf(cmd.OutOrStdout(), "riskbatch %s (%s, %s/%s)\nvendors: %v\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH, providers.Kinds())
		},
	}
}
