package pii

import (
	"strconv"
	"strings"
)

// BankCardMaxDigits is the longest bank card number riskbatch accepts.
// Zhicheng's document is the only vendor document with a rule for bank
// cards ("bank_no 20 以内", digits; no lower bound): riskbatch applies it
// to every input of kind bank card (Zhicheng's bank_no, AccuAuth's
// bankcard, whose document gives none) and to `riskbatch hash`.
const BankCardMaxDigits = 20

// Problem codes of bank card numbers.
const (
	CodeBankSciNotation = "bank_sci_notation" // Excel scientific notation, digits lost
	CodeBankFormat      = "bank_format"       // characters other than digits, spaces and dashes
	CodeBankLength      = "bank_length"       // no digit, or more than BankCardMaxDigits
)

// BankCard normalizes a bank card number: full-width digits folded, spaces
// (also ideographic ones and tabs) and dashes stripped, then 1 to
// BankCardMaxDigits digits. Excel damage is reported, never repaired.
func BankCard(raw string) (string, error) {
	if strings.ContainsRune(raw, '\ufffd') {
		return "", errReplacement()
	}
	s := strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		case r == ' ' || r == '-' || r == '\u3000' || r == '\t':
			return -1
		}
		return r
	}, strings.TrimSpace(raw))
	if strings.ContainsAny(s, "eE") && strings.Contains(s, "+") {
		return "", problem(CodeBankSciNotation, "stored as a number in Excel: digits lost")
	}
	if s != "" && !allDigits(s) {
		return "", problem(CodeBankFormat, "contains characters other than digits, spaces and dashes")
	}
	if !IsBankCard(s) {
		return "", problem(CodeBankLength, "has "+strconv.Itoa(len(s))+" digits, expected 1 to "+strconv.Itoa(BankCardMaxDigits))
	}
	return s, nil
}

// IsBankCard reports whether s is a bank card number as sent: 1 to
// BankCardMaxDigits ASCII digits (^[0-9]{1,20}$), nothing to normalize.
func IsBankCard(s string) bool {
	return len(s) <= BankCardMaxDigits && allDigits(s) // allDigits("") is false
}
