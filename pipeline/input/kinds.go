package input

import (
	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/pii"
)

// PII kinds of input columns, from what the vendor modules declare
// (providers.Input.Kind): the Excel check, sharding, masking and
// `riskbatch hash` go by them. Each names the normalization hash applies
// before the digest, so the digest equals the one the vendor computes (or
// riskbatch sends) for the same person.
const (
	KindIDCard   = "idcard"    // Chinese resident ID: pii.ChineseID (15→18, x→X, full-width folded)
	KindNIK      = "nik"       // Indonesian NIK: pii.NIK
	KindMobile   = "mobile"    // Chinese mobile: pii.ChineseMobile (+86/0086/86, separators stripped)
	KindIDMobile = "id_mobile" // Indonesian mobile: pii.IndonesianMobile in HashOptions.IDMobileForm
	KindName     = "name"      // person name: pii.Name
	KindEmail    = "email"     // e-mail: pii.Email (lowercased)
	KindBankCard = "bank_card" // bank card number: pii.BankCard (separators stripped, at most 20 digits)
)

// KindOf is the PII kind of a provider input: the personal data its
// vendor module declares (providers.Input.Kind), "" for anything riskbatch
// does not hash (a landline, a device id, a non-personal field).
func KindOf(in providers.Input) string {
	switch in.Kind {
	case providers.PIIIDCard, providers.PIINIK, providers.PIIMobile, providers.PIIIDMobile,
		providers.PIIName, providers.PIIEmail, providers.PIIBankCard:
		return string(in.Kind)
	}
	return ""
}

// MaskerFor is the mask of a value of a PII kind in messages and examples
// (pii.MaskGeneric for any other column).
func MaskerFor(kind string) func(string) string {
	switch kind {
	case KindMobile, KindIDMobile, string(providers.PIIPhone):
		return pii.MaskMobile
	case KindName:
		return pii.MaskName
	case KindEmail:
		return pii.MaskEmail
	case KindIDCard, KindNIK, KindBankCard:
		return pii.MaskID
	}
	return pii.MaskGeneric
}

func indexOf(ss []string, s string) int {
	for i, v := range ss {
		if v == s {
			return i
		}
	}
	return -1
}
