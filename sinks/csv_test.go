package sinks

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"
)

func TestCSVGolden(t *testing.T) {
	tests := []struct {
		name   string
		opts   CSVOptions
		golden string
	}{
		{"utf8", CSVOptions{}, "result.csv"},
		{"utf8-bom", CSVOptions{BOM: true}, "result_bom.csv"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.csv")
			w, err := NewCSV(path, resultHeader, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			for _, r := range resultRows {
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Commit(); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.golden, got)
			if hasBOM := bytes.HasPrefix(got, utf8BOM); hasBOM != tc.opts.BOM {
				t.Errorf("BOM present = %v, want %v", hasBOM, tc.opts.BOM)
			}
			// Round trip through encoding/csv: every value back exactly.
			recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(got, utf8BOM))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			want := append([][]string{resultHeader}, resultRows...)
			if len(recs) != len(want) {
				t.Fatalf("read %d records, want %d", len(recs), len(want))
			}
			for i := range want {
				for j := range want[i] {
					if recs[i][j] != want[i][j] {
						t.Errorf("record %d col %d = %q, want %q", i, j, recs[i][j], want[i][j])
					}
				}
			}
			if m := fileMode(t, path); m != 0o600 {
				t.Errorf("mode %v, want 0600", m)
			}
		})
	}
}

func TestRowWriterValidation(t *testing.T) {
	for _, kind := range []string{"csv", "xlsx"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			w := newWriter(t, kind, filepath.Join(dir, "out."+kind))
			if err := w.Write([]string{"only one"}); err == nil {
				t.Error("short row accepted")
			}
			if err := w.Write(make([]string, len(resultHeader)+1)); err == nil {
				t.Error("long row accepted")
			}
			if err := w.Write(resultRows[0]); err != nil {
				t.Fatal(err)
			}
			if err := w.Commit(); err != nil {
				t.Fatal(err)
			}
			if err := w.Write(resultRows[0]); err == nil {
				t.Error("Write after Commit accepted")
			}
			if err := w.Commit(); err == nil {
				t.Error("second Commit accepted")
			}
			if err := w.Abort(); err != nil {
				t.Errorf("Abort after Commit = %v, want nil (no-op)", err)
			}
			if _, err := os.Stat(filepath.Join(dir, "out."+kind)); err != nil {
				t.Errorf("Abort after Commit removed the result: %v", err)
			}
		})
	}
	if _, err := NewCSV(filepath.Join(t.TempDir(), "x.csv"), nil, CSVOptions{}); err == nil {
		t.Error("NewCSV accepted an empty header")
	}
	if _, err := NewCSV(filepath.Join(t.TempDir(), "missing", "x.csv"), resultHeader, CSVOptions{}); err == nil {
		t.Error("NewCSV accepted a missing directory")
	}
}

func newWriter(t *testing.T, kind, path string) RowWriter {
	t.Helper()
	var (
		w   RowWriter
		err error
	)
	switch kind {
	case "csv":
		w, err = NewCSV(path, resultHeader, CSVOptions{BOM: true})
	case "xlsx":
		w, err = NewXLSX(path, resultHeader, XLSXOptions{})
	case "errors":
		var l *ErrorLog
		l, err = NewErrorLog(path, CSVOptions{})
		w = errorLogWriter{l}
	default:
		t.Fatalf("unknown kind %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// errorLogWriter adapts ErrorLog to RowWriter for the atomicity table.
type errorLogWriter struct{ l *ErrorLog }

func (e errorLogWriter) Write(v []string) error {
	return e.l.Write(ErrorRecord{Row: 1, Provider: "juhe", Status: "failed", Message: v[0]})
}
func (e errorLogWriter) Commit() error { return e.l.Commit() }
func (e errorLogWriter) Abort() error  { return e.l.Abort() }

// TestCommitAbortAtomic: while writing and after Abort the previous final
// file is untouched; Commit replaces it; no temp file is left behind.
func TestCommitAbortAtomic(t *testing.T) {
	old := []byte("previous complete file\n")
	for _, kind := range []string{"csv", "xlsx", "errors"} {
		for _, commit := range []bool{false, true} {
			name := kind + "/abort"
			if commit {
				name = kind + "/commit"
			}
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "out."+kind)
				if err := os.WriteFile(path, old, 0o644); err != nil {
					t.Fatal(err)
				}
				w := newWriter(t, kind, path)
				for i := 0; i < 3; i++ {
					if err := w.Write(resultRows[i]); err != nil {
						t.Fatal(err)
					}
				}
				if got := leftovers(t, dir); len(got) != 1 {
					t.Errorf("temp files while writing = %v, want exactly one", got)
				}
				if got, _ := os.ReadFile(path); !bytes.Equal(got, old) {
					t.Errorf("final file changed before Commit")
				}
				var err error
				if commit {
					err = w.Commit()
				} else {
					err = w.Abort()
				}
				if err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if commit == bytes.Equal(got, old) {
					t.Errorf("commit=%v: final file replaced = %v", commit, !bytes.Equal(got, old))
				}
				if l := leftovers(t, dir); len(l) != 0 {
					t.Errorf("temp files left: %v", l)
				}
				if err := w.Abort(); err != nil {
					t.Errorf("second Abort = %v", err)
				}
			})
		}
	}
}

func TestErrorLogGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "errors.csv")
	l, err := NewErrorLog(path, CSVOptions{BOM: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Abort()
	recs := []ErrorRecord{
		{Row: 1, Line: 2, Provider: "juhe", Status: "invalid", Code: "237001", Column: "身份证号", Message: "身份证号格式错误: 1101**********4578"},
		{Row: 2, Line: 3, Provider: "zhicheng", Status: "failed", Code: "50000", Message: `system busy, "retry later", after 5 attempts`},
		{Row: 3, Line: 0, Provider: "", Status: "invalid", Code: "row_unreadable", Column: "手机号", Message: "invalid UTF-8\nin field"},
		{Row: 4, Line: 5, Provider: "td", Status: "deferred", Code: "quota_exhausted"},
		{Row: 4, Line: 5, Provider: "accuauth", Status: "skipped", Code: "provider_stopped", Message: "UNAUTHORIZED"},
	}
	for _, r := range recs {
		if err := l.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "errors.csv", got)
}

func TestWriteJSONAtomic(t *testing.T) {
	type summary struct {
		RowsIn  int            `json:"rows_in"`
		RowsOut int            `json:"rows_out"`
		Note    string         `json:"note"`
		ByProv  map[string]int `json:"by_provider"`
	}
	tests := []struct {
		name string
		v    any
		perm os.FileMode
		want string
	}{
		{"struct-0600", summary{3, 3, "中文 <ok> & fine", map[string]int{"juhe": 3}}, 0o600,
			"{\n  \"rows_in\": 3,\n  \"rows_out\": 3,\n  \"note\": \"中文 <ok> & fine\",\n  \"by_provider\": {\n    \"juhe\": 3\n  }\n}\n"},
		{"slice-0644", []int{1, 2}, 0o644, "[\n  1,\n  2\n]\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "summary.json")
			if err := os.WriteFile(path, []byte("old"), 0o666); err != nil {
				t.Fatal(err)
			}
			if err := WriteJSONAtomic(path, tc.v, tc.perm); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
			if m := fileMode(t, path); m != tc.perm {
				t.Errorf("mode %v, want %v", m, tc.perm)
			}
			if l := leftovers(t, dir); len(l) != 0 {
				t.Errorf("temp files left: %v", l)
			}
		})
	}
	t.Run("unencodable-keeps-old", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "s.json")
		if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := WriteJSONAtomic(path, map[string]any{"c": make(chan int)}, 0o600); err == nil {
			t.Fatal("no error for a channel")
		}
		if got, _ := os.ReadFile(path); string(got) != "old" {
			t.Errorf("old file changed: %q", got)
		}
		if l := leftovers(t, dir); len(l) != 0 {
			t.Errorf("temp files left: %v", l)
		}
	})
	t.Run("missing-dir", func(t *testing.T) {
		if err := WriteFileAtomic(filepath.Join(t.TempDir(), "no", "x"), []byte("x"), 0o600); err == nil {
			t.Error("no error for a missing directory")
		}
	})
}
