package pii

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var fixedNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// code returns the Problem code of err ("" for nil) and fails on other types.
func code(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var p *Problem
	if !errors.As(err, &p) {
		t.Fatalf("error %v is %T, not *Problem", err, err)
	}
	if p.Code == "" || p.Reason == "" {
		t.Fatalf("incomplete problem %+v", p)
	}
	return p.Code
}

// noRaw checks that a Problem's reason does not echo the (trimmed) input.
func noRaw(t *testing.T, raw string, err error) {
	t.Helper()
	s := strings.TrimSpace(raw)
	if err != nil && len(s) >= 4 && strings.Contains(err.Error(), s) {
		t.Errorf("reason %q contains the raw value", err)
	}
}

func TestChineseID(t *testing.T) {
	tests := []struct {
		raw, want, note, code string
	}{
		{"330328199001016785", "330328199001016785", "", ""},
		{"  330328199001016785\u3000", "330328199001016785", "", ""},
		{"\t330328199001016785\u00a0\ufeff", "330328199001016785", "", ""},
		{"３３０３２８１９９００１０１６７８５", "330328199001016785", "", ""}, // full-width
		{"11010519491231002x", "11010519491231002X", "", ""},
		{"11010519491231002ｘ", "11010519491231002X", "", ""},
		{"11010519491231002X", "11010519491231002X", "", ""},
		{"330328200002291231", "330328200002291231", "", ""}, // Feb 29 of a leap year
		{"330328199001106000", "330328199001106000", "", ""}, // ends in 000 but the check digit is right
		{"11010519000101001X", "11010519000101001X", "", ""}, // year 1900
		{"440301202506010012", "440301202506010012", "", ""}, // born today
		{"110105491231002", "11010519491231002X", NoteConvertedFrom15, ""},
		{"330328900101678", "330328199001016785", NoteConvertedFrom15, ""},

		{"", "", "", CodeEmpty},
		{" \u3000 ", "", "", CodeEmpty},
		{"330328199001016789", "", "", CodeIDChecksum}, // the vendor docs' example: check digit should be 5
		{"330328199001016784", "", "", CodeIDChecksum},
		{"3.30328E+17", "", "", CodeIDSciNotation},
		{"3.30328199001017E+17", "", "", CodeIDSciNotation},
		{"3.30328199001017e17", "", "", CodeIDSciNotation},
		{"330328199001016789.0", "", "", CodeIDDecimal},
		{"330328199001016785.00", "", "", CodeIDDecimal},
		{"330328199001017000", "", "", CodeIDExcelTruncated},
		{"33032819900101678\ufffd", "", "", CodeReplacementChar},
		{"33032819900101678", "", "", CodeIDLength}, // lost X?
		{"3303281990010167", "", "", CodeIDLength},
		{"3303281990010167851", "", "", CodeIDLength},
		{"33032819900101678X5", "", "", CodeIDChars},
		{"3303281990010X6785", "", "", CodeIDChars},
		{"330328 199001016785", "", "", CodeIDChars},
		{"'330328199001016785", "", "", CodeIDChars},
		{"33032890010167X", "", "", CodeIDChars}, // 15-digit cannot end in X
		{"030328199001016785", "", "", CodeIDProvince},
		{"930328199001016785", "", "", CodeIDProvince},
		{"330328199002306785", "", "", CodeIDBirthdate}, // Feb 30
		{"330328190002296785", "", "", CodeIDBirthdate}, // 1900 not a leap year
		{"330328199013016785", "", "", CodeIDBirthdate}, // month 13
		{"330328199000016785", "", "", CodeIDBirthdate}, // month 00
		{"330328199001006785", "", "", CodeIDBirthdate}, // day 00
		{"330328189912316785", "", "", CodeIDBirthdate}, // before 1900
		{"330328202506026785", "", "", CodeIDBirthdate}, // tomorrow
		{"330328203001016785", "", "", CodeIDBirthdate},
		{"330328901301678", "", "", CodeIDBirthdate}, // 15-digit month 13
	}
	for _, tt := range tests {
		got, note, err := ChineseIDAt(tt.raw, fixedNow)
		if c := code(t, err); c != tt.code || got != tt.want || note != tt.note {
			t.Errorf("ChineseIDAt(%q) = %q, %q, %v; want %q, %q, code %q", tt.raw, got, note, err, tt.want, tt.note, tt.code)
		}
		noRaw(t, tt.raw, err)
	}
	// The check-digit reason names both digits.
	_, _, err := ChineseIDAt("330328199001016784", fixedNow)
	if err.Error() != "id_checksum: check digit is 4, expected 5" {
		t.Errorf("reason = %q", err)
	}
	// ChineseID uses the wall clock.
	if got, _, err := ChineseID("330328199001016785"); err != nil || got != "330328199001016785" {
		t.Errorf("ChineseID = %q, %v", got, err)
	}
}

