package sources

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultMaxCellBytes is the cell size limit used when Options.MaxCellBytes
// is 0. Real applicant fields are tiny; a megabyte-sized cell is a broken
// export (or an attack) and must not be forwarded to vendors.
const DefaultMaxCellBytes = 1 << 20

// Input limits. Each is checked while the file is opened, before the first
// row is returned (so before any vendor call), and refused with a
// *LimitError naming the file and the limit; docs/job-reference.md lists
// them. They keep a hostile or broken file from using more than a few
// hundred megabytes.
const (
	// MaxHeaderBytes bounds the CSV header record: 16,384 names of 64
	// bytes. encoding/csv splits what it has read into fields before it
	// reports the limit, so this also bounds the memory of a refusal.
	MaxHeaderBytes = 1 << 20
	// MaxColumns is the most input columns: the columns of an Excel sheet
	// (XFD). A result sheet adds each provider's columns, so an XLSX output
	// needs fewer input columns; the pipeline checks that when it binds.
	MaxColumns = 16384
	// MaxSharedStrings bounds the strings of an XLSX workbook's shared
	// strings table (held in memory while the sheet is read, 4 bytes each
	// plus their text).
	MaxSharedStrings = 8_000_000
	// MaxSharedStringBytes bounds the text of the shared strings table.
	MaxSharedStringBytes = 128 << 20
	// recordLimit bounds one CSV record, or the XML of one XLSX row, when
	// cells are at most 1 MiB: enough for any real row, and small enough
	// that a one-line file of millions of tiny fields cannot exhaust memory
	// (encoding/csv and the XML decoder hold the whole record).
	recordLimit = 8 << 20
)

// ErrLimit is matched (errors.Is) by every *LimitError.
var ErrLimit = errors.New("input limit exceeded")

// LimitError reports an input file over one of the documented limits
// (header size, column count, shared strings). It is an input error: the
// file must be fixed or split; nothing was sent.
type LimitError struct{ Msg string }

func (e *LimitError) Error() string        { return e.Msg }
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

func limitError(path, msg string) error {
	if path != "" {
		msg = path + ": " + msg
	}
	return &LimitError{Msg: msg}
}

// ErrNoHeader is returned (wrapped) by Open when the input holds no header
// row at all: an empty file, or one with only blank lines/rows.
var ErrNoHeader = errors.New("no header row")

// Row is one data row of the input.
type Row struct {
	Num    int      // 1-based data row number (first row after the header is 1)
	Line   int      // where the row is in the file: CSV line number where the record starts; XLSX row number (1-based, as Excel shows it)
	Values []string // always exactly len(Header()) values (padded with "" / truncated when ragged)
	// Numeric marks the cells an XLSX sheet stores as numbers (an ID or a
	// mobile typed without a leading quote: Excel keeps 15 significant
	// digits and no leading zero). nil when the row has none, and always
	// for CSV.
	Numeric []bool
	Err     error // non-nil when the row could not be read faithfully (ragged field count, invalid encoding/U+FFFD, cell larger than MaxCellBytes). The row is still returned so it can be accounted for. Message names file, row, column.
}

// Options tune how an input file is read. The zero value detects everything.
type Options struct {
	Sheet        string // XLSX: sheet name, or 1-based index as a string ("2"); "" = first sheet
	Encoding     string // CSV: "" or "auto" (detect), "utf-8", "gb18030" (also accept "gbk" as alias)
	Delimiter    rune   // CSV: 0 = detect among ',' ';' '\t' '|'
	MaxCellBytes int    // 0 = default 1 MiB; a larger cell sets Row.Err (value truncated to "" ), never a panic/OOM

	MaxSharedStrings     int   // XLSX: 0 = MaxSharedStrings
	MaxSharedStringBytes int64 // XLSX: 0 = MaxSharedStringBytes
}

// Reader streams the data rows of one input file.
type Reader interface {
	Header() []string   // header names, trimmed; blank names become "column_N"; duplicates get " (2)" suffix (reported in Warnings)
	Next() (Row, error) // io.EOF at the end; any other error is fatal for the file (I/O, corrupt XLSX XML)
	Warnings() []string // non-fatal notes about the file (duplicate headers, encoding detected, etc.)
	Format() string     // human description, e.g. "CSV (UTF-8 with BOM, delimiter ',')", "XLSX sheet \"Sheet1\""
	Encoding() string   // the encoding the rows are decoded with: "utf-8", "utf-8-bom", "gb18030", "utf-16" (CSV) or "xlsx"
	Close() error
}

