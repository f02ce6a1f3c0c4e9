package pii

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Name normalizes and validates a person's name: surrounding white space
// (incl. U+3000) trimmed, inner runs of white space collapsed to one ASCII
// space, and in names containing Han characters the look-alike separators of
// minority names (• ・ ． ‧ ･ ∙) replaced by the standard middle dot U+00B7.
// It must have 2–30 characters (runes), no digit of any script
// (name_digits), only letters, combining marks, spaces and the name
// punctuation . · ' ’ - (name_chars), and no U+FFFD (replacement_char).
func Name(raw string) (string, error) {
	if hasReplacement(raw) {
		return "", errReplacement()
	}
	s := collapseSpace(raw)
	if s == "" {
		return "", errEmpty()
	}
	han := false
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			han = true
			break
		}
	}
	if han {
		s = strings.Map(func(r rune) rune {
			switch r {
			case '\u2022', '\u30fb', '\uff0e', '\u2027', '\uff65', '\u2219':
				return '\u00b7'
			}
			return r
		}, s)
	}
	for _, r := range s {
		if unicode.IsDigit(r) || unicode.IsNumber(r) {
			return "", problem(CodeNameDigits, "contains a digit")
		}
	}
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsMark(r) {
			continue
		}
		switch r {
		case ' ', '.', '\u00b7', '\'', '\u2019', '-':
			continue
		}
		return "", problem(CodeNameChars, "contains a character that is not a letter, space or name punctuation")
	}
	if n := utf8.RuneCountInString(s); n < 2 || n > 30 {
		return "", problem(CodeNameLength, "has "+strconv.Itoa(n)+" characters, expected 2 to 30")
	}
	return s, nil
}

// collapseSpace is strings.Join(strings.FieldsFunc(raw, isTrimRune), " "):
// raw trimmed, inner runs of white space one ASCII space. A value with no
// white space at all (most names) is returned as it is, without the slice
// and the copy (TestCollapseSpace).
func collapseSpace(raw string) string {
	for _, r := range raw {
		if isTrimRune(r) {
			return strings.Join(strings.FieldsFunc(raw, isTrimRune), " ")
		}
	}
	return raw
}

// Email trims (incl. U+3000), folds full-width characters, lowercases and
// sanity-checks an e-mail address: one @, a local part of 1–64 characters
// without white space or angle brackets, a domain of dot-separated labels of
// letters, digits and inner hyphens with at least two labels and a TLD of at
// least two letters; at most 254 characters in all. Not an RFC 5322 parser.
func Email(raw string) (string, error) {
	if hasReplacement(raw) {
		return "", errReplacement()
	}
	s := strings.ToLower(trimSpace(foldWidth(raw)))
	if s == "" {
		return "", errEmpty()
	}
	bad := func(why string) (string, error) { return "", problem(CodeEmailFormat, why) }
	if len(s) > 254 {
		return bad("is longer than 254 characters")
	}
	at := strings.IndexByte(s, '@')
	if at < 0 || strings.IndexByte(s[at+1:], '@') >= 0 {
		return bad("must contain exactly one @")
	}
	local, domain := s[:at], s[at+1:]
	if local == "" || len(local) > 64 {
		return bad("the part before @ must have 1 to 64 characters")
	}
	for _, r := range local {
		if r <= ' ' || r == 0x7f || unicode.IsSpace(r) || strings.ContainsRune("<>()[],;:\\\"", r) {
			return bad("the part before @ contains white space or a forbidden character")
		}
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return bad("the part before @ has a misplaced dot")
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return bad("the domain must contain a dot")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return bad("the domain has an empty or malformed label")
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r > 0x7f && unicode.IsLetter(r)) {
				return bad("the domain contains a forbidden character")
			}
		}
	}
	tld := labels[len(labels)-1]
	if utf8.RuneCountInString(tld) < 2 || strings.ContainsAny(tld, "0123456789") {
		return bad("the top-level domain must be at least two letters")
	}
	return s, nil
}
