package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/sandbox"
	"github.com/riskbatch/riskbatch/sinks"
)

func newGenCommand() *cobra.Command {
	var (
		cfg    sandbox.GenConfig
		format string
		out    string
		bom    bool
	)
	cmd := &cobra.Command{
		Use:   "gen --rows N --out FILE",
		Short: "Generate synthetic applicants from the sandbox population (hits, no-hits, invalid rows, duplicates)",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return &usageError{msg: "gen: --out FILE is required"}
			}
			if format == "" {
				format = strings.TrimPrefix(strings.ToLower(filepath.Ext(out)), ".")
			}
			if format != "csv" && format != "xlsx" {
				return &usageError{msg: fmt.Sprintf("gen: --format %q: want csv or xlsx", format)}
			}
			if cfg.Market != providers.MarketCN && cfg.Market != providers.MarketID {
				return &usageError{msg: fmt.Sprintf("gen: --market %q: want %s or %s", cfg.Market, providers.MarketCN, providers.MarketID)}
			}
			for _, p := range []float64{cfg.Invalid, cfg.Duplicates, cfg.Unknown} {
				if p < 0 || p > 1 {
					return &usageError{msg: "gen: --invalid, --duplicates and --unknown are shares between 0 and 1"}
				}
			}
			if cfg.Invalid+cfg.Duplicates+cfg.Unknown > 1 {
				return &usageError{msg: "gen: --invalid + --duplicates + --unknown must not exceed 1"}
			}
			if err := writeGenFile(cfg, format, out, bom); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %d rows to %s\n", cfg.Rows, out)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Rows, "rows", 1000, "rows to generate")
	f.StringVar(&out, "out", "", "output file (.csv or .xlsx)")
	f.StringVar(&format, "format", "", "csv or xlsx (default: from --out)")
	f.Int64Var(&cfg.Seed, "seed", 0, "population seed (the sandbox's --seed / sandbox_options.seed)")
	f.IntVar(&cfg.Population, "population", 100000, "population size (the sandbox's); people are drawn without replacement, so more fresh rows than this repeat people")
	f.Int64Var(&cfg.Draw, "draw", 0, "seed of the row sampling (default: --seed)")
	f.StringVar(&cfg.Market, "market", providers.MarketCN, marketHelp())
	f.Float64Var(&cfg.Invalid, "invalid", 0, "share of rows with damage (bad check digit, Excel notation, ...)")
	f.Float64Var(&cfg.Duplicates, "duplicates", 0, "share of rows repeating an earlier person")
	f.Float64Var(&cfg.Unknown, "unknown", 0, "share of people outside the population (no-hits)")
	f.BoolVar(&cfg.Label, "label", false, "add a 0/1 label column (bad loan) for back-tests")
	f.BoolVar(&bom, "bom", false, "write a UTF-8 BOM (CSV) for Excel")
	return cmd
}

// marketHelp says which registered vendors' columns each market's file has.
func marketHelp() string {
	byMarket := map[string][]string{}
	for _, kind := range providers.Kinds() {
		spec, _ := providers.Lookup(kind)
		byMarket[spec.Market] = append(byMarket[spec.Market], kind)
	}
	return fmt.Sprintf("%s: Chinese applicants (%s columns); %s: Indonesian (%s)",
		providers.MarketCN, strings.Join(byMarket[providers.MarketCN], ", "), providers.MarketID, strings.Join(byMarket[providers.MarketID], ", "))
}

// writeGenFile writes a generated applicant file (format csv or xlsx) to
// out, atomically; `riskbatch bench` uses it for its inputs too.
func writeGenFile(cfg sandbox.GenConfig, format, out string, bom bool) error {
	header := sandbox.GenHeader(cfg)
	var w sinks.RowWriter
	var err error
	if format == "xlsx" {
		w, err = sinks.NewXLSX(out, header, sinks.XLSXOptions{SheetName: "applicants"})
	} else {
		w, err = sinks.NewCSV(out, header, sinks.CSVOptions{BOM: bom})
	}
	if err != nil {
		return err
	}
	pop := sandbox.NewPopulation(cfg.Seed, cfg.Population)
	if err := pop.Gen(cfg, w.Write); err != nil {
		_ = w.Abort()
		return err
	}
	if err := w.Commit(); err != nil {
		return err
	}
	_ = os.Chmod(out, 0o644) // synthetic data, no real PII
	return nil
}
