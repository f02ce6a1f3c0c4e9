package pii

import (
	"strconv"
	"strings"
)

// ChineseMobile normalizes and validates a mainland China mobile number.
// Spaces, dashes and parentheses are stripped; a leading +86, 0086 or 86 is
// stripped when 11 digits remain; the result must be 11 digits matching
// 1[3-9]\d{9}. Excel damage is reported, never repaired: scientific notation
// (mobile_sci_notation), a decimal point (mobile_decimal), 10 digits starting
// with 3–9 (mobile_length, "lost its leading 1?").
func ChineseMobile(raw string) (string, error) {
	// Already in the result's form (most cells): every step below would
	// return it unchanged (FuzzChineseMobileFastPath).
	if len(raw) == 11 && raw[0] == '1' && raw[1] >= '3' && allDigits(raw) {
		return raw, nil
	}
	return chineseMobile(raw)
}

// chineseMobile is ChineseMobile without the shortcut for a value already
// in form.
func chineseMobile(raw string) (string, error) {
	s, p := prep(raw)
	if p != nil {
		return "", p
	}
	if isSciNotation(s) {
		return "", problem(CodeMobileSciNotation, "stored as a number in Excel and shown in scientific notation: digits lost")
	}
	if isDecimal(s) {
		return "", problem(CodeMobileDecimal, "has a decimal point: stored as a number in Excel")
	}
	s = stripSeparators(s)
	switch {
	case strings.HasPrefix(s, "+86") && len(s) == 14:
		s = s[3:]
	case strings.HasPrefix(s, "0086") && len(s) == 15:
		s = s[4:]
	case strings.HasPrefix(s, "86") && len(s) == 13:
		s = s[2:]
	case strings.HasPrefix(s, "+86"):
		s = s[3:]
	case strings.HasPrefix(s, "+") || strings.HasPrefix(s, "00") && !strings.HasPrefix(s, "0086"):
		return "", problem(CodeMobileCountry, "has an international prefix other than +86")
	}
	if !allDigits(s) {
		return "", problem(CodeMobileFormat, "contains characters other than digits, spaces, dashes and parentheses")
	}
	if len(s) == 10 && s[0] >= '3' && s[0] <= '9' {
		return "", problem(CodeMobileLength, "has 10 digits, expected 11: lost its leading digit 1?")
	}
	if len(s) != 11 {
		return "", problem(CodeMobileLength, "has "+strconv.Itoa(len(s))+" digits, expected 11")
	}
	if s[0] != '1' || s[1] < '3' {
		return "", problem(CodeMobileFormat, "is not a mainland mobile number: must start with 13-19")
	}
	return s, nil
}

// IDMobileForm is how an Indonesian mobile is normalized.
type IDMobileForm int

const (
	IDLocal       IDMobileForm = iota // 08xxxxxxxxx
	IDCountryCode                     // 628xxxxxxxxx
)

// IndonesianMobile normalizes and validates an Indonesian mobile number.
// Accepted: 08…, 62…, +62…, 0062… with spaces, dashes and parentheses
// stripped. The subscriber part (after 0 or 62) must start with 8 and the
// local form (0 + subscriber) have 10–13 digits. A bare 8… of valid length
// is a lost leading zero: reported as mobile_leading_zero, never repaired.
// The result is 08… for IDLocal and 628… for IDCountryCode (any other form
// value is treated as IDLocal).
func IndonesianMobile(raw string, form IDMobileForm) (string, error) {
	s, p := prep(raw)
	if p != nil {
		return "", p
	}
	if isSciNotation(s) {
		return "", problem(CodeMobileSciNotation, "stored as a number in Excel and shown in scientific notation: digits lost")
	}
	if isDecimal(s) {
		return "", problem(CodeMobileDecimal, "has a decimal point: stored as a number in Excel")
	}
	s = stripSeparators(s)
	var sub string
	switch {
	case strings.HasPrefix(s, "+62"):
		sub = s[3:]
	case strings.HasPrefix(s, "0062"):
		sub = s[4:]
	case strings.HasPrefix(s, "+") || strings.HasPrefix(s, "00"):
		return "", problem(CodeMobileCountry, "has an international prefix other than +62")
	case strings.HasPrefix(s, "62"):
		sub = s[2:]
	case strings.HasPrefix(s, "0"):
		sub = s[1:]
	case strings.HasPrefix(s, "8") && allDigits(s) && len(s) >= 9 && len(s) <= 12:
		return "", problem(CodeMobileLeadingZero, "starts with 8: the leading 0 was probably lost (stored as a number)")
	default:
		if !allDigits(s) {
			return "", problem(CodeMobileFormat, "contains characters other than digits, spaces, dashes and parentheses")
		}
		return "", problem(CodeMobileFormat, "is not an Indonesian mobile number: must start with 08, 62, +62 or 0062")
	}
	if !allDigits(sub) {
		return "", problem(CodeMobileFormat, "contains characters other than digits, spaces, dashes and parentheses")
	}
	if sub == "" || sub[0] != '8' {
		return "", problem(CodeMobileFormat, "is not an Indonesian mobile number: the subscriber part must start with 8")
	}
	if len(sub) < 9 || len(sub) > 12 {
		return "", problem(CodeMobileLength, "has "+strconv.Itoa(len(sub)+1)+" digits in local 08 form, expected 10-13")
	}
	if form == IDCountryCode {
		return "62" + sub, nil
	}
	return "0" + sub, nil
}
