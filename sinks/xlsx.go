package sinks

import (
	"archive/zip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

// XLSXOptions configures XLSX output.
type XLSXOptions struct {
	SheetName string // default "Results"
	// MaxRows is data+header rows per sheet; default and maximum 1048576
	// (Excel's limit). When a sheet is full a new sheet "Results (2)", ...
	// is started with the header repeated. Must be >= 2.
	MaxRows int
	// NumericColumns, per column: a value that parses as a finite decimal
	// number is written as a number cell, else as a string. IDs and mobiles
	// must NOT be marked numeric (an 18-digit ID must stay exact text).
	// May be shorter than the header (missing = text).
	NumericColumns []bool
	// FreezeColumns leading columns stay in view when scrolling right (the
	// identifying input columns), besides the header row; 0 = the header
	// row only.
	FreezeColumns int
	// ColumnWidths, per column, in Excel character units; 0 or missing =
	// automatic (from the header and the first sampleRows rows).
	ColumnWidths []float64
	// LeadingSheets are created empty ahead of the result sheets, the first
	// of them selected when the file opens; BeforeSave fills them (the run's
	// summary, first in the workbook).
	LeadingSheets []string
	// SheetDone, when set, is called for each result sheet after its last
	// row, before the sheet is flushed (conditional formats over the used
	// range: lastRow is its last Excel row, the header being row 1).
	SheetDone func(f *excelize.File, sheet string, lastRow int) error
	// BeforeSave, when set, is called once at Commit after the last result
	// sheet is flushed, before the workbook is written. It must not read
	// the result sheets back (that re-parses the whole streamed sheet).
	BeforeSave func(f *excelize.File) error
}

const (
	defaultSheetName = "Results"
	excelMaxRows     = excelize.TotalRows // 1048576
	maxSheetNameLen  = 31
	// sampleRows rows are held back before the first SetRow so automatic
	// column widths can see them (the stream writer needs widths first).
	sampleRows  = 100
	minColWidth = 8
	maxColWidth = 60
)

type xlsxWriter struct {
	out    *atomicFile
	f      *excelize.File
	header []string
	opts   XLSXOptions
	widths []float64
	bold   int

	sw       *excelize.StreamWriter
	sheetNo  int // 1-based number of the current sheet
	sheet    string
	row      int // last Excel row written on the current sheet
	rowBuf   []any
	cellBuf  []byte
	sample   [][]string // rows held back until widths are known
	started  bool       // widths computed, streaming
	err      error      // sticky
	finished bool

	colWidthCalls int // SetColWidth calls made, for the tests
}

// widthRun is a run of adjacent columns of equal width (0-based, inclusive).
type widthRun struct {
	first, last int
	width       float64
}

// widthRuns groups adjacent columns of equal width.
func widthRuns(widths []float64) []widthRun {
	var runs []widthRun
	for i, wd := range widths {
		if n := len(runs); n > 0 && runs[n-1].width == wd {
			runs[n-1].last = i
			continue
		}
		runs = append(runs, widthRun{i, i, wd})
	}
	return runs
}

// maxColumnsWidthRuns is the widest sheet whose columns get their own
// widths. excelize flattens its <col> list to one entry per column on every
// SetColWidth call after the first, and then scans that list for every
// unstyled cell it writes (prepareCellStyle): 10,000 columns cost 10,000
// comparisons per cell. A wider sheet gets one width for all its columns,
// set in a single call, which excelize keeps as one entry.
const maxColumnsWidthRuns = 256

// widthCalls returns the SetColWidth calls to make, first to last: one per
// run of equal widths, last run first (excelize prepends each new <col>, so
// the <cols> element comes out in ascending order, as Excel expects); for a
// sheet wider than maxColumnsWidthRuns, one run of its most common width.
func widthCalls(widths []float64) []widthRun {
	if len(widths) == 0 {
		return nil
	}
	if len(widths) > maxColumnsWidthRuns {
		count := map[float64]int{}
		common := widths[0]
		for _, wd := range widths {
			count[wd]++
			if count[wd] > count[common] || (count[wd] == count[common] && wd > common) {
				common = wd
			}
		}
		return []widthRun{{0, len(widths) - 1, common}}
	}
	runs := widthRuns(widths)
	slices.Reverse(runs)
	return runs
}

// NewXLSX creates an XLSX result sheet at path (temp file until Commit),
// streamed with excelize's StreamWriter: bold header, first row frozen,
// autofilter over each sheet's used range, column widths set up front.
func NewXLSX(path string, header []string, opts XLSXOptions) (RowWriter, error) {
	if len(header) == 0 {
		return nil, fmt.Errorf("sinks: %s: empty header", path)
	}
	if len(header) > excelize.MaxColumns {
		return nil, fmt.Errorf("sinks: %s: %d columns, XLSX allows %d", path, len(header), excelize.MaxColumns)
	}
	if opts.SheetName == "" {
		opts.SheetName = defaultSheetName
	}
	if err := checkSheetName(opts.SheetName); err != nil {
		return nil, fmt.Errorf("sinks: sheet name %q: %w", opts.SheetName, err)
	}
	switch {
	case opts.MaxRows == 0:
		opts.MaxRows = excelMaxRows
	case opts.MaxRows < 2 || opts.MaxRows > excelMaxRows:
		return nil, fmt.Errorf("sinks: MaxRows %d out of range [2, %d]", opts.MaxRows, excelMaxRows)
	}
	if len(opts.NumericColumns) > len(header) {
		return nil, fmt.Errorf("sinks: %d NumericColumns for %d columns", len(opts.NumericColumns), len(header))
	}
	if opts.FreezeColumns < 0 || opts.FreezeColumns >= len(header) {
		opts.FreezeColumns = 0
	}
	if len(opts.ColumnWidths) > len(header) {
		return nil, fmt.Errorf("sinks: %d ColumnWidths for %d columns", len(opts.ColumnWidths), len(header))
	}
	for i, w := range opts.ColumnWidths {
		if w < 0 || w > excelize.MaxColumnWidth || math.IsNaN(w) {
			return nil, fmt.Errorf("sinks: ColumnWidths[%d] = %v out of range [0, %d]", i, w, excelize.MaxColumnWidth)
		}
	}
	out, err := createAtomic(path, resultPerm)
	if err != nil {
		return nil, err
	}
	f := excelize.NewFile()
	w := &xlsxWriter{
		out:    out,
		f:      f,
		header: append([]string(nil), header...),
		opts:   opts,
		rowBuf: make([]any, len(header)),
	}
	w.opts.NumericColumns = make([]bool, len(header))
	copy(w.opts.NumericColumns, opts.NumericColumns)
	w.opts.ColumnWidths = append([]float64(nil), opts.ColumnWidths...)
	if w.bold, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		_ = w.fail()
		return nil, fmt.Errorf("sinks: xlsx style: %w", err)
	}
	// The template's sheet (selected when the file opens) becomes the first
	// sheet: a leading sheet when there are some, else the results. Creating
	// them in their final order, rather than moving a sheet at the end,
	// keeps the autofilter's sheet-scoped defined name pointing at the
	// results sheet.
	sheets := append(append([]string(nil), opts.LeadingSheets...), opts.SheetName)
	for i, name := range sheets {
		if err := checkSheetName(name); err != nil {
			_ = w.fail()
			return nil, fmt.Errorf("sinks: sheet name %q: %w", name, err)
		}
		if i == 0 {
			err = f.SetSheetName(f.GetSheetName(0), name)
		} else if idx, _ := f.GetSheetIndex(name); idx >= 0 {
			err = fmt.Errorf("duplicate sheet name %q", name)
		} else {
			_, err = f.NewSheet(name)
		}
		if err != nil {
			_ = w.fail()
			return nil, fmt.Errorf("sinks: xlsx sheet: %w", err)
		}
	}
	return w, nil
}

