package sinks

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// appendCSVRecord appends record as encoding/csv's Writer writes it with
// its defaults (comma, "\n" line ends): a field is quoted when it holds a
// comma, a quote, CR or LF, is `\.`, or begins with white space, and its
// quotes are doubled. One append per row into the file's buffer instead of
// the Writer's calls per field and its four comparisons per byte (issue
// 18; TestAppendCSVRecordMatchesWriter, FuzzAppendCSVRecord).
func appendCSVRecord(b []byte, record []string) []byte {
	for n, f := range record {
		if n > 0 {
			b = append(b, ',')
		}
		if !csvNeedsQuotes(f) {
			b = append(b, f...)
			continue
		}
		b = append(b, '"')
		for {
			i := strings.IndexByte(f, '"')
			if i < 0 {
				break
			}
			b = append(b, f[:i+1]...)
			b = append(b, '"')
			f = f[i+1:]
		}
		b = append(b, f...)
		b = append(b, '"')
	}
	return append(b, '\n')
}

// csvSpecial marks the bytes that make encoding/csv quote a field.
var csvSpecial = [256]bool{',': true, '"': true, '\r': true, '\n': true}

// csvNeedsQuotes is encoding/csv's Writer.fieldNeedsQuotes for a comma.
func csvNeedsQuotes(f string) bool {
	if f == "" {
		return false
	}
	if f == `\.` {
		return true
	}
	for i := 0; i < len(f); i++ {
		if csvSpecial[f[i]] {
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(f)
	return unicode.IsSpace(r)
}
