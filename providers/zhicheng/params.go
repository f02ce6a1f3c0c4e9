package zhicheng

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/pii"
	"github.com/riskbatch/riskbatch/providers/wire"
)

// Address is the family_addr / corp_addr object.
type Address struct {
	Province string `json:"province,omitempty"`
	City     string `json:"city,omitempty"`
	County   string `json:"county,omitempty"`
	Address  string `json:"address,omitempty"`
}

func (a *Address) empty() bool {
	return a == nil || a.Province == "" && a.City == "" && a.County == "" && a.Address == ""
}

// String joins the parts the way the answer's addr field shows them.
func (a *Address) String() string {
	if a == nil {
		return ""
	}
	return a.Province + a.City + a.County + a.Address
}

// Contact is one entry of contacts.
type Contact struct {
	IDNo   string `json:"contact_id_no,omitempty"`
	Mobile string `json:"contact_mobile,omitempty"`
	Name   string `json:"contact_name,omitempty"`
	Type   string `json:"contact_type,omitempty"`
}

func (c Contact) empty() bool { return c.IDNo == "" && c.Mobile == "" && c.Name == "" && c.Type == "" }

// Params is the content of the params form field. The client fills it from
// a row and the simulator decodes it from the wire; both run check on it, so
// a row the simulator (and, as far as the document tells, the vendor)
// rejects is rejected locally with the same code before money is spent.
type Params struct {
	AmountBusiness         string
	QueryCorpAddrDetection string // "1" asks for the corporate address verdict
	AddrDetectionTypes     []string
	Name                   string
	IDNo                   string
	Mobiles                []string // sent comma-joined in mobile
	BankNo                 string
	Email                  string
	QQ                     string
	FamilyTel, CorpTel     string
	FamilyAddr, CorpAddr   *Address
	CorpName               string
	Contacts               []Contact

	// mobileFields names the input field each mobile came from (client only).
	mobileFields []string
}

// Address encodings: the table calls family_addr, corp_addr and contacts
// "json 对象字符串" (a string holding JSON) while the example nests them as
// objects; the client sends either, the simulator accepts both.
const (
	EncodingObject = "object"
	EncodingString = "string"
)

// marshalJSON encodes v without HTML escaping (addresses and names are sent
// as written) and without the encoder's trailing newline.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// Marshal renders the params JSON with the nested values encoded as
// encoding says (EncodingObject or EncodingString): what encoding/json
// writes for wireParams with HTML escaping off (TestMarshalMatchesEncodingJSON),
// appended field by field instead of through reflection and a new
// json.Encoder per nested value (issue 18).
func (p *Params) Marshal(encoding string) ([]byte, error) {
	b := make([]byte, 0, p.sizeHint())
	b = append(b, `{"amount_business":`...)
	b = wire.AppendString(b, p.AmountBusiness)
	if p.QueryCorpAddrDetection != "" {
		b = append(b, `,"query_corp_addr_detection":`...)
		b = wire.AppendString(b, p.QueryCorpAddrDetection)
	}
	if len(p.AddrDetectionTypes) > 0 {
		b = append(b, `,"addr_detection_types":[`...)
		for i, t := range p.AddrDetectionTypes {
			if i > 0 {
				b = append(b, ',')
			}
			b = wire.AppendString(b, t)
		}
		b = append(b, ']')
	}
	b = append(b, `,"name":`...)
	b = wire.AppendString(b, p.Name)
	b = append(b, `,"id_no":`...)
	b = wire.AppendString(b, p.IDNo)
	b = append(b, `,"mobile":`...)
	b = wire.AppendString(b, strings.Join(p.Mobiles, ","))
	b = appendOpt(b, `,"bank_no":`, p.BankNo)
	if !p.CorpAddr.empty() {
		b = append(b, `,"corp_addr":`...)
		b = appendNested(b, encoding, p.CorpAddr.appendJSON)
	}
	b = appendOpt(b, `,"corp_name":`, p.CorpName)
	b = appendOpt(b, `,"corp_tel":`, p.CorpTel)
	if len(p.Contacts) > 0 {
		b = append(b, `,"contacts":`...)
		b = appendNested(b, encoding, func(b []byte) []byte { return appendContacts(b, p.Contacts) })
	}
	b = appendOpt(b, `,"email":`, p.Email)
	if !p.FamilyAddr.empty() {
		b = append(b, `,"family_addr":`...)
		b = appendNested(b, encoding, p.FamilyAddr.appendJSON)
	}
	b = appendOpt(b, `,"family_tel":`, p.FamilyTel)
	b = appendOpt(b, `,"qq":`, p.QQ)
	return append(b, '}'), nil
}

