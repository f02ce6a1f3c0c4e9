package sinks

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"
)

// A SheetSpec describes a small report sheet — a title, then blocks of
// tables, each with native Excel charts over its own cells to the right —
// that WriteSheet lays out into a workbook. The summary and back-test
// sheets of results.xlsx are built this way: the layout lives here, the
// figures come from the caller.
type SheetSpec struct {
	Name   string
	Title  string
	Lines  []string // under the title
	Blocks []SheetBlock
}

// SheetBlock is one table with optional charts.
type SheetBlock struct {
	Title  string
	Header []string
	// Rows hold string, int, int64, float64 or nil (an empty cell).
	Rows [][]any
	// Formats, per column: "" general, "int" (#,##0), "pct" (0.0%),
	// "metric" (0.000), "money" (#,##0.00).
	Formats []string
	Note    string
	Charts  []SheetChart
}

// SheetChart is a native chart over columns of its block's rows.
type SheetChart struct {
	Kind       string // col, col_stacked, bar_stacked, line, scatter
	Title      string
	Categories int   // column of the categories (the x values of a scatter)
	Series     []int // columns holding the values, one series each
	Colors     []string
	XTitle     string
	YTitle     string
	Percent    bool // the value axis is a share: 0–100%
	// Rows limits the chart to the block's first Rows rows (0: all).
	Rows int
	// Dashes, per series of a line or scatter chart: 0 solid, 1 dashed,
	// 2 dotted, 3 long dash-dot, 4 long dash (series of one colour).
	Dashes []int
}

var lineDashes = []excelize.LineDashType{excelize.LineDashSolid, excelize.LineDashDash, excelize.LineDashSysDot, excelize.LineDashLgDashDot, excelize.LineDashLgDash}

// CondFormat colours cells of a result sheet column: rows whose Formula
// (relative to the first data row, row 2) holds, or whose value equals
// Equals, get Fill/Font. Formats apply in order; the first that holds wins.
type CondFormat struct {
	Column  int // 0-based
	Formula string
	Equals  string
	Fill    string // hex RGB, e.g. FFC7CE
	Font    string
}

// ColumnRef is the row-relative reference of a column's cell in the first
// data row ($C2), for CondFormat formulas.
func ColumnRef(col int) string {
	name, _ := excelize.ColumnNumberToName(col + 1)
	return "$" + name + "2"
}

// ApplyCondFormats sets formats over rows 2..lastRow of sheet, one
// conditional formatting range per column holding its rules in order.
func ApplyCondFormats(f *excelize.File, sheet string, lastRow int, formats []CondFormat) error {
	if lastRow < 2 {
		return nil
	}
	styles := map[string]int{}
	var order []int
	byCol := map[int][]excelize.ConditionalFormatOptions{}
	for _, cf := range formats {
		key := cf.Fill + "/" + cf.Font
		id, ok := styles[key]
		if !ok {
			st := &excelize.Style{}
			if cf.Fill != "" {
				st.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{cf.Fill}}
			}
			if cf.Font != "" {
				st.Font = &excelize.Font{Color: cf.Font}
			}
			var err error
			if id, err = f.NewConditionalStyle(st); err != nil {
				return fmt.Errorf("conditional style: %w", err)
			}
			styles[key] = id
		}
		opt := excelize.ConditionalFormatOptions{Type: "formula", Criteria: cf.Formula, Format: &id, StopIfTrue: true}
		if cf.Formula == "" {
			opt = excelize.ConditionalFormatOptions{Type: "cell", Criteria: "==", Value: `"` + strings.ReplaceAll(cf.Equals, `"`, `""`) + `"`, Format: &id, StopIfTrue: true}
		}
		if _, ok := byCol[cf.Column]; !ok {
			order = append(order, cf.Column)
		}
		byCol[cf.Column] = append(byCol[cf.Column], opt)
	}
	for _, c := range order {
		col, err := excelize.ColumnNumberToName(c + 1)
		if err != nil {
			return err
		}
		ref := fmt.Sprintf("%s2:%s%d", col, col, lastRow)
		if err := f.SetConditionalFormat(sheet, ref, byCol[c]); err != nil {
			return fmt.Errorf("conditional format on %s!%s: %w", sheet, ref, err)
		}
	}
	return nil
}

type sheetStyles struct {
	title, sub, block, header, note int
	formats                         map[string]int
}

func newSheetStyles(f *excelize.File) (*sheetStyles, error) {
	s := &sheetStyles{formats: map[string]int{}}
	var errs []error
	mk := func(st *excelize.Style) int {
		id, err := f.NewStyle(st)
		if err != nil {
			errs = append(errs, err)
		}
		return id
	}
	s.title = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16, Color: "1C2529"}})
	s.sub = mk(&excelize.Style{Font: &excelize.Font{Color: "5F6B70"}})
	s.block = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 12, Color: "1565C0"}})
	s.header = mk(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"EEF2F4"}},
		Border:    []excelize.Border{{Type: "bottom", Color: "B0BEC5", Style: 1}},
		Alignment: &excelize.Alignment{Horizontal: "center", WrapText: true},
	})
	s.note = mk(&excelize.Style{Font: &excelize.Font{Italic: true, Color: "5F6B70"}})
	for name, code := range map[string]string{"int": "#,##0", "pct": "0.0%", "metric": "0.000", "money": "#,##0.00"} {
		c := code
		s.formats[name] = mk(&excelize.Style{CustomNumFmt: &c})
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("sinks: sheet styles: %w", errors.Join(errs...))
	}
	return s, nil
}

