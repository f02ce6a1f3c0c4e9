package wire

import (
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string, escaped as encoding/json
// escapes it with HTML escaping off (json.Encoder.SetEscapeHTML(false)):
// quote, backslash and control characters; invalid UTF-8 becomes U+FFFD;
// U+2028 and U+2029 are escaped (JavaScript line terminators).
func AppendString(dst []byte, s string) []byte { return appendString(dst, s, false) }

// AppendStringHTML appends s as json.Marshal writes a string: as
// AppendString, and <, > and & as \u003c, \u003e and \u0026.
func AppendStringHTML(dst []byte, s string) []byte { return appendString(dst, s, true) }

// plainASCII and plainASCIIHTML mark the ASCII bytes appendString copies
// as they are (one table load per byte instead of five comparisons).
var plainASCII, plainASCIIHTML = func() (plain, html [utf8.RuneSelf]bool) {
	for c := range utf8.RuneSelf {
		plain[c] = c >= 0x20 && c != '"' && c != '\\'
		html[c] = plain[c] && c != '<' && c != '>' && c != '&'
	}
	return plain, html
}()

func appendString(dst []byte, s string, html bool) []byte {
	dst = append(dst, '"')
	plain := &plainASCII
	if html {
		plain = &plainASCIIHTML
	}
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plain[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		// A three-byte character (CJK text, most of what is escaped here)
		// copied as it is, without decoding it: lead E1–EC or EE–EF (E0's
		// overlong forms, ED's surrogates and E2's U+2028/U+2029 take the
		// general path) and two continuation bytes.
		if c >= 0xE1 && c <= 0xEF && c != 0xE2 && c != 0xED && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendFloat appends f as encoding/json formats a float64 (finite values
// only; NaN and ±Inf, which JSON cannot hold, are written as 0).
func AppendFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, '0')
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

const upperHex = "0123456789ABCDEF"

// queryPlain are the bytes url.QueryEscape leaves as they are.
var queryPlain = func() (t [256]bool) {
	for c := range 256 {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
	}
	return t
}()

// AppendQueryEscape appends s escaped as url.QueryEscape escapes it (a
// form value): letters, digits and -_.~ as they are, space as '+', every
// other byte as %XX.
func AppendQueryEscape(dst []byte, s string) []byte {
	// Room for the worst case (every byte %XX) instead of a counting
	// pass: the caller's buffer is usually sized for it already.
	n := len(dst)
	dst = slices.Grow(dst, 3*len(s))
	out := dst[n : n+3*len(s)]
	j := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case queryPlain[c]:
			out[j] = c
			j++
		case c == ' ':
			out[j] = '+'
			j++
		default:
			out[j], out[j+1], out[j+2] = '%', upperHex[c>>4], upperHex[c&15]
			j += 3
		}
	}
	return dst[:n+j]
}