// sizeHint is about what Marshal writes (the values, the keys and
// quotes, room for escapes), so its buffer is allocated once.
func (p *Params) sizeHint() int {
	n := 400 + len(p.AmountBusiness) + len(p.QueryCorpAddrDetection) + len(p.Name) + len(p.IDNo) + len(p.BankNo) +
		len(p.Email) + len(p.QQ) + len(p.FamilyTel) + len(p.CorpTel) + len(p.CorpName)
	for _, s := range p.AddrDetectionTypes {
		n += len(s) + 3
	}
	for _, s := range p.Mobiles {
		n += len(s) + 1
	}
	for _, a := range []*Address{p.FamilyAddr, p.CorpAddr} {
		if a != nil {
			n += 60 + len(a.Province) + len(a.City) + len(a.County) + len(a.Address)
		}
	}
	for _, c := range p.Contacts {
		n += 80 + len(c.IDNo) + len(c.Mobile) + len(c.Name) + len(c.Type)
	}
	return n + n/4
}

// appendOpt appends an omitempty string member.
func appendOpt(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return wire.AppendString(append(b, key...), v)
}

// appendNested appends a nested value as JSON (EncodingObject) or as a
// JSON string holding that JSON (EncodingString).
func appendNested(b []byte, encoding string, value func([]byte) []byte) []byte {
	if encoding != EncodingString {
		return value(b)
	}
	var buf [256]byte
	return wire.AppendString(b, string(value(buf[:0])))
}

// appendJSON appends the address as encoding/json writes Address.
func (a *Address) appendJSON(b []byte) []byte {
	b = append(b, '{')
	n := len(b)
	for _, f := range [...]struct{ key, v string }{{`"province":`, a.Province}, {`"city":`, a.City}, {`"county":`, a.County}, {`"address":`, a.Address}} {
		if f.v == "" {
			continue
		}
		if len(b) > n {
			b = append(b, ',')
		}
		b = wire.AppendString(append(b, f.key...), f.v)
	}
	return append(b, '}')
}

// appendContacts appends the contacts as encoding/json writes []Contact.
func appendContacts(b []byte, cs []Contact) []byte {
	b = append(b, '[')
	for i := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		c := &cs[i]
		b = append(b, '{')
		n := len(b)
		for _, f := range [...]struct{ key, v string }{{`"contact_id_no":`, c.IDNo}, {`"contact_mobile":`, c.Mobile}, {`"contact_name":`, c.Name}, {`"contact_type":`, c.Type}} {
			if f.v == "" {
				continue
			}
			if len(b) > n {
				b = append(b, ',')
			}
			b = wire.AppendString(append(b, f.key...), f.v)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// errParamsFormat is a params value the gateway cannot read (40006).
var errParamsFormat = errors.New("params is not a JSON object of the documented shape")

// decodeParams reads a params JSON as the simulator receives it. Scalars
// may be strings or numbers (a Java gateway coerces both); family_addr,
// corp_addr and contacts may be nested JSON or a string holding JSON. It
// returns a vendor code for what the gateway rejects before validation:
// 40006 for a body that is not a JSON object, 44011/44014 for an address
// that is neither form.
func decodeParams(raw string) (*Params, string) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &m); err != nil || m == nil {
		return nil, "40006"
	}
	p := &Params{}
	strs := []struct {
		key string
		dst *string
	}{
		{"amount_business", &p.AmountBusiness}, {"query_corp_addr_detection", &p.QueryCorpAddrDetection},
		{"name", &p.Name}, {"id_no", &p.IDNo}, {"bank_no", &p.BankNo}, {"email", &p.Email}, {"qq", &p.QQ},
		{"family_tel", &p.FamilyTel}, {"corp_tel", &p.CorpTel}, {"corp_name", &p.CorpName},
	}
	for _, s := range strs {
		v, ok := scalar(m[s.key])
		if !ok {
			return nil, "40006"
		}
		*s.dst = v
	}
	mob, ok := scalar(m["mobile"])
	if !ok {
		return nil, "40006"
	}
	if mob != "" {
		p.Mobiles = strings.Split(mob, ",")
	}
	if r := m["addr_detection_types"]; len(r) > 0 && string(r) != "null" {
		if err := unmarshalNested(r, &p.AddrDetectionTypes); err != nil {
			return nil, "44054"
		}
	}
	for _, a := range []struct {
		key  string
		dst  **Address
		code string
	}{{"family_addr", &p.FamilyAddr, "44011"}, {"corp_addr", &p.CorpAddr, "44014"}} {
		r := m[a.key]
		if len(r) == 0 || string(r) == "null" || string(r) == `""` {
			continue
		}
		var addr Address
		if err := unmarshalNested(r, &addr); err != nil {
			return nil, a.code
		}
		*a.dst = &addr
	}
	if r := m["contacts"]; len(r) > 0 && string(r) != "null" && string(r) != `""` {
		if err := unmarshalNested(r, &p.Contacts); err != nil {
			return nil, "40006"
		}
	}
	return p, ""
}

