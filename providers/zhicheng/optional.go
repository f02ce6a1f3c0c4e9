package zhicheng

import (
	"slices"
	"strconv"
	"strings"
)

// The document marks name, id_no, mobile and amount_business 是 (required)
// and every other params field 否 (optional). An optional value that fails
// its check is left out of params with a warning and the row is still sent:
// an optional field never costs the lookup. A job option can make a field
// required again: addr_detection_types needs mobile 2 and the address it
// names, query_corp_addr_detection the company name and address; then the
// field's own failure makes the row invalid.

// dropOptional clears the optional value fe is about and reports whether it
// did; false means fe concerns a required field (or nothing is left to
// drop) and the row is invalid.
func dropOptional(p *Params, fe *FieldError) bool {
	clear := func(v *string) bool {
		if *v == "" {
			return false
		}
		*v = ""
		return true
	}
	switch fe.Code {
	case "44009":
		return clear(&p.Email)
	case "44010":
		return clear(&p.QQ)
	case "44012":
		return clear(&p.FamilyTel)
	case "44013":
		return clear(&p.CorpName)
	case "44015":
		return clear(&p.CorpTel)
	case "44016":
		return clear(&p.BankNo)
	case "44011":
		return dropAddrPart(&p.FamilyAddr, strings.TrimPrefix(fe.Field, "family_"))
	case "44014":
		return dropAddrPart(&p.CorpAddr, strings.TrimPrefix(fe.Field, "corp_"))
	case "44007", "44024":
		// Only the second mobile's own column is optional; mobile (one or
		// two numbers in one cell) is required.
		if fe.Field != "mobile2" {
			return false
		}
		for i := len(p.Mobiles) - 1; i >= 0; i-- {
			if mobileField(p, i) == "mobile2" {
				p.Mobiles = slices.Delete(p.Mobiles, i, i+1)
				p.mobileFields = slices.Delete(p.mobileFields, i, i+1)
				return true
			}
		}
		return false
	case "44017", "44020", "44021", "44022", "44023", "44025", "44026", "44027":
		i, part, ok := contactField(fe.Field)
		if !ok || i >= len(p.Contacts) {
			return false
		}
		c := &p.Contacts[i]
		switch part {
		case "mobile":
			return clear(&c.Mobile)
		case "id_no":
			return clear(&c.IDNo)
		case "type":
			return clear(&c.Type)
		default: // a contact is sent only with a valid name
			if c.empty() {
				return false
			}
			*c = Contact{}
			return true
		}
	}
	return false
}

// dropAddrPart clears one part of an address (province, city, county,
// address); an address left empty is not sent.
func dropAddrPart(a **Address, part string) bool {
	if (*a).empty() {
		return false
	}
	var v *string
	switch part {
	case "province":
		v = &(*a).Province
	case "city":
		v = &(*a).City
	case "county":
		v = &(*a).County
	case "address":
		v = &(*a).Address
	default:
		return false
	}
	if *v == "" {
		return false
	}
	*v = ""
	if (*a).empty() {
		*a = nil
	}
	return true
}

// contactField splits "contact3_mobile" into (2, "mobile").
func contactField(field string) (int, string, bool) {
	rest, ok := strings.CutPrefix(field, "contact")
	if !ok {
		return 0, "", false
	}
	num, part, ok := strings.Cut(rest, "_")
	if !ok {
		return 0, "", false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 {
		return 0, "", false
	}
	return n - 1, part, true
}

// fieldGroup is what a job option makes required together: a detection or
// corporate check that lacks a field (44054, 44062) names the group the
// dropped value belonged to.
func fieldGroup(field string) string {
	switch {
	case strings.HasPrefix(field, "family_"):
		return "family"
	case strings.HasPrefix(field, "corp_"):
		return "corp"
	case strings.HasPrefix(field, "mobile"):
		return "mobile"
	}
	return field
}
