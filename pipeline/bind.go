package pipeline

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/pipeline/redact"
	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/sources"
)

// The helpers here are the front half of a run — open the input, build the
// providers, bind them to the header, prepare a row — shared by run,
// validate and hash so that validate sees exactly what run would send.

// openInput opens the job's input file with the job's reading options.
// Errors are *InputError (exit 2).
func openInput(job *jobfile.Job, inPath string) (sources.Reader, error) {
	var delim rune
	if d := job.Input.Delimiter; d != "" {
		if d == "\\t" || d == "tab" {
			d = "\t"
		}
		delim = []rune(d)[0]
	}
	srcOpts := sources.Options{Sheet: job.Input.Sheet, Encoding: job.Input.Encoding, Delimiter: delim}
	src, err := sources.Open(inPath, srcOpts)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	return src, nil
}

// boundProvider is a provider built from the job and bound to the input header.
type boundProvider struct {
	cfg     *jobfile.ProviderConfig
	prov    providers.Provider
	binding *providers.Binding
}

// bindProviders builds every provider of the job and binds it to header. A
// provider option error is a *ConfigError; a missing column is an
// *InputError naming every missing column at once. Both mean exit 2,
// before any call.
func bindProviders(job *jobfile.Job, inPath string, header []string) ([]boundProvider, error) {
	var out []boundProvider
	var missing []string
	for i := range job.Providers {
		pc := &job.Providers[i]
		spec, _ := providers.Lookup(pc.Type)
		prov, err := spec.New(providers.Config{Name: pc.Name, Endpoint: pc.Endpoint, Options: pc.Options})
		if err != nil {
			return nil, pc.OptionError(job.Path, err)
		}
		b, miss := providers.NewBinding(header, prov.Inputs(), pc.Columns)
		for _, m := range miss {
			missing = append(missing, fmt.Sprintf("provider %q needs column %s", pc.Name, m))
		}
		for field, col := range pc.Columns {
			if !b.Has(field) && !containsHeader(header, col) {
				missing = append(missing, fmt.Sprintf("provider %q: columns.%s names %q, which is not in the file", pc.Name, field, col))
			}
		}
		out = append(out, boundProvider{cfg: pc, prov: prov, binding: b})
	}
	if len(missing) > 0 {
		return nil, &InputError{Err: fmt.Errorf("%s: %s\n  columns in the file: %s", inPath, strings.Join(missing, "\n  "), headerList(header))}
	}
	return out, nil
}

// bindForResults is bindProviders for run and validate, which also checks
// that the result sheet will fit (checkOutputWidth); hash writes no result
// sheet.
func bindForResults(job *jobfile.Job, inPath string, header []string) ([]boundProvider, error) {
	bound, err := bindProviders(job, inPath, header)
	if err != nil {
		return nil, err
	}
	if err := checkOutputWidth(job, inPath, len(header), resultColumns(bound)); err != nil {
		return nil, err
	}
	return bound, nil
}

// headerList lists the header for a message, the first 50 names of a wide one.
func headerList(header []string) string {
	const show = 50
	if len(header) <= show {
		return strings.Join(header, ", ")
	}
	return fmt.Sprintf("%s, … (%d columns)", strings.Join(header[:show], ", "), len(header))
}

// resultColumns is the most columns the run adds to the input's in the
// result sheets: per provider its status, its result columns and its
// decision, then the row's decision and decision_rule.
func resultColumns(bound []boundProvider) int {
	n := 2
	for _, bp := range bound {
		n += 2 + len(bp.prov.Columns())
	}
	return n
}

// checkOutputWidth refuses, before any call, an input whose columns and
// the result columns do not fit the 16,384 columns of an Excel sheet when
// the job writes results.xlsx (exit 2). The input alone is bounded by
// sources.MaxColumns.
func checkOutputWidth(job *jobfile.Job, inPath string, inputCols, resultCols int) error {
	if n := len(job.Output.Columns); n > 0 {
		resultCols = n // output.columns: exactly those
	}
	if !slices.Contains(job.Output.Formats, "xlsx") || inputCols+resultCols <= sources.MaxColumns {
		return nil
	}
	return &InputError{Err: fmt.Errorf("%s: %d input columns + %d result columns = %d, more than the %d columns of an Excel sheet (results.xlsx): remove unused columns from the input, or write only CSV (output.formats: [csv])",
		inPath, inputCols, resultCols, inputCols+resultCols, sources.MaxColumns)}
}

// invalidResult turns a Prepare error into the pair's invalid result: the
// provider's reason code and column, and a message with the value masked by
// the provider and secrets redacted.
func invalidResult(err error, red *redact.Redactor) pairResult {
	var re *providers.RowError
	if errors.As(err, &re) {
		return pairResult{status: StatusInvalid, code: re.Code, column: re.Column, msg: red.Redact(re.Error()), journal: -1}
	}
	return pairResult{status: StatusInvalid, code: "invalid", msg: red.Redact(err.Error()), journal: -1}
}
