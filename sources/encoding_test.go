package sources

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestLateBadByte: 300 UTF-8 rows with one \xff in the name of row 299 (the
// whole file is inside the sniff window). The file stays UTF-8: every other
// name is read intact and row 299 alone is unreadable, its error naming the
// file, line, column and the bad byte.
func TestLateBadByte(t *testing.T) {
	const path = "testdata/utf8_late_bad_byte.csv"
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.Encoding(); got != "utf-8" {
		t.Errorf("Encoding() = %q, want utf-8", got)
	}
	checkWarnings(t, r.Warnings(), nil)
	rows := readAll(t, r)
	if len(rows) != 300 {
		t.Fatalf("got %d rows, want 300", len(rows))
	}
	for _, row := range rows {
		name := row.Values[0]
		if row.Num == 299 {
			want := path + ` line 300 column "姓名": contains invalid characters (U+FFFD): byte 0xFF at byte 4 of the cell is not valid UTF-8 (the file is read as UTF-8; set input.encoding if that is wrong)`
			if row.Err == nil || row.Err.Error() != want {
				t.Errorf("row 299 Err = %v, want %q", row.Err, want)
			}
			if name != "罗\uFFFD丽娟" {
				t.Errorf("row 299 name = %q, want the bad byte as U+FFFD", name)
			}
			continue
		}
		// Every good name is three Han characters, never mojibake.
		if row.Err != nil || utf8.RuneCountInString(name) != 3 || strings.ContainsRune(name, utf8.RuneError) {
			t.Errorf("row %d = %q, Err %v: want an intact name", row.Num, name, row.Err)
		}
	}
	if rows[0].Values[0] != "王子涵" || rows[297].Values[0] != "马建国" {
		t.Errorf("rows 1 and 298 = %q, %q", rows[0].Values[0], rows[297].Values[0])
	}
}

// TestEncoding: the accessor the run prints and records as input_encoding.
func TestEncoding(t *testing.T) {
	dir := t.TempDir()
	gbk := filepath.Join(dir, "gbk.csv")
	writeGBK(t, gbk, "姓名,身份证号\r\n张三,110101199003074513\r\n")
	xlsx := filepath.Join(dir, "book.xlsx")
	writeXLSX(t, xlsx, []sheet{{name: "Sheet1", rows: [][]any{{"name"}, {"Alice"}}}})
	tests := []struct {
		path string
		opts Options
		want string
	}{
		{"testdata/utf8.csv", Options{}, "utf-8"},
		{"testdata/utf8_bom.csv", Options{}, "utf-8-bom"},
		{"testdata/utf8_bom.csv", Options{Encoding: "utf-8"}, "utf-8-bom"},
		{gbk, Options{}, "gb18030"},
		{gbk, Options{Encoding: "utf-8"}, "utf-8"}, // input.encoding overrides
		{"testdata/utf8_late_bad_byte.csv", Options{Encoding: "gbk"}, "gb18030"},
		{xlsx, Options{}, "xlsx"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path)+"/"+tt.opts.Encoding, func(t *testing.T) {
			r, err := Open(tt.path, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if got := r.Encoding(); got != tt.want {
				t.Errorf("Encoding() = %q, want %q", got, tt.want)
			}
		})
	}
}
