package zhicheng

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// wireParams is the params JSON as encoding/json wrote it before Marshal
// appended it by hand (issue 18): the reference TestMarshalMatchesEncodingJSON
// holds Marshal to. Its field order is the wire's key order.
type wireParams struct {
	AmountBusiness         string          `json:"amount_business"`
	QueryCorpAddrDetection string          `json:"query_corp_addr_detection,omitempty"`
	AddrDetectionTypes     []string        `json:"addr_detection_types,omitempty"`
	Name                   string          `json:"name"`
	IDNo                   string          `json:"id_no"`
	Mobile                 string          `json:"mobile"`
	BankNo                 string          `json:"bank_no,omitempty"`
	CorpAddr               json.RawMessage `json:"corp_addr,omitempty"`
	CorpName               string          `json:"corp_name,omitempty"`
	CorpTel                string          `json:"corp_tel,omitempty"`
	Contacts               json.RawMessage `json:"contacts,omitempty"`
	Email                  string          `json:"email,omitempty"`
	FamilyAddr             json.RawMessage `json:"family_addr,omitempty"`
	FamilyTel              string          `json:"family_tel,omitempty"`
	QQ                     string          `json:"qq,omitempty"`
}

// marshalReference is Params.Marshal as it was, through encoding/json.
func marshalReference(p *Params, encoding string) ([]byte, error) {
	w := wireParams{
		AmountBusiness: p.AmountBusiness, QueryCorpAddrDetection: p.QueryCorpAddrDetection,
		AddrDetectionTypes: p.AddrDetectionTypes, Name: p.Name, IDNo: p.IDNo,
		Mobile: strings.Join(p.Mobiles, ","), BankNo: p.BankNo, CorpName: p.CorpName, CorpTel: p.CorpTel,
		Email: p.Email, FamilyTel: p.FamilyTel, QQ: p.QQ,
	}
	nested := func(v any) (json.RawMessage, error) {
		b, err := marshalJSON(v)
		if err != nil || encoding != EncodingString {
			return b, err
		}
		return marshalJSON(string(b))
	}
	var err error
	if !p.CorpAddr.empty() {
		if w.CorpAddr, err = nested(p.CorpAddr); err != nil {
			return nil, fmt.Errorf("corp_addr: %w", err)
		}
	}
	if !p.FamilyAddr.empty() {
		if w.FamilyAddr, err = nested(p.FamilyAddr); err != nil {
			return nil, fmt.Errorf("family_addr: %w", err)
		}
	}
	if len(p.Contacts) > 0 {
		if w.Contacts, err = nested(p.Contacts); err != nil {
			return nil, fmt.Errorf("contacts: %w", err)
		}
	}
	return marshalJSON(w)
}

var paramStrings = []string{"", "", "", "张三", "a\"b", "<&>", "x\\y", "\u2028", "\xff\xfe", "tab\there", "\x01", "湖南省长沙市", "110101199003071234", "  sp  ", "é"}

func randomParams(r *rand.Rand) *Params {
	s := func() string {
		return paramStrings[r.IntN(len(paramStrings))] + paramStrings[r.IntN(len(paramStrings))]
	}
	p := &Params{AmountBusiness: s(), QueryCorpAddrDetection: s(), Name: s(), IDNo: s(), BankNo: s(), Email: s(), QQ: s(), FamilyTel: s(), CorpTel: s(), CorpName: s()}
	for range r.IntN(3) {
		p.AddrDetectionTypes = append(p.AddrDetectionTypes, s())
	}
	for range r.IntN(3) {
		p.Mobiles = append(p.Mobiles, s())
	}
	addr := func() *Address {
		switch r.IntN(3) {
		case 0:
			return nil
		case 1:
			return &Address{}
		}
		return &Address{Province: s(), City: s(), County: s(), Address: s()}
	}
	p.FamilyAddr, p.CorpAddr = addr(), addr()
	for range r.IntN(4) {
		p.Contacts = append(p.Contacts, Contact{IDNo: s(), Mobile: s(), Name: s(), Type: s()})
	}
	return p
}

func TestMarshalMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 2))
	for range 20000 {
		p := randomParams(r)
		for _, enc := range []string{EncodingObject, EncodingString} {
			got, err := p.Marshal(enc)
			if err != nil {
				t.Fatal(err)
			}
			want, err := marshalReference(p, enc)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("%s:\n got %s\nwant %s", enc, got, want)
			}
		}
		for _, a := range []*Address{p.FamilyAddr, p.CorpAddr} {
			if a.empty() {
				continue
			}
			want, _ := marshalJSON(a)
			if got := a.appendJSON(nil); string(got) != string(want) {
				t.Fatalf("address:\n got %s\nwant %s", got, want)
			}
		}
	}
}

func FuzzMarshal(f *testing.F) {
	f.Add("张三", "a\"b", "<&>", "\xff", uint8(3))
	f.Fuzz(func(t *testing.T, a, b, c, d string, shape uint8) {
		p := &Params{AmountBusiness: a, Name: b, IDNo: c, Mobiles: []string{d, a}, Email: b, QQ: c}
		if shape&1 != 0 {
			p.FamilyAddr = &Address{Province: a, City: b, County: c, Address: d}
		}
		if shape&2 != 0 {
			p.Contacts = []Contact{{IDNo: a, Mobile: b, Name: c, Type: d}, {Name: d}}
		}
		if shape&4 != 0 {
			p.AddrDetectionTypes = []string{a, d}
		}
		for _, enc := range []string{EncodingObject, EncodingString} {
			got, _ := p.Marshal(enc)
			want, _ := marshalReference(p, enc)
			if string(got) != string(want) {
				t.Fatalf("%s:\n got %s\nwant %s", enc, got, want)
			}
		}
	})
}

// TestFormBodyMatchesValues: NewHTTPRequest's body is what url.Values.Encode
// wrote for the same five values.
func TestFormBodyMatchesValues(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 3))
	c := &Client{queryReason: "LOAN_AUDIT"}
	for range 2000 {
		p := randomParams(r)
		params, _ := p.Marshal(EncodingString)
		user, sign := paramStrings[r.IntN(len(paramStrings))]+"_testusr", paramStrings[r.IntN(len(paramStrings))]+"+/=&?"
		form := url.Values{}
		form.Set("user_name", user)
		form.Set("sign", sign)
		form.Set("api_name", APIName)
		form.Set("query_reason", c.queryReason)
		form.Set("params", string(params))
		if got, want := string(c.formBody(user, sign, string(params))), form.Encode(); got != want {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	}
}

// isTel is ^[0-9]{3,4}-[0-9]{7,8}$ (the bank card's ^[0-9]{1,20}$ is
// pii.IsBankCard, tested there).
func TestTelMatchesRegexp(t *testing.T) {
	tel := regexp.MustCompile(`^[0-9]{3,4}-[0-9]{7,8}$`)
	parts := []string{"", "0", "01", "010", "0755", "07551", "-", "--", "1234567", "12345678", "123456789", "a", " ", "\n", "１", "012345678901234567890"}
	for _, a := range parts {
		for _, b := range parts {
			for _, c := range parts {
				s := a + b + c
				if isTel(s) != tel.MatchString(s) {
					t.Errorf("isTel(%q) = %v", s, isTel(s))
				}
			}
		}
	}
}

// TestFixTelMatchesReplacer holds fixTel to telFix.Replace on numbers with
// and without the spaces and dashes it folds, their bytes cut apart.
func TestFixTelMatchesReplacer(t *testing.T) {
	pieces := []string{"010", "-", "65239821", " ", "－", "—", "–", "\xef\xbc", "\xe2\x80", "\u3000", "x", ""}
	r := rand.New(rand.NewPCG(18, 9))
	for range 20000 {
		var b strings.Builder
		for range r.IntN(6) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		if got, want := fixTel(s), telFix.Replace(s); got != want {
			t.Fatalf("fixTel(%q) = %q, telFix.Replace %q", s, got, want)
		}
	}
}
