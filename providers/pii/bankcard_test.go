package pii

import (
	"errors"
	"regexp"
	"testing"
)

func TestBankCard(t *testing.T) {
	for _, tc := range []struct {
		raw, want, code string
	}{
		{"6222600640011810331", "6222600640011810331", ""}, // Zhicheng's document's example
		{" 6222 6006 4001 1810 331 ", "6222600640011810331", ""},
		{"6222-6006-4001-1810", "6222600640011810", ""},
		{"６２２２\u3000６００６", "62226006", ""},
		{"1", "1", ""}, // the document gives no lower bound
		{"12345678901234567890", "12345678901234567890", ""},
		{"123456789012345678901", "", CodeBankLength},
		{"- -", "", CodeBankLength},
		{"6.2226E+18", "", CodeBankSciNotation},
		{"6222x6006", "", CodeBankFormat},
		{"6222.0", "", CodeBankFormat},
		{"6222\ufffd", "", CodeReplacementChar},
	} {
		got, err := BankCard(tc.raw)
		var p *Problem
		switch {
		case tc.code == "" && (err != nil || got != tc.want):
			t.Errorf("BankCard(%q) = %q, %v; want %q", tc.raw, got, err, tc.want)
		case tc.code != "" && (!errors.As(err, &p) || p.Code != tc.code || got != ""):
			t.Errorf("BankCard(%q) = %q, %v; want problem %s", tc.raw, got, err, tc.code)
		}
	}
}

// IsBankCard is ^[0-9]{1,20}$ without a regexp per row.
func TestIsBankCardMatchesRegexp(t *testing.T) {
	re := regexp.MustCompile(`^[0-9]{1,20}$`)
	parts := []string{"", "0", "01", "1234567", "12345678", "123456789", "a", " ", "-", "\n", "１", "012345678901234567890"}
	for _, a := range parts {
		for _, b := range parts {
			for _, c := range parts {
				if s := a + b + c; IsBankCard(s) != re.MatchString(s) {
					t.Errorf("IsBankCard(%q) = %v", s, IsBankCard(s))
				}
			}
		}
	}
}
