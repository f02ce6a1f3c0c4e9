// Package input is the front half of every command that reads a job's
// input — run, validate, hash, the pre-flight: the file opened with the
// job's reading options, the providers built and bound to its header, a
// row prepared behind the Excel-damage check, and what makes a row invalid
// (its reason code, column and redacted message). run, validate and hash
// share it so that validate sees exactly what run would send. A problem
// with the input file is an *Error (exit 2).
package input

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/pipeline/redact"
	"github.com/riskbatch/riskbatch/pipeline/report"
	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/sinks"
	"github.com/riskbatch/riskbatch/sources"
)

// Error is a problem with the input file (exit code 2).
type Error struct{ Err error }

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// ErrNoRows is an input with a header and nothing under it (in an *Error).
var ErrNoRows = errors.New("input has a header but no data rows")

// Open opens the job's input file with the job's reading options.
// Errors are *Error (exit 2).
func Open(job *jobfile.Job, inPath string) (sources.Reader, error) {
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
		return nil, &Error{Err: err}
	}
	return src, nil
}

// Purpose says what a command does with the rows, hence what OpenBound
// checks before the first row is read.
type Purpose int

const (
	// ForResults: the command writes result sheets (run) or says what a
	// run would write (validate): the sheet must fit Excel's columns and
	// the back-test's label column must be in the input.
	ForResults Purpose = iota
	// ForCopy: the command writes a copy of the input (hash).
	ForCopy
)

// OpenBound is how every command that reads a job's input starts: the
// input at inPath opened with the job's options and every provider bound
// to its header (bind, or bindForResults and checkReport for ForResults),
// so that validate and hash refuse exactly what run would refuse, before
// any call. The caller closes the reader; on an error it is closed.
func OpenBound(job *jobfile.Job, inPath string, purpose Purpose) (sources.Reader, []Bound, error) {
	src, err := Open(job, inPath)
	if err != nil {
		return nil, nil, err
	}
	header := src.Header()
	var bound []Bound
	if purpose == ForResults {
		bound, err = bindForResults(job, inPath, header)
		if err == nil {
			err = checkReport(job, inPath, header)
		}
	} else {
		bound, err = bind(job, inPath, header)
	}
	if err != nil {
		src.Close()
		return nil, nil, err
	}
	return src, bound, nil
}

// Bound is a provider built from the job and bound to the input header.
type Bound struct {
	Cfg     *jobfile.ProviderConfig
	Prov    providers.Provider
	Binding *providers.Binding
}

// bind builds every provider of the job and binds it to header. A
// provider option error is a *jobfile.ConfigError; a missing column is an
// *Error naming every missing column at once. Both mean exit 2, before any
// call.
func bind(job *jobfile.Job, inPath string, header []string) ([]Bound, error) {
	var out []Bound
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
		out = append(out, Bound{Cfg: pc, Prov: prov, Binding: b})
	}
	if len(missing) > 0 {
		return nil, &Error{Err: fmt.Errorf("%s: %s\n  columns in the file: %s", inPath, strings.Join(missing, "\n  "), headerList(header))}
	}
	return out, nil
}

// bindForResults is bind for run and validate, which also checks that the
// result sheet will fit (checkOutputWidth); hash writes no result sheet.
func bindForResults(job *jobfile.Job, inPath string, header []string) ([]Bound, error) {
	bound, err := bind(job, inPath, header)
	if err != nil {
		return nil, err
	}
	if err := checkOutputWidth(job, inPath, len(header), resultColumns(bound)); err != nil {
		return nil, err
	}
	return bound, nil
}

// containsHeader: col names a header cell (case and outer spaces aside).
func containsHeader(header []string, col string) bool {
	for _, h := range header {
		if strings.EqualFold(strings.TrimSpace(h), strings.TrimSpace(col)) {
			return true
		}
	}
	return false
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
func resultColumns(bound []Bound) int {
	n := 2
	for _, bp := range bound {
		n += 2 + len(bp.Prov.Columns())
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
	return &Error{Err: fmt.Errorf("%s: %d input columns + %d result columns = %d, more than the %d columns of an Excel sheet (results.xlsx): remove unused columns from the input, or write only CSV (output.formats: [csv])",
		inPath, inputCols, resultCols, inputCols+resultCols, sources.MaxColumns)}
}

// Invalid is what a Prepare error (or the Excel check's) makes of the
// pair: the provider's reason code and column, and a message with the
// value masked by the provider and secrets redacted.
func Invalid(err error, red *redact.Redactor) (code, column, msg string) {
	var re *providers.RowError
	if errors.As(err, &re) {
		return re.Code, re.Column, red.Redact(re.Error())
	}
	return "invalid", "", red.Redact(err.Error())
}

// WarningRecord is the warnings.csv (or validate-errors.csv) line of an
// optional value a provider left out of the request (providers.Request.
// Warnings): masked by the provider, redacted of secrets.
func WarningRecord(red *redact.Redactor, row, line int, provider, status string, w *providers.RowError) sinks.ErrorRecord {
	return sinks.ErrorRecord{
		Row: row, Line: line, Provider: provider, Status: status, Code: w.Code, Column: w.Column,
		Message: red.Redact(w.Error()) + "; left out of the request (optional field), the row was sent",
	}
}

// checkReport checks, before any state is made or call sent, that the
// back-test's label column is in the input (an *Error: exit 2).
func checkReport(job *jobfile.Job, inPath string, header []string) error {
	plan, errs := report.Compile(job.ReportConfig(), job.ReportProviders())
	if len(errs) > 0 {
		return &jobfile.ConfigError{Msg: fmt.Sprintf("job file %s:\n  %s", job.Path, strings.Join(errs, "\n  "))}
	}
	if _, err := report.NewCollector(plan, header); err != nil {
		return &Error{Err: fmt.Errorf("%s: %w", inPath, err)}
	}
	return nil
}
