package pii

// Problem codes. They are short, stable, machine-readable; log and count on
// them, never on Reason.
const (
	CodeEmpty           = "empty"            // value is empty after trimming
	CodeReplacementChar = "replacement_char" // contains U+FFFD (file decoded with the wrong encoding)

	CodeIDSciNotation    = "id_sci_notation"    // Excel scientific notation, digits lost
	CodeIDDecimal        = "id_decimal"         // Excel number with a decimal point ("….0")
	CodeIDExcelTruncated = "id_excel_truncated" // 18 digits ending in 000 failing the check digit
	CodeIDChars          = "id_chars"           // characters other than digits and a final X
	CodeIDLength         = "id_length"          // not 18 (or legacy 15) characters; 17 digits hints at a lost X
	CodeIDProvince       = "id_province"        // region code does not start with 1–8
	CodeIDBirthdate      = "id_birthdate"       // birth date not a real date, in the future, or before 1900
	CodeIDChecksum       = "id_checksum"        // GB 11643 mod-11 check digit mismatch

	CodeMobileSciNotation = "mobile_sci_notation" // Excel scientific notation
	CodeMobileDecimal     = "mobile_decimal"      // Excel number with a decimal point
	CodeMobileFormat      = "mobile_format"       // wrong characters or wrong prefix
	CodeMobileLength      = "mobile_length"       // wrong number of digits
	CodeMobileCountry     = "mobile_country"      // international prefix of another country
	CodeMobileLeadingZero = "mobile_leading_zero" // Indonesian 8… without its leading 0

	CodeNIKSciNotation = "nik_sci_notation" // Excel scientific notation
	CodeNIKDecimal     = "nik_decimal"      // Excel number with a decimal point
	CodeNIKFormat      = "nik_format"       // characters other than digits
	CodeNIKLength      = "nik_length"       // not 16 digits
	CodeNIKProvince    = "nik_province"     // province code outside 11–94
	CodeNIKBirthdate   = "nik_birthdate"    // DDMMYY (DD+40 for women) not a real day/month
	CodeNIKSerial      = "nik_serial"       // serial (last 4 digits) is 0000

	CodeNameLength = "name_length" // fewer than 2 or more than 30 characters
	CodeNameDigits = "name_digits" // contains a digit (ASCII, full-width or other)
	CodeNameChars  = "name_chars"  // control characters or symbols that are not part of names

	CodeEmailFormat = "email_format" // not a plausible address
)

// Problem describes why a value was rejected. Code is a short stable machine
// code (the Code* constants); Reason is an English sentence for a risk
// analyst. Reason never contains the raw value.
type Problem struct {
	Code   string
	Reason string
}

func (p *Problem) Error() string {
	if p == nil {
		return "<nil>"
	}
	return p.Code + ": " + p.Reason
}

func problem(code, reason string) *Problem { return &Problem{Code: code, Reason: reason} }

var (
	errEmpty       = func() *Problem { return problem(CodeEmpty, "value is empty") }
	errReplacement = func() *Problem {
		return problem(CodeReplacementChar, "contains U+FFFD: the file was read with the wrong encoding")
	}
)
