package sources

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

const (
	// sniffSize is how much of the file is inspected to guess the encoding
	// and delimiter; it is also the read buffer size.
	sniffSize = 64 << 10
	// sniffRecords is how many records delimiter detection looks at.
	sniffRecords = 20
)

var (
	utf8BOM    = []byte{0xEF, 0xBB, 0xBF}
	utf16LEBOM = []byte{0xFF, 0xFE}
	utf16BEBOM = []byte{0xFE, 0xFF}

	errRecordTooLarge = errors.New("record too large")
	errTooManyFields  = errors.New("too many fields")
)

type csvReader struct {
	path     string
	file     *os.File
	cr       *csv.Reader
	guard    *recordGuard
	check    rowChecker
	warnings []string
	format   string
	enc      string // Encoding()
	recLimit int64  // bytes one data record may pull
	num      int
	lastLine int // start line of the last record read, for fatal error messages
	done     bool
}

func openCSV(path string, opts Options) (_ Reader, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileError(path, "cannot open", err)
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	r := &csvReader{path: path, file: f}

	raw := bufio.NewReaderSize(f, sniffSize)
	prefix, err := peek(raw)
	if err != nil {
		return nil, fileError(path, "cannot read", err)
	}
	dec, label, err := r.pickEncoding(raw, prefix, opts.Encoding)
	if err != nil {
		return nil, err
	}

	text := raw
	if dec != nil {
		// The decoder sits below csv.Reader so that delimiter detection and
		// parsing see characters, not GBK bytes (a GBK trail byte can be
		// 0x7C, i.e. '|').
		text = bufio.NewReaderSize(transform.NewReader(raw, dec.NewDecoder()), sniffSize)
	}
	sample, err := peek(text)
	if err != nil {
		return nil, fileError(path, "cannot read", err)
	}
	delim := opts.Delimiter
	if delim == 0 {
		delim = detectDelimiter(sample, len(sample) < text.Size())
	} else if delim == '"' || delim == '\r' || delim == '\n' || delim == utf8.RuneError || !utf8.ValidRune(delim) {
		return nil, fmt.Errorf("%s: invalid delimiter %q", path, delim)
	}
	r.format = fmt.Sprintf("CSV (%s, delimiter %s)", label, strconv.QuoteRune(delim))

	// encoding/csv has no record limit of its own: an unterminated quote
	// would make it buffer the rest of the file, and a line of millions of
	// fields would become millions of strings. The header has a limit of
	// its own.
	r.recLimit = max(recordLimit, 4*int64(opts.MaxCellBytes))
	r.guard = &recordGuard{r: text, limit: MaxHeaderBytes}
	if delim < utf8.RuneSelf {
		r.guard.delim = byte(delim)
	}
	r.cr = csv.NewReader(r.guard)
	r.cr.Comma = delim
	r.cr.FieldsPerRecord = -1 // ragged rows are reported per row, not fatal
	r.cr.ReuseRecord = true   // values are copied into each Row anyway

	rawHeader, line, err := r.readHeader()
	if err != nil {
		return nil, err
	}
	r.guard.limit = r.recLimit
	if len(rawHeader) > MaxColumns {
		return nil, limitError(path, fmt.Sprintf("the header (line %d) has %d columns, more than the %d-column limit", line, len(rawHeader), MaxColumns))
	}
	header, warns := normalizeHeader(rawHeader)
	r.warnings = append(r.warnings, warns...)
	r.check = rowChecker{file: path, header: header, maxCell: opts.MaxCellBytes, enc: label}
	r.enc = encodingName(label)
	r.lastLine = line
	return r, nil
}

// peek returns up to sniffSize buffered bytes without consuming them.
func peek(br *bufio.Reader) ([]byte, error) {
	b, err := br.Peek(br.Size())
	if err == io.EOF || err == bufio.ErrBufferFull {
		err = nil
	}
	return b, err
}

