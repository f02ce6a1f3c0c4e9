package sources

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// rawValues makes excelize return cells as stored: number formats would turn
// an 18-digit ID into "3.30328E+17" and lose digits for good.
var rawValues = excelize.Options{RawCellValue: true}

type xlsxReader struct {
	path     string
	sheet    string
	file     *excelize.File
	rows     *excelize.Rows
	check    rowChecker
	warnings []string
	num      int // data rows returned
	rowNum   int // Excel row number of the row last read
	done     bool
}

func openXLSX(path string, opts Options) (_ Reader, err error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		if f != nil {
			// excelize can return a half-built file on error; close it to
			// remove its temporary files.
			_ = f.Close()
		}
		return nil, fmt.Errorf("%s: not a readable XLSX workbook: %w", path, err)
	}
	r := &xlsxReader{path: path, file: f}
	defer func() {
		if err != nil {
			_ = r.Close()
		}
	}()

	if r.sheet, err = pickSheet(f.GetSheetList(), opts.Sheet); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if r.rows, err = f.Rows(r.sheet); err != nil {
		return nil, fmt.Errorf("%s sheet %q: %w", path, r.sheet, err)
	}
	r.check = rowChecker{file: path, sheet: r.sheet, maxCell: opts.MaxCellBytes}

	rawHeader, err := r.readHeader()
	if err != nil {
		return nil, err
	}
	header, warns := normalizeHeader(rawHeader)
	r.warnings = append(r.warnings, warns...)
	r.check.header = header
	return r, nil
}

// pickSheet resolves a sheet name (exact, then case-insensitive as Excel
// itself compares names) or a 1-based position. A name wins over a position
// so that a sheet literally named "2" stays reachable.
func pickSheet(list []string, want string) (string, error) {
	if len(list) == 0 {
		return "", errors.New("workbook has no sheets")
	}
	if want == "" {
		return list[0], nil
	}
	for _, s := range list {
		if s == want {
			return s, nil
		}
	}
	for _, s := range list {
		if strings.EqualFold(s, want) {
			return s, nil
		}
	}
	if n, err := strconv.Atoi(strings.TrimSpace(want)); err == nil && n >= 1 && n <= len(list) {
		return list[n-1], nil
	}
	quoted := make([]string, len(list))
	for i, s := range list {
		quoted[i] = strconv.Quote(s)
	}
	return "", fmt.Errorf("sheet %q not found; available sheets: %s (or a position 1-%d)", want, strings.Join(quoted, ", "), len(list))
}

// nextCells advances to the next row element, blank or not. ok is false at
// the end of the sheet.
func (r *xlsxReader) nextCells() (cells []string, ok bool, err error) {
	if !r.rows.Next() {
		return nil, false, r.endOfSheet()
	}
	// Rows.Next yields every row number in turn, including the ones missing
	// from the XML, so counting calls gives the row number Excel shows.
	r.rowNum++
	cells, err = r.rows.Columns(rawValues)
	if err != nil {
		return nil, false, fmt.Errorf("%s sheet %q row %d: %w", r.path, r.sheet, r.rowNum, err)
	}
	return cells, true, nil
}

// endOfSheet checks that the end of the iteration is the real end of the
// sheet. excelize's Next discards XML decoding errors and simply stops, so a
// corrupt worksheet would look like a short one; compare with the dimension
// the workbook declares and surface rows.Error() (e.g. too many rows).
func (r *xlsxReader) endOfSheet() error {
	if err := r.rows.Error(); err != nil {
		return fmt.Errorf("%s sheet %q after row %d: %w", r.path, r.sheet, r.rowNum, err)
	}
	ref, err := r.file.GetSheetDimension(r.sheet)
	if err != nil {
		return fmt.Errorf("%s sheet %q: %w", r.path, r.sheet, err)
	}
	if last := dimensionLastRow(ref); last > r.rowNum {
		return fmt.Errorf("%s sheet %q: worksheet data ends at row %d but the sheet declares rows up to %d (range %s): corrupt or truncated XLSX", r.path, r.sheet, r.rowNum, last, ref)
	}
	return nil
}

// dimensionLastRow extracts the last row of a dimension reference such as
// "A1:D120" (120) or "B7" (7); 0 when absent or unparsable, and for "A1",
// which Excel and excelize write for empty sheets (and excelize even for
// filled ones), so it proves nothing.
func dimensionLastRow(ref string) int {
	if strings.EqualFold(ref, "A1") {
		return 0
	}
	if i := strings.LastIndexByte(ref, ':'); i >= 0 {
		ref = ref[i+1:]
	}
	_, row, err := excelize.CellNameToCoordinates(strings.ReplaceAll(ref, "$", ""))
	if err != nil {
		return 0
	}
	return row
}

// readHeader returns the first non-blank row, without its trailing blank
// cells (styled but empty cells would otherwise become "column_N" headers).
func (r *xlsxReader) readHeader() ([]string, error) {
	for {
		cells, ok, err := r.nextCells()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%s sheet %q: %w (the sheet is empty)", r.path, r.sheet, ErrNoHeader)
		}
		if blank(cells) {
			continue
		}
		return cells[:filledLen(cells)], nil
	}
}

// filledLen is the number of cells up to the last non-blank one.
func filledLen(cells []string) int {
	n := len(cells)
	for n > 0 && strings.TrimSpace(cells[n-1]) == "" {
		n--
	}
	return n
}

func (r *xlsxReader) Header() []string   { return r.check.header }
func (r *xlsxReader) Warnings() []string { return r.warnings }
func (r *xlsxReader) Format() string     { return fmt.Sprintf("XLSX sheet %q", r.sheet) }

func (r *xlsxReader) Next() (Row, error) {
	if r.done {
		return Row{}, io.EOF
	}
	for {
		cells, ok, err := r.nextCells()
		if err != nil || !ok {
			r.done = true
			if err == nil {
				err = io.EOF
			}
			return Row{}, err
		}
		if blank(cells) {
			continue
		}
		r.num++
		// Spreadsheets omit trailing empty cells, so a short row is normal;
		// only data beyond the last header column is a ragged row.
		fields := len(r.check.header)
		if n := filledLen(cells); n > fields {
			fields = n
		}
		values, errs := r.check.build(r.rowNum, cells, fields)
		return Row{Num: r.num, Line: r.rowNum, Values: values, Err: joinRowErrors(errs)}, nil
	}
}

func (r *xlsxReader) Close() error {
	r.done = true
	var errs []error
	if r.rows != nil {
		// Rows.Close returns rows.Error() when there was no temp file; that
		// was already reported by Next, so only a close failure matters.
		if err := r.rows.Close(); err != nil && !errors.Is(err, r.rows.Error()) {
			errs = append(errs, err)
		}
		r.rows = nil
	}
	if r.file != nil {
		if err := r.file.Close(); err != nil {
			errs = append(errs, err)
		}
		r.file = nil
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: close: %w", r.path, err)
	}
	return nil
}