// quoteSheet is a sheet name as a formula reference.
func quoteSheet(name string) string {
	return "'" + strings.ReplaceAll(name, "'", "''") + "'"
}

const (
	chartWidth  = 480
	chartHeight = 260
	chartRows   = 14 // rows a chart covers at the default row height
	// chartCols columns of the default width (64 px) hold a chart and a
	// gap: the next chart of a block starts that many columns further.
	chartCols = (chartWidth + 12 + defaultColPixels - 1) / defaultColPixels

	defaultColPixels = 64 // Excel's default column width (8.43 characters)
	minTextCol       = 10 // narrowest table column, in characters
	maxTextCol       = 60 // widest
)

// sheetColumnWidths sizes the table columns 1..wide (Excel character
// units) to their longest text: headers (bold), string cells and formatted
// numbers of every block, CJK characters counting double. Titles, lines and
// notes (column A) run on over the empty cells to their right and do not
// count; neither does a string in a block's last column when the block has
// no chart (it runs on over the empty cells to its right too, like a
// rule's source).
func sheetColumnWidths(blocks []SheetBlock, wide int) []float64 {
	w := make([]float64, wide)
	for i := range w {
		w[i] = minTextCol
	}
	grow := func(c int, units float64) {
		if c < wide {
			w[c] = max(w[c], min(math.Ceil((units+2)*10)/10, maxTextCol))
		}
	}
	for _, b := range blocks {
		for c, h := range b.Header {
			grow(c, textWidth(h)*1.1)
		}
		last := len(b.Header) - 1
		for _, r := range b.Rows {
			for c, v := range r {
				format := ""
				if c < len(b.Formats) {
					format = b.Formats[c]
				}
				if _, ok := v.(string); ok && c == last && c > 0 && len(b.Charts) == 0 {
					continue
				}
				grow(c, textWidth(cellText(v, format)))
			}
		}
	}
	return w
}

// textWidth is the width of s in Excel character units: East Asian wide
// and full-width characters (CJK) count two, everything else one.
func textWidth(s string) float64 {
	n := 0.0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// grouped puts thousands separators into a whole number: 1234567 → 1,234,567.
func grouped(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return sign + s
}

// cellText is roughly what Excel shows for v in a cell of format.
func cellText(v any, format string) string {
	var x float64
	switch n := v.(type) {
	case nil:
		return ""
	case string:
		return n
	case int:
		x = float64(n)
	case int64:
		x = float64(n)
	case float64:
		x = n
	default:
		return fmt.Sprint(v)
	}
	switch format {
	case "int":
		return grouped(strconv.FormatFloat(math.Round(x), 'f', 0, 64))
	case "pct":
		return strconv.FormatFloat(x*100, 'f', 1, 64) + "%"
	case "metric":
		return strconv.FormatFloat(x, 'f', 3, 64)
	case "money":
		whole, frac, _ := strings.Cut(strconv.FormatFloat(x, 'f', 2, 64), ".")
		return grouped(whole) + "." + frac
	}
	s := strconv.FormatFloat(x, 'g', 10, 64)
	if len(s) > 11 { // General shows about 11 characters
		s = s[:11]
	}
	return s
}

// WriteSheet writes spec into sheet spec.Name of f (which must exist and
// be empty).
func WriteSheet(f *excelize.File, spec SheetSpec) error {
	st, err := newSheetStyles(f)
	if err != nil {
		return err
	}
	sh := spec.Name
	q := quoteSheet(sh)
	cell := func(col, row int) string {
		c, _ := excelize.CoordinatesToCellName(col, row)
		return c
	}
	set := func(col, row int, v any) error { return f.SetCellValue(sh, cell(col, row), v) }
	wide := 1
	for _, b := range spec.Blocks {
		wide = max(wide, len(b.Header))
	}
	for i, wd := range sheetColumnWidths(spec.Blocks, wide) {
		name, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sh, name, name, wd); err != nil {
			return err
		}
	}
	row := 1
	if err := set(1, row, spec.Title); err != nil {
		return err
	}
	if err := f.SetCellStyle(sh, cell(1, row), cell(1, row), st.title); err != nil {
		return err
	}
	row++
	for _, l := range spec.Lines {
		if err := set(1, row, l); err != nil {
			return err
		}
		if err := f.SetCellStyle(sh, cell(1, row), cell(1, row), st.sub); err != nil {
			return err
		}
		row++
	}
	row++
	for _, b := range spec.Blocks {
		top := row
		if b.Title != "" {
			if err := set(1, row, b.Title); err != nil {
				return err
			}
			if err := f.SetCellStyle(sh, cell(1, row), cell(1, row), st.block); err != nil {
				return err
			}
			row++
		}
		headRow := row
		if len(b.Header) > 0 {
			hdr := make([]any, len(b.Header))
			for i, h := range b.Header {
				hdr[i] = h
			}
			if err := f.SetSheetRow(sh, cell(1, row), &hdr); err != nil {
				return err
			}
			if err := f.SetCellStyle(sh, cell(1, row), cell(len(b.Header), row), st.header); err != nil {
				return err
			}
			row++
		}
		first := row
		for _, r := range b.Rows {
			vals := make([]any, len(r))
			copy(vals, r)
			if err := f.SetSheetRow(sh, cell(1, row), &vals); err != nil {
				return err
			}
			row++
		}
		for c, fm := range b.Formats {
			if id, ok := st.formats[fm]; ok && len(b.Rows) > 0 {
				if err := f.SetCellStyle(sh, cell(c+1, first), cell(c+1, row-1), id); err != nil {
					return err
				}
			}
		}
		if b.Note != "" {
			if err := set(1, row, b.Note); err != nil {
				return err
			}
			if err := f.SetCellStyle(sh, cell(1, row), cell(1, row), st.note); err != nil {
				return err
			}
			row++
		}
		for i, ch := range b.Charts {
			n := len(b.Rows)
			if ch.Rows > 0 && ch.Rows < n {
				n = ch.Rows
			}
			if n == 0 {
				continue
			}
			// Charts sit side by side right of the widest table, each
			// anchored in its own cell (an offset wider than the anchor
			// cell's column is not honoured: they landed on each other).
			if err := addChart(f, sh, q, cell(wide+2+i*chartCols, top), ch, headRow, first, first+n-1); err != nil {
				return err
			}
		}
		if len(b.Charts) > 0 && row-top < chartRows+1 {
			row = top + chartRows + 1
		}
		row++
	}
	return nil
}