// pickEncoding resolves the encoding, consumes a BOM if there is one and
// returns the decoder to use (nil: the bytes are already UTF-8).
func (r *csvReader) pickEncoding(raw *bufio.Reader, prefix []byte, name string) (encoding.Encoding, string, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	hasBOM := bytes.HasPrefix(prefix, utf8BOM)
	switch name {
	case "", "auto":
		switch {
		case hasBOM:
			_, _ = raw.Discard(len(utf8BOM))
			return nil, "UTF-8 with BOM", nil
		case bytes.HasPrefix(prefix, utf16LEBOM), bytes.HasPrefix(prefix, utf16BEBOM):
			// Excel's "Unicode text" export: UTF-16 with BOM, tab separated.
			r.warnings = append(r.warnings, "encoding detected: UTF-16 (byte order mark)")
			return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), "UTF-16", nil
		}
		if looksUTF8(prefix, len(prefix) < raw.Size()) {
			return nil, "UTF-8", nil
		}
		r.warnings = append(r.warnings, "encoding detected: GB18030/GBK (the start of the file reads as GB18030, not as UTF-8)")
		return simplifiedchinese.GB18030, "GB18030", nil
	case "utf-8", "utf8":
		if hasBOM {
			_, _ = raw.Discard(len(utf8BOM))
			return nil, "UTF-8 with BOM", nil
		}
		return nil, "UTF-8", nil
	case "gb18030", "gbk", "gb2312", "cp936":
		if hasBOM {
			r.warnings = append(r.warnings, "file starts with a UTF-8 byte order mark but encoding "+name+" was requested")
		}
		return simplifiedchinese.GB18030, "GB18030", nil
	}
	return nil, "", fmt.Errorf("%s: unsupported encoding %q (use auto, utf-8 or gb18030/gbk)", r.path, name)
}

// looksUTF8 weighs the whole sniff window: it counts the non-ASCII
// sequences that are valid UTF-8 and the bytes that are not, and the
// characters that decode cleanly as GB18030 and the ones that do not. A file
// is UTF-8 when it has no invalid UTF-8 at all, or when its valid multi-byte
// UTF-8 characters outnumber the invalid bytes 20 to 1 (a few damaged bytes
// in a UTF-8 file: only their rows become unreadable), or when GB18030 does
// no better than UTF-8 (a stray byte in ASCII text). A character cut in half
// at the end of the window is ignored unless the file ends there.
func looksUTF8(p []byte, atEOF bool) bool {
	if !atEOF {
		for i := len(p) - 1; i >= 0 && i >= len(p)-utf8.UTFMax; i-- {
			if utf8.RuneStart(p[i]) {
				if !utf8.FullRune(p[i:]) {
					p = p[:i]
				}
				break
			}
		}
	}
	if utf8.Valid(p) {
		return true
	}
	valid, invalid := 0, 0
	for i := 0; i < len(p); {
		if p[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(p[i:])
		if r == utf8.RuneError && n == 1 {
			invalid++
		} else {
			valid++
		}
		i += n
	}
	if valid >= 20*invalid {
		return true
	}
	return gb18030Errors(p, atEOF) >= invalid
}

// gb18030Errors counts the characters of p that GB18030 cannot decode (a
// sequence cut at the end of the window is not counted unless atEOF).
func gb18030Errors(p []byte, atEOF bool) int {
	errs := 0
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c < 0x80:
			i++
			continue
		case c == 0x80 || c == 0xFF:
			errs++
			i++
			continue
		}
		if i+1 >= len(p) {
			if atEOF {
				errs++
			}
			return errs
		}
		c2 := p[i+1]
		switch {
		case (c2 >= 0x40 && c2 <= 0x7E) || (c2 >= 0x80 && c2 <= 0xFE):
			i += 2 // two-byte GBK character
		case c2 >= 0x30 && c2 <= 0x39: // four-byte GB18030 sequence
			if i+3 >= len(p) {
				if atEOF {
					errs++
				}
				return errs
			}
			c3, c4 := p[i+2], p[i+3]
			if c3 >= 0x81 && c3 <= 0xFE && c4 >= 0x30 && c4 <= 0x39 {
				i += 4
			} else {
				errs++
				i++
			}
		default:
			errs++
			i++
		}
	}
	return errs
}

