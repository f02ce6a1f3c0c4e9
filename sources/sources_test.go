package sources

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// wantRow is the golden expectation for one row; errHas lists substrings the
// Row.Err message must contain (nil: no error expected).
type wantRow struct {
	num, line int
	values    []string
	errHas    []string
}

// readAll drains r, failing the test on a fatal error.
func readAll(t *testing.T, r Reader) []Row {
	t.Helper()
	var rows []Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rows = append(rows, row)
	}
	// EOF must be sticky.
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("Next after EOF = %v, want io.EOF", err)
	}
	return rows
}

func checkRows(t *testing.T, got []Row, want []wantRow) {
	t.Helper()
	if len(got) != len(want) {
		for _, r := range got {
			t.Logf("got row %+v", r)
		}
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Num != w.num || g.Line != w.line {
			t.Errorf("row %d: Num/Line = %d/%d, want %d/%d", i, g.Num, g.Line, w.num, w.line)
		}
		if !reflect.DeepEqual(g.Values, w.values) {
			t.Errorf("row %d: Values = %q, want %q", i, g.Values, w.values)
		}
		switch {
		case w.errHas == nil && g.Err != nil:
			t.Errorf("row %d: unexpected Err: %v", i, g.Err)
		case w.errHas != nil && g.Err == nil:
			t.Errorf("row %d: Err = nil, want one containing %q", i, w.errHas)
		case w.errHas != nil:
			for _, s := range w.errHas {
				if !strings.Contains(g.Err.Error(), s) {
					t.Errorf("row %d: Err = %q, want it to contain %q", i, g.Err, s)
				}
			}
		}
	}
}

func checkWarnings(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("Warnings = %q, want %d matching %q", got, len(want), want)
		return
	}
	for i, w := range want {
		if !strings.Contains(got[i], w) {
			t.Errorf("Warnings[%d] = %q, want it to contain %q", i, got[i], w)
		}
	}
}

// TestOpenErrors covers the file-level failures common to both formats.
func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	ole := filepath.Join(dir, "legacy.xls")
	if err := os.WriteFile(ole, append(append([]byte(nil), oleMagic...), make([]byte, 504)...), 0o600); err != nil {
		t.Fatal(err)
	}
	zipAsCSV := filepath.Join(dir, "book.csv")
	writeXLSX(t, filepath.Join(dir, "book.xlsx"), []sheet{{name: "Sheet1", rows: [][]any{{"name"}}}})
	if err := os.Rename(filepath.Join(dir, "book.xlsx"), zipAsCSV); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		path   string
		opts   Options
		errHas []string
		is     error
	}{
		{"missing file", "testdata/nope.csv", Options{}, []string{"testdata/nope.csv", "cannot open"}, fs.ErrNotExist},
		{"directory", "testdata", Options{}, []string{"testdata", "directory"}, nil},
		{"empty file", "testdata/empty.csv", Options{}, []string{"testdata/empty.csv", "no header row"}, ErrNoHeader},
		{"only blank lines", "testdata/blank_only.csv", Options{}, []string{"testdata/blank_only.csv", "no header row"}, ErrNoHeader},
		{"fake xlsx", "testdata/fake.xlsx", Options{}, []string{"testdata/fake.xlsx", "not a valid XLSX", "renamed"}, nil},
		{"legacy xls", ole, Options{}, []string{ole, "legacy Excel .xls"}, nil},
		{"workbook named .csv", zipAsCSV, Options{}, []string{zipAsCSV, "rename it to .xlsx"}, nil},
		{"bad encoding option", "testdata/utf8.csv", Options{Encoding: "latin1"}, []string{"unsupported encoding", "latin1"}, nil},
		{"bad delimiter option", "testdata/utf8.csv", Options{Delimiter: '"'}, []string{"invalid delimiter"}, nil},
		{"negative MaxCellBytes", "testdata/utf8.csv", Options{MaxCellBytes: -1}, []string{"MaxCellBytes"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Open(tt.path, tt.opts)
			if err == nil {
				r.Close()
				t.Fatalf("Open(%q) succeeded, want error", tt.path)
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

func TestNormalizeHeader(t *testing.T) {
	tests := []struct {
		in, want []string
		warnings []string
	}{
		{[]string{" a ", "b"}, []string{"a", "b"}, nil},
		{[]string{"a", "", " "}, []string{"a", "column_2", "column_3"}, []string{`column 2 has a blank header`, `column 3 has a blank header`}},
		{[]string{"a", "a", "a"}, []string{"a", "a (2)", "a (3)"}, []string{`duplicate header "a" in column 2 renamed to "a (2)"`, `"a (3)"`}},
		// A generated name must not steal a name used later in the header.
		{[]string{"a", "a", "a (2)"}, []string{"a", "a (3)", "a (2)"}, []string{`renamed to "a (3)"`}},
		{[]string{"", "column_1"}, []string{"column_1 (2)", "column_1"}, []string{`named "column_1 (2)"`}},
		{[]string{"\uFEFFname"}, []string{"name"}, nil},
		{[]string{"na\xffme"}, []string{"na\uFFFDme"}, []string{"invalid characters"}},
	}
	for _, tt := range tests {
		got, warns := normalizeHeader(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("normalizeHeader(%q) = %q, want %q", tt.in, got, tt.want)
		}
		checkWarnings(t, warns, tt.warnings)
	}
}

func TestCellErrorFormat(t *testing.T) {
	tests := []struct {
		err  *CellError
		want string
	}{
		{&CellError{File: "in.csv", Line: 3, Column: "mobile", Msg: "bad"}, `in.csv line 3 column "mobile": bad`},
		{&CellError{File: "in.csv", Line: 3, Msg: "bad"}, `in.csv line 3: bad`},
		{&CellError{File: "in.xlsx", Sheet: "S", Line: 4, Column: "c", Msg: "bad"}, `in.xlsx sheet "S" row 4 column "c": bad`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	multi := joinRowErrors([]error{tests[0].err, tests[1].err})
	if got, want := multi.Error(), tests[0].want+"; "+tests[1].want; got != want {
		t.Errorf("joined = %q, want %q", got, want)
	}
	var ce *CellError
	if !errors.As(multi, &ce) || ce != tests[0].err {
		t.Errorf("errors.As on joined errors failed")
	}
}
