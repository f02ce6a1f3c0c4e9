package sources

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

var (
	hdr    = []string{"name", "id_number", "mobile"}
	alice  = []string{"Alice", "110101199003074513", "13800138000"}
	bob    = []string{"Bob", "110101199003071234", "13900139000"}
	hdrZH  = []string{"姓名", "身份证号", "手机号"}
	rowZH1 = []string{"张三", "110101199003074513", "13800138000"}
	rowZH2 = []string{"李四", "110101199003071234", "13900139000"}
)

// writeGBK encodes text as GBK bytes, the way Excel on Chinese Windows saves
// "CSV (comma delimited)"; generated rather than committed so the fixture is
// readable in the test source.
func writeGBK(t testing.TB, path, text string, extra ...[]byte) {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range extra {
		b = append(b, e...)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCSV(t *testing.T) {
	dir := t.TempDir()
	gbk := filepath.Join(dir, "gbk.csv")
	writeGBK(t, gbk, "姓名,身份证号,手机号\r\n张三,110101199003074513,13800138000\r\n李四,110101199003071234,13900139000\r\n")
	gbkTab := filepath.Join(dir, "gbk_tab.txt")
	writeGBK(t, gbkTab, "姓名\t身份证号\t手机号\r\n张三\t110101199003074513\t13800138000\r\n")
	// A byte that is invalid in GB18030 decodes to U+FFFD.
	gbkBad := filepath.Join(dir, "gbk_bad.csv")
	writeGBK(t, gbkBad, "姓名,身份证号,手机号\r\n张三,110101199003074513,", []byte{0xFF, '\r', '\n'})

	// Excel's "Unicode text" export: UTF-16LE with BOM, tab separated.
	utf16Path := filepath.Join(dir, "unicode.txt")
	u16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte("姓名\t身份证号\t手机号\r\n张三\t110101199003074513\t13800138000\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(utf16Path, u16, 0o600); err != nil {
		t.Fatal(err)
	}

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
			name: "utf-16 with BOM", path: utf16Path,
			format: `CSV (UTF-16, delimiter '\t')`, header: hdrZH,
			rows:     []wantRow{{1, 2, rowZH1, nil}},
			warnings: []string{"encoding detected: UTF-16"},
		},
		{
			name: "utf-8", path: "testdata/utf8.csv",
			format: "CSV (UTF-8, delimiter ',')", header: hdr,
			rows: []wantRow{{1, 2, alice, nil}, {2, 3, bob, nil}},
		},
		{
			name: "utf-8 with BOM", path: "testdata/utf8_bom.csv",
			format: "CSV (UTF-8 with BOM, delimiter ',')", header: hdr,
			rows: []wantRow{{1, 2, alice, nil}},
		},
		{
			name: "explicit utf-8 strips BOM too", path: "testdata/utf8_bom.csv", opts: Options{Encoding: "UTF-8"},
			format: "CSV (UTF-8 with BOM, delimiter ',')", header: hdr,
			rows: []wantRow{{1, 2, alice, nil}},
		},
		{
			name: "semicolon", path: "testdata/semicolon.csv",
			format: "CSV (UTF-8, delimiter ';')", header: hdr,
			rows: []wantRow{{1, 2, alice, nil}},
		},
		{
			name: "tab", path: "testdata/tab.tsv",
			format: `CSV (UTF-8, delimiter '\t')`, header: hdr,
			rows: []wantRow{{1, 2, alice, nil}},
		},
		{
			name: "pipe", path: "testdata/pipe.txt",
			format: "CSV (UTF-8, delimiter '|')", header: hdr,
			rows: []wantRow{{1, 2, alice, nil}},
		},
		{
			name: "forced delimiter", path: "testdata/semicolon.csv", opts: Options{Delimiter: ','},
			format: "CSV (UTF-8, delimiter ',')", header: []string{"name;id_number;mobile"},
			rows: []wantRow{{1, 2, []string{"Alice;110101199003074513;13800138000"}, nil}},
		},
		{
			name: "gbk detected", path: gbk,
			format: "CSV (GB18030, delimiter ',')", header: hdrZH,
			rows:     []wantRow{{1, 2, rowZH1, nil}, {2, 3, rowZH2, nil}},
			warnings: []string{"encoding detected: GB18030"},
		},
		{
			name: "gbk explicit alias", path: gbk, opts: Options{Encoding: "gbk"},
			format: "CSV (GB18030, delimiter ',')", header: hdrZH,
			rows: []wantRow{{1, 2, rowZH1, nil}, {2, 3, rowZH2, nil}},
		},
		{
			name: "gbk tab", path: gbkTab,
			format: `CSV (GB18030, delimiter '\t')`, header: hdrZH,
			rows:     []wantRow{{1, 2, rowZH1, nil}},
			warnings: []string{"encoding detected: GB18030"},
		},
		{
			name: "gbk read as utf-8 reports the column", path: gbk, opts: Options{Encoding: "utf-8"},
			format: "CSV (UTF-8, delimiter ',')",
			header: []string{mangled(t, "姓名"), mangled(t, "身份证号"), mangled(t, "手机号")},
			rows: []wantRow{
				{1, 2, []string{mangled(t, "张三"), "110101199003074513", "13800138000"}, []string{gbk + ` line 2 column "` + mangled(t, "姓名") + `": contains invalid characters (U+FFFD): byte 0xD5 at byte 1 of the cell is not valid UTF-8 (the file is read as UTF-8; set input.encoding if that is wrong)`}},
				{2, 3, []string{mangled(t, "李四"), "110101199003071234", "13900139000"}, []string{"line 3", "invalid characters"}},
			},
			warnings: []string{"header of column 1", "header of column 2", "header of column 3"},
		},
		{
			name: "gbk invalid byte", path: gbkBad,
			format: "CSV (GB18030, delimiter ',')", header: hdrZH,
			rows:     []wantRow{{1, 2, []string{"张三", "110101199003074513", "\uFFFD"}, []string{gbkBad + ` line 2 column "手机号": contains invalid characters (U+FFFD): bytes that are not valid GB18030 (the file is read as GB18030; set input.encoding if that is wrong)`}}},
			warnings: []string{"encoding detected: GB18030"},
		},
		{
			// One stray byte in ASCII text: GB18030 cannot read it either,
			// so the file stays UTF-8 and only that row is unreadable.
			name: "invalid utf-8, auto", path: "testdata/invalid_utf8.csv",
			format: "CSV (UTF-8, delimiter ',')", header: hdr,
			rows: []wantRow{
				{1, 2, []string{"Al\uFFFDice", "110101199003074513", "13800138000"}, []string{`testdata/invalid_utf8.csv line 2 column "name": contains invalid characters (U+FFFD)`}},
				{2, 3, bob, nil},
			},
		},
		{
			name: "quoted newline keeps the start line", path: "testdata/quoted_newline.csv",
			format: "CSV (UTF-8, delimiter ',')", header: []string{"name", "address", "mobile"},
			rows: []wantRow{
				{1, 2, []string{"Alice", "Room 1\nBuilding 2, Street 3", "13800138000"}, nil},
				{2, 4, []string{"Bob", "x", "13900139000"}, nil},
			},
		},
		{
			name: "ragged rows", path: "testdata/ragged.csv",
			format: "CSV (UTF-8, delimiter ',')", header: hdr,
			rows: []wantRow{
				{1, 2, []string{"Alice", "110101199003074513", ""}, []string{"testdata/ragged.csv line 2: row has 2 fields, header has 3"}},
				{2, 3, bob, []string{"testdata/ragged.csv line 3: row has 4 fields, header has 3"}},
				{3, 4, []string{"Carol", "110101199003070000", "13700137000"}, nil},
			},
		},
		{
			name: "invalid utf-8", path: "testdata/invalid_utf8.csv", opts: Options{Encoding: "utf-8"},
			format: "CSV (UTF-8, delimiter ',')", header: hdr,
			rows: []wantRow{
				{1, 2, []string{"Al\uFFFDice", "110101199003074513", "13800138000"}, []string{`testdata/invalid_utf8.csv line 2 column "name": contains invalid characters (U+FFFD): byte 0xFF at byte 3 of the cell is not valid UTF-8 (the file is read as UTF-8; set input.encoding if that is wrong)`}},
				{2, 3, bob, nil},
			},
		},
		{
			name: "bare quote is a row error and reading goes on", path: "testdata/bare_quote.csv",
			format: "CSV (UTF-8, delimiter ',')", header: hdr,
			rows: []wantRow{
				{1, 2, []string{"", "", ""}, []string{`testdata/bare_quote.csv line 2 column "name": bare quote (") in an unquoted field at line 2`}},
				{2, 3, bob, nil},
			},
		},
		{
			name: "blank rows are skipped, lines kept", path: "testdata/blank_rows.csv",
			format: "CSV (UTF-8, delimiter ',')", header: hdr,
			rows: []wantRow{{1, 2, alice, nil}, {2, 5, bob, nil}},
		},
		{
			name: "header only", path: "testdata/header_only.csv",
			format: "CSV (UTF-8, delimiter ',')", header: hdr,
		},
		{
			name: "duplicate and blank headers", path: "testdata/dup_headers.csv",
			format: "CSV (UTF-8, delimiter ',')",
			header: []string{"name", "column_2", "mobile", "name (2)", "name (3)", "column_6"},
			rows:   []wantRow{{1, 2, []string{"Alice", "110101199003074513", "13800138000", "A2", "A3", "x"}, nil}},
			warnings: []string{
				"column 2 has a blank header", `duplicate header "name" in column 4 renamed to "name (2)"`,
				`duplicate header "name" in column 5 renamed to "name (3)"`, "column 6 has a blank header",
			},
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
		})
	}
}

