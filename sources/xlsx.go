package sources

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The XLSX reader streams the worksheet XML itself (archive/zip and
// encoding/xml) rather than through excelize, for three reasons: it must
// know which cells are numbers (an ID typed without a leading quote is a
// number, see Row.Numeric), excelize keeps no bound on the shared strings (a
// workbook of 800 KB holding 20 M tiny strings took 2.1 GB), and a decoding
// error must stop the file rather than end it early.

// xmlPartLimit bounds the small XML parts read whole (workbook, relations).
const xmlPartLimit = 16 << 20

type xlsxReader struct {
	path     string
	sheet    string
	zr       *zip.ReadCloser
	part     io.ReadCloser // the worksheet XML stream
	guard    *recordGuard  // bounds the XML one row may pull
	dec      *xml.Decoder
	sst      *sharedStrings
	check    rowChecker
	warnings []string
	num      int // data rows returned
	rowNum   int // Excel row number of the row last read
	dimLast  int // last row the sheet declares (<dimension>), 0 unknown
	done     bool

	// per-row buffers, reused
	cells   []string
	numeric []bool
	over    []overCell // cells over the size limit, in column order
	text    []byte
}

func openXLSX(path string, opts Options) (_ Reader, err error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable XLSX workbook: %w", path, err)
	}
	r := &xlsxReader{path: path, zr: zr}
	defer func() {
		if err != nil {
			_ = r.Close()
		}
	}()
	wb, err := readWorkbook(zr)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable XLSX workbook: %w", path, err)
	}
	names := make([]string, len(wb.sheets))
	for i, s := range wb.sheets {
		names[i] = s.name
	}
	if r.sheet, err = pickSheet(names, opts.Sheet); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var sheetPart string
	for _, s := range wb.sheets {
		if s.name == r.sheet {
			sheetPart = s.part
		}
	}
	// Shared strings are loaded, and their limits checked, before the first
	// row: an input limit is an error before any call.
	if wb.sst != "" {
		if f := findPart(zr, wb.sst); f != nil {
			r.sst, err = loadSharedStrings(f, limitsOf(opts))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		}
	}
	sf := findPart(zr, sheetPart)
	if sf == nil {
		return nil, fmt.Errorf("%s: not a readable XLSX workbook: sheet %q: part %s is missing", path, r.sheet, sheetPart)
	}
	if r.part, err = sf.Open(); err != nil {
		return nil, fmt.Errorf("%s sheet %q: %w", path, r.sheet, err)
	}
	r.guard = &recordGuard{r: r.part, limit: rowXMLLimit(opts.MaxCellBytes)}
	r.dec = xml.NewDecoder(r.guard)
	r.check = rowChecker{file: path, sheet: r.sheet, maxCell: opts.MaxCellBytes}

	rawHeader, err := r.readHeader()
	if err != nil {
		return nil, err
	}
	header, warns := normalizeHeader(rawHeader)
	r.warnings = append(r.warnings, warns...)
	r.check.header = header
	return r, nil
}

// rowXMLLimit bounds the worksheet XML one row may pull, like the CSV
// record limit: a runaway row is a clear error instead of an OOM.
func rowXMLLimit(maxCell int) int64 {
	return max(recordLimit, 4*int64(maxCell))
}

type overCell struct{ col, size int }

type workbookSheet struct{ name, part string }

type workbook struct {
	sheets []workbookSheet
	sst    string // shared strings part, "" when none
}