// fail releases everything; used on construction errors and Abort.
func (w *xlsxWriter) fail() error {
	w.finished = true
	cerr := w.f.Close()
	aerr := w.out.abort()
	return errors.Join(aerr, cerr)
}

func (w *xlsxWriter) Write(values []string) error {
	if w.finished {
		return errClosed
	}
	if w.err != nil {
		return w.err
	}
	if len(values) != len(w.header) {
		return fmt.Errorf("sinks: row has %d values, header has %d", len(values), len(w.header))
	}
	if !w.started {
		w.sample = append(w.sample, append([]string(nil), values...))
		if len(w.sample) < sampleRows {
			return nil
		}
		if err := w.start(); err != nil {
			return err
		}
		return nil
	}
	return w.writeRow(values)
}

// start computes column widths, opens the first sheet and writes the rows
// held back so far.
func (w *xlsxWriter) start() error {
	w.started = true
	// Select the first sheet now, while it is still empty: SetActiveSheet
	// reads every worksheet back into memory, which after streaming means
	// re-parsing the whole sheet (seconds and hundreds of MB at 5,000 rows).
	w.f.SetActiveSheet(0)
	w.widths = columnWidths(w.header, w.sample, w.opts.ColumnWidths)
	if err := w.newSheet(); err != nil {
		return w.setErr(err)
	}
	for _, r := range w.sample {
		if err := w.writeRow(r); err != nil {
			return err
		}
	}
	w.sample = nil
	return nil
}

