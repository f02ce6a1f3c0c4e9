package input

import (
	"strings"
	"testing"
)

// TestNumberDamage: which numeric cells lost information, by PII kind.
func TestNumberDamage(t *testing.T) {
	tests := []struct {
		kind, value string
		code, says  string
	}{
		{KindIDCard, "3.30328199001017E+17", CodeIDStoredAsNumber, "the ID number is stored as a number"},
		{KindIDCard, "330328199001017000", CodeIDStoredAsNumber, "last digits are lost"},
		{KindNIK, "3.17101E+15", CodeIDStoredAsNumber, "the NIK is stored as a number"},
		{KindMobile, "13800138000", "", ""}, // 11 digits fit a number exactly
		{KindMobile, "1.3800138E+10", CodeMobileStoredAsNumber, "scientific or decimal notation"},
		{KindMobile, "13800138000.5", CodeMobileStoredAsNumber, "scientific or decimal notation"},
		{KindIDMobile, "81234567890", CodeMobileStoredAsNumber, "its leading 0 is lost"},
		{KindIDMobile, "6281234567890", "", ""},
	}
	for _, tt := range tests {
		code, msg := numberDamage(numberCol{column: "c", kind: tt.kind}, tt.value)
		if code != tt.code || !strings.Contains(msg, tt.says) {
			t.Errorf("numberDamage(%s, %q) = %q, %q; want %q saying %q", tt.kind, tt.value, code, msg, tt.code, tt.says)
		}
		if code != "" && (strings.Contains(msg, tt.value) || !strings.Contains(msg, "format the column as Text in Excel")) {
			t.Errorf("message %q: must say how to fix the sheet and never hold the value", msg)
		}
	}
}
