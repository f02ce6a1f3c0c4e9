package main

import (
	"os"
	"sort"

	"github.com/spf13/cobra"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/providers"
)

// Shell completion of arguments and flag values (cobra's `riskbatch
// completion bash|zsh|fish|powershell`): job files for the commands that
// take a JOB, the digests of hash, the job's provider names and key ids
// for quota, the vendor types for cache purge. --log-format and the TYPE of
// `providers` complete where they are defined.

// jobCommands take a job file as their first argument.
var jobCommands = map[string]bool{"run": true, "resume": true, "validate": true, "hash": true, "quota": true, "stats": true, "purge": true}

func registerCompletions(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if jobCommands[c.Name()] && c.ValidArgsFunction == nil {
			c.ValidArgsFunction = completeJobFile
		}
		complete := func(flag string, f cobra.CompletionFunc) {
			if c.Flags().Lookup(flag) != nil {
				_ = c.RegisterFlagCompletionFunc(flag, f)
			}
		}
		switch c.Name() {
		case "hash":
			digests := cobra.FixedCompletions([]string{"md5", "sha256", "sm3"}, cobra.ShellCompDirectiveNoFileComp)
			complete("digest", digests)
			complete("name-digest", digests)
			complete("id-mobile-form", cobra.FixedCompletions([]string{"local", "country_code"}, cobra.ShellCompDirectiveNoFileComp))
			complete("out", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
				return []string{"csv", "xlsx"}, cobra.ShellCompDirectiveFilterFileExt
			})
		case "quota":
			complete("provider", func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
				return jobNames(args, func(p jobfile.ProviderConfig) []string { return []string{p.Name} })
			})
			complete("key", func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
				return jobNames(args, func(p jobfile.ProviderConfig) []string {
					var ids []string
					for _, k := range p.Keys {
						ids = append(ids, k.ID)
					}
					return ids
				})
			})
		case "purge":
			complete("provider", cobra.FixedCompletions(providers.Kinds(), cobra.ShellCompDirectiveNoFileComp))
		}
	}
	walk(root)
}

// completeJobFile offers YAML files (and directories) for a JOB argument.
func completeJobFile(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
}

// jobNames lists what pick takes from each provider of the job named by
// args[0], read offline (no credentials needed; nothing printed on error).
func jobNames(args []string, pick func(jobfile.ProviderConfig) []string) ([]string, cobra.ShellCompDirective) {
	if len(args) == 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	job, err := pipeline.LoadJobOffline(args[0], os.LookupEnv)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range job.Providers {
		for _, n := range pick(p) {
			if n != "" && !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}