func (w *xlsxWriter) setErr(err error) error {
	if w.err == nil {
		w.err = fmt.Errorf("sinks: xlsx %s: %w", w.out.path, err)
	}
	return w.err
}

// sheetName returns the name of sheet n: "Results", "Results (2)", ...
// truncating the base so the name fits Excel's 31 UTF-16 units.
func sheetName(base string, n int) string {
	if n == 1 {
		return base
	}
	suffix := " (" + strconv.Itoa(n) + ")"
	room := maxSheetNameLen - len(suffix)
	units := 0
	for i, r := range base {
		u := len(utf16.AppendRune(nil, r))
		if units+u > room {
			base = base[:i]
			break
		}
		units += u
	}
	return base + suffix
}

// checkSheetName applies Excel's sheet name rules (as excelize does).
func checkSheetName(name string) error {
	switch {
	case name == "":
		return errors.New("blank")
	case len(utf16.Encode([]rune(name))) > maxSheetNameLen:
		return fmt.Errorf("longer than %d characters", maxSheetNameLen)
	case strings.HasPrefix(name, "'") || strings.HasSuffix(name, "'"):
		return errors.New("starts or ends with a single quote")
	case strings.ContainsAny(name, ":\\/?*[]"):
		return errors.New(`contains one of : \ / ? * [ ]`)
	}
	return nil
}