// readWorkbook finds the sheets (in workbook order) and their parts, and
// the shared strings part, through the package relationships.
func readWorkbook(zr *zip.ReadCloser) (*workbook, error) {
	wbPart := "xl/workbook.xml"
	if rels, err := readRels(zr, "_rels/.rels"); err == nil {
		for _, rel := range rels {
			if strings.HasSuffix(rel.typ, "/officeDocument") {
				wbPart = resolvePart("", rel.target)
			}
		}
	}
	f := findPart(zr, wbPart)
	if f == nil {
		return nil, fmt.Errorf("no workbook part (%s)", wbPart)
	}
	var doc struct {
		Sheets []struct {
			Name string     `xml:"name,attr"`
			Attr []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := decodePart(f, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", wbPart, err)
	}
	dir := path.Dir(wbPart)
	relsPart := path.Join(dir, "_rels", path.Base(wbPart)+".rels")
	rels, err := readRels(zr, relsPart)
	if err != nil {
		return nil, err
	}
	byID := map[string]rel{}
	wb := &workbook{}
	for _, r := range rels {
		byID[r.id] = r
		if strings.HasSuffix(r.typ, "/sharedStrings") {
			wb.sst = resolvePart(dir, r.target)
		}
	}
	for _, s := range doc.Sheets {
		id := ""
		for _, a := range s.Attr {
			if a.Name.Local == "id" {
				id = a.Value
			}
		}
		r, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("sheet %q: relationship %q not found in %s", s.Name, id, relsPart)
		}
		if !strings.HasSuffix(r.typ, "/worksheet") {
			continue // chart sheets, dialog sheets: no cells
		}
		wb.sheets = append(wb.sheets, workbookSheet{name: s.Name, part: resolvePart(dir, r.target)})
	}
	return wb, nil
}

type rel struct{ id, typ, target string }

func readRels(zr *zip.ReadCloser, name string) ([]rel, error) {
	f := findPart(zr, name)
	if f == nil {
		return nil, fmt.Errorf("no relationships part (%s)", name)
	}
	var doc struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := decodePart(f, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := make([]rel, len(doc.Rels))
	for i, r := range doc.Rels {
		out[i] = rel{r.ID, r.Type, r.Target}
	}
	return out, nil
}

func decodePart(f *zip.File, v any) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return xml.NewDecoder(io.LimitReader(rc, xmlPartLimit)).Decode(v)
}

// resolvePart resolves a relationship target: absolute ("/xl/…") from the
// package root, relative from the source part's directory.
func resolvePart(dir, target string) string {
	target = strings.ReplaceAll(target, "\\", "/")
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(path.Clean(target), "/")
	}
	return strings.TrimPrefix(path.Join(dir, target), "/")
}

// findPart finds a part by name, case-insensitively and with either slash,
// as Excel does.
func findPart(zr *zip.ReadCloser, name string) *zip.File {
	for _, f := range zr.File {
		if strings.EqualFold(strings.ReplaceAll(f.Name, "\\", "/"), name) {
			return f
		}
	}
	return nil
}

// sharedStrings holds the workbook's shared strings packed in one buffer:
// 4 bytes per string plus its text, instead of a Go string and an XML
// struct per string.
type sharedStrings struct {
	text []byte
	end  []uint32 // end offset of string i in text
}

func (s *sharedStrings) get(i int) (string, bool) {
	if i < 0 || i >= len(s.end) {
		return "", false
	}
	start := uint32(0)
	if i > 0 {
		start = s.end[i-1]
	}
	return string(s.text[start:s.end[i]]), true
}

type sstLimits struct{ count, bytes int64 }

func limitsOf(opts Options) sstLimits {
	l := sstLimits{count: int64(opts.MaxSharedStrings), bytes: opts.MaxSharedStringBytes}
	if l.count <= 0 {
		l.count = MaxSharedStrings
	}
	if l.bytes <= 0 {
		l.bytes = MaxSharedStringBytes
	}
	return l
}