func addChart(f *excelize.File, sh, q, anchor string, ch SheetChart, headRow, first, lastRow int) error {
	col := func(c int) string {
		n, _ := excelize.ColumnNumberToName(c + 1)
		return n
	}
	rng := func(c int) string {
		return fmt.Sprintf("%s!$%s$%d:$%s$%d", q, col(c), first, col(c), lastRow)
	}
	chart := &excelize.Chart{
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: ch.Title, Font: &excelize.Font{Size: 11, Bold: true}}}},
		Dimension: excelize.ChartDimension{Width: chartWidth, Height: chartHeight},
		Format:    excelize.GraphicOptions{AltText: ch.Title},
		Legend:    excelize.ChartLegend{Position: "bottom"},
		// One colour per series, not per bar.
		VaryColors: new(bool),
	}
	switch ch.Kind {
	case "col":
		chart.Type = excelize.Col
	case "col_stacked":
		chart.Type = excelize.ColStacked
	case "bar_stacked":
		chart.Type = excelize.BarStacked
	case "line":
		chart.Type = excelize.Line
	case "scatter":
		chart.Type = excelize.Scatter
	default:
		return fmt.Errorf("chart kind %q", ch.Kind)
	}
	if len(ch.Series) == 1 && ch.Kind == "col" {
		chart.Legend.Position = "none"
	}
	for j, s := range ch.Series {
		ser := excelize.ChartSeries{
			Name:       fmt.Sprintf("%s!$%s$%d", q, col(s), headRow),
			Categories: rng(ch.Categories),
			Values:     rng(s),
		}
		if j < len(ch.Colors) && ch.Colors[j] != "" {
			ser.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{ch.Colors[j]}}
		}
		if ch.Kind == "line" || ch.Kind == "scatter" {
			ser.Line = excelize.LineOptions{Type: excelize.LineSolid, Width: 1.75}
			if j < len(ch.Dashes) {
				ser.Line.Dash = lineDashes[ch.Dashes[j]%len(lineDashes)]
			}
			ser.Marker = excelize.ChartMarker{Symbol: "none"}
		}
		chart.Series = append(chart.Series, ser)
	}
	if ch.XTitle != "" {
		chart.XAxis.Title = excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: ch.XTitle}}}
	}
	if ch.YTitle != "" {
		chart.YAxis.Title = excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: ch.YTitle}}}
	}
	chart.YAxis.MajorGridLines = true
	if ch.Percent {
		one, zero := 1.0, 0.0
		chart.YAxis.Maximum, chart.YAxis.Minimum = &one, &zero
		chart.YAxis.NumFmt = excelize.ChartNumFmt{CustomNumFmt: "0%"}
		if ch.Kind == "scatter" {
			chart.XAxis.Maximum, chart.XAxis.Minimum = &one, &zero
			chart.XAxis.NumFmt = excelize.ChartNumFmt{CustomNumFmt: "0%"}
		}
	}
	if err := f.AddChart(sh, anchor, chart); err != nil {
		return fmt.Errorf("chart %q: %w", ch.Title, err)
	}
	return nil
}