// newSheet flushes the current sheet (if any) and starts the next one with
// widths, frozen header row and the bold header.
func (w *xlsxWriter) newSheet() error {
	if w.sw != nil {
		if err := w.finishSheet(); err != nil {
			return err
		}
	}
	w.sheetNo++
	w.sheet = sheetName(w.opts.SheetName, w.sheetNo)
	if w.sheetNo > 1 {
		if _, err := w.f.NewSheet(w.sheet); err != nil {
			return err
		}
	}
	sw, err := w.f.NewStreamWriter(w.sheet)
	if err != nil {
		return err
	}
	w.sw, w.row = sw, 0
	// One call per run of equal widths (see widthCalls): a call per column
	// made excelize cubic (10,000 columns never finished).
	for _, r := range widthCalls(w.widths) {
		w.colWidthCalls++
		if err := sw.SetColWidth(r.first+1, r.last+1, r.width); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(freezePanes(w.opts.FreezeColumns)); err != nil {
		return err
	}
	for i, h := range w.header {
		w.rowBuf[i] = h
	}
	w.row = 1
	return sw.SetRow("A1", w.rowBuf, excelize.RowOpts{StyleID: w.bold})
}

// freezePanes freezes the header row and the first cols columns.
func freezePanes(cols int) *excelize.Panes {
	if cols <= 0 {
		return &excelize.Panes{
			Freeze:      true,
			YSplit:      1,
			TopLeftCell: "A2",
			ActivePane:  "bottomLeft",
			Selection:   []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
		}
	}
	corner, _ := excelize.CoordinatesToCellName(cols+1, 2)
	top, _ := excelize.CoordinatesToCellName(cols+1, 1)
	return &excelize.Panes{
		Freeze:      true,
		XSplit:      cols,
		YSplit:      1,
		TopLeftCell: corner,
		ActivePane:  "bottomRight",
		Selection: []excelize.Selection{
			{SQRef: top, ActiveCell: top, Pane: "topRight"},
			{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"},
			{SQRef: corner, ActiveCell: corner, Pane: "bottomRight"},
		},
	}
}

// finishSheet sets the autofilter over the sheet's used range and flushes
// its stream writer.
func (w *xlsxWriter) finishSheet() error {
	if w.opts.SheetDone != nil {
		if err := w.opts.SheetDone(w.f, w.sheet, w.row); err != nil {
			return err
		}
	}
	last, err := excelize.CoordinatesToCellName(len(w.header), w.row)
	if err != nil {
		return err
	}
	// With no path on the File, AutoFilter records the filter (worksheet
	// element + _xlnm._FilterDatabase name) and then returns ErrSave instead
	// of saving the whole workbook mid-stream. The stream writer emits the
	// worksheet's autoFilter element at Flush.
	if err := w.f.AutoFilter(w.sheet, "A1:"+last, nil); err != nil && !errors.Is(err, excelize.ErrSave) {
		return err
	}
	err = w.sw.Flush()
	w.sw = nil
	return err
}

func (w *xlsxWriter) writeRow(values []string) error {
	if w.row >= w.opts.MaxRows {
		if err := w.newSheet(); err != nil {
			return w.setErr(err)
		}
	}
	for i, v := range values {
		if v == "" {
			w.rowBuf[i] = nil // no cell at all
			continue
		}
		if w.opts.NumericColumns[i] {
			if n, ok := parseNumber(v); ok {
				w.rowBuf[i] = n
				continue
			}
		}
		// Boxing a string into an interface allocates; columns often
		// repeat the previous row's value (statuses, codes), so reuse it.
		if prev, ok := w.rowBuf[i].(string); !ok || prev != v {
			w.rowBuf[i] = v
		}
	}
	w.row++
	w.cellBuf = append(w.cellBuf[:0], 'A')
	w.cellBuf = strconv.AppendInt(w.cellBuf, int64(w.row), 10)
	if err := w.sw.SetRow(string(w.cellBuf), w.rowBuf); err != nil {
		return w.setErr(err)
	}
	return nil
}

func (w *xlsxWriter) Commit() error {
	if w.finished {
		return errClosed
	}
	if w.err != nil {
		_ = w.fail()
		return w.err
	}
	if !w.started {
		if err := w.start(); err != nil {
			_ = w.fail()
			return err
		}
	}
	if err := w.finishSheet(); err != nil {
		err = w.setErr(err)
		_ = w.fail()
		return err
	}
	if w.opts.BeforeSave != nil {
		if err := w.opts.BeforeSave(w.f); err != nil {
			err = w.setErr(err)
			_ = w.fail()
			return err
		}
	}
	// excelize's WriteTo builds the whole zip in a bytes.Buffer before
	// writing it out: at a million rows that buffer (the compressed sheet)
	// was most of the run's peak RSS. Its ZipWriter hook sends the zip
	// straight to the temp file instead; the buffer stays empty.
	w.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w.out.f) })
	if _, err := w.f.WriteTo(io.Discard); err != nil {
		err = w.setErr(err)
		_ = w.fail()
		return err
	}
	if err := markZip64Headers(w.out.f); err != nil {
		err = w.setErr(err)
		_ = w.fail()
		return err
	}
	w.finished = true
	if err := w.f.Close(); err != nil {
		_ = w.out.abort()
		return w.setErr(err)
	}
	if err := w.out.commit(); err != nil {
		return err
	}
	return nil
}