// loadSharedStrings reads the shared strings part, refusing it as soon as
// it declares or holds more strings or text than the limits.
func loadSharedStrings(f *zip.File, lim sstLimits) (*sharedStrings, error) {
	tooMany := func(n int64) error {
		return limitError("", fmt.Sprintf("the workbook has %d shared strings or more, more than the %d-string limit", n, lim.count))
	}
	tooBig := func() error {
		return limitError("", fmt.Sprintf("the workbook's shared strings hold more than %d MiB of text, over the limit", lim.bytes>>20))
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("shared strings: %w", err)
	}
	defer rc.Close()
	// One string's XML may not exceed the text limit (plus markup); the
	// guard is reset at every string.
	guard := &recordGuard{r: rc, limit: lim.bytes + 1<<20}
	dec := xml.NewDecoder(guard)
	s := &sharedStrings{}
	var (
		inSI, inT bool
		skip      int // depth inside <rPh>/<phoneticPr>: phonetic hints are not cell text
		cur       []byte
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, errRecordTooLarge) {
				return nil, tooBig()
			}
			return nil, fmt.Errorf("shared strings after string %d: %w: corrupt XLSX", len(s.end), err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "sst":
				for _, a := range t.Attr {
					if a.Name.Local == "uniqueCount" {
						if n, err := strconv.ParseInt(a.Value, 10, 64); err == nil && n > lim.count {
							return nil, tooMany(n)
						}
					}
				}
			case "si":
				inSI, cur = true, cur[:0]
				guard.n = 0
			case "rPh", "phoneticPr":
				skip++
			case "t":
				inT = inSI && skip == 0
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				inSI = false
				if int64(len(s.end)) >= lim.count {
					return nil, tooMany(int64(len(s.end)) + 1)
				}
				if int64(len(s.text)+len(cur)) > lim.bytes {
					return nil, tooBig()
				}
				s.text = append(s.text, unescapeOOXML(cur)...)
				s.end = append(s.end, uint32(len(s.text)))
			case "rPh", "phoneticPr":
				skip--
			case "t":
				inT = false
			}
		case xml.CharData:
			if inT {
				cur = append(cur, t...)
			}
		}
	}
	return s, nil
}

// unescapeOOXML decodes the _xHHHH_ escapes OOXML uses for control
// characters (and _x005F_ for a literal underscore), as Excel does.
func unescapeOOXML(b []byte) []byte {
	if !bytes.Contains(b, []byte("_x")) {
		return b
	}
	var out []byte
	for i := 0; i < len(b); {
		if i+7 <= len(b) && b[i] == '_' && b[i+1] == 'x' && b[i+6] == '_' {
			if v, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 16); err == nil {
				out = utf8.AppendRune(out, rune(v))
				i += 7
				continue
			}
		}
		out = append(out, b[i])
		i++
	}
	return out
}

// pickSheet resolves a sheet name (exact, then case-insensitive as Excel
// itself compares names) or a 1-based position. A name wins over a position
// so that a sheet literally named "2" stays reachable.
func pickSheet(list []string, want string) (string, error) {
	if len(list) == 0 {
		return "", errors.New("workbook has no sheets")
	}
	if want == "" {
		return list[0], nil
	}
	for _, s := range list {
		if s == want {
			return s, nil
		}
	}
	for _, s := range list {
		if strings.EqualFold(s, want) {
			return s, nil
		}
	}
	if n, err := strconv.Atoi(strings.TrimSpace(want)); err == nil && n >= 1 && n <= len(list) {
		return list[n-1], nil
	}
	quoted := make([]string, len(list))
	for i, s := range list {
		quoted[i] = strconv.Quote(s)
	}
	return "", fmt.Errorf("sheet %q not found; available sheets: %s (or a position 1-%d)", want, strings.Join(quoted, ", "), len(list))
}

// nextCells reads the next <row> element. cells holds its values by column
// (trailing empty cells omitted), r.numeric which of them are numbers and
// r.over the cells over the size limit (their value is ""). ok is false at
// the end of the sheet.
func (r *xlsxReader) nextCells() (cells []string, ok bool, err error) {
	r.guard.n = 0
	for {
		tok, err := r.dec.Token()
		if err == io.EOF {
			return nil, false, r.endOfSheet()
		}
		if err != nil {
			return nil, false, r.xmlError(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "dimension":
				for _, a := range t.Attr {
					if a.Name.Local == "ref" {
						r.dimLast = dimensionLastRow(a.Value)
					}
				}
			case "row":
				n := r.rowNum + 1
				for _, a := range t.Attr {
					if a.Name.Local == "r" {
						v, err := strconv.Atoi(a.Value)
						if err != nil || v <= r.rowNum {
							return nil, false, fmt.Errorf("%s sheet %q after row %d: row number %q out of order: corrupt XLSX", r.path, r.sheet, r.rowNum, a.Value)
						}
						n = v
					}
				}
				r.rowNum = n
				if err := r.readRow(); err != nil {
					return nil, false, err
				}
				return r.cells, true, nil
			}
		case xml.EndElement:
			if t.Name.Local == "sheetData" {
				return nil, false, r.endOfSheet()
			}
		}
	}
}