// detectDelimiter parses the first records of sample with each candidate
// and keeps the one giving the most records with the header's field count
// (ties: the most fields, then the order of the candidates). Parsing rather
// than counting characters ignores delimiters inside quoted fields.
func detectDelimiter(sample []byte, atEOF bool) rune {
	if !atEOF {
		// The last line is probably cut by the sniff window.
		if i := bytes.LastIndexByte(sample, '\n'); i >= 0 {
			sample = sample[:i+1]
		}
	}
	best, bestConsistent, bestFields := ',', 0, 1
	for _, cand := range []rune{',', ';', '\t', '|'} {
		cr := csv.NewReader(bytes.NewReader(sample))
		cr.Comma = cand
		cr.FieldsPerRecord = -1
		cr.LazyQuotes = true
		fields, consistent := 0, 0
		for n := 0; n < sniffRecords; n++ {
			rec, err := cr.Read()
			if err != nil {
				break
			}
			if n == 0 {
				fields = len(rec)
			}
			if len(rec) == fields {
				consistent++
			}
		}
		if fields < 2 {
			continue
		}
		if consistent > bestConsistent || (consistent == bestConsistent && fields > bestFields) {
			best, bestConsistent, bestFields = cand, consistent, fields
		}
	}
	return best
}

// readHeader returns the first record that is not blank.
func (r *csvReader) readHeader() ([]string, int, error) {
	for {
		r.guard.reset()
		rec, err := r.cr.Read()
		if err == io.EOF {
			return nil, 0, fmt.Errorf("%s: %w (the file holds only blank lines)", r.path, ErrNoHeader)
		}
		if errors.Is(err, errRecordTooLarge) {
			return nil, 0, limitError(r.path, fmt.Sprintf("the header row is larger than the %d MiB limit: an unterminated quote, or not a table with a header row?", MaxHeaderBytes>>20))
		}
		if pe := parseError(err); pe != nil {
			return nil, 0, fmt.Errorf("%s line %d: cannot parse the header: %s: %w", r.path, pe.StartLine, describeParseError(pe), pe.Err)
		}
		if err != nil {
			return nil, 0, r.fatal(err)
		}
		if blank(rec) {
			continue
		}
		line, _ := r.cr.FieldPos(0)
		return append([]string(nil), rec...), line, nil
	}
}

func (r *csvReader) Header() []string   { return r.check.header }
func (r *csvReader) Warnings() []string { return r.warnings }
func (r *csvReader) Format() string     { return r.format }
func (r *csvReader) Encoding() string   { return r.enc }

// encodingName maps a format label to the name Encoding returns.
func encodingName(label string) string {
	switch label {
	case "UTF-8 with BOM":
		return "utf-8-bom"
	case "UTF-16":
		return "utf-16"
	case "GB18030":
		return "gb18030"
	}
	return "utf-8"
}

func (r *csvReader) Next() (Row, error) {
	if r.done {
		return Row{}, io.EOF
	}
	for {
		r.guard.reset()
		rec, err := r.cr.Read()
		if err == io.EOF {
			r.done = true
			return Row{}, io.EOF
		}
		if pe := parseError(err); pe != nil {
			// The line holding the stray quote was consumed, so the rows
			// after it can still be read: report this one and go on.
			r.num++
			r.lastLine = pe.StartLine
			values, _ := r.check.build(pe.StartLine, rec, len(r.check.header))
			return Row{
				Num:    r.num,
				Line:   pe.StartLine,
				Values: values,
				Err:    r.check.errAt(pe.StartLine, len(rec), describeParseError(pe), pe.Err),
			}, nil
		}
		if err != nil {
			r.done = true
			return Row{}, r.fatal(err)
		}
		line, _ := r.cr.FieldPos(0)
		r.lastLine = line
		if blank(rec) {
			continue
		}
		r.num++
		values, errs := r.check.build(line, rec, len(rec))
		return Row{Num: r.num, Line: line, Values: values, Err: joinRowErrors(errs)}, nil
	}
}