func TestChineseMobile(t *testing.T) {
	tests := []struct{ raw, want, code string }{
		{"17700001111", "17700001111", ""},
		{" 177 0000 1111 ", "17700001111", ""},
		{"177-0000-1111", "17700001111", ""},
		{"(177)00001111", "17700001111", ""},
		{"+86 177 0000 1111", "17700001111", ""},
		{"+86-17700001111", "17700001111", ""},
		{"(+86)17700001111", "17700001111", ""},
		{"008617700001111", "17700001111", ""},
		{"8617700001111", "17700001111", ""},
		{"１７７００００１１１１", "17700001111", ""},
		{"13012345678", "13012345678", ""},
		{"19912345678", "19912345678", ""},

		{"", "", CodeEmpty},
		{"1.77E+10", "", CodeMobileSciNotation},
		{"1.77000011E+10", "", CodeMobileSciNotation},
		{"17700001111.0", "", CodeMobileDecimal},
		{"7700001111", "", CodeMobileLength}, // lost its leading 1?
		{"177000011", "", CodeMobileLength},
		{"177000011112", "", CodeMobileLength},
		{"+861770000111", "", CodeMobileLength},
		{"12700001111", "", CodeMobileFormat},
		{"27700001111", "", CodeMobileFormat},
		{"86177000011", "", CodeMobileFormat}, // 11 digits: 86 is not stripped
		{"1770000111a", "", CodeMobileFormat},
		{"177.0000.1111", "", CodeMobileFormat},
		{"+6281234567890", "", CodeMobileCountry},
		{"006281234567890", "", CodeMobileCountry},
		{"1770000111\ufffd", "", CodeReplacementChar},
	}
	for _, tt := range tests {
		got, err := ChineseMobile(tt.raw)
		if c := code(t, err); c != tt.code || got != tt.want {
			t.Errorf("ChineseMobile(%q) = %q, %v; want %q, code %q", tt.raw, got, err, tt.want, tt.code)
		}
		noRaw(t, tt.raw, err)
	}
}

func TestIndonesianMobile(t *testing.T) {
	tests := []struct {
		raw             string
		local, cc, code string
	}{
		{"081234567890", "081234567890", "6281234567890", ""},
		{"0812-3456-7890", "081234567890", "6281234567890", ""},
		{"0812 3456 7890", "081234567890", "6281234567890", ""},
		{"+62 812 3456 7890", "081234567890", "6281234567890", ""},
		{"6281234567890", "081234567890", "6281234567890", ""},
		{"006281234567890", "081234567890", "6281234567890", ""},
		{"+62 (812) 3456-7890", "081234567890", "6281234567890", ""},
		{"0812345678", "0812345678", "62812345678", ""},          // 10 digits
		{"0812345678901", "0812345678901", "62812345678901", ""}, // 13 digits

		{"", "", "", CodeEmpty},
		{"81234567890", "", "", CodeMobileLeadingZero},
		{"8123456789", "", "", CodeMobileLeadingZero},
		{"6.28123E+11", "", "", CodeMobileSciNotation},
		{"81234567890.0", "", "", CodeMobileDecimal},
		{"081234567", "", "", CodeMobileLength},      // 9 digits
		{"08123456789012", "", "", CodeMobileLength}, // 14 digits
		{"+6281234567", "", "", CodeMobileLength},
		{"0212345678", "", "", CodeMobileFormat}, // Jakarta landline
		{"622112345678", "", "", CodeMobileFormat},
		{"0812a4567890", "", "", CodeMobileFormat},
		{"17700001111", "", "", CodeMobileFormat},
		{"812345", "", "", CodeMobileFormat},
		{"+8617700001111", "", "", CodeMobileCountry},
		{"0812345\ufffd890", "", "", CodeReplacementChar},
	}
	for _, tt := range tests {
		got, err := IndonesianMobile(tt.raw, IDLocal)
		if c := code(t, err); c != tt.code || got != tt.local {
			t.Errorf("IndonesianMobile(%q, IDLocal) = %q, %v; want %q, code %q", tt.raw, got, err, tt.local, tt.code)
		}
		noRaw(t, tt.raw, err)
		got, err = IndonesianMobile(tt.raw, IDCountryCode)
		if c := code(t, err); c != tt.code || got != tt.cc {
			t.Errorf("IndonesianMobile(%q, IDCountryCode) = %q, %v; want %q, code %q", tt.raw, got, err, tt.cc, tt.code)
		}
	}
}

