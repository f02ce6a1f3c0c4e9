package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/riskbatch/riskbatch/providers"
)

// newProvidersCommand builds `riskbatch providers [TYPE]`: what this build
// can call, from the registry (types; with TYPE its credentials, inputs,
// options and result columns).
func newProvidersCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "providers [TYPE]",
		Short: "List the vendor types this build can call; with TYPE, its credentials, inputs, options and result columns",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return &usageError{msg: "providers: at most one TYPE"}
			}
			return nil
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return providers.Kinds(), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "type\ttime zone\tdescription")
				for _, k := range providers.Kinds() {
					s, _ := providers.Lookup(k)
					fmt.Fprintf(tw, "%s\t%s\t%s\n", k, s.TimeZone, s.Doc)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				fmt.Println("\nriskbatch providers TYPE shows a type's inputs, options and columns.")
				return nil
			}
			spec, ok := providers.Lookup(args[0])
			if !ok {
				return &usageError{msg: fmt.Sprintf("providers: unknown type %q (known: %s)", args[0], strings.Join(providers.Kinds(), ", "))}
			}
			return describeProvider(os.Stdout, spec)
		},
	}
}

func describeProvider(w io.Writer, spec providers.Spec) error {
	prov, err := spec.New(providers.Config{Name: spec.Kind, Endpoint: "http://example.invalid/", Options: spec.Example})
	if err != nil {
		return fmt.Errorf("providers %s: %w", spec.Kind, err)
	}
	fmt.Fprintf(w, "%s — %s\nquota day time zone: %s\n\n", spec.Kind, spec.Doc, spec.TimeZone)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "credentials\trequired\t")
	for _, c := range spec.Credentials {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.Name, yesNo(c.Required), c.Doc)
	}
	fmt.Fprintln(tw, "\ninputs\trequired\theaders recognised\tchecked")
	for _, in := range prov.Inputs() {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", in.Name, yesNo(in.Required), strings.Join(in.Aliases, ", "), firstNonEmpty(in.Check, in.Doc))
	}
	fmt.Fprintln(tw, "\noptions\tvalues\tdefault\t")
	plain := strings.NewReplacer("{", "", "}", "")
	for _, o := range providers.OptionDocs(spec) {
		values := o.Values
		if values == "" {
			values = o.Want
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", o.Name, plain.Replace(values), plain.Replace(o.Default), plain.Replace(o.Doc))
	}
	fmt.Fprintf(tw, "\nresult columns (%s_…)\t\t\n", spec.Kind)
	for _, c := range prov.Columns() {
		fmt.Fprintf(tw, "  %s\t\t%s\n", c.Name, c.Doc)
	}
	fmt.Fprintf(tw, "\nbilled by default\t%s\t\n", strings.Join(prov.DefaultBilled(), ", "))
	return tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
