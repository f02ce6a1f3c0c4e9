// Package output is what a run writes: the result sheets (results.xlsx,
// results.csv) in their column order, errors.csv, warnings.csv,
// summary.json and the report's outputs. The engine fills the rows; this
// package owns the files, written under temporary names and renamed into
// place only when the run ends, the sheets' column order (columns.go) and
// the report's decision columns, sheets and report.html (report.go).
package output

import (
	"path/filepath"

	"github.com/riskbatch/riskbatch/pipeline/summary"
	"github.com/riskbatch/riskbatch/sinks"
)

// warnings.csv: one line per optional input value a provider left out of a
// request because it failed its check (providers.Request.Warnings). The row
// was still sent and its status is what the vendor answered, so a warning
// changes neither errors.csv nor the row accounting. The columns are
// errors.csv's; status is the pair's status; the message is masked by the
// provider and redacted of secrets. Written atomically like errors.csv.

// warningsFile is the file's name in the output dir.
const warningsFile = "warnings.csv"

// Options say which files Open creates and how.
type Options struct {
	Dir     string
	Formats []string // the job's output.formats: "xlsx", "csv"
	Columns []string // the sheets' header, in the sheets' order
	BOM     bool     // a UTF-8 BOM at the start of each CSV file
	// XLSX are results.xlsx's options (numeric and frozen columns, the
	// report's and compare's sheets and colours).
	XLSX sinks.XLSXOptions
}

// Files are the result sheets, errors.csv and warnings.csv of one run.
type Files struct {
	writers []sinks.RowWriter
	errs    *sinks.ErrorLog
	warns   *sinks.ErrorLog
}

// Open creates the files under temporary names; on an error none is left.
func Open(o Options) (*Files, error) {
	f := &Files{}
	for _, format := range o.Formats {
		var w sinks.RowWriter
		var err error
		switch format {
		case "xlsx":
			w, err = sinks.NewXLSX(filepath.Join(o.Dir, "results.xlsx"), o.Columns, o.XLSX)
		case "csv":
			w, err = sinks.NewCSV(filepath.Join(o.Dir, "results.csv"), o.Columns, sinks.CSVOptions{BOM: o.BOM})
		}
		if err != nil {
			f.Abort()
			return nil, err
		}
		f.writers = append(f.writers, w)
	}
	var err error
	if f.errs, err = sinks.NewErrorLog(filepath.Join(o.Dir, "errors.csv"), sinks.CSVOptions{BOM: o.BOM}); err != nil {
		f.Abort()
		return nil, err
	}
	if f.warns, err = sinks.NewErrorLog(filepath.Join(o.Dir, warningsFile), sinks.CSVOptions{BOM: o.BOM}); err != nil {
		f.Abort()
		return nil, err
	}
	return f, nil
}

// WriteRow writes one row, in the sheets' order, to every result sheet.
func (f *Files) WriteRow(row []string) error {
	for _, w := range f.writers {
		if err := w.Write(row); err != nil {
			return err
		}
	}
	return nil
}

// WriteError writes one line of errors.csv.
func (f *Files) WriteError(r sinks.ErrorRecord) error { return f.errs.Write(r) }

// WriteWarning writes one line of warnings.csv.
func (f *Files) WriteWarning(r sinks.ErrorRecord) error { return f.warns.Write(r) }

// Abort removes the temporary files.
func (f *Files) Abort() {
	for _, w := range f.writers {
		_ = w.Abort()
	}
	if f.errs != nil {
		_ = f.errs.Abort()
	}
	if f.warns != nil {
		_ = f.warns.Abort()
	}
}

// Commit renames the result sheets, errors.csv and warnings.csv into place.
func (f *Files) Commit() error {
	for _, w := range f.writers {
		if err := w.Commit(); err != nil {
			return err
		}
	}
	if err := f.errs.Commit(); err != nil {
		return err
	}
	return f.warns.Commit()
}

// WriteSummary writes summary.json into dir (atomically).
func WriteSummary(dir string, sum *summary.Summary) error {
	return sinks.WriteJSONAtomic(filepath.Join(dir, "summary.json"), sum, 0o644)
}