// CellError is one reason why a row could not be read faithfully. Row.Err
// holds a *CellError, or several joined when a row has more than one problem.
type CellError struct {
	File   string // path as given to Open
	Sheet  string // XLSX sheet name; "" for CSV
	Line   int    // CSV line where the record starts / XLSX row number
	Column string // header of the offending column; "" when the whole row is concerned
	Msg    string
	Err    error // underlying cause, if any (e.g. csv.ErrBareQuote)
}

func (e *CellError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Sheet != "" {
		fmt.Fprintf(&b, " sheet %q row %d", e.Sheet, e.Line)
	} else {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, " column %q", e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

func (e *CellError) Unwrap() error { return e.Err }

// rowErrors joins several problems of one row on a single line, because the
// message ends up in one cell of the result sheet (errors.Join uses newlines).
type rowErrors []error

func (m rowErrors) Error() string {
	s := make([]string, len(m))
	for i, e := range m {
		s[i] = e.Error()
	}
	return strings.Join(s, "; ")
}

func (m rowErrors) Unwrap() []error { return m }

func joinRowErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return rowErrors(errs)
}

// Magic numbers used to route files whose extension lies or is unknown.
var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// Open opens path for streaming. The format is picked by extension
// (.csv/.txt/.tsv → CSV, .xlsx/.xlsm → XLSX); for any other extension the
// content is sniffed: a ZIP signature means XLSX, anything else CSV.
func Open(path string, opts Options) (Reader, error) {
	if opts.MaxCellBytes < 0 {
		return nil, fmt.Errorf("%s: invalid MaxCellBytes %d", path, opts.MaxCellBytes)
	}
	if opts.MaxCellBytes == 0 {
		opts.MaxCellBytes = DefaultMaxCellBytes
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fileError(path, "cannot open", err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("%s: is a directory, not an input file", path)
	}
	if fi.Size() == 0 {
		return nil, fmt.Errorf("%s: empty file: %w", path, ErrNoHeader)
	}
	magic, err := readMagic(path)
	if err != nil {
		return nil, fileError(path, "cannot read", err)
	}
	if bytes.HasPrefix(magic, oleMagic) {
		// Both legacy .xls and password-protected .xlsx are OLE containers;
		// excelize would load the whole file in memory to try decrypting it.
		return nil, fmt.Errorf("%s: legacy Excel .xls or password-protected workbook: not supported, save it as .xlsx without a password or as CSV UTF-8", path)
	}
	isZip := bytes.HasPrefix(magic, zipMagic)
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".txt", ".tsv":
		if isZip {
			return nil, fmt.Errorf("%s: looks like an Excel workbook (ZIP signature), not CSV text: rename it to .xlsx", path)
		}
		return openCSV(path, opts)
	case ".xlsx", ".xlsm":
		if !isZip {
			return nil, fmt.Errorf("%s: not a valid XLSX file (no ZIP signature): is it a CSV/text file renamed to .xlsx?", path)
		}
		return openXLSX(path, opts)
	}
	if isZip {
		return openXLSX(path, opts)
	}
	return openCSV(path, opts)
}

func readMagic(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, len(oleMagic))
	n, err := io.ReadFull(f, b)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return b[:n], err
}

// fileError names the file once: *fs.PathError would repeat the path in its
// own message, so only its inner cause is kept (errors.Is(err,
// fs.ErrNotExist) still works).
func fileError(path, what string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s: %s: %w", path, what, err)
}

