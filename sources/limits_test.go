package sources

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestInputLimits: each documented limit refuses the file at Open (before
// any row, so before any call) with an error naming the file and the limit,
// matching ErrLimit.
func TestInputLimits(t *testing.T) {
	dir := t.TempDir()
	bigHeader := filepath.Join(dir, "big_header.csv")
	writeWideHeaderCSV(t, bigHeader, MaxHeaderBytes/2+64<<10) // 2 bytes a field; the limit is exact to a read buffer
	manyCols := filepath.Join(dir, "many_cols.csv")
	writeWideHeaderCSV(t, manyCols, MaxColumns+1)
	sstDeclared := filepath.Join(dir, "sst_declared.xlsx")
	writeWorkbook(t, sstDeclared, sheetRefsToSST, sstBomb(1001, true))
	sstHidden := filepath.Join(dir, "sst_hidden.xlsx")
	writeWorkbook(t, sstHidden, sheetRefsToSST, sstBomb(1001, false))
	sstBytes := filepath.Join(dir, "sst_bytes.xlsx")
	writeWorkbook(t, sstBytes, sheetRefsToSST, func(w io.Writer) {
		io.WriteString(w, `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
		for i := 0; i < 10; i++ {
			fmt.Fprintf(w, `<si><t>%s</t></si>`, strings.Repeat("x", 200))
		}
		io.WriteString(w, `</sst>`)
	})
	small := Options{MaxSharedStrings: 1000, MaxSharedStringBytes: 1000}

	tests := []struct {
		name string
		path string
		opts Options
		want string
	}{
		{"CSV header over 1 MiB", bigHeader, Options{}, bigHeader + ": the header row is larger than the 1 MiB limit"},
		{"CSV over 16,384 columns", manyCols, Options{}, manyCols + ": the header (line 1) has 16385 columns, more than the 16384-column limit"},
		{"shared strings declared over the limit", sstDeclared, small, sstDeclared + ": the workbook has 1001 shared strings or more, more than the 1000-string limit"},
		{"shared strings over the limit, undeclared", sstHidden, small, sstHidden + ": the workbook has 1001 shared strings or more, more than the 1000-string limit"},
		{"shared strings text over the limit", sstBytes, small, sstBytes + ": the workbook's shared strings hold more than 0 MiB of text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Open(tt.path, tt.opts)
			if err == nil {
				r.Close()
				t.Fatal("Open succeeded, want a limit error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if !errors.Is(err, ErrLimit) {
				t.Errorf("errors.Is(%v, ErrLimit) = false", err)
			}
		})
	}
}

// TestWideInputs: 10,000 columns are read, in both formats.
func TestWideInputs(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "wide.csv")
	writeWideHeaderCSV(t, csvPath, 10_000)
	xlsxPath := filepath.Join(dir, "wide.xlsx")
	writeWorkbook(t, xlsxPath, wideSheet(20, 10_000), nil)
	for _, path := range []string{csvPath, xlsxPath} {
		r, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(r.Header()); n != 10_000 {
			t.Errorf("%s: %d columns, want 10000", path, n)
		}
		rows := readAll(t, r)
		r.Close()
		if len(rows) == 0 || len(rows[0].Values) != 10_000 {
			t.Fatalf("%s: rows %d", path, len(rows))
		}
	}
	r, _ := Open(xlsxPath, Options{})
	defer r.Close()
	if h := r.Header(); h[0] != "c1" || h[9999] != "c10000" {
		t.Errorf("header ends %q … %q", h[0], h[9999])
	}
	rows := readAll(t, r)
	if len(rows) != 19 || rows[18].Values[9999] != fmt.Sprint(20*10000%97)+"x" || rows[18].Err != nil {
		t.Errorf("last row: %d rows, value %q, Err %v", len(rows), rows[len(rows)-1].Values[9999], rows[len(rows)-1].Err)
	}
}

// TestXLSXCells covers the cell kinds the reader decodes itself: shared
// strings with rich text and phonetic runs, inline strings, OOXML escapes,
// formulas, booleans, numbers (flagged in Row.Numeric), an oversized
// inline cell (its row unreadable, the next row fine) and a cell beyond
// column XFD (fatal).
func TestXLSXCells(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cells.xlsx")
	writeWorkbook(t, path, func(w io.Writer) {
		io.WriteString(w, `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>mobile</t></is></c><c r="D1" t="s"><v>2</v></c></row>`)
		// Row 2: rich text name, a numeric ID, a numeric mobile, a formula.
		io.WriteString(w, `<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2"><v>3.30328199001017E+17</v></c><c r="C2" t="n"><v>13800138000</v></c><c r="D2" t="str"><f>A2</f><v>x_x000D_</v></c></row>`)
		// Row 4 (row 3 absent): text ID, boolean, cells without r.
		io.WriteString(w, `<row r="4"><c t="inlineStr"><is><r><t>Bo</t></r><r><t>b</t></r></is></c><c t="inlineStr"><is><t>330328199001017024</t></is></c><c t="b"><v>1</v></c></row>`)
		io.WriteString(w, `<row r="5"><c r="A5" t="inlineStr"><is><t>`+strings.Repeat("y", 40)+`</t></is></c><c r="B5"><v>1</v></c></row>`)
		// Row 6: cells out of order, an empty shared-string cell.
		io.WriteString(w, `<row r="6"><c r="C6" t="s"><v></v></c><c r="B6"><v>7</v></c><c r="A6" t="inlineStr"><is><t>Eve</t></is></c></row>`)
	}, func(w io.Writer) {
		io.WriteString(w, `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4">`+
			`<si><t>name</t></si><si><t>id_number</t></si><si><t xml:space="preserve">note_x005F_x</t></si>`+
			`<si><r><rPr><b/></rPr><t>Al</t></r><r><t>ice</t></r><rPh sb="0" eb="1"><t>アリス</t></rPh></si></sst>`)
	})
	r, err := Open(path, Options{MaxCellBytes: 32})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if want := []string{"name", "id_number", "mobile", "note_x"}; !reflect.DeepEqual(r.Header(), want) {
		t.Errorf("Header() = %q, want %q", r.Header(), want)
	}
	rows := readAll(t, r)
	want := []struct {
		line    int
		values  []string
		numeric []bool
		err     string
	}{
		{2, []string{"Alice", "3.30328199001017E+17", "13800138000", "x\r"}, []bool{false, true, true, false}, ""},
		{4, []string{"Bob", "330328199001017024", "1", ""}, nil, ""},
		{5, []string{"", "1", "", ""}, []bool{false, true, false, false}, path + ` sheet "Sheet1" row 5 column "name": cell is 40 bytes, larger than the 32-byte limit: value dropped`},
		{6, []string{"Eve", "7", "", ""}, []bool{false, true, false, false}, ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i, w := range want {
		got := rows[i]
		gotErr := ""
		if got.Err != nil {
			gotErr = got.Err.Error()
		}
		if got.Line != w.line || !reflect.DeepEqual(got.Values, w.values) || !reflect.DeepEqual(got.Numeric, w.numeric) || gotErr != w.err {
			t.Errorf("row %d = line %d %q numeric %v err %q\nwant line %d %q numeric %v err %q", i+1, got.Line, got.Values, got.Numeric, gotErr, w.line, w.values, w.numeric, w.err)
		}
	}

	beyond := filepath.Join(dir, "beyond.xlsx")
	writeWorkbook(t, beyond, func(w io.Writer) {
		io.WriteString(w, `<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c></row><row r="2"><c r="XFE2"><v>1</v></c></row>`)
	}, nil)
	r2, err := Open(beyond, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if _, err := r2.Next(); err == nil || err == io.EOF || !strings.Contains(err.Error(), beyond+` sheet "Sheet1" row 2: cell reference "XFE2" is invalid (beyond column XFD?): corrupt XLSX`) {
		t.Errorf("Next = %v, want a corrupt-cell error", err)
	}
}

// TestHeaderWarningsCapped: thousands of repeated headers give 20 notes and
// a count, and distinct names.
func TestHeaderWarningsCapped(t *testing.T) {
	raw := make([]string, 5000)
	for i := range raw {
		raw[i] = "a"
	}
	header, warns := normalizeHeader(raw)
	if len(warns) != maxHeaderWarnings+1 || warns[maxHeaderWarnings] != "… and 4979 more header warnings like these" {
		t.Errorf("%d warnings, last %q", len(warns), warns[len(warns)-1])
	}
	if header[1] != "a (2)" || header[4999] != "a (5000)" {
		t.Errorf("header %q … %q", header[1], header[4999])
	}
}

// TestCSVRowTooManyFields: a data row of millions of tiny fields (under the
// byte limit) stops the file with a limit error instead of becoming
// millions of strings; the rows before it were read.
func TestCSVRowTooManyFields(t *testing.T) {
	path := filepath.Join(t.TempDir(), "row.csv")
	writeWideRowCSV(t, path, maxRecordDelims+100_000)
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = r.Next()
	want := path + ": the record after line 1 has more than 1048576 fields (the header has 3)"
	if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrLimit) {
		t.Errorf("Next = %v, want %q", err, want)
	}
}