// CountRows reads the rest of the file and returns how many rows Next
// would have returned (blank records skipped, unreadable ones counted),
// without building them: the progress total's pass over the file copied
// and checked every cell a second time (issue 18). An error is what Next
// would have failed with.
func (r *csvReader) CountRows() (int64, error) {
	var n int64
	for !r.done {
		r.guard.reset()
		rec, err := r.cr.Read()
		if pe := parseError(err); pe != nil {
			r.lastLine = pe.StartLine
			n++ // Next returns it as an unreadable row
			continue
		}
		switch {
		case err == io.EOF:
			r.done = true
		case err != nil:
			r.done = true
			return n, r.fatal(err)
		default:
			r.lastLine, _ = r.cr.FieldPos(0)
			if !blank(rec) {
				n++
			}
		}
	}
	return n, nil
}

func (r *csvReader) fatal(err error) error {
	if errors.Is(err, errRecordTooLarge) {
		return fmt.Errorf("%s: the record after line %d is larger than %d MiB: unterminated quoted field, or a runaway line?", r.path, r.lastLine, r.guard.limit>>20)
	}
	if errors.Is(err, errTooManyFields) {
		return limitError(r.path, fmt.Sprintf("the record after line %d has more than %d fields (the header has %d): a runaway line?", r.lastLine, maxRecordDelims, len(r.check.header)))
	}
	return fmt.Errorf("%s: read error after line %d: %w", r.path, r.lastLine, err)
}

// parseError extracts a *csv.ParseError. The nil check keeps the errors.As
// target from escaping to the heap on every row (one allocation per row).
func parseError(err error) *csv.ParseError {
	if err == nil {
		return nil
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

func describeParseError(pe *csv.ParseError) string {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Sprintf(`bare quote (") in an unquoted field at line %d, character %d: quote the field and double the inner quotes`, pe.Line, pe.Column)
	case errors.Is(pe.Err, csv.ErrQuote):
		return fmt.Sprintf(`extraneous or missing quote (") in a quoted field at line %d, character %d`, pe.Line, pe.Column)
	}
	return fmt.Sprintf("%v at line %d, character %d", pe.Err, pe.Line, pe.Column)
}

func (r *csvReader) Close() error {
	r.done = true
	if r.file == nil {
		return nil
	}
	err := r.file.Close()
	r.file = nil
	if err != nil {
		return fmt.Errorf("%s: close: %w", r.path, err)
	}
	return nil
}

// recordGuard fails the read once one record has pulled more than limit
// bytes, so a runaway quoted field becomes a clear error instead of an OOM.
// The count is reset before each record; csv.Reader's read-ahead makes it
// approximate by a few KiB, which is irrelevant at this scale.
//
// For CSV it also counts the delimiter bytes (an upper bound of the fields:
// quoted delimiters count too): encoding/csv splits a whole record into
// fields before anyone can look at it, and a few MiB of "a,a,a…" are
// millions of strings.
type recordGuard struct {
	r        io.Reader
	n, limit int64
	delim    byte  // 0: fields not counted
	delims   int64 // delimiters seen since the reset
}

// maxRecordDelims bounds the delimiters of one CSV record: 64 times the
// most columns, far more than any real row (even one with long quoted
// prose) and 1/4 of what 8 MiB of one-letter fields would make.
const maxRecordDelims = 64 * MaxColumns

func (g *recordGuard) reset() { g.n, g.delims = 0, 0 }

func (g *recordGuard) Read(p []byte) (int, error) {
	if g.n > g.limit {
		return 0, errRecordTooLarge
	}
	if g.delims > maxRecordDelims {
		return 0, errTooManyFields
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	if g.delim != 0 {
		g.delims += int64(bytes.Count(p[:n], []byte{g.delim}))
	}
	return n, err
}