// markZip64Headers does for a zip written to f what excelize does to its
// in-memory zip (writeZip64LFH), which the ZipWriter hook bypasses: an
// entry over 4 GiB gets version 45 (ZIP64) in its local file header too,
// or Excel calls the workbook corrupt. Only the central directory is read
// unless such an entry exists.
func markZip64Headers(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil {
		return fmt.Errorf("reading back the zip directory: %w", err)
	}
	for _, e := range zr.File {
		if e.UncompressedSize64 <= math.MaxUint32 && e.CompressedSize64 <= math.MaxUint32 {
			continue
		}
		data, err := e.DataOffset()
		if err != nil {
			return err
		}
		// archive/zip writes streamed entries' local headers without extra
		// fields: 30 fixed bytes and the name.
		lfh := data - 30 - int64(len(e.Name))
		var sig [4]byte
		if _, err := f.ReadAt(sig[:], lfh); err != nil {
			return err
		}
		if binary.LittleEndian.Uint32(sig[:]) != 0x04034b50 {
			return fmt.Errorf("zip entry %s: no local header at offset %d", e.Name, lfh)
		}
		if _, err := f.WriteAt([]byte{45, 0}, lfh+4); err != nil {
			return err
		}
	}
	return nil
}

func (w *xlsxWriter) Abort() error {
	if w.finished {
		return nil
	}
	return w.fail()
}

// parseNumber reports whether s is a plain finite decimal number
// ("-12", "3.5", "1e3", ".5") and returns it. Hex, "Inf", "NaN",
// underscores and surrounding spaces are text.
func parseNumber(s string) (float64, bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// columnWidths returns one width per column: the explicit width when
// given (> 0), else the widest of the header and the sample rows in display
// columns (CJK counts 2), plus padding, clamped to [minColWidth, maxColWidth].
func columnWidths(header []string, sample [][]string, explicit []float64) []float64 {
	out := make([]float64, len(header))
	for i, h := range header {
		if i < len(explicit) && explicit[i] > 0 {
			out[i] = explicit[i]
			continue
		}
		wd := displayWidth(h) + 2 // bold header + filter button
		for _, r := range sample {
			if d := displayWidth(r[i]); d > wd {
				wd = d
			}
		}
		out[i] = math.Min(math.Max(float64(wd+2), minColWidth), maxColWidth)
	}
	return out
}

// displayWidth approximates the width of s in a spreadsheet cell: East Asian
// wide/fullwidth runes count 2, others 1.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		if isWide(r) {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func isWide(r rune) bool {
	return r >= 0x1100 && (r <= 0x115F || // Hangul Jamo
		(r >= 0x2E80 && r <= 0xA4CF && r != 0x303F) || // CJK radicals .. Yi
		(r >= 0xAC00 && r <= 0xD7A3) || // Hangul syllables
		(r >= 0xF900 && r <= 0xFAFF) || // CJK compatibility ideographs
		(r >= 0xFE30 && r <= 0xFE4F) || // CJK compatibility forms
		(r >= 0xFF00 && r <= 0xFF60) || // fullwidth forms
		(r >= 0xFFE0 && r <= 0xFFE6) ||
		(r >= 0x1F300 && r <= 0x1F64F) || // emoji
		(r >= 0x20000 && r <= 0x3FFFD)) // CJK extensions B..
}
