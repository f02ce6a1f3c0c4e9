package sinks

import (
	"archive/zip"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// numericCols marks juhe_score and amount numeric; the ID and mobile
// columns stay text.
var numericCols = []bool{false, false, false, false, false, true, true}

func writeXLSX(t *testing.T, path string, header []string, rows [][]string, opts XLSXOptions) {
	t.Helper()
	w, err := NewXLSX(path, header, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

func openXLSX(t *testing.T, path string) *excelize.File {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// sheetXML returns the raw XML of worksheet n (1-based) from the zip.
func sheetXML(t *testing.T, path string, n int) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	name := fmt.Sprintf("xl/worksheets/sheet%d.xml", n)
	for _, zf := range zr.File {
		if zf.Name == name {
			rc, err := zf.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	t.Fatalf("%s not in %s", name, path)
	return ""
}

func TestXLSXContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.xlsx")
	writeXLSX(t, path, resultHeader, resultRows, XLSXOptions{NumericColumns: numericCols, ColumnWidths: []float64{0, 25}})
	if m := fileMode(t, path); m != 0o600 {
		t.Errorf("mode %v, want 0600", m)
	}
	f := openXLSX(t, path)
	if got := f.GetSheetList(); len(got) != 1 || got[0] != "Results" {
		t.Fatalf("sheets = %q, want [Results]", got)
	}
	const sh = "Results"

	t.Run("header-bold", func(t *testing.T) {
		for i := range resultHeader {
			cell, _ := excelize.CoordinatesToCellName(i+1, 1)
			id, err := f.GetCellStyle(sh, cell)
			if err != nil {
				t.Fatal(err)
			}
			if id == 0 {
				t.Fatalf("%s style id 0, want a bold style", cell)
			}
			st, err := f.GetStyle(id)
			if err != nil {
				t.Fatal(err)
			}
			if st.Font == nil || !st.Font.Bold {
				t.Errorf("%s style %d is not bold: %+v", cell, id, st.Font)
			}
		}
		if id, _ := f.GetCellStyle(sh, "A2"); id != 0 {
			if st, _ := f.GetStyle(id); st != nil && st.Font != nil && st.Font.Bold {
				t.Errorf("data row is bold")
			}
		}
	})

	t.Run("panes-frozen", func(t *testing.T) {
		p, err := f.GetPanes(sh)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Freeze || p.YSplit != 1 || p.XSplit != 0 || p.TopLeftCell != "A2" {
			t.Errorf("panes = %+v, want frozen first row", p)
		}
	})

	t.Run("autofilter", func(t *testing.T) {
		x := sheetXML(t, path, 1)
		if !hasAutoFilter(x, "A1:G7") {
			t.Errorf("no autoFilter A1:G7 in sheet XML")
		}
		// <col> elements ascending (Excel repairs the file otherwise).
		cols := regexp.MustCompile(`<col min="(\d+)"`).FindAllStringSubmatch(x, -1)
		if len(cols) != len(resultHeader) {
			t.Fatalf("%d <col> elements, want %d", len(cols), len(resultHeader))
		}
		for i, c := range cols {
			if c[1] != strconv.Itoa(i+1) {
				t.Errorf("<col> %d has min=%s, want ascending order", i, c[1])
			}
		}
		var found bool
		for _, dn := range f.GetDefinedName() {
			if dn.Name == "_xlnm._FilterDatabase" && dn.Scope == sh {
				found = true
				if !strings.HasSuffix(dn.RefersTo, "!$A$1:$G$7") && !strings.HasSuffix(dn.RefersTo, "!A1:G7") {
					t.Errorf("_FilterDatabase refers to %q", dn.RefersTo)
				}
			}
		}
		if !found {
			t.Errorf("no _xlnm._FilterDatabase defined name: %+v", f.GetDefinedName())
		}
	})

	t.Run("values", func(t *testing.T) {
		rows, err := f.GetRows(sh, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		want := append([][]string{resultHeader}, resultRows...)
		if len(rows) != len(want) {
			t.Fatalf("%d rows, want %d", len(rows), len(want))
		}
		for i := range want {
			for j := range want[i] {
				got := ""
				if j < len(rows[i]) {
					got = rows[i][j]
				}
				w := want[i][j]
				if i > 0 && numericCols[j] {
					if n, ok := parseNumber(w); ok {
						w = strconv.FormatFloat(n, 'f', -1, 64)
					}
				}
				if got != w {
					t.Errorf("row %d col %d = %q, want %q", i+1, j+1, got, w)
				}
			}
		}
	})

	t.Run("cell-types", func(t *testing.T) {
		tests := []struct {
			cell    string
			numeric bool
		}{
			{"B2", false}, // 18-digit ID: text, exact
			{"B3", false}, // ID ending in X
			{"C2", false}, // mobile
			{"F2", true},  // score "85"
			{"F4", false}, // "N/A"
			{"F6", true},  // "-1"
			{"F7", false}, // "1e400" overflows: text
			{"G2", true},  // "1234.50"
			{"G3", true},  // "-0.5"
			{"G4", true},  // "1e3"
			{"G5", false}, // "0x10" hex is text
			{"G6", false}, // "Inf"
			{"G7", true},  // "007"
		}
		for _, tc := range tests {
			typ, err := f.GetCellType(sh, tc.cell)
			if err != nil {
				t.Fatal(err)
			}
			isNum := typ == excelize.CellTypeNumber || typ == excelize.CellTypeUnset
			if isNum != tc.numeric {
				v, _ := f.GetCellValue(sh, tc.cell)
				t.Errorf("%s (%q) type %v numeric=%v, want %v", tc.cell, v, typ, isNum, tc.numeric)
			}
		}
		if v, _ := f.GetCellValue(sh, "B2", excelize.Options{RawCellValue: true}); v != "110101199003074578" {
			t.Errorf("ID = %q, want exact 110101199003074578", v)
		}
	})

	t.Run("widths", func(t *testing.T) {
		wb, _ := f.GetColWidth(sh, "B")
		if wb != 25 {
			t.Errorf("explicit width of B = %v, want 25", wb)
		}
		for _, col := range []string{"A", "C", "D", "E", "F", "G"} {
			w, _ := f.GetColWidth(sh, col)
			if w < minColWidth || w > maxColWidth {
				t.Errorf("width of %s = %v, want in [%d, %d]", col, w, minColWidth, maxColWidth)
			}
		}
		// "身份证号"-like Chinese header: wider than a plain 8.
		wa, _ := f.GetColWidth(sh, "E") // juhe_status: 11 chars
		if wa < 13 {
			t.Errorf("width of E = %v, want >= 13 for an 11-character header", wa)
		}
	})
}

func TestXLSXRollover(t *testing.T) {
	header := []string{"row", "身份证号"}
	tests := []struct {
		name    string
		rows    int
		maxRows int
		perSht  []int // data rows per sheet
	}{
		{"empty", 0, 5, []int{0}},
		{"exactly-full", 4, 5, []int{4}},
		{"one-over", 5, 5, []int{4, 1}},
		{"three-sheets", 10, 5, []int{4, 4, 2}},
		{"beyond-sample", 250, 100, []int{99, 99, 52}},
		{"default-max", 150, 0, []int{150}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.xlsx")
			rows := make([][]string, tc.rows)
			for i := range rows {
				rows[i] = []string{strconv.Itoa(i + 1), fmt.Sprintf("1101011990%08d", i)}
			}
			writeXLSX(t, path, header, rows, XLSXOptions{MaxRows: tc.maxRows, NumericColumns: []bool{true}})
			f := openXLSX(t, path)
			sheets := f.GetSheetList()
			if len(sheets) != len(tc.perSht) {
				t.Fatalf("sheets %q, want %d", sheets, len(tc.perSht))
			}
			next := 1
			for i, sh := range sheets {
				wantName := "Results"
				if i > 0 {
					wantName = fmt.Sprintf("Results (%d)", i+1)
				}
				if sh != wantName {
					t.Errorf("sheet %d named %q, want %q", i+1, sh, wantName)
				}
				got, err := f.GetRows(sh, excelize.Options{RawCellValue: true})
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != tc.perSht[i]+1 {
					t.Errorf("sheet %q has %d rows, want header + %d", sh, len(got), tc.perSht[i])
					continue
				}
				if strings.Join(got[0], "|") != "row|身份证号" {
					t.Errorf("sheet %q header %q", sh, got[0])
				}
				if id, _ := f.GetCellStyle(sh, "A1"); id == 0 {
					t.Errorf("sheet %q header not styled", sh)
				}
				if p, _ := f.GetPanes(sh); !p.Freeze || p.YSplit != 1 {
					t.Errorf("sheet %q panes %+v", sh, p)
				}
				x := sheetXML(t, path, i+1)
				wantAF := fmt.Sprintf("A1:B%d", tc.perSht[i]+1)
				if !hasAutoFilter(x, wantAF) {
					t.Errorf("sheet %q: no %s", sh, wantAF)
				}
				for _, r := range got[1:] {
					if r[0] != strconv.Itoa(next) || r[1] != fmt.Sprintf("1101011990%08d", next-1) {
						t.Fatalf("sheet %q: row %q, want input row %d", sh, r, next)
					}
					next++
				}
			}
			if next-1 != tc.rows {
				t.Errorf("read back %d data rows, want %d", next-1, tc.rows)
			}
		})
	}
}

func TestXLSXOptionsValidation(t *testing.T) {
	tests := []struct {
		name string
		opts XLSXOptions
	}{
		{"max-rows-1", XLSXOptions{MaxRows: 1}},
		{"max-rows-too-big", XLSXOptions{MaxRows: excelize.TotalRows + 1}},
		{"bad-sheet-name", XLSXOptions{SheetName: "a/b"}},
		{"long-sheet-name", XLSXOptions{SheetName: strings.Repeat("x", 32)}},
		{"too-many-numeric", XLSXOptions{NumericColumns: make([]bool, len(resultHeader)+1)}},
		{"negative-width", XLSXOptions{ColumnWidths: []float64{-1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if w, err := NewXLSX(filepath.Join(dir, "x.xlsx"), resultHeader, tc.opts); err == nil {
				w.Abort()
				t.Fatal("accepted")
			}
			if l := leftovers(t, dir); len(l) != 0 {
				t.Errorf("temp files left: %v", l)
			}
		})
	}
}

func TestSheetName(t *testing.T) {
	tests := []struct {
		base string
		n    int
		want string
	}{
		{"Results", 1, "Results"},
		{"Results", 2, "Results (2)"},
		{"Results", 12, "Results (12)"},
		{strings.Repeat("a", 31), 2, strings.Repeat("a", 27) + " (2)"},
		{strings.Repeat("结", 31), 3, strings.Repeat("结", 27) + " (3)"},
	}
	for _, tc := range tests {
		got := sheetName(tc.base, tc.n)
		if got != tc.want {
			t.Errorf("sheetName(%q, %d) = %q, want %q", tc.base, tc.n, got, tc.want)
		}
		if err := checkSheetName(got); err != nil {
			t.Errorf("sheetName(%q, %d) = %q: %v", tc.base, tc.n, got, err)
		}
	}
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"0", 0, true}, {"85", 85, true}, {"-1", -1, true}, {"+2.5", 2.5, true},
		{"1234.50", 1234.5, true}, {".5", 0.5, true}, {"5.", 5, true}, {"1e3", 1000, true},
		{"1E-2", 0.01, true}, {"007", 7, true},
		{"", 0, false}, {"-", 0, false}, {".", 0, false}, {"1e", 0, false}, {"e5", 0, false},
		{"0x10", 0, false}, {"Inf", 0, false}, {"NaN", 0, false}, {"1_000", 0, false},
		{" 5", 0, false}, {"5 ", 0, false}, {"1e400", 0, false}, {"1,000", 0, false}, {"８５", 0, false},
	}
	for _, tc := range tests {
		got, ok := parseNumber(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("parseNumber(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestColumnWidths(t *testing.T) {
	header := []string{"a", "身份证号", "x", "note"}
	sample := [][]string{{"1", "110101199003074578", strings.Repeat("长", 100), "ok"}}
	got := columnWidths(header, sample, []float64{0, 0, 0, 30})
	want := []float64{minColWidth, 20, maxColWidth, 30}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-9 {
			t.Errorf("width[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

// hasAutoFilter reports whether sheet XML has <autoFilter ref=...> over
// ref, written relative (A1:B2) or absolute ($A$1:$B$2, what excelize emits).
func hasAutoFilter(sheetXML, ref string) bool {
	m := regexp.MustCompile(`<autoFilter ref="([^"]+)"`).FindStringSubmatch(sheetXML)
	return m != nil && strings.ReplaceAll(m[1], "$", "") == ref
}

// writeWide writes rows×cols cells (header c1…cN) and returns the writer
// (committed) and the runs of equal widths it computed.
func writeWide(t *testing.T, path string, rows, cols int) (*xlsxWriter, int) {
	t.Helper()
	header := make([]string, cols)
	for i := range header {
		header[i] = "c" + strconv.Itoa(i+1)
	}
	rw, err := NewXLSX(path, header, XLSXOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Abort()
	row := make([]string, cols)
	for r := 0; r < rows; r++ {
		for c := range row {
			row[c] = strconv.Itoa(r * c % 997)
		}
		if err := rw.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := rw.Commit(); err != nil {
		t.Fatal(err)
	}
	w := rw.(*xlsxWriter)
	return w, len(widthRuns(w.widths))
}

var colRE = regexp.MustCompile(`<col min="(\d+)" max="(\d+)" width="([0-9.]+)"`)

// TestXLSXColumnWidthCalls: column widths are set with at most one
// SetColWidth call per run of equal widths, never one per column (excelize
// flattens its columns on every call: a call per column never finished at
// 10,000 columns), and <cols> lists the columns in ascending order.
func TestXLSXColumnWidthCalls(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name      string
		cols      int
		wantRuns  int
		wantCalls int
		wantCols  []string // the <col> elements as min-max:width
	}{
		// c1…c200 and values of up to 3 digits are all 8 wide: one run.
		{"200 columns: one call per run", 200, 1, 1, []string{"1-200:8"}},
		// c1…c999 8 wide, c1000…c9999 9, c10000 10: 3 runs, but a sheet
		// this wide gets one width (the most common) in one call.
		{"10,000 columns: one call", 10_000, 3, 1, []string{"1-10000:9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strconv.Itoa(tt.cols)+".xlsx")
			w, runs := writeWide(t, path, 100, tt.cols)
			if runs != tt.wantRuns || w.colWidthCalls != tt.wantCalls || w.colWidthCalls > runs {
				t.Errorf("SetColWidth calls = %d for %d runs of equal widths, want %d for %d", w.colWidthCalls, runs, tt.wantCalls, tt.wantRuns)
			}
			var got []string
			prev := 0
			for _, m := range colRE.FindAllStringSubmatch(sheetXML(t, path, 1), -1) {
				lo, _ := strconv.Atoi(m[1])
				hi, _ := strconv.Atoi(m[2])
				if lo != prev+1 || hi < lo {
					t.Fatalf("<col min=%d max=%d> after column %d: not ascending", lo, hi, prev)
				}
				prev = hi
				got = append(got, m[1]+"-"+m[2]+":"+m[3])
			}
			if prev != tt.cols {
				t.Errorf("<cols> ends at column %d, want %d", prev, tt.cols)
			}
			if tt.wantCols != nil && !slices.Equal(got, tt.wantCols) {
				t.Errorf("<cols> = %q, want %q", got, tt.wantCols)
			}
		})
	}
}

// TestWidthCalls: runs last to first; a mixed narrow sheet makes one call
// per run.
func TestWidthCalls(t *testing.T) {
	got := widthCalls([]float64{8, 8, 20, 20, 20, 8, 60})
	want := []widthRun{{6, 6, 60}, {5, 5, 8}, {2, 4, 20}, {0, 1, 8}}
	if !slices.Equal(got, want) {
		t.Errorf("widthCalls = %v, want %v", got, want)
	}
	wide := make([]float64, 300)
	for i := range wide {
		wide[i] = float64(8 + i%3)
	}
	wide[0] = 10
	if got := widthCalls(wide); !slices.Equal(got, []widthRun{{0, 299, 10}}) {
		t.Errorf("widthCalls(300 columns) = %v, want one run of width 10", got)
	}
}