func TestNIK(t *testing.T) {
	tests := []struct{ raw, want, code string }{
		{"3174011203900001", "3174011203900001", ""},   // 12-03-90, man
		{"3174015203900001", "3174015203900001", ""},   // 52 = 12+40, woman
		{" 3174012902000123 ", "3174012902000123", ""}, // Feb 29
		{"3174016902000123", "3174016902000123", ""},   // woman, Feb 29
		{"1101013112990001", "1101013112990001", ""},   // province 11
		{"9471013112990001", "9471013112990001", ""},   // province 94
		{"３１７４０１１２０３９００００１", "3174011203900001", ""},

		{"", "", CodeEmpty},
		{"3.17401E+15", "", CodeNIKSciNotation},
		{"3174011203900001.0", "", CodeNIKDecimal},
		{"31740112039000O1", "", CodeNIKFormat},
		{"3174-0112-0390-0001", "", CodeNIKFormat},
		{"317401120390001", "", CodeNIKLength},
		{"31740112039000011", "", CodeNIKLength},
		{"1074011203900001", "", CodeNIKProvince},
		{"9574011203900001", "", CodeNIKProvince},
		{"3174013203900001", "", CodeNIKBirthdate}, // day 32
		{"3174014003900001", "", CodeNIKBirthdate}, // day 40
		{"3174017203900001", "", CodeNIKBirthdate}, // 72-40 = 32
		{"3174010003900001", "", CodeNIKBirthdate}, // day 00
		{"3174013102900001", "", CodeNIKBirthdate}, // Feb 31
		{"3174013104900001", "", CodeNIKBirthdate}, // Apr 31
		{"3174011213900001", "", CodeNIKBirthdate}, // month 13
		{"3174011200900001", "", CodeNIKBirthdate}, // month 00
		{"3174011203900000", "", CodeNIKSerial},
		{"317401120390000\ufffd", "", CodeReplacementChar},
	}
	for _, tt := range tests {
		got, err := NIK(tt.raw)
		if c := code(t, err); c != tt.code || got != tt.want {
			t.Errorf("NIK(%q) = %q, %v; want %q, code %q", tt.raw, got, err, tt.want, tt.code)
		}
		noRaw(t, tt.raw, err)
	}
}

func TestName(t *testing.T) {
	tests := []struct{ raw, want, code string }{
		{"张三", "张三", ""},
		{"\u3000张三 ", "张三", ""},
		{"欧阳娜娜", "欧阳娜娜", ""},
		{"  John   Smith ", "John Smith", ""},
		{"John\u3000\tSmith", "John Smith", ""},
		{"Mary-Jane O'Neil", "Mary-Jane O'Neil", ""},
		{"Siti Nurhaliza binti Taruddin", "Siti Nurhaliza binti Taruddin", ""},
		{"阿卜杜拉·买买提", "阿卜杜拉·买买提", ""},
		{"阿卜杜拉•买买提", "阿卜杜拉·买买提", ""}, // bullet → middle dot
		{"阿卜杜拉・买买提", "阿卜杜拉·买买提", ""}, // katakana middle dot → middle dot
		{"José Ramírez", "José Ramírez", ""},
		{"Jr. K.", "Jr. K.", ""},

		{"", "", CodeEmpty},
		{" \u3000", "", CodeEmpty},
		{"张", "", CodeNameLength},
		{strings.Repeat("a", 31), "", CodeNameLength},
		{"张三3", "", CodeNameDigits},
		{"张三３", "", CodeNameDigits}, // full-width digit
		{"Agent 007", "", CodeNameDigits},
		{"张三@", "", CodeNameChars},
		{"张三\x00", "", CodeNameChars},
		{"张三（先生）", "", CodeNameChars},
		{"张\ufffd", "", CodeReplacementChar},
	}
	for _, tt := range tests {
		got, err := Name(tt.raw)
		if c := code(t, err); c != tt.code || got != tt.want {
			t.Errorf("Name(%q) = %q, %v; want %q, code %q", tt.raw, got, err, tt.want, tt.code)
		}
		noRaw(t, tt.raw, err)
	}
	if got, err := Name(strings.Repeat("张", 30)); err != nil || got != strings.Repeat("张", 30) {
		t.Errorf("30 runes: %q, %v", got, err)
	}
}

