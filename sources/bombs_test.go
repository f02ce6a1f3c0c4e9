package sources

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Generators of hostile inputs ("bombs"), used by the limit tests at small
// sizes and, through TestWriteBombs, to write the full-size files measured
// in BENCHMARKS.md (never committed: they are large or cheap to rebuild).

// writeWorkbook writes a one-sheet XLSX by hand: sheet writes the
// <sheetData> content, sst (optional) the whole sharedStrings.xml.
func writeWorkbook(t testing.TB, path string, sheet, sst func(w io.Writer)) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	part := func(name, body string, gen func(w io.Writer)) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		bw := bufio.NewWriterSize(w, 1<<16)
		io.WriteString(bw, body)
		if gen != nil {
			gen(bw)
		}
		if err := bw.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	const relNS = `xmlns="http://schemas.openxmlformats.org/package/2006/relationships"`
	const rt = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
	part("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`+
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>`+
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`+
		`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`+
		`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`, nil)
	part("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships `+relNS+`><Relationship Id="rId1" Type="`+rt+`officeDocument" Target="xl/workbook.xml"/></Relationships>`, nil)
	part("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook `+ns+` xmlns:r="`+rt[:len(rt)-1]+`"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`, nil)
	rels := `<Relationship Id="rId1" Type="` + rt + `worksheet" Target="worksheets/sheet1.xml"/>`
	if sst != nil {
		rels += `<Relationship Id="rId2" Type="` + rt + `sharedStrings" Target="/xl/sharedStrings.xml"/>`
	}
	part("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships `+relNS+`>`+rels+`</Relationships>`, nil)
	part("xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8"?><worksheet `+ns+`><sheetData>`, func(w io.Writer) {
		sheet(w)
		io.WriteString(w, `</sheetData></worksheet>`)
	})
	if sst != nil {
		part("xl/sharedStrings.xml", "", sst)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// sstBomb writes n one-character shared strings; declare puts the real
// count in the uniqueCount attribute (a hostile file may leave it out).
func sstBomb(n int, declare bool) func(w io.Writer) {
	return func(w io.Writer) {
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`)
		if declare {
			fmt.Fprintf(w, ` count="%d" uniqueCount="%d"`, n, n)
		}
		io.WriteString(w, `>`)
		for i := 0; i < n; i++ {
			io.WriteString(w, `<si><t>a</t></si>`)
		}
		io.WriteString(w, `</sst>`)
	}
}

// sheetRefsToSST writes a header row and one data row using the first
// shared strings.
func sheetRefsToSST(w io.Writer) {
	io.WriteString(w, `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>`)
	io.WriteString(w, `<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>42</v></c></row>`)
}

// wideSheet writes rows×cols inline-string cells: the header c1…cN, then
// short values.
func wideSheet(rows, cols int) func(w io.Writer) {
	return func(w io.Writer) {
		for r := 1; r <= rows; r++ {
			fmt.Fprintf(w, `<row r="%d">`, r)
			for c := 1; c <= cols; c++ {
				v := "c" + strconv.Itoa(c)
				if r > 1 {
					v = strconv.Itoa(r*c%97) + "x"
				}
				fmt.Fprintf(w, `<c t="inlineStr"><is><t>%s</t></is></c>`, v)
			}
			io.WriteString(w, `</row>`)
		}
	}
}

// wideApplicants is wideSheet with applicant columns first (姓名, 身份证号,
// 手机号, then c4…cN), so that a job binds to it and reads every row.
func wideApplicants(rows, cols int) func(w io.Writer) {
	return func(w io.Writer) {
		for r := 1; r <= rows; r++ {
			fmt.Fprintf(w, `<row r="%d">`, r)
			for c := 1; c <= cols; c++ {
				var v string
				switch {
				case r == 1 && c <= 3:
					v = []string{"姓名", "身份证号", "手机号"}[c-1]
				case r == 1:
					v = "c" + strconv.Itoa(c)
				case c == 1:
					v = "张三"
				case c == 2:
					v = "110101199003074514"
				case c == 3:
					v = fmt.Sprintf("138%08d", r)
				default:
					v = strconv.Itoa(r*c%97) + "x"
				}
				fmt.Fprintf(w, `<c t="inlineStr"><is><t>%s</t></is></c>`, v)
			}
			io.WriteString(w, `</row>`)
		}
	}
}

// writeWideHeaderCSV writes a CSV whose only line is a header of n fields
// of one letter ("a,a,a…", 2n bytes), then one data row.
func writeWideHeaderCSV(t testing.TB, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	for i := 0; i < n; i++ {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteByte('a')
	}
	bw.WriteString("\nx\n")
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// writeWideRowCSV writes an applicant header and one row of n one-letter
// fields (2n bytes: under the record limit when n is 4 M).
func writeWideRowCSV(t testing.TB, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	bw.WriteString("姓名,身份证号,手机号\n")
	for i := 0; i < n; i++ {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteByte('a')
	}
	bw.WriteString("\n张三,110101199003074514,13800138000\n")
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestWriteBombs writes the full-size bombs of BENCHMARKS.md into
// $RISKBATCH_BOMB_DIR (skipped when unset):
//
//	header-25m.csv        a 50 MB one-line header of 25 M fields
//	row-4m.csv            a valid header, then one 8 MB row of 4 M fields
//	sst-20m.xlsx          20 M one-character shared strings (~800 KB zipped)
//	sst-20m-nocount.xlsx  the same without the count attributes
//	wide-100x10000.xlsx   100 rows × 10,000 columns (姓名, 身份证号, 手机号, c4…)
func TestWriteBombs(t *testing.T) {
	dir := os.Getenv("RISKBATCH_BOMB_DIR")
	if dir == "" {
		t.Skip("RISKBATCH_BOMB_DIR not set")
	}
	writeWideHeaderCSV(t, filepath.Join(dir, "header-25m.csv"), 25_000_000)
	writeWideRowCSV(t, filepath.Join(dir, "row-4m.csv"), 4_000_000)
	writeWorkbook(t, filepath.Join(dir, "sst-20m.xlsx"), sheetRefsToSST, sstBomb(20_000_000, true))
	writeWorkbook(t, filepath.Join(dir, "sst-20m-nocount.xlsx"), sheetRefsToSST, sstBomb(20_000_000, false))
	writeWorkbook(t, filepath.Join(dir, "wide-100x10000.xlsx"), wideApplicants(100, 10_000), nil)
}
