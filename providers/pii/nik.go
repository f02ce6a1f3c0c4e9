package pii

import "strconv"

// NIK normalizes and validates an Indonesian NIK (Nomor Induk Kependudukan):
// 16 digits; province code (digits 1–2) 11–94; digits 7–12 are DDMMYY with
// DD+40 for women, the day (after removing 40) must exist in the month
// (Feb 29 always allowed, the century being unknown) and the month be 1–12;
// the serial (last 4 digits) must not be 0000. Trimming and full-width
// folding as for ChineseID; Excel damage reported (nik_sci_notation,
// nik_decimal).
func NIK(raw string) (string, error) {
	s, p := prep(raw)
	if p != nil {
		return "", p
	}
	if isSciNotation(s) {
		return "", problem(CodeNIKSciNotation, "stored as a number in Excel: digits lost")
	}
	if isDecimal(s) {
		return "", problem(CodeNIKDecimal, "has a decimal point: stored as a number in Excel, digits may have been lost")
	}
	if !allDigits(s) {
		return "", problem(CodeNIKFormat, "contains characters other than digits")
	}
	if len(s) != 16 {
		return "", problem(CodeNIKLength, "has "+strconv.Itoa(len(s))+" digits, expected 16")
	}
	if prov, _ := strconv.Atoi(s[:2]); prov < 11 || prov > 94 {
		return "", problem(CodeNIKProvince, "province code is outside 11-94")
	}
	dd, _ := strconv.Atoi(s[6:8])
	mm, _ := strconv.Atoi(s[8:10])
	if dd > 40 {
		dd -= 40
	}
	if mm < 1 || mm > 12 {
		return "", problem(CodeNIKBirthdate, "birth month is not 01-12")
	}
	if dd < 1 || dd > daysIn(2000, mm) { // 2000 is a leap year: Feb 29 allowed
		return "", problem(CodeNIKBirthdate, "birth day (after removing 40 for women) does not exist in that month")
	}
	if s[12:] == "0000" {
		return "", problem(CodeNIKSerial, "serial number (last 4 digits) is 0000: possibly rounded by Excel")
	}
	return s, nil
}
