package pii

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// isTrimRune: Unicode white space (includes U+3000 ideographic space and
// U+00A0 no-break space) plus the invisible zero-width space, word joiner and
// byte-order mark that spreadsheets and copy-paste leave behind.
func isTrimRune(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\u2060' || r == '\ufeff'
}

func trimSpace(s string) string { return strings.TrimFunc(s, isTrimRune) }

// foldWidth maps full-width ASCII variants (U+FF01–U+FF5E) to ASCII and the
// ideographic space to a space. It returns s itself when nothing changes.
func foldWidth(s string) string {
	need := false
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E || r == 0x3000 {
			need = true
			break
		}
	}
	if !need {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			b.WriteRune(r - 0xFEE0)
		case r == 0x3000:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// hasReplacement reports what strings.ContainsRune(s, '\ufffd') does: a
// U+FFFD, or a byte that is not UTF-8 (which ranging over s yields as
// U+FFFD). ContainsRune decodes rune by rune for U+FFFD; the UTF-8 check
// and a byte search are several times faster, on every value checked.
func hasReplacement(s string) bool {
	return !utf8.ValidString(s) || strings.Contains(s, "\ufffd")
}

// prep is the common front end of the number validators: U+FFFD check,
// trim, full-width fold, empty check.
func prep(raw string) (string, *Problem) {
	if hasReplacement(raw) {
		return "", errReplacement()
	}
	s := trimSpace(foldWidth(raw))
	if s == "" {
		return "", errEmpty()
	}
	return s, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// digitsRun returns the length of the run of ASCII digits at the start of s.
func digitsRun(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// isSciNotation reports Excel/float scientific notation such as 3.30328E+17,
// 3.30328199001017e17 or 1.77E+10 (optional sign, mantissa with optional
// fraction, e/E, optional sign, exponent).
func isSciNotation(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	n := digitsRun(s)
	if n == 0 {
		return false
	}
	s = s[n:]
	if s != "" && s[0] == '.' {
		s = s[1:]
		s = s[digitsRun(s):]
	}
	if s == "" || (s[0] != 'e' && s[0] != 'E') {
		return false
	}
	s = s[1:]
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	return s != "" && digitsRun(s) == len(s)
}

// isDecimal reports a number with a decimal point such as 330328199001016789.0.
func isDecimal(s string) bool {
	n := digitsRun(s)
	if n == 0 || n == len(s) || s[n] != '.' {
		return false
	}
	return digitsRun(s[n+1:]) == len(s)-n-1
}

// stripSeparators removes spaces (any Unicode white space), dashes and
// parentheses from a phone number.
func stripSeparators(s string) string {
	return strings.Map(func(r rune) rune {
		if isTrimRune(r) {
			return -1
		}
		switch r {
		case '-', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2212', '(', ')':
			return -1
		}
		return r
	}, s)
}
