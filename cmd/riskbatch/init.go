package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/sources"
)

// newInitCommand builds `riskbatch init`: a commented job file for the
// chosen vendor types and an input file's headers, written from the
// provider registry (credentials, inputs, options).
func newInitCommand() *cobra.Command {
	var (
		input, out, types string
		force             bool
	)
	cmd := &cobra.Command{
		Use:   "init --input FILE --providers TYPE[,TYPE…] [--out job.yaml]",
		Short: "Write a commented job file for the chosen vendor types and an input file's headers",
		Long: `init reads the header of the input file (CSV or XLSX) and writes a job file
with one provider per TYPE: its endpoint, its credentials as ${VARIABLES},
which input column each of its inputs was found in (and which required
inputs were not: map them under columns:), its options with their
documentation, and TODOs for price, rate limits and quota. Nothing is
called. Check the TODOs, then run riskbatch validate on the job.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if input == "" || types == "" {
				return &usageError{msg: "init: --input FILE and --providers TYPE[,TYPE…] are required (types: " + strings.Join(providers.Kinds(), ", ") + ")"}
			}
			var specs []providers.Spec
			for _, t := range strings.Split(types, ",") {
				t = strings.TrimSpace(t)
				spec, ok := providers.Lookup(t)
				if !ok {
					return &usageError{msg: fmt.Sprintf("init: unknown provider type %q (known: %s)", t, strings.Join(providers.Kinds(), ", "))}
				}
				specs = append(specs, spec)
			}
			if _, err := os.Stat(out); err == nil && !force {
				return &usageError{msg: fmt.Sprintf("init: %s exists; --force overwrites it", out)}
			}
			r, err := sources.Open(input, sources.Options{})
			if err != nil {
				return &usageError{msg: fmt.Sprintf("init: %v", err)}
			}
			header := r.Header()
			format := r.Format()
			_ = r.Close()
			text, missing, err := writeInitJob(input, out, header, format, specs)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(out, text, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d provider(s) for %s (%d columns)\n", out, len(specs), input, len(header))
			for _, m := range missing {
				fmt.Fprintf(cmd.OutOrStdout(), "  TODO %s\n", m)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "next: check the TODOs in %s, export the credential variables, then riskbatch validate %s\n", out, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&input, "input", "", "the input file (CSV or XLSX) whose header the job is written for")
	cmd.Flags().StringVar(&types, "providers", "", "vendor types, comma-separated ("+strings.Join(providers.Kinds(), ", ")+")")
	cmd.Flags().StringVar(&out, "out", "job.yaml", "the job file to write")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing job file")
	_ = cmd.RegisterFlagCompletionFunc("providers", func(_ *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		return providers.Kinds(), cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("input", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"csv", "xlsx"}, cobra.ShellCompDirectiveFilterFileExt
	})
	return cmd
}

// writeInitJob renders the job file; missing lists the required inputs
// found in no column, per provider.
func writeInitJob(input, out string, header []string, format string, specs []providers.Spec) ([]byte, []string, error) {
	var b bytes.Buffer
	w := func(indent int, format string, args ...any) {
		b.WriteString(strings.Repeat("  ", indent))
		fmt.Fprintf(&b, format, args...)
		b.WriteByte('\n')
	}
	rel, err := filepath.Rel(filepath.Dir(absPath(out)), absPath(input))
	if err != nil {
		rel = absPath(input)
	}
	rel = filepath.ToSlash(rel)
	var kinds []string
	for _, s := range specs {
		kinds = append(kinds, s.Kind)
	}
	w(0, "# riskbatch job written by `riskbatch init` on %s for %s", time.Now().Format(time.DateOnly), filepath.Base(input))
	w(0, "# (%s, %d columns) and the vendor types %s.", format, len(header), strings.Join(kinds, ", "))
	w(0, "# Check every TODO, export the credential variables, then:")
	w(0, "#   riskbatch validate %s   # no network: invalid rows, duplicates, calls, cost", filepath.Base(out))
	w(0, "#   riskbatch run %s", filepath.Base(out))
	w(0, "# Every key is documented in docs/job-reference.md; ${VAR} takes a value from the environment.")
	w(0, "input:")
	w(1, "file: %s", yamlScalar(rel))
	w(0, "output:")
	w(1, "dir: out")
	w(1, "formats: [xlsx, csv]")
	w(1, "# columns: [decision, decision_rule, …]   # choose and order the result columns")
	w(0, "# sandbox: true   # uncomment to try the job on the embedded simulators: no real call, nothing billed")
	w(0, "providers:")
	var missing []string
	names := map[string]int{}
	for _, spec := range specs {
		name := spec.Kind
		if names[spec.Kind]++; names[spec.Kind] > 1 {
			name = fmt.Sprintf("%s_%d", spec.Kind, names[spec.Kind])
		}
		endpoint, known := spec.Endpoint, spec.Endpoint != ""
		if !known {
			endpoint = "https://TODO.invalid/"
		}
		prov, err := spec.New(providers.Config{Name: name, Endpoint: endpoint, Options: spec.Example})
		if err != nil {
			return nil, nil, fmt.Errorf("init: %s: %w", spec.Kind, err)
		}
		w(1, "- name: %s   # prefixes its result columns (%s_status, …)", name, name)
		w(2, "type: %s   # %s", spec.Kind, spec.Doc)
		if known {
			w(2, "endpoint: %s", endpoint)
		} else {
			w(2, "endpoint: %s   # TODO: the vendor's full API URL", endpoint)
		}
		w(2, "price_per_call: 0   # TODO: your contract's price per billed call (cost and cost per hit)")
		w(2, "# currency: %s", currencyFor(spec.TimeZone))
		// Inputs: where each was found.
		bind, miss := providers.NewBinding(header, prov.Inputs(), nil)
		w(2, "# inputs, found by their header in %s:", filepath.Base(input))
		var unmapped []providers.Input
		var absent []string
		for _, in := range prov.Inputs() {
			req := "optional"
			if in.Required {
				req = "required"
			}
			switch col := bind.Column(in.Name); {
			case col != "":
				w(2, "#   %-16s %-8s ← %s", in.Name, req, col)
			case in.Required:
				w(2, "#   %-16s %-8s NOT FOUND (headers tried: %s)", in.Name, req, strings.Join(append([]string{in.Name}, in.Aliases...), ", "))
				unmapped = append(unmapped, in)
			default:
				absent = append(absent, in.Name)
			}
		}
		if len(absent) > 0 {
			w(2, "#   not in the file (optional): %s", strings.Join(absent, ", "))
		}
		for _, m := range miss {
			missing = append(missing, fmt.Sprintf("%s: required input %s is in no column: map it under columns:", name, m))
		}
		if len(unmapped) > 0 {
			w(2, "# TODO: a required input was found in no column; name its header:")
			w(2, "# columns:")
			for _, in := range unmapped {
				w(2, "#   %s: <your header>   # %s", in.Name, in.Doc)
			}
		} else if ins := prov.Inputs(); len(ins) > 0 {
			w(2, "# columns: {%s: <your header>}   # map an input to a header of your own", ins[0].Name)
		}
		// Options: the example's set, the rest commented with their docs.
		docs := providers.OptionDocs(spec)
		if len(spec.Example) > 0 {
			w(2, "options:")
		} else if len(docs) > 0 {
			w(2, "# options:")
		}
		for _, o := range docs {
			if v, ok := spec.Example[o.Name]; ok {
				w(3, "%s: %s   # TODO: %s (%s)", o.Name, yamlScalar(v), oneLine(o.Doc), o.Want)
				continue
			}
			w(3, "# %s: …   # %s (%s)", o.Name, oneLine(o.Doc), o.Want)
		}
		w(2, "keys:")
		w(3, "- id: %s-1", name)
		w(4, "credentials:")
		for _, c := range spec.Credentials {
			v := "${" + envName(name, c.Name) + "}"
			if c.Required {
				w(5, "%s: %s   # %s", c.Name, v, oneLine(c.Doc))
			} else {
				w(5, "# %s: %s   # optional: %s", c.Name, v, oneLine(c.Doc))
			}
		}
		w(4, "qps: 5   # TODO: the rate the vendor sold you (burst, max_in_flight too)")
		w(4, "# daily_quota: 10000   # calls per day in the vendor's time zone (%s)", spec.TimeZone)
	}
	return b.Bytes(), missing, nil
}

// currencyFor guesses the contract currency from the vendor's time zone
// (the line is written commented out).
func currencyFor(tz string) string {
	if tz == "Asia/Jakarta" {
		return "IDR"
	}
	return "CNY"
}

func absPath(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

// envName is the variable a credential is read from: JUHE_KEY, TD_PARTNER_KEY.
func envName(provider, cred string) string {
	return strings.ToUpper(provider + "_" + cred)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// yamlScalar writes v as a YAML value on one line: a plain or quoted
// scalar, or JSON (valid YAML flow) for a list or map.
func yamlScalar(v any) string {
	out, err := yaml.Marshal(v)
	if s := strings.TrimSpace(string(out)); err == nil && !strings.Contains(s, "\n") {
		return s
	}
	j, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%q", fmt.Sprint(v))
	}
	return string(j)
}