func TestCSVBareQuoteErrorIs(t *testing.T) {
	r, err := Open("testdata/bare_quote.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	row, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	var ce *CellError
	if !errors.Is(row.Err, csv.ErrBareQuote) || !errors.As(row.Err, &ce) || ce.Line != 2 || ce.Column != "name" {
		t.Errorf("Err = %#v, want a *CellError wrapping csv.ErrBareQuote at line 2 column name", row.Err)
	}
}

func TestCSVBareQuoteInHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.csv")
	if err := os.WriteFile(path, []byte("na\"me,id\n1,2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path, Options{})
	if err == nil || !strings.Contains(err.Error(), path+" line 1: cannot parse the header") || !errors.Is(err, csv.ErrBareQuote) {
		t.Fatalf("Open = %v, want header parse error naming line 1", err)
	}
}

// mangled is what GBK text looks like when read as UTF-8 (invalid
// sequences repaired to U+FFFD).
func mangled(t testing.TB, s string) string {
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// TestCSVHugeCell: a 5 MB cell is dropped with a row error; the reader keeps
// going and memory stays bounded by the record size.
func TestCSVHugeCell(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.csv")
	huge := strings.Repeat("x", 5<<20)
	data := "name,id_number,mobile\nAlice," + huge + ",13800138000\nBob,110101199003071234,13900139000\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkRows(t, readAll(t, r), []wantRow{
		{1, 2, []string{"Alice", "", "13800138000"}, []string{path + ` line 2 column "id_number": cell is 5242880 bytes, larger than the 1048576-byte limit`}},
		{2, 3, bob, nil},
	})
}

// TestCSVRunawayRecord: an unterminated quote must end in a clear fatal
// error, not in csv.Reader buffering the whole file. The limit is lowered so
// the test does not need an 8 MiB file.
func TestCSVRunawayRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runaway.csv")
	data := "name,id_number,mobile\nAlice,\"unterminated" + strings.Repeat("\nmore,text,here", 10000) + "\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.(*csvReader).guard.limit = 32 << 10
	_, err = r.Next()
	if err == nil || err == io.EOF || !strings.Contains(err.Error(), path+": the record after line 1 is larger than") || !strings.Contains(err.Error(), "unterminated quoted field") {
		t.Fatalf("Next = %v, want a fatal runaway record error", err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("Next after fatal error = %v, want io.EOF", err)
	}
}

// TestCSVSniffBoundary: a multi-byte character cut by the 64 KiB sniff
// window must not flip a UTF-8 file to GB18030, and a GBK file longer than
// the window must still decode across buffer boundaries.
func TestCSVSniffBoundary(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("name,note\n")
	for b.Len() < sniffSize-1 {
		b.WriteString("a,b\n")
	}
	// Place '张' (3 bytes in UTF-8) across the 64 KiB boundary.
	s := b.String()[:sniffSize-1]
	s = s[:strings.LastIndexByte(s, '\n')+1]
	s += strings.Repeat("x", sniffSize-2-len(s)) + ",张\n" + "bad\xff,x\n"
	if strings.Index(s, "张") != sniffSize-1 {
		t.Fatalf("fixture: 张 at %d, want %d", strings.Index(s, "张"), sniffSize-1)
	}
	utf8Path := filepath.Join(dir, "boundary.csv")
	if err := os.WriteFile(utf8Path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Open(utf8Path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Format(); got != "CSV (UTF-8, delimiter ',')" {
		t.Errorf("Format() = %q, want UTF-8", got)
	}
	rows := readAll(t, r)
	r.Close()
	if row := rows[len(rows)-2]; row.Err != nil || row.Values[1] != "张" {
		t.Errorf("row across the boundary = %+v", row)
	}
	// Invalid UTF-8 after the sniff window is a row error, not a failure.
	last := rows[len(rows)-1]
	if want := fmt.Sprintf(`%s line %d column "name": contains invalid characters (U+FFFD): byte 0xFF at byte 4 of the cell is not valid UTF-8 (the file is read as UTF-8; set input.encoding if that is wrong)`, utf8Path, last.Line); last.Err == nil || last.Err.Error() != want || last.Values[0] != "bad\uFFFD" {
		t.Errorf("last row = %+v, want Err %q", last, want)
	}

	var g strings.Builder
	g.WriteString("姓名,身份证号,手机号\r\n")
	const n = 5000 // ~200 KiB of GBK, several decoder buffers
	for i := 0; i < n; i++ {
		fmt.Fprintf(&g, "张三%d,110101199003074513,13800138000\r\n", i)
	}
	gbkPath := filepath.Join(dir, "big_gbk.csv")
	writeGBK(t, gbkPath, g.String())
	r, err = Open(gbkPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows = readAll(t, r)
	if len(rows) != n {
		t.Fatalf("got %d rows, want %d", len(rows), n)
	}
	for i, row := range rows {
		if want := fmt.Sprintf("张三%d", i); row.Err != nil || row.Values[0] != want || row.Line != i+2 {
			t.Fatalf("row %d = %+v, want name %q line %d", i, row, want, i+2)
		}
	}
}

func TestDetectDelimiter(t *testing.T) {
	tests := []struct {
		sample string
		want   rune
	}{
		{"a,b,c\n1,2,3\n", ','},
		{"a;b;c\n1;2;3\n", ';'},
		{"a\tb\n1\t2\n", '\t'},
		{"a|b\n1|2\n", '|'},
		{"single\n1\n", ','},
		// Commas inside quotes do not count.
		{"\"a,b\";c;d\n\"1,2\";3;4\n", ';'},
		// Consistency beats raw counts: the header has commas in names.
		{"name (last, first);id\n\"Doe, J\";1\n\"Roe, R\";2\n", ';'},
	}
	for _, tt := range tests {
		if got := detectDelimiter([]byte(tt.sample), true); got != tt.want {
			t.Errorf("detectDelimiter(%q) = %q, want %q", tt.sample, got, tt.want)
		}
	}
}

func TestLooksUTF8(t *testing.T) {
	zhang := "张" // e5 bc a0
	tests := []struct {
		p     string
		atEOF bool
		want  bool
	}{
		{"abc", true, true},
		{"ab" + zhang[:2], false, true},
		{"ab" + zhang[:2], true, false},
		{"ab" + zhang[:1], false, true},
		{"ab\xff", false, true},            // a stray byte: GB18030 cannot read it either
		{"\xd5\xc5\xc8\xfd", false, false}, // 张三 in GBK
		{"ab\xe9t", false, false},          // reads as GB18030, not as UTF-8
		// UTF-8 Chinese with one bad byte stays UTF-8 (the sniff window is
		// weighed, not rejected on the first invalid byte).
		{strings.Repeat("刘浩然,", 20) + "\xff" + strings.Repeat("张三,", 20), false, true},
		// GBK text that happens to hold a valid UTF-8 sequence (联通 in GBK
		// is c1aa cda8: c1 aa is invalid UTF-8, but the weighing must not
		// be fooled by a few chance pairs).
		{strings.Repeat("\xd5\xc5\xc8\xfd,", 20) + "\xc1\xaa\xcd\xa8", false, false},
	}
	for _, tt := range tests {
		if got := looksUTF8([]byte(tt.p), tt.atEOF); got != tt.want {
			t.Errorf("looksUTF8(%q, %v) = %v, want %v", tt.p, tt.atEOF, got, tt.want)
		}
	}
}

// BenchmarkCSVRead reads 100k generated rows and reports throughput.
func BenchmarkCSVRead(b *testing.B) {
	const n = 100_000
	path := filepath.Join(b.TempDir(), "bench.csv")
	var sb strings.Builder
	sb.WriteString("name,id_number,mobile,city,amount\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, "Applicant %d,11010119900307%04d,138%08d,\"Beijing, Haidian\",%d.50\n", i, i%10000, i, i%5000)
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(sb.Len()))
	b.ReportAllocs()
	iters := 0
	for b.Loop() {
		iters++
		r, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		rows := 0
		for {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil || row.Err != nil {
				b.Fatal(err, row.Err)
			}
			rows++
		}
		r.Close()
		if rows != n {
			b.Fatalf("read %d rows, want %d", rows, n)
		}
	}
	b.ReportMetric(float64(n)*float64(iters)/b.Elapsed().Seconds(), "rows/s")
}

// TestCountRowsMatchesNext: CountRows counts the rows Next returns and
// fails as Next fails, on the fixtures and on random files of blank lines,
// quotes (stray, unterminated, around newlines), ragged rows, GBK text and
// invalid bytes.
func TestCountRowsMatchesNext(t *testing.T) {
	var paths []string
	fixtures, err := filepath.Glob("testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fixtures {
		if ext := filepath.Ext(f); ext == ".csv" || ext == ".txt" || ext == ".tsv" {
			paths = append(paths, f)
		}
	}
	dir := t.TempDir()
	pieces := []string{"a", "张三", ",", ",", "\n", "\n", "\r\n", "\"", "\"\"", "\"x,\ny\"", " ", "\t", ";", "\xff", "110101199003074513"}
	gbk := simplifiedchinese.GBK.NewEncoder()
	for i := range 300 {
		var b strings.Builder
		b.WriteString("name,id_number,mobile\n")
		seed := uint32(i*2654435761 + 1)
		for range 40 + i%60 {
			seed = seed*1664525 + 1013904223
			b.WriteString(pieces[seed>>16%uint32(len(pieces))])
		}
		text := b.String()
		if i%5 == 0 {
			if enc, err := gbk.String(text); err == nil {
				text = enc
			}
		}
		p := filepath.Join(dir, fmt.Sprintf("r%03d.csv", i))
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	for _, p := range paths {
		want, wantErr := countByNext(t, p)
		src, err := Open(p, Options{})
		if err != nil {
			continue // the header already fails: nothing to count
		}
		got, gotErr := src.(interface{ CountRows() (int64, error) }).CountRows()
		src.Close()
		if got != want || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Errorf("%s: CountRows = %d, %v; Next returned %d rows, then %v", p, got, gotErr, want, wantErr)
		}
	}
}

func countByNext(t *testing.T, path string) (int64, error) {
	t.Helper()
	src, err := Open(path, Options{})
	if err != nil {
		return 0, err
	}
	defer src.Close()
	var n int64
	for {
		if _, err := src.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			return n, err
		}
		n++
	}
}