// normalizeHeader trims names, names blank columns and de-duplicates, because
// downstream code maps columns by name and two identical names would make
// that mapping ambiguous.
func normalizeHeader(raw []string) (header, warnings []string) {
	header = make([]string, len(raw))
	taken := make(map[string]bool, len(raw))
	for i, h := range raw {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
		if !utf8.ValidString(h) || strings.ContainsRune(h, utf8.RuneError) {
			warnings = append(warnings, fmt.Sprintf("header of column %d %q contains invalid characters (U+FFFD): wrong encoding?", i+1, strings.ToValidUTF8(h, "\uFFFD")))
			h = strings.ToValidUTF8(h, "\uFFFD")
		}
		header[i] = h
		taken[h] = true
	}
	// Generated names must not collide with any original name, including one
	// that appears later in the header, hence the separate "taken" pass.
	seen := make(map[string]bool, len(raw))
	next := map[string]int{}
	for i, h := range header {
		if h == "" {
			name := "column_" + strconv.Itoa(i+1)
			for k := 2; taken[name]; k++ {
				name = "column_" + strconv.Itoa(i+1) + " (" + strconv.Itoa(k) + ")"
			}
			header[i], taken[name], seen[name] = name, true, true
			warnings = append(warnings, fmt.Sprintf("column %d has a blank header: named %q", i+1, name))
			continue
		}
		if !seen[h] {
			seen[h] = true
			continue
		}
		// next remembers the last suffix tried per name, so a header of
		// thousands of identical names stays linear.
		name := h
		k := max(next[h], 2)
		for ; taken[name]; k++ {
			name = h + " (" + strconv.Itoa(k) + ")"
		}
		next[h] = k
		header[i], taken[name], seen[name] = name, true, true
		warnings = append(warnings, fmt.Sprintf("duplicate header %q in column %d renamed to %q", h, i+1, name))
	}
	if len(warnings) > maxHeaderWarnings {
		more := len(warnings) - maxHeaderWarnings
		warnings = append(warnings[:maxHeaderWarnings:maxHeaderWarnings], fmt.Sprintf("… and %d more header warnings like these", more))
	}
	return header, warnings
}

// maxHeaderWarnings caps the header notes: a wide export with thousands of
// blank or repeated headers would otherwise bury the console.
const maxHeaderWarnings = 20

// rowChecker validates and shapes raw values into a Row; it is shared by the
// CSV and XLSX readers so both report the same problems the same way.
type rowChecker struct {
	file, sheet string
	header      []string
	maxCell     int
	enc         string // CSV: the encoding the file is read with, for messages ("UTF-8", "GB18030"); "" for XLSX
}

// invalidUTF8 describes a value holding bytes that are not UTF-8: the first
// bad byte and where it is, and the encoding the file is read with.
func (c *rowChecker) invalidUTF8(v string) string {
	pos := 0
	for pos < len(v) {
		r, n := utf8.DecodeRuneInString(v[pos:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		pos += n
	}
	msg := fmt.Sprintf("contains invalid characters (U+FFFD): byte 0x%02X at byte %d of the cell is not valid UTF-8", v[pos], pos+1)
	if c.enc != "" {
		msg += " (the file is read as " + c.enc + "; set input.encoding if that is wrong)"
	}
	return msg
}

// replacementChar describes a value holding U+FFFD: bytes the file's
// encoding could not decode, or text damaged before the file was saved.
func (c *rowChecker) replacementChar() string {
	switch c.enc {
	case "", "UTF-8", "UTF-8 with BOM":
		return "contains invalid characters (U+FFFD, the replacement character): the text was damaged by a wrong encoding before the file was saved"
	}
	return "contains invalid characters (U+FFFD): bytes that are not valid " + c.enc + " (the file is read as " + c.enc + "; set input.encoding if that is wrong)"
}

func (c *rowChecker) errAt(line int, col int, msg string, cause error) *CellError {
	e := &CellError{File: c.file, Sheet: c.sheet, Line: line, Msg: msg, Err: cause}
	if col >= 0 && col < len(c.header) {
		e.Column = c.header[col]
	}
	return e
}

// build copies raw into a fresh slice of exactly len(header) values (callers
// may keep rows, and readers reuse their buffers), validates every value and
// returns the problems found. fields is the row's field count for the ragged
// check.
func (c *rowChecker) build(line int, raw []string, fields int) ([]string, []error) {
	values := make([]string, len(c.header))
	copy(values, raw)
	var errs []error
	if fields != len(c.header) {
		errs = append(errs, c.errAt(line, -1, fmt.Sprintf("row has %d fields, header has %d", fields, len(c.header)), nil))
	}
	for i, v := range values {
		if len(v) > c.maxCell {
			values[i] = ""
			errs = append(errs, c.errAt(line, i, fmt.Sprintf("cell is %d bytes, larger than the %d-byte limit: value dropped", len(v), c.maxCell), nil))
			continue
		}
		if !utf8.ValidString(v) {
			values[i] = strings.ToValidUTF8(v, "\uFFFD")
			errs = append(errs, c.errAt(line, i, c.invalidUTF8(v), nil))
		} else if strings.Contains(v, "\uFFFD") { // v is UTF-8: a byte search, not a decoding loop (ContainsRune)
			errs = append(errs, c.errAt(line, i, c.replacementChar(), nil))
		}
	}
	return values, errs
}

// blank reports whether every value is empty or white space.
func blank(values []string) bool {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}