// scalar reads a JSON string or number as a string; absent or null is "".
func scalar(r json.RawMessage) (string, bool) {
	if len(r) == 0 || string(r) == "null" {
		return "", true
	}
	// Fast paths for the usual shapes (answers carry dozens of scalars):
	// a string without escapes, and a plain number. r is valid JSON here
	// (a piece of a decoded document) or the slow path decides.
	if n := len(r); n >= 2 && r[0] == '"' && r[n-1] == '"' && bytes.IndexByte(r[1:n-1], '\\') < 0 && bytes.IndexByte(r[1:n-1], '"') < 0 && utf8.Valid(r[1:n-1]) && noControl(r[1:n-1]) {
		return string(r[1 : n-1]), true
	}
	if isPlainNumber(r) {
		return string(r), true
	}
	var s string
	if err := json.Unmarshal(r, &s); err == nil {
		return s, true
	}
	var n json.Number
	if err := json.Unmarshal(r, &n); err == nil {
		return n.String(), true
	}
	return "", false
}

func noControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 {
			return false
		}
	}
	return true
}

// isPlainNumber reports a JSON number without sign tricks: digits with an
// optional leading '-', fraction and exponent, as json.Number would hold it.
func isPlainNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	start := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == start || (b[start] == '0' && i-start > 1) {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		f := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == f {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		e := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == e {
			return false
		}
	}
	return i == len(b)
}

// unmarshalNested decodes r into dst whether r is the JSON itself or a JSON
// string holding it.
func unmarshalNested(r json.RawMessage, dst any) error {
	var s string
	if json.Unmarshal(r, &s) == nil {
		r = json.RawMessage(s)
	}
	return json.Unmarshal(r, dst)
}

// FieldError is a params value the vendor rejects: its code (44001–44062),
// the input field it came from, an English reason and the masked value.
type FieldError struct {
	Code   string
	Field  string
	Reason string
	Masked string
}

func (e *FieldError) Error() string { return e.Code + " " + e.Field + ": " + e.Reason }