func TestEmail(t *testing.T) {
	tests := []struct{ raw, want, code string }{
		{"alice@example.com", "alice@example.com", ""},
		{" Alice.Smith+risk@Example.CO.ID ", "alice.smith+risk@example.co.id", ""},
		{"ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "alice@example.com", ""},
		{"a_b-c@sub-domain.example.org", "a_b-c@sub-domain.example.org", ""},

		{"", "", CodeEmpty},
		{"alice", "", CodeEmailFormat},
		{"alice@", "", CodeEmailFormat},
		{"@example.com", "", CodeEmailFormat},
		{"a@b@example.com", "", CodeEmailFormat},
		{"alice@example", "", CodeEmailFormat},
		{"alice@example.c", "", CodeEmailFormat},
		{"alice@example.123", "", CodeEmailFormat},
		{"alice@-example.com", "", CodeEmailFormat},
		{"alice@example..com", "", CodeEmailFormat},
		{"alice@exa_mple.com", "", CodeEmailFormat},
		{"al ice@example.com", "", CodeEmailFormat},
		{".alice@example.com", "", CodeEmailFormat},
		{"al..ice@example.com", "", CodeEmailFormat},
		{strings.Repeat("a", 65) + "@example.com", "", CodeEmailFormat},
		{"a@" + strings.Repeat("b", 250) + ".com", "", CodeEmailFormat},
		{"alice@exam\ufffdple.com", "", CodeReplacementChar},
	}
	for _, tt := range tests {
		got, err := Email(tt.raw)
		if c := code(t, err); c != tt.code || got != tt.want {
			t.Errorf("Email(%q) = %q, %v; want %q, code %q", tt.raw, got, err, tt.want, tt.code)
		}
		noRaw(t, tt.raw, err)
	}
}

func TestProblemError(t *testing.T) {
	p := &Problem{Code: "x", Reason: "y"}
	if p.Error() != "x: y" {
		t.Fatal(p.Error())
	}
	var nilP *Problem
	if nilP.Error() != "<nil>" {
		t.Fatal(nilP.Error())
	}
}

// Every exported Code* constant is produced by at least one test case above;
// this list is kept in sync by hand and checked for duplicates.
func TestCodesDistinct(t *testing.T) {
	codes := []string{CodeEmpty, CodeReplacementChar, CodeIDSciNotation, CodeIDDecimal, CodeIDExcelTruncated,
		CodeIDChars, CodeIDLength, CodeIDProvince, CodeIDBirthdate, CodeIDChecksum, CodeMobileSciNotation,
		CodeMobileDecimal, CodeMobileFormat, CodeMobileLength, CodeMobileCountry, CodeMobileLeadingZero,
		CodeNIKSciNotation, CodeNIKDecimal, CodeNIKFormat, CodeNIKLength, CodeNIKProvince, CodeNIKBirthdate,
		CodeNIKSerial, CodeNameLength, CodeNameDigits, CodeNameChars, CodeEmailFormat}
	seen := map[string]bool{}
	for _, c := range codes {
		if seen[c] {
			t.Errorf("duplicate code %q", c)
		}
		seen[c] = true
	}
}

func BenchmarkChineseID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ChineseIDAt("330328199001016785", fixedNow)
	}
}

func BenchmarkChineseIDLegacy15(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ChineseIDAt("330328900101678", fixedNow)
	}
}
