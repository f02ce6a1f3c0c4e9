package pii

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Masking for logs, the console and the error log. Every Mask function:
//   - shows a 32- or 64-hex digest (surrounding spaces ignored) as its first
//     6 characters and "…" (a digest is not PII, but keep it short);
//   - works on runes, never splits UTF-8;
//   - returns "" for "".

func maskDigest(s string) (string, bool) {
	t := trimSpace(s)
	if isDigest(t) {
		return strings.ToLower(t[:6]) + "…", true
	}
	return "", false
}

// keepEnds keeps head runes at the start and tail at the end, stars between.
func keepEnds(r []rune, head, tail int) string {
	var b strings.Builder
	for i, c := range r {
		if i < head || i >= len(r)-tail {
			b.WriteRune(c)
		} else {
			b.WriteByte('*')
		}
	}
	return b.String()
}

// quarter keeps len/4 runes at each end (all stars for fewer than 4).
func quarter(r []rune) string { k := len(r) / 4; return keepEnds(r, k, k) }

// MaskID masks an ID number (Chinese ID, NIK): 12 characters or more keep the
// first 6 and last 4 (330328********6789); shorter values keep a quarter at
// each end.
func MaskID(s string) string {
	if d, ok := maskDigest(s); ok {
		return d
	}
	r := []rune(s)
	if len(r) >= 12 {
		return keepEnds(r, 6, 4)
	}
	return quarter(r)
}

// MaskMobile masks a phone number: 12 characters or more keep the first 4
// and last 4 (Indonesian 0812****7890); 8–11 keep the first 3 and last 4
// (177****1111); shorter values keep a quarter at each end.
func MaskMobile(s string) string {
	if d, ok := maskDigest(s); ok {
		return d
	}
	r := []rune(s)
	switch {
	case len(r) >= 12:
		return keepEnds(r, 4, 4)
	case len(r) >= 8:
		return keepEnds(r, 3, 4)
	}
	return quarter(r)
}

var compoundSurnames = []string{
	"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐",
	"长孙", "宇文", "夏侯", "轩辕", "端木", "独孤", "南宫", "西门", "司徒", "司空",
	"申屠", "呼延", "万俟", "闻人", "赫连", "钟离", "澹台", "淳于", "太史", "濮阳",
}

// MaskName masks a name. A name starting with a Han character keeps its
// surname and stars the rest, one star per character: 张三 → 张*, 李小明 →
// 李**, 欧阳娜娜 → 欧阳** (common two-character surnames are recognised; a
// two-character name always shows one character only). Other names keep the
// first letter of each space-separated word and star the other letters,
// keeping punctuation: "John Smith" → "J*** S****", "Mary-Jane O'Neil" →
// "M***-**** O'****". A single-rune name becomes "*".
func MaskName(s string) string {
	if d, ok := maskDigest(s); ok {
		return d
	}
	r := []rune(s)
	if len(r) <= 1 {
		return strings.Repeat("*", len(r))
	}
	if unicode.Is(unicode.Han, r[0]) {
		keep := 1
		if len(r) > 2 {
			for _, c := range compoundSurnames {
				if strings.HasPrefix(s, c) {
					keep = 2
					break
				}
			}
		}
		return keepEnds(r, keep, 0)
	}
	var b strings.Builder
	first := true
	for _, c := range r {
		switch {
		case unicode.IsSpace(c):
			b.WriteRune(c)
			first = true
		case unicode.IsLetter(c) || unicode.IsMark(c) || unicode.IsDigit(c):
			if first {
				b.WriteRune(c)
				first = false
			} else {
				b.WriteByte('*')
			}
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// MaskEmail keeps the first character of the local part, then "***" (a fixed
// count, hiding the length), then the domain: a***@example.com. A one-
// character local part is fully hidden (***@example.com). Without an @ the
// value is masked with MaskGeneric.
func MaskEmail(s string) string {
	if d, ok := maskDigest(s); ok {
		return d
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return MaskGeneric(s)
	}
	local, domain := s[:at], s[at:]
	if utf8.RuneCountInString(local) <= 1 {
		return "***" + domain
	}
	r, _ := utf8.DecodeRuneInString(local)
	return string(r) + "***" + domain
}

// MaskGeneric keeps the first and last rune and stars between; values of at
// most 2 runes become all stars.
func MaskGeneric(s string) string {
	if d, ok := maskDigest(s); ok {
		return d
	}
	r := []rune(s)
	if len(r) <= 2 {
		return strings.Repeat("*", len(r))
	}
	return keepEnds(r, 1, 1)
}
