package sinks

import (
	"fmt"
	"strconv"
	"sync"
)

// RowWriter receives result rows in input order from one goroutine.
//
// Abort after Commit (or a second Abort) is a no-op returning nil, so
// `defer w.Abort()` followed by an explicit Commit is the intended pattern.
// Write or Commit after Commit/Abort returns an error. A failed Write is
// sticky: Commit then returns that error and removes the temp file. If
// Commit fails, the temp file is removed and the final path is untouched.
type RowWriter interface {
	Write(values []string) error // len(values) == len(header)
	Commit() error               // flush, fsync, close and atomically rename the temp file to the final path
	Abort() error                // close and remove the temp file; the final path is untouched
}

// CSVOptions configures CSV output. Output is always UTF-8.
type CSVOptions struct {
	BOM bool // write a UTF-8 byte order mark first (Excel needs it to detect UTF-8)
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// csvFile is the shared core of the CSV result writer and ErrorLog. Rows
// are appended straight into the file's 64 KiB buffer as encoding/csv
// writes them (appendCSVRecord).
type csvFile struct {
	out  *bufferedAtomic
	ncol int
	err  error // sticky
}

func newCSVFile(path string, header []string, opts CSVOptions) (*csvFile, error) {
	if len(header) == 0 {
		return nil, fmt.Errorf("sinks: %s: empty header", path)
	}
	out, err := newBufferedAtomic(path)
	if err != nil {
		return nil, err
	}
	c := &csvFile{out: out, ncol: len(header)}
	if opts.BOM {
		_, _ = out.w.Write(utf8BOM)
	}
	if _, err := out.w.Write(appendCSVRecord(out.w.AvailableBuffer(), header)); err != nil {
		_ = out.abort()
		return nil, fmt.Errorf("sinks: write %s: %w", out.tmp, err)
	}
	return c, nil
}

func (c *csvFile) write(values []string) error {
	if c.out.done {
		return errClosed
	}
	if c.err != nil {
		return c.err
	}
	if len(values) != c.ncol {
		return fmt.Errorf("sinks: row has %d values, header has %d", len(values), c.ncol)
	}
	// The buffer's I/O error shows up here or at the flush.
	if _, err := c.out.w.Write(appendCSVRecord(c.out.w.AvailableBuffer(), values)); err != nil {
		c.err = fmt.Errorf("sinks: write %s: %w", c.out.tmp, err)
		return c.err
	}
	return nil
}

func (c *csvFile) commit() error {
	if c.out.done {
		return errClosed
	}
	if c.err != nil {
		_ = c.out.abort()
		return c.err
	}
	if err := c.out.w.Flush(); err != nil {
		_ = c.out.abort()
		return fmt.Errorf("sinks: write %s: %w", c.out.tmp, err)
	}
	return c.out.commit()
}

func (c *csvFile) abort() error { return c.out.abort() }

// csvWriter is the RowWriter for CSV result sheets.
type csvWriter struct{ c *csvFile }

// NewCSV creates a CSV result sheet at path (written to a temp file until
// Commit). Fields are quoted only when needed (RFC 4180), lines end in "\n".
func NewCSV(path string, header []string, opts CSVOptions) (RowWriter, error) {
	c, err := newCSVFile(path, header, opts)
	if err != nil {
		return nil, err
	}
	return &csvWriter{c: c}, nil
}

func (w *csvWriter) Write(values []string) error { return w.c.write(values) }
func (w *csvWriter) Commit() error               { return w.c.commit() }
func (w *csvWriter) Abort() error                { return w.c.abort() }

// ErrorRecord is one line of errors.csv.
type ErrorRecord struct {
	Row      int    // 1-based input data row number
	Line     int    // file line / Excel row (0 = unknown, written as an empty field)
	Provider string // "" for a row-level problem
	Status   string // invalid, failed, deferred, skipped
	Code     string // vendor code or riskbatch reason code
	Column   string // input column concerned, if any
	Message  string // already masked by the caller (never raw PII)
}

// ErrorLogHeader is the header line of errors.csv.
var ErrorLogHeader = []string{"row", "line", "provider", "status", "code", "column", "message"}

// ErrorLog is errors.csv: one line per (row, provider) that did not end
// hit/no_hit, plus one per unreadable row. It is written atomically like
// the result sheets and is safe for concurrent use.
type ErrorLog struct {
	mu  sync.Mutex
	c   *csvFile
	rec [7]string
}

// NewErrorLog creates errors.csv at path (temp file until Commit).
func NewErrorLog(path string, opts CSVOptions) (*ErrorLog, error) {
	c, err := newCSVFile(path, ErrorLogHeader, opts)
	if err != nil {
		return nil, err
	}
	return &ErrorLog{c: c}, nil
}

// Write appends one record.
func (l *ErrorLog) Write(r ErrorRecord) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rec = [7]string{itoaOrEmpty(r.Row), itoaOrEmpty(r.Line), r.Provider, r.Status, r.Code, r.Column, r.Message}
	return l.c.write(l.rec[:])
}

// Commit flushes, fsyncs and renames errors.csv into place.
func (l *ErrorLog) Commit() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.c.commit()
}

// Abort removes the temp file; a no-op after Commit.
func (l *ErrorLog) Abort() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.c.abort()
}

func itoaOrEmpty(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
