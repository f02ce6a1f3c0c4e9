package pii

import (
	"strconv"
	"time"
)

// NoteConvertedFrom15 is the note ChineseID returns for a legacy number.
const NoteConvertedFrom15 = "converted from a 15-digit legacy number"

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheckMap = "10X98765432"

// idCheckDigit computes the GB 11643-1999 check digit of the first 17 digits
// of s (which must be ASCII digits).
func idCheckDigit(s string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(s[i]-'0') * idWeights[i]
	}
	return idCheckMap[sum%11]
}

// ChineseID is ChineseIDAt(raw, time.Now()).
func ChineseID(raw string) (norm string, note string, err error) {
	return ChineseIDAt(raw, time.Now())
}

// ChineseIDAt normalizes and validates a mainland China resident identity
// number (GB 11643-1999) with now as the reference for "birth date in the
// future".
//
// Normalization: surrounding white space (incl. U+3000) trimmed, full-width
// digits/letters folded to ASCII, a final x upper-cased. A 15-digit legacy
// number is upgraded to 18 digits ("19" inserted before YYMMDD, check digit
// computed) and note is NoteConvertedFrom15; otherwise note is "".
//
// Rules: 18 characters (17 digits + digit or X) with a valid mod-11 check
// digit, first digit 1–8, a real birth date YYYYMMDD not after now's date and
// with year >= 1900. Excel damage is reported, never repaired: scientific
// notation (id_sci_notation), a decimal point (id_decimal), 18 digits ending
// in 000 that fail the check digit (id_excel_truncated); 17 digits is
// id_length with a lost-X hint. On error norm is "" and err is a *Problem.
//
// Inner white space is not accepted (id_chars). Foreign permanent-resident
// cards that start with 9 are rejected (id_province), as specified.
func ChineseIDAt(raw string, now time.Time) (norm string, note string, err error) {
	s, p := prep(raw)
	if p != nil {
		return "", "", p
	}
	if isSciNotation(s) {
		return "", "", problem(CodeIDSciNotation, "stored as a number in Excel: digits lost")
	}
	if isDecimal(s) {
		return "", "", problem(CodeIDDecimal, "has a decimal point: stored as a number in Excel, digits may have been lost")
	}
	// Upper-case a final x; an X anywhere else is invalid.
	if n := len(s); n > 0 && s[n-1] == 'x' {
		s = s[:n-1] + "X"
	}
	d := digitsRun(s)
	switch {
	case d == len(s):
		// all digits
	case d == len(s)-1 && s[d] == 'X':
		// trailing X
	default:
		return "", "", problem(CodeIDChars, "contains characters other than digits and a final X")
	}
	switch len(s) {
	case 18:
		// handled below
	case 15:
		if d != 15 {
			return "", "", problem(CodeIDChars, "a 15-digit legacy number has no check digit and cannot end in X")
		}
		var b [18]byte
		copy(b[:6], s[:6])
		b[6], b[7] = '1', '9'
		copy(b[8:17], s[6:])
		b[17] = idCheckDigit(string(b[:17]))
		up := string(b[:])
		if p := idRegionAndDate(up, now); p != nil {
			return "", "", p
		}
		return up, NoteConvertedFrom15, nil
	case 17:
		if d == 17 {
			return "", "", problem(CodeIDLength, "has 17 digits, expected 18: a trailing X may have been lost")
		}
		fallthrough
	default:
		return "", "", problem(CodeIDLength, "has "+strconv.Itoa(len(s))+" characters, expected 18 (or 15 for a legacy number)")
	}
	want := idCheckDigit(s)
	got := s[17]
	if got != want && s[15:] == "000" {
		return "", "", problem(CodeIDExcelTruncated, "ends in 000 and fails the check digit: probably rounded by Excel")
	}
	if p := idRegionAndDate(s, now); p != nil {
		return "", "", p
	}
	if got != want {
		return "", "", problem(CodeIDChecksum, "check digit is "+string(got)+", expected "+string(want))
	}
	return s, "", nil
}

// idRegionAndDate checks the region's first digit and the YYYYMMDD birth
// date at s[6:14] of an 18-character number.
func idRegionAndDate(s string, now time.Time) *Problem {
	if s[0] < '1' || s[0] > '8' {
		return problem(CodeIDProvince, "region code must start with 1-8")
	}
	y, _ := strconv.Atoi(s[6:10])
	m, _ := strconv.Atoi(s[10:12])
	dd, _ := strconv.Atoi(s[12:14])
	if y < 1900 {
		return problem(CodeIDBirthdate, "birth year is before 1900")
	}
	if m < 1 || m > 12 {
		return problem(CodeIDBirthdate, "birth month is not 01-12")
	}
	if dd < 1 || dd > daysIn(y, m) {
		return problem(CodeIDBirthdate, "birth day does not exist in that month")
	}
	ny, nm, nd := now.Date()
	if y > ny || y == ny && (m > int(nm) || m == int(nm) && dd > nd) {
		return problem(CodeIDBirthdate, "birth date is in the future")
	}
	return nil
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