func (r *xlsxReader) xmlError(err error) error {
	if errors.Is(err, errRecordTooLarge) {
		return fmt.Errorf("%s sheet %q: row %d is larger than %d MiB of XML: corrupt XLSX?", r.path, r.sheet, r.rowNum+1, r.guard.limit>>20)
	}
	return fmt.Errorf("%s sheet %q: worksheet data ends at row %d with an XML error (%v): corrupt or truncated XLSX", r.path, r.sheet, r.rowNum, err)
}

// readRow reads the cells of the current <row> up to its end tag.
func (r *xlsxReader) readRow() error {
	r.cells = r.cells[:0]
	r.numeric = r.numeric[:0]
	r.over = r.over[:0]
	col := 0 // 1-based column of the current cell
	var (
		typ     string
		inCell  bool
		inValue bool // inside <v> or <is>…<t>
		skip    int  // inside <rPh> of an inline string
		size    int  // real size of the current value
		hasV    bool
	)
	for {
		tok, err := r.dec.Token()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return r.xmlError(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "c":
				inCell, typ, hasV, size = true, "", false, 0
				r.text = r.text[:0]
				next := col + 1
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "r":
						// Cells out of order are placed by their reference,
						// as Excel would after its repair.
						c, err := columnOf(a.Value)
						if err != nil {
							return fmt.Errorf("%s sheet %q row %d: cell reference %q is invalid (beyond column XFD?): corrupt XLSX", r.path, r.sheet, r.rowNum, a.Value)
						}
						next = c
					case "t":
						typ = a.Value
					}
				}
				if next > MaxColumns {
					return fmt.Errorf("%s sheet %q row %d: a cell beyond column %d (XFD), the last column of an Excel sheet: corrupt XLSX", r.path, r.sheet, r.rowNum, MaxColumns)
				}
				col = next
			case "v", "t":
				if inCell && skip == 0 {
					inValue, hasV = true, true
				}
			case "rPh":
				skip++
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v", "t":
				inValue = false
			case "rPh":
				skip--
			case "c":
				inCell = false
				if err := r.endCell(col, typ, hasV, size); err != nil {
					return err
				}
			case "row":
				return nil
			}
		case xml.CharData:
			if inValue {
				size += len(t)
				if len(r.text) <= r.check.maxCell {
					r.text = append(r.text, t...)
				}
			}
		}
	}
}

// endCell stores the value of the cell just read at column col.
func (r *xlsxReader) endCell(col int, typ string, hasV bool, size int) error {
	if !hasV {
		return nil
	}
	var v string
	numeric := false
	switch typ {
	case "s":
		if len(r.text) == 0 {
			return nil // <v/>: an empty cell, as excelize reads it
		}
		idx, err := strconv.Atoi(strings.TrimSpace(string(r.text)))
		var ok bool
		if err == nil && r.sst != nil {
			v, ok = r.sst.get(idx)
		}
		if !ok {
			return fmt.Errorf("%s sheet %q row %d column %d: shared string %q does not exist: corrupt XLSX", r.path, r.sheet, r.rowNum, col, r.text)
		}
		size = len(v)
	case "inlineStr", "str":
		v = string(unescapeOOXML(r.text))
	case "", "n":
		v = string(r.text)
		numeric = v != ""
	default: // b, e, d: as stored
		v = string(r.text)
	}
	if v == "" && size <= r.check.maxCell {
		return nil
	}
	for len(r.cells) < col {
		r.cells = append(r.cells, "")
		r.numeric = append(r.numeric, false)
	}
	if size > r.check.maxCell {
		v = ""
		r.over = append(r.over, overCell{col - 1, size})
	}
	r.cells[col-1] = v
	r.numeric[col-1] = numeric
	return nil
}

