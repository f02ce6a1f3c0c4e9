package sources

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// sheet describes a generated worksheet: rows[i] is Excel row i+1, a nil row
// is left out of the XML entirely, a nil cell is left empty.
type sheet struct {
	name string
	rows [][]any
}

// rawNum is written with SetCellDefault: a number cell whose stored text is
// exactly this string, as Excel stores an ID typed without a leading quote.
type rawNum string

// writeXLSX generates the XLSX fixtures: small, deterministic, and readable
// in the test source, unlike committed binaries.
func writeXLSX(t testing.TB, path string, sheets []sheet) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(s.name); err != nil {
			t.Fatal(err)
		}
		for r, row := range s.rows {
			for c, v := range row {
				if v == nil {
					continue
				}
				cell, err := excelize.CoordinatesToCellName(c+1, r+1)
				if err != nil {
					t.Fatal(err)
				}
				switch v := v.(type) {
				case string:
					err = f.SetCellStr(s.name, cell, v)
				case int64:
					err = f.SetCellInt(s.name, cell, v)
				case rawNum:
					err = f.SetCellDefault(s.name, cell, string(v))
				default:
					err = f.SetCellValue(s.name, cell, v)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

func TestXLSX(t *testing.T) {
	dir := t.TempDir()
	ids := filepath.Join(dir, "ids.xlsx")
	writeXLSX(t, ids, []sheet{{name: "申请人", rows: [][]any{
		{"姓名", "身份证号", "手机号"},
		{"张三", "330328199001017024", "13800138000"},           // ID stored as text
		{"李四", rawNum("3.30328199001017E+17"), "13900139000"}, // as Excel stores a typed number
		{"王五", int64(330328199001017024), int64(13700137000)}, // number with all digits stored
	}}})

	multi := filepath.Join(dir, "multi.xlsx")
	writeXLSX(t, multi, []sheet{
		{name: "Summary", rows: [][]any{{"total"}, {"3"}}},
		{name: "Data", rows: [][]any{{"name", "mobile"}, {"Alice", "13800138000"}}},
		{name: "2", rows: [][]any{{"sheet named two"}}},
	})

	blanks := filepath.Join(dir, "blanks.xlsx")
	writeXLSX(t, blanks, []sheet{{name: "Sheet1", rows: [][]any{
		nil,                    // row 1: no XML at all
		{"", " ", nil},         // row 2: cells present but blank
		{"name", "id"},         // row 3: header
		{"Alice", "1"},         // row 4
		nil,                    // row 5: blank in the middle
		{" ", ""},              // row 6: blank with cells
		{"Bob", "2"},           // row 7
		{"Carol", nil},         // row 8: short row is normal in XLSX
		{"Dave", "4", "extra"}, // row 9: data beyond the header
	}}})

	oddHeader := filepath.Join(dir, "odd_header.xlsx")
	writeXLSX(t, oddHeader, []sheet{{name: "Sheet1", rows: [][]any{
		{" name ", nil, "name", " "}, // trailing blank header cell is dropped
		{"Alice", "x", "y"},
	}}})

	headerOnly := filepath.Join(dir, "header_only.xlsx")
	writeXLSX(t, headerOnly, []sheet{{name: "Sheet1", rows: [][]any{{"name", "id"}}}})

	tests := []struct {
		name     string
		path     string
		opts     Options
		format   string
		header   []string
		rows     []wantRow
		warnings []string
	}{
		{
			name: "18-digit IDs come back raw", path: ids,
			format: `XLSX sheet "申请人"`, header: hdrZH,
			rows: []wantRow{
				{1, 2, []string{"张三", "330328199001017024", "13800138000"}, nil},
				{2, 3, []string{"李四", "3.30328199001017E+17", "13900139000"}, nil},
				{3, 4, []string{"王五", "330328199001017024", "13700137000"}, nil},
			},
		},
		{
			name: "first sheet by default", path: multi,
			format: `XLSX sheet "Summary"`, header: []string{"total"},
			rows: []wantRow{{1, 2, []string{"3"}, nil}},
		},
		{
			name: "sheet by name", path: multi, opts: Options{Sheet: "Data"},
			format: `XLSX sheet "Data"`, header: []string{"name", "mobile"},
			rows: []wantRow{{1, 2, []string{"Alice", "13800138000"}, nil}},
		},
		{
			name: "sheet by name, case-insensitive", path: multi, opts: Options{Sheet: "data"},
			format: `XLSX sheet "Data"`, header: []string{"name", "mobile"},
			rows: []wantRow{{1, 2, []string{"Alice", "13800138000"}, nil}},
		},
		{
			name: "sheet by index", path: multi, opts: Options{Sheet: "1"},
			format: `XLSX sheet "Summary"`, header: []string{"total"},
			rows: []wantRow{{1, 2, []string{"3"}, nil}},
		},
		{
			name: "a sheet named like an index wins over the index", path: multi, opts: Options{Sheet: "2"},
			format: `XLSX sheet "2"`, header: []string{"sheet named two"},
		},
		{
			name: "blank rows skipped, Line kept, ragged reported", path: blanks,
			format: `XLSX sheet "Sheet1"`, header: []string{"name", "id"},
			rows: []wantRow{
				{1, 4, []string{"Alice", "1"}, nil},
				{2, 7, []string{"Bob", "2"}, nil},
				{3, 8, []string{"Carol", ""}, nil},
				{4, 9, []string{"Dave", "4"}, []string{blanks + ` sheet "Sheet1" row 9: row has 3 fields, header has 2`}},
			},
		},
		{
			name: "duplicate and blank headers", path: oddHeader,
			format: `XLSX sheet "Sheet1"`, header: []string{"name", "column_2", "name (2)"},
			rows:     []wantRow{{1, 2, []string{"Alice", "x", "y"}, nil}},
			warnings: []string{"column 2 has a blank header", `duplicate header "name" in column 3 renamed to "name (2)"`},
		},
		{
			name: "oversized cell", path: ids, opts: Options{MaxCellBytes: 12},
			format: `XLSX sheet "申请人"`, header: hdrZH,
			rows: []wantRow{
				{1, 2, []string{"张三", "", "13800138000"}, []string{ids + ` sheet "申请人" row 2 column "身份证号": cell is 18 bytes, larger than the 12-byte limit`}},
				{2, 3, []string{"李四", "", "13900139000"}, []string{`row 3 column "身份证号": cell is 20 bytes`}},
				{3, 4, []string{"王五", "", "13700137000"}, []string{`row 4 column "身份证号"`}},
			},
		},
		{
			name: "header only", path: headerOnly,
			format: `XLSX sheet "Sheet1"`, header: []string{"name", "id"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Open(tt.path, tt.opts)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer r.Close()
			if got := r.Format(); got != tt.format {
				t.Errorf("Format() = %q, want %q", got, tt.format)
			}
			if got := r.Header(); !reflect.DeepEqual(got, tt.header) {
				t.Errorf("Header() = %q, want %q", got, tt.header)
			}
			checkRows(t, readAll(t, r), tt.rows)
			checkWarnings(t, r.Warnings(), tt.warnings)
			if err := r.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := r.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

func TestXLSXOpenErrors(t *testing.T) {
	dir := t.TempDir()
	multi := filepath.Join(dir, "multi.xlsx")
	writeXLSX(t, multi, []sheet{{name: "Summary", rows: [][]any{{"a"}}}, {name: "Data", rows: [][]any{{"b"}}}})
	empty := filepath.Join(dir, "empty.xlsx")
	writeXLSX(t, empty, []sheet{{name: "Sheet1"}})
	blankOnly := filepath.Join(dir, "blank_only.xlsx")
	writeXLSX(t, blankOnly, []sheet{{name: "Sheet1", rows: [][]any{{" "}, nil, {""}}}})
	// A ZIP that is not a workbook, with an unknown extension: sniffed as
	// XLSX, then rejected by excelize.
	notBook := filepath.Join(dir, "archive.bin")
	writeZip(t, notBook, map[string]string{"hello.txt": "hi"})

	tests := []struct {
		name   string
		path   string
		opts   Options
		errHas []string
		is     error
	}{
		{"wrong sheet name", multi, Options{Sheet: "Nope"}, []string{multi, `sheet "Nope" not found; available sheets: "Summary", "Data" (or a position 1-2)`}, nil},
		{"index out of range", multi, Options{Sheet: "3"}, []string{`sheet "3" not found`, `"Summary", "Data"`}, nil},
		{"index zero", multi, Options{Sheet: "0"}, []string{`sheet "0" not found`}, nil},
		{"empty sheet", empty, Options{}, []string{empty, `sheet "Sheet1"`, "no header row"}, ErrNoHeader},
		{"blank rows only", blankOnly, Options{}, []string{"no header row"}, ErrNoHeader},
		{"zip but not a workbook", notBook, Options{}, []string{notBook, "not a readable XLSX workbook"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Open(tt.path, tt.opts)
			if err == nil {
				r.Close()
				t.Fatalf("Open succeeded, want error")
			}
			for _, s := range tt.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
		})
	}
}

// TestXLSXCorruptSheet: excelize stops silently on malformed worksheet XML;
// the reader must turn that into a fatal error instead of a short file.
func TestXLSXCorruptSheet(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.xlsx")
	rows := [][]any{{"name", "id"}}
	for i := 0; i < 10; i++ {
		rows = append(rows, []any{"n", "1"})
	}
	writeXLSX(t, good, []sheet{{name: "Sheet1", rows: rows}})

	// Rewrite the archive (valid CRCs) with a worksheet whose XML breaks
	// after row 5 and which declares 11 rows, as a buggy writer would.
	entries := readZip(t, good)
	xml := entries["xl/worksheets/sheet1.xml"]
	xml = strings.Replace(xml, `<dimension ref="A1"`, `<dimension ref="A1:B11"`, 1)
	if !strings.Contains(xml, `ref="A1:B11"`) {
		xml = strings.Replace(xml, "<sheetData>", `<dimension ref="A1:B11"/><sheetData>`, 1)
	}
	cut := strings.Index(xml, `<row r="6"`)
	if cut < 0 {
		t.Fatalf("fixture: no row 6 in %s", xml)
	}
	entries["xl/worksheets/sheet1.xml"] = xml[:cut] + `<row r="6"><c r="A6" t="s"><v>1</v></c></rox></row>`
	bad := filepath.Join(dir, "bad.xlsx")
	writeZip(t, bad, entries)

	r, err := Open(bad, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		_, err = r.Next()
		if err != nil {
			break
		}
		n++
	}
	if err == io.EOF || !strings.Contains(err.Error(), bad+` sheet "Sheet1": worksheet data ends at row`) || !strings.Contains(err.Error(), "corrupt or truncated XLSX") {
		t.Fatalf("after %d rows Next = %v, want a corrupt-sheet error", n, err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("Next after fatal error = %v, want io.EOF", err)
	}
}

func TestDimensionLastRow(t *testing.T) {
	for ref, want := range map[string]int{"A1:D120": 120, "B7": 7, "A1": 0, "": 0, "$A$1:$C$9": 9, "junk": 0} {
		if got := dimensionLastRow(ref); got != want {
			t.Errorf("dimensionLastRow(%q) = %d, want %d", ref, got, want)
		}
	}
}

func readZip(t *testing.T, path string) map[string]string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = string(b)
	}
	return out
}

func writeZip(t *testing.T, path string, entries map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range entries {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}