// isTel matches ^[0-9]{3,4}-[0-9]{7,8}$ (a regexp per row was a visible
// cost; TestTelMatchesRegexp holds it to the expression).
func isTel(s string) bool {
	i := strings.IndexByte(s, '-')
	return (i == 3 || i == 4) && allDigits(s[:i]) && (len(s)-i-1 == 7 || len(s)-i-1 == 8) && allDigits(s[i+1:])
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Length limits of the document's request table (in characters).
const (
	maxNameLen     = 30
	maxEmailLen    = 50
	maxQQLen       = 50
	maxAddrJSONLen = 100
	maxAddrPartLen = 20
	maxAddrDetail  = 40
	maxCorpNameLen = 100
	maxMobiles     = 2
	maxContacts    = 6
	maxSpouses     = 1
	maxParents     = 2
)

// check validates p with the document's rules and codes, in the order of
// its code table. With fix (the client) values are replaced by their
// normalized form (trimmed, full-width folded, +86 stripped, 15-digit ID
// upgraded, contact type words mapped) and notes collects remarks; without
// fix (the simulator) a value must already be in the form the vendor takes.
func check(p *Params, fix bool, notes *[]string) *FieldError {
	fe := func(code, field, reason, masked string) *FieldError {
		return &FieldError{Code: code, Field: field, Reason: reason, Masked: masked}
	}
	// Product type first: without it the gateway cannot pick the model.
	switch {
	case p.AmountBusiness == "":
		return fe("44052", "amount_business", "amount_business (product type) is missing", "")
	case !slices.Contains(amountBusinessCodes, p.AmountBusiness):
		return fe("44055", "amount_business", "amount_business is not one of 0, 1, 2, 3, 99", p.AmountBusiness)
	}

	if providers.TrimSpace(p.Name) == "" {
		return fe("44001", "name", "name is empty", "")
	}
	if providers.TrimSpace(p.IDNo) == "" {
		return fe("44002", "id_no", "ID number is empty", "")
	}
	if norm, err := pii.Name(p.Name); err != nil || utf8.RuneCountInString(norm) > maxNameLen {
		return fe("44004", "name", "name: "+reasonOf(err, "must have 2 to 30 characters"), pii.MaskName(p.Name))
	} else if fix {
		p.Name = norm
	}
	if id, note, err := checkID(p.IDNo, fix); err != nil {
		return fe("44005", "id_no", "ID number: "+reasonOf(err, ""), pii.MaskID(p.IDNo))
	} else {
		p.IDNo = id
		if note != "" && notes != nil {
			*notes = append(*notes, "id_no: "+note)
		}
	}

	if len(p.Mobiles) == 0 {
		return fe("44019", "mobile", "mobile is missing", "")
	}
	if len(p.Mobiles) > maxMobiles {
		return fe("44008", "mobile", fmt.Sprintf("%d mobiles given, at most %d", len(p.Mobiles), maxMobiles), "")
	}
	for i, m := range p.Mobiles {
		field := mobileField(p, i)
		if providers.TrimSpace(m) == "" {
			return fe("44019", field, "mobile is missing", "")
		}
		norm, err := checkMobile(m, fix)
		if err != nil {
			return fe("44007", field, "mobile: "+reasonOf(err, ""), pii.MaskMobile(m))
		}
		p.Mobiles[i] = norm
	}
	if len(p.Mobiles) == 2 && p.Mobiles[0] == p.Mobiles[1] {
		return fe("44024", mobileField(p, 1), "the two mobiles are the same number", pii.MaskMobile(p.Mobiles[1]))
	}

	if p.Email != "" {
		norm, err := pii.Email(p.Email)
		switch {
		case err != nil:
			return fe("44009", "email", "email: "+reasonOf(err, ""), pii.MaskEmail(p.Email))
		case utf8.RuneCountInString(norm) > maxEmailLen:
			return fe("44009", "email", "email is longer than 50 characters", pii.MaskEmail(p.Email))
		case fix:
			p.Email = norm
		}
	}
	if p.QQ != "" {
		// The document's only rule for qq is "50 位以内".
		if fix {
			p.QQ = providers.TrimSpace(p.QQ)
		}
		if n := utf8.RuneCountInString(p.QQ); n > maxQQLen {
			return fe("44010", "qq", fmt.Sprintf("QQ number has %d characters, at most %d", n, maxQQLen), pii.MaskGeneric(p.QQ))
		}
	}
	if e := checkAddr(p.FamilyAddr, fix, "44011", "family"); e != nil {
		return e
	}
	if e := checkTel(&p.FamilyTel, fix, "44012", "family_tel"); e != nil {
		return e
	}
	if fix {
		p.CorpName = providers.TrimSpace(p.CorpName)
	}
	if n := utf8.RuneCountInString(p.CorpName); n > maxCorpNameLen {
		return fe("44013", "corp_name", fmt.Sprintf("company name has %d characters, at most %d", n, maxCorpNameLen), pii.MaskGeneric(p.CorpName))
	}
	if e := checkAddr(p.CorpAddr, fix, "44014", "corp"); e != nil {
		return e
	}
	if e := checkTel(&p.CorpTel, fix, "44015", "corp_tel"); e != nil {
		return e
	}
	if p.BankNo != "" {
		if fix {
			if n, err := pii.BankCard(p.BankNo); err == nil {
				p.BankNo = n
			}
		}
		if !pii.IsBankCard(p.BankNo) {
			return fe("44016", "bank_no", "bank card number must be at most 20 digits", pii.MaskGeneric(p.BankNo))
		}
	}
	if e := checkContacts(p, fix); e != nil {
		return e
	}
	if e := checkDetection(p); e != nil {
		return e
	}
	return nil
}

func mobileField(p *Params, i int) string {
	if i < len(p.mobileFields) {
		return p.mobileFields[i]
	}
	return []string{"mobile", "mobile2"}[min(i, 1)]
}

func reasonOf(err error, fallback string) string {
	var pr *pii.Problem
	if errors.As(err, &pr) {
		return pr.Reason
	}
	if err != nil {
		return err.Error()
	}
	return fallback
}

// checkID validates a resident ID number; without fix it must already be
// the 18-character form (a lower-case final x is accepted as the vendor's
// own check would).
func checkID(v string, fix bool) (string, string, error) {
	norm, note, err := pii.ChineseID(v)
	if err != nil {
		return "", "", err
	}
	if !fix && !strings.EqualFold(norm, v) {
		return "", "", errors.New("must be 18 characters: 17 digits and a digit or X")
	}
	return norm, note, nil
}

func checkMobile(v string, fix bool) (string, error) {
	norm, err := pii.ChineseMobile(v)
	if err != nil {
		return "", err
	}
	if !fix && norm != v {
		return "", errors.New("must be 11 digits")
	}
	return norm, nil
}

// telFix drops spaces and unifies dashes; built once (a Replacer builds its
// lookup tables on first use, which per row was a visible cost).
var telFix = strings.NewReplacer(" ", "", "－", "-", "—", "-", "–", "-")

// fixTel is telFix.Replace(s), which copies s twice even when nothing is
// replaced (its general algorithm, for the multi-byte dashes): a number
// holding none of the four is returned as it is (TestFixTelMatchesReplacer).
func fixTel(s string) string {
	if !strings.Contains(s, " ") && !strings.Contains(s, "－") && !strings.Contains(s, "—") && !strings.Contains(s, "–") {
		return s
	}
	return telFix.Replace(s)
}

func checkTel(v *string, fix bool, code, field string) *FieldError {
	if *v == "" {
		return nil
	}
	if fix {
		*v = fixTel(providers.TrimSpace(*v))
	}
	if !isTel(*v) {
		return &FieldError{Code: code, Field: field, Reason: "telephone must be a 3-4 digit area code, '-', and 7-8 digits (010-65239821)", Masked: pii.MaskMobile(*v)}
	}
	return nil
}

// checkAddr applies the limits of family_addr / corp_addr: parts at most
// 20 characters, the detail at most 40, the whole JSON object at most 100.
func checkAddr(a *Address, fix bool, code, prefix string) *FieldError {
	if a.empty() {
		return nil
	}
	parts := []struct {
		name string
		v    *string
		max  int
	}{{"province", &a.Province, maxAddrPartLen}, {"city", &a.City, maxAddrPartLen}, {"county", &a.County, maxAddrPartLen}, {"address", &a.Address, maxAddrDetail}}
	for _, pt := range parts {
		if fix {
			*pt.v = providers.TrimSpace(*pt.v)
		}
		if n := utf8.RuneCountInString(*pt.v); n > pt.max {
			return &FieldError{Code: code, Field: prefix + "_" + pt.name, Reason: fmt.Sprintf("address %s has %d characters, at most %d", pt.name, n, pt.max), Masked: pii.MaskGeneric(*pt.v)}
		}
	}
	var buf [256]byte
	if n := utf8.RuneCount(a.appendJSON(buf[:0])); n > maxAddrJSONLen {
		return &FieldError{Code: code, Field: prefix + "_address", Reason: fmt.Sprintf("address as JSON has %d characters, at most %d", n, maxAddrJSONLen), Masked: pii.MaskGeneric(a.Address)}
	}
	return nil
}

func checkContacts(p *Params, fix bool) *FieldError {
	if len(p.Contacts) > maxContacts {
		return &FieldError{Code: "44018", Field: "contacts", Reason: fmt.Sprintf("%d contacts given, at most %d", len(p.Contacts), maxContacts)}
	}
	spouses, parents := 0, 0
	// The ID numbers seen (at most 1 + maxContacts): a slice, not a map
	// per row.
	ids := make([]string, 1, 1+maxContacts)
	ids[0] = strings.ToUpper(p.IDNo)
	for i := range p.Contacts {
		c := &p.Contacts[i]
		f := func(s string) string { return "contact" + strconv.Itoa(i+1) + "_" + s }
		if providers.TrimSpace(c.Name) == "" {
			if c.empty() {
				continue
			}
			return &FieldError{Code: "44020", Field: f("name"), Reason: "contact has details but no name"}
		}
		norm, err := pii.Name(c.Name)
		if err != nil || utf8.RuneCountInString(norm) > maxNameLen {
			return &FieldError{Code: "44027", Field: f("name"), Reason: "contact name: " + reasonOf(err, "must have 2 to 30 characters"), Masked: pii.MaskName(c.Name)}
		}
		if fix {
			c.Name = norm
		}
		if c.Mobile != "" {
			m, err := checkMobile(c.Mobile, fix)
			if err != nil {
				return &FieldError{Code: "44017", Field: f("mobile"), Reason: "contact mobile: " + reasonOf(err, ""), Masked: pii.MaskMobile(c.Mobile)}
			}
			c.Mobile = m
		}
		if c.IDNo != "" {
			id, _, err := checkID(c.IDNo, fix)
			if err != nil {
				return &FieldError{Code: "44021", Field: f("id_no"), Reason: "contact ID number: " + reasonOf(err, ""), Masked: pii.MaskID(c.IDNo)}
			}
			c.IDNo = id
		}
		if c.Type != "" {
			t, ok := contactType(c.Type, fix)
			if !ok {
				return &FieldError{Code: "44022", Field: f("type"), Reason: "contact relationship is not one of SPOUSE, CHILD, PARENTS, COLLEAGUE, RELATIVES, FRIEND, OTHER_CONTACTS", Masked: pii.MaskGeneric(c.Type)}
			}
			c.Type = t
		}
		if c.IDNo != "" {
			k := strings.ToUpper(c.IDNo)
			if slices.Contains(ids, k) {
				return &FieldError{Code: "44023", Field: f("id_no"), Reason: "contact ID number repeats the applicant's or another contact's", Masked: pii.MaskID(c.IDNo)}
			}
			ids = append(ids, k)
		}
		switch c.Type {
		case "SPOUSE":
			if spouses++; spouses > maxSpouses {
				return &FieldError{Code: "44025", Field: f("type"), Reason: "more than one contact is a spouse"}
			}
		case "PARENTS":
			if parents++; parents > maxParents {
				return &FieldError{Code: "44026", Field: f("type"), Reason: "more than two contacts are parents"}
			}
		}
	}
	return nil
}

// contactType maps a relationship to the enum; with fix, any case and the
// Chinese words are accepted too.
func contactType(v string, fix bool) (string, bool) {
	if _, ok := contactTypes[v]; ok {
		return v, true
	}
	if !fix {
		return "", false
	}
	v = providers.TrimSpace(v)
	if u := strings.ToUpper(v); contactTypes[u] != "" {
		return u, true
	}
	if t, ok := contactTypeWords[v]; ok {
		return t, true
	}
	return "", false
}

// checkDetection: every address detection type must be known and have its
// mobile and address (字典 8 note 1); the corporate verdict needs the
// company name and address.
func checkDetection(p *Params) *FieldError {
	for _, t := range p.AddrDetectionTypes {
		if !validAddrType(t) {
			return &FieldError{Code: "44054", Field: "addr_detection_types", Reason: "unknown personal address detection type " + strconv.Quote(t)}
		}
		var a *Address
		addrField, mobileIdx := "family_address", 0
		switch t {
		case Mobile1Family, Mobile2Family:
			a = p.FamilyAddr
		default:
			a, addrField = p.CorpAddr, "corp_address"
		}
		if t == Mobile2Family || t == Mobile2Corp {
			mobileIdx = 1
		}
		if len(p.Mobiles) <= mobileIdx {
			return &FieldError{Code: "44054", Field: mobileField(p, mobileIdx), Reason: t + " needs mobile " + strconv.Itoa(mobileIdx+1)}
		}
		if a == nil || a.Address == "" {
			return &FieldError{Code: "44054", Field: addrField, Reason: t + " needs the address (with its detailed address part)"}
		}
	}
	switch p.QueryCorpAddrDetection {
	case "", "0":
	case "1":
		if p.CorpName == "" {
			return &FieldError{Code: "44062", Field: "corp_name", Reason: "the corporate address check needs the company name"}
		}
		if p.CorpAddr == nil || p.CorpAddr.Address == "" {
			return &FieldError{Code: "44062", Field: "corp_address", Reason: "the corporate address check needs the company address (with its detailed address part)"}
		}
	default:
		return &FieldError{Code: "44062", Field: "query_corp_addr_detection", Reason: "query_corp_addr_detection must be 1 (or absent)"}
	}
	return nil
}