// columnOf returns the 1-based column of a cell reference such as "AB12".
func columnOf(ref string) (int, error) {
	col := 0
	i := 0
	for ; i < len(ref); i++ {
		c := ref[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c < 'A' || c > 'Z' {
			break
		}
		col = col*26 + int(c-'A'+1)
		if col > MaxColumns {
			return 0, errors.New("column out of range")
		}
	}
	if i == 0 {
		return 0, errors.New("no column")
	}
	return col, nil
}

// endOfSheet checks that the end of the data is the real end of the sheet:
// a sheet that declares more rows than it holds was cut by a buggy writer.
func (r *xlsxReader) endOfSheet() error {
	if r.dimLast > r.rowNum {
		return fmt.Errorf("%s sheet %q: worksheet data ends at row %d but the sheet declares rows up to %d: corrupt or truncated XLSX", r.path, r.sheet, r.rowNum, r.dimLast)
	}
	return nil
}

// dimensionLastRow extracts the last row of a dimension reference such as
// "A1:D120" (120) or "B7" (7); 0 when absent or unparsable, and for "A1",
// which Excel and excelize write for empty sheets (and excelize even for
// filled ones), so it proves nothing.
func dimensionLastRow(ref string) int {
	if strings.EqualFold(ref, "A1") {
		return 0
	}
	if i := strings.LastIndexByte(ref, ':'); i >= 0 {
		ref = ref[i+1:]
	}
	ref = strings.ReplaceAll(ref, "$", "")
	i := strings.IndexAny(ref, "0123456789")
	if i <= 0 {
		return 0
	}
	if _, err := columnOf(ref[:i]); err != nil {
		return 0
	}
	row, err := strconv.Atoi(ref[i:])
	if err != nil || row <= 0 {
		return 0
	}
	return row
}

// readHeader returns the first non-blank row, without its trailing blank
// cells (styled but empty cells would otherwise become "column_N" headers).
func (r *xlsxReader) readHeader() ([]string, error) {
	for {
		cells, ok, err := r.nextCells()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%s sheet %q: %w (the sheet is empty)", r.path, r.sheet, ErrNoHeader)
		}
		if blank(cells) {
			continue
		}
		return append([]string(nil), cells[:filledLen(cells)]...), nil
	}
}

// filledLen is the number of cells up to the last non-blank one.
func filledLen(cells []string) int {
	n := len(cells)
	for n > 0 && strings.TrimSpace(cells[n-1]) == "" {
		n--
	}
	return n
}

func (r *xlsxReader) Header() []string   { return r.check.header }
func (r *xlsxReader) Warnings() []string { return r.warnings }
func (r *xlsxReader) Format() string     { return fmt.Sprintf("XLSX sheet %q", r.sheet) }
func (r *xlsxReader) Encoding() string   { return "xlsx" }

func (r *xlsxReader) Next() (Row, error) {
	if r.done {
		return Row{}, io.EOF
	}
	for {
		cells, ok, err := r.nextCells()
		if err != nil || !ok {
			r.done = true
			if err == nil {
				err = io.EOF
			}
			return Row{}, err
		}
		if blank(cells) && len(r.over) == 0 {
			continue
		}
		r.num++
		// Spreadsheets omit trailing empty cells, so a short row is normal;
		// only data beyond the last header column is a ragged row.
		fields := len(r.check.header)
		if n := filledLen(cells); n > fields {
			fields = n
		}
		values, errs := r.check.build(r.rowNum, cells, fields)
		for _, o := range r.over {
			errs = append(errs, r.check.errAt(r.rowNum, o.col, fmt.Sprintf("cell is %d bytes, larger than the %d-byte limit: value dropped", o.size, r.check.maxCell), nil))
		}
		row := Row{Num: r.num, Line: r.rowNum, Values: values, Err: joinRowErrors(errs)}
		row.Numeric = numericFlags(r.numeric, len(values))
		return row, nil
	}
}

// numericFlags returns a copy of flags cut to n columns, or nil when no
// cell is numeric: most rows of a well-made sheet carry nothing.
func numericFlags(flags []bool, n int) []bool {
	any := false
	for i, f := range flags {
		if f && i < n {
			any = true
			break
		}
	}
	if !any {
		return nil
	}
	out := make([]bool, n)
	copy(out, flags)
	return out
}

func (r *xlsxReader) Close() error {
	r.done = true
	var errs []error
	if r.part != nil {
		if err := r.part.Close(); err != nil {
			errs = append(errs, err)
		}
		r.part = nil
	}
	if r.zr != nil {
		if err := r.zr.Close(); err != nil {
			errs = append(errs, err)
		}
		r.zr = nil
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: close: %w", r.path, err)
	}
	return nil
}
