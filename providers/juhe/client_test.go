package juhe

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/pii"
	"github.com/riskbatch/riskbatch/providers/providertest"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

const testEndpointV1 = "http://apis.juhe.cn/anti_fraud/query"

// key1 is a key with both credentials (the simulator's first default key).
var key1 = providers.Key{ID: "juhe-1", Credentials: map[string]string{"key": "sandbox-juhe-key-1", "openid": "sandbox-openid-1"}}

// record is an input row with name, ID number and mobile columns.
func record(t *testing.T, p providers.Provider, name, id, mobile string) providers.Record {
	return providertest.Row(t, p, map[string]string{"姓名": name, "身份证号": id, "手机号": mobile})
}

func newClient(t *testing.T, endpoint string, opts map[string]any) *Client {
	t.Helper()
	p, err := New(providers.Config{Name: "juhe", Endpoint: endpoint, Options: opts})
	if err != nil {
		t.Fatalf("New(%s, %v): %v", endpoint, opts, err)
	}
	return p.(*Client)
}

// A valid test person from the sandbox population (seed 1).
var testPerson = sandbox.NewPopulation(1, 10).Person(4)

func TestPrepareInvalid(t *testing.T) {
	okID, okMobile, okName := testPerson.IDCard, testPerson.Mobile, testPerson.Name
	badCheck := okID[:17] + string("0123456789"[(strings.IndexByte("0123456789X", okID[17])+1)%10])
	if badCheck == okID {
		t.Fatal("test setup: the altered ID equals the original")
	}
	tests := []struct {
		name, idc, mobile, realname string
		opts                        map[string]any
		field, code                 string
		mask                        func(string) string
	}{
		{"check digit", badCheck, okMobile, okName, nil, "idcard", pii.CodeIDChecksum, pii.MaskID},
		{"excel sci notation", "3.30328E+17", okMobile, okName, nil, "idcard", pii.CodeIDSciNotation, pii.MaskID},
		{"excel decimal", okID[:17] + ".0", okMobile, okName, nil, "idcard", pii.CodeIDDecimal, pii.MaskID},
		{"17 digits", okID[:17], okMobile, okName, nil, "idcard", pii.CodeIDLength, pii.MaskID},
		{"id letters", okID[:10] + "abcdefgh", okMobile, okName, nil, "idcard", pii.CodeIDChars, pii.MaskID},
		{"id empty", "", okMobile, okName, nil, "idcard", "id_missing", nil},
		{"mobile 10 digits", okID, okMobile[1:], okName, nil, "mobile", pii.CodeMobileLength, pii.MaskMobile},
		{"mobile sci notation", okID, "1.77E+10", okName, nil, "mobile", pii.CodeMobileSciNotation, pii.MaskMobile},
		{"mobile foreign", okID, "+44 7700 900123", okName, nil, "mobile", pii.CodeMobileCountry, pii.MaskMobile},
		{"mobile landline", okID, "02112345678", okName, nil, "mobile", pii.CodeMobileFormat, pii.MaskMobile},
		{"mobile empty", okID, "", okName, nil, "mobile", "mobile_missing", nil},
		{"bad id with id_crypto md5", badCheck, okMobile, okName, map[string]any{"id_crypto": "md5"}, "idcard", pii.CodeIDChecksum, pii.MaskID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, testEndpointV1, tc.opts)
			_, err := c.Prepare(record(t, c, tc.realname, tc.idc, tc.mobile))
			var re *providers.RowError
			if !errors.As(err, &re) {
				t.Fatalf("Prepare: %v, want a *providers.RowError", err)
			}
			if re.Field != tc.field || re.Code != tc.code {
				t.Fatalf("got field %s code %q (%v), want %s %q", re.Field, re.Code, err, tc.field, tc.code)
			}
			wantCol := map[string]string{"name": "姓名", "idcard": "身份证号", "mobile": "手机号"}[tc.field]
			if re.Column != wantCol {
				t.Errorf("column %q, want %q", re.Column, wantCol)
			}
			raw := map[string]string{"name": tc.realname, "idcard": tc.idc, "mobile": tc.mobile}[tc.field]
			if tc.mask != nil && re.Masked != tc.mask(raw) {
				t.Errorf("masked %q, want %q", re.Masked, tc.mask(raw))
			}
			if raw != "" && strings.Contains(err.Error(), raw) {
				t.Errorf("Error() %q echoes the raw value", err.Error())
			}
			if strings.Contains(re.Reason, raw) && raw != "" {
				t.Errorf("Reason %q echoes the raw value", re.Reason)
			}
		})
	}
	t.Run("realname false ignores a bad name", func(t *testing.T) {
		c := newClient(t, testEndpointV1, map[string]any{"realname": false})
		if _, err := c.Prepare(record(t, c, "张三3", okID, okMobile)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("no name is fine", func(t *testing.T) {
		c := newClient(t, testEndpointV1, nil)
		if _, err := c.Prepare(record(t, c, "", okID, okMobile)); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPrepareBadNameIsLeftOut: the name is optional for Juhe (realname
// 必填 否), so a name failing its check is left out of the request with a
// warning and the row is still sent — the same lookup as a row without a
// name.
func TestPrepareBadNameIsLeftOut(t *testing.T) {
	okID, okMobile := testPerson.IDCard, testPerson.Mobile
	key := providers.Key{ID: "k", Credentials: map[string]string{"key": "secret"}}
	tests := []struct {
		name, realname string
		code           string
	}{
		{"name digits", "张三3", pii.CodeNameDigits},
		{"name too short", "张", pii.CodeNameLength},
		{"name symbols", "张三@公司", pii.CodeNameChars},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, testEndpointV1, nil)
			rec := record(t, c, tc.realname, okID, okMobile)
			req, err := c.Prepare(rec)
			if err != nil {
				t.Fatalf("Prepare: %v, want the row sent without the name", err)
			}
			if len(req.Warnings) != 1 {
				t.Fatalf("warnings %v, want one", req.Warnings)
			}
			w := req.Warnings[0]
			if w.Field != "name" || w.Column != "姓名" || w.Code != tc.code || w.Masked != pii.MaskName(tc.realname) {
				t.Errorf("warning field %q column %q code %q masked %q, want name 姓名 %q %q", w.Field, w.Column, w.Code, w.Masked, tc.code, pii.MaskName(tc.realname))
			}
			if strings.Contains(w.Error(), tc.realname) {
				t.Errorf("warning %q echoes the raw name", w.Error())
			}
			_, _, form := sentForm(t, c, key, rec)
			if form.Has("realname") || form.Has("nameCryptoType") {
				t.Errorf("form %v still carries the bad name", form)
			}
			noName, err := c.Prepare(record(t, c, "", okID, okMobile))
			if err != nil {
				t.Fatal(err)
			}
			if req.Dedupe != noName.Dedupe {
				t.Error("a row whose name was left out is not the same lookup as a row without a name")
			}
		})
	}
	t.Run("a good name is sent, no warning", func(t *testing.T) {
		c := newClient(t, testEndpointV1, nil)
		rec := record(t, c, testPerson.Name, okID, okMobile)
		req, err := c.Prepare(rec)
		if err != nil || len(req.Warnings) != 0 {
			t.Fatalf("Prepare: %v, warnings %v", err, req.Warnings)
		}
		if _, _, form := sentForm(t, c, key, rec); form.Get("realname") != testPerson.Name {
			t.Errorf("realname %q, want %q", form.Get("realname"), testPerson.Name)
		}
	})
}

// sentForm builds the request for a row and returns its method, URL query
// and form body.
func sentForm(t *testing.T, c *Client, key providers.Key, rec providers.Record) (*http.Request, url.Values, url.Values) {
	t.Helper()
	req, err := c.Prepare(rec)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	hr, err := c.NewHTTPRequest(t.Context(), key, req)
	if err != nil {
		t.Fatalf("NewHTTPRequest: %v", err)
	}
	body := url.Values{}
	if hr.Body != nil {
		b, err := io.ReadAll(hr.Body)
		if err != nil {
			t.Fatal(err)
		}
		if body, err = url.ParseQuery(string(b)); err != nil {
			t.Fatal(err)
		}
	}
	return hr, hr.URL.Query(), body
}

func TestPrepareHashedInput(t *testing.T) {
	per := testPerson
	tests := []struct {
		name      string
		opts      map[string]any
		idc       string
		wantType  string
		wantIDVal string
	}{
		{"md5 hex, upper case", nil, strings.ToUpper(pii.Hash(pii.MD5, per.IDCard)), "1", pii.Hash(pii.MD5, per.IDCard)},
		{"64 hex defaults to sha256", nil, pii.Hash(pii.SHA256, per.IDCard), "2", pii.Hash(pii.SHA256, per.IDCard)},
		{"64 hex with hashed_64 sm3", map[string]any{"hashed_64": "sm3"}, pii.Hash(pii.SM3, per.IDCard), "3", pii.Hash(pii.SM3, per.IDCard)},
		{"md5 hex passes through despite id_crypto sm3", map[string]any{"id_crypto": "sm3"}, pii.Hash(pii.MD5, per.IDCard), "1", pii.Hash(pii.MD5, per.IDCard)},
		{"plain with id_crypto sm3", map[string]any{"id_crypto": "sm3"}, per.IDCard, "3", pii.Hash(pii.SM3, per.IDCard)},
		{"plain", nil, per.IDCard, "", per.IDCard},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, testEndpointV1, tc.opts)
			_, _, f := sentForm(t, c, key1, record(t, c, per.Name, tc.idc, per.Mobile))
			if f.Get("idCryptoType") != tc.wantType || f.Get("idcard") != tc.wantIDVal {
				t.Errorf("idCryptoType %q idcard %q, want %q %q", f.Get("idCryptoType"), f.Get("idcard"), tc.wantType, tc.wantIDVal)
			}
		})
	}
	t.Run("md5 name passes through", func(t *testing.T) {
		c := newClient(t, testEndpointV1, nil)
		h := pii.Hash(pii.MD5, per.Name)
		_, _, f := sentForm(t, c, key1, record(t, c, h, per.IDCard, per.Mobile))
		if f.Get("realname") != h || f.Get("nameCryptoType") != "1" {
			t.Errorf("form %v", f)
		}
	})
}

func TestRequestShape(t *testing.T) {
	per := testPerson
	openid := key1.Credentials["openid"]
	aesKey := AESKey(openid)
	decrypt := func(t *testing.T, s string) string {
		t.Helper()
		pt, err := pii.AESECBDecrypt(aesKey, s)
		if err != nil {
			t.Fatalf("decrypt %q: %v", s, err)
		}
		return pt
	}
	t.Run("POST keeps the key out of the URL", func(t *testing.T) {
		c := newClient(t, testEndpointV1, nil)
		hr, q, f := sentForm(t, c, key1, record(t, c, per.Name, per.IDCard, per.Mobile))
		if hr.Method != http.MethodPost || hr.URL.RawQuery != "" || hr.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Fatalf("%s %s %q", hr.Method, hr.URL, hr.Header.Get("Content-Type"))
		}
		if len(q) != 0 || f.Get("key") != key1.Credentials["key"] || f.Get("idcard") != per.IDCard || f.Get("mobile") != per.Mobile || f.Get("realname") != per.Name {
			t.Errorf("query %v form %v", q, f)
		}
		for _, k := range []string{"idCryptoType", "phoneCryptoType", "nameCryptoType", "ency", "encyr"} {
			if f.Has(k) {
				t.Errorf("plaintext request sends %s=%q", k, f.Get(k))
			}
		}
	})
	t.Run("GET", func(t *testing.T) {
		c := newClient(t, testEndpointV1+"?x=1", map[string]any{"method": "get", "product": "query"})
		hr, q, _ := sentForm(t, c, key1, record(t, c, per.Name, per.IDCard, per.Mobile))
		if hr.Method != http.MethodGet || hr.Body != nil && hr.ContentLength != 0 || q.Get("key") != key1.Credentials["key"] || q.Get("idcard") != per.IDCard || q.Get("x") != "1" {
			t.Errorf("%s %s", hr.Method, hr.URL)
		}
	})
	t.Run("digests", func(t *testing.T) {
		c := newClient(t, testEndpointV1, map[string]any{"id_crypto": "sha256", "phone_crypto": "md5", "name_crypto": "md5"})
		_, _, f := sentForm(t, c, key1, record(t, c, per.Name, per.IDCard, per.Mobile))
		want := url.Values{
			"key": {key1.Credentials["key"]}, "idcard": {pii.Hash(pii.SHA256, per.IDCard)}, "mobile": {pii.Hash(pii.MD5, per.Mobile)},
			"realname": {pii.Hash(pii.MD5, per.Name)}, "idCryptoType": {"2"}, "phoneCryptoType": {"1"}, "nameCryptoType": {"1"},
		}
		if f.Encode() != want.Encode() {
			t.Errorf("form\n%v\nwant\n%v", f, want)
		}
	})
	t.Run("realname false", func(t *testing.T) {
		c := newClient(t, testEndpointV1, map[string]any{"realname": false, "name_crypto": "md5"})
		_, _, f := sentForm(t, c, key1, record(t, c, per.Name, per.IDCard, per.Mobile))
		if f.Has("realname") || f.Has("nameCryptoType") {
			t.Errorf("form %v", f)
		}
	})
	for _, tc := range []struct {
		endpoint  string
		wantEncyr bool
	}{{testEndpointV1, false}, {"http://apis.juhe.cn/anti_fraud/queryV2", true}} {
		t.Run("aes "+tc.endpoint, func(t *testing.T) {
			c := newClient(t, tc.endpoint, map[string]any{"aes": true, "phone_crypto": "sm3"})
			_, _, f := sentForm(t, c, key1, record(t, c, per.Name, per.IDCard, per.Mobile))
			if f.Get("ency") != "1" || f.Has("encyr") != tc.wantEncyr || tc.wantEncyr && f.Get("encyr") != "1" {
				t.Errorf("flags: ency=%q encyr=%q", f.Get("ency"), f.Get("encyr"))
			}
			if got := decrypt(t, f.Get("idcard")); got != per.IDCard {
				t.Errorf("idcard decrypts to %q", got)
			}
			if got := decrypt(t, f.Get("mobile")); got != pii.Hash(pii.SM3, per.Mobile) || f.Get("phoneCryptoType") != "3" {
				t.Errorf("mobile decrypts to %q (phoneCryptoType %q), want the SM3 digest, encrypted", got, f.Get("phoneCryptoType"))
			}
			if got := decrypt(t, f.Get("realname")); got != per.Name {
				t.Errorf("realname decrypts to %q", got)
			}
		})
	}
	t.Run("foreign payload", func(t *testing.T) {
		c := newClient(t, testEndpointV1, nil)
		if _, err := c.NewHTTPRequest(t.Context(), key1, &providers.Request{Payload: "x"}); err == nil {
			t.Fatal("want an error for a payload of another provider")
		}
	})
}

func TestDedupe(t *testing.T) {
	per := testPerson
	v1 := newClient(t, testEndpointV1, nil)
	v2 := newClient(t, "http://apis.juhe.cn/anti_fraud/queryV2", nil)
	v1md5 := newClient(t, testEndpointV1, map[string]any{"id_crypto": "md5"})
	v1aes := newClient(t, testEndpointV1, map[string]any{"aes": true})
	v1get := newClient(t, testEndpointV1, map[string]any{"method": "GET"})
	dk := func(c *Client, name, idc, mobile string) [32]byte {
		t.Helper()
		req, err := c.Prepare(record(t, c, name, idc, mobile))
		if err != nil {
			t.Fatal(err)
		}
		return req.Dedupe
	}
	base := dk(v1, per.Name, per.IDCard, per.Mobile)
	if dk(v1, per.Name, per.IDCard, per.Mobile) != base {
		t.Error("equal rows: different dedupe keys")
	}
	if dk(v1, " "+per.Name+" ", " "+per.IDCard+"\u3000", "+86 "+per.Mobile) != base {
		t.Error("rows equal after normalization: different dedupe keys")
	}
	if dk(v1get, per.Name, per.IDCard, per.Mobile) != base {
		t.Error("GET and POST send the same lookup: the dedupe keys should match")
	}
	other := sandbox.NewPopulation(1, 10).Person(5)
	for name, k := range map[string][32]byte{
		"queryV2":      dk(v2, per.Name, per.IDCard, per.Mobile),
		"md5":          dk(v1md5, per.Name, per.IDCard, per.Mobile),
		"aes":          dk(v1aes, per.Name, per.IDCard, per.Mobile),
		"other id":     dk(v1, per.Name, other.IDCard, per.Mobile),
		"other mobile": dk(v1, per.Name, per.IDCard, other.Mobile),
		"other name":   dk(v1, other.Name, per.IDCard, per.Mobile),
		"no name":      dk(v1, "", per.IDCard, per.Mobile),
	} {
		if k == base {
			t.Errorf("%s: same dedupe key as the base request", name)
		}
	}
}

func TestPrepareLegacy15(t *testing.T) {
	pop := sandbox.NewPopulation(1, 3000)
	var per sandbox.Person
	for i := range 3000 {
		if per = pop.Person(i); per.IDCard[6:8] == "19" {
			break
		}
	}
	id15 := per.IDCard[:6] + per.IDCard[8:17]
	c := newClient(t, testEndpointV1, nil)
	req15, err := c.Prepare(record(t, c, per.Name, id15, per.Mobile))
	if err != nil {
		t.Fatal(err)
	}
	req18, err := c.Prepare(record(t, c, per.Name, per.IDCard, per.Mobile))
	if err != nil {
		t.Fatal(err)
	}
	if req15.Dedupe != req18.Dedupe || !slices.Contains(req15.Notes, pii.NoteConvertedFrom15) {
		t.Errorf("15-digit ID: notes %q; same lookup as the 18-digit one: %v", req15.Notes, req15.Dedupe == req18.Dedupe)
	}
}

func TestNewOptions(t *testing.T) {
	tests := []struct {
		name     string
		endpoint string
		opts     map[string]any
		product  string // "" = error expected
		errHas   string
	}{
		{"query from path", "http://apis.juhe.cn/anti_fraud/query", nil, ProductV1, ""},
		{"queryV2 from path", "https://apis.juhe.cn/anti_fraud/queryV2", nil, ProductV2, ""},
		{"explicit product wins", "http://gateway.example/proxy", map[string]any{"product": "queryV2"}, ProductV2, ""},
		{"unknown path", "http://gateway.example/proxy", nil, "", "product"},
		{"unknown option", testEndpointV1, map[string]any{"prodcut": "query"}, "", "prodcut"},
		{"bad product", testEndpointV1, map[string]any{"product": "v3"}, "", "product"},
		{"bad method", testEndpointV1, map[string]any{"method": "PUT"}, "", "method"},
		{"method lower case", testEndpointV1, map[string]any{"method": "get"}, ProductV1, ""},
		{"bad id_crypto", testEndpointV1, map[string]any{"id_crypto": "sha1"}, "", "id_crypto"},
		{"bad phone_crypto", testEndpointV1, map[string]any{"phone_crypto": "base64"}, "", "phone_crypto"},
		{"name_crypto sha256", testEndpointV1, map[string]any{"name_crypto": "sha256"}, "", "name_crypto"},
		{"hashed_64 md5", testEndpointV1, map[string]any{"hashed_64": "md5"}, "", "hashed_64"},
		{"aes not a bool", testEndpointV1, map[string]any{"aes": "maybe"}, "", ""},
		{"relative endpoint", "/anti_fraud/query", nil, "", "endpoint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(providers.Config{Name: "juhe", Endpoint: tc.endpoint, Options: tc.opts})
			if tc.product == "" {
				if err == nil {
					t.Fatalf("want an error, got %+v", p)
				}
				if !strings.Contains(err.Error(), tc.errHas) {
					t.Errorf("error %q does not name %q", err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := p.(*Client).product; got != tc.product {
				t.Errorf("product %q, want %q", got, tc.product)
			}
		})
	}
}

func TestRegistration(t *testing.T) {
	spec, ok := providers.Lookup("juhe")
	if !ok {
		t.Fatal("juhe is not registered")
	}
	if spec.TimeZone != "Asia/Shanghai" {
		t.Errorf("quota day time zone %q", spec.TimeZone)
	}
	var names []string
	for _, c := range spec.Credentials {
		names = append(names, c.Name)
		if want := c.Name == "key"; c.Required != want {
			t.Errorf("credential %s required=%v", c.Name, c.Required)
		}
	}
	if !slices.Equal(names, []string{"key", "openid"}) {
		t.Errorf("credentials %v", names)
	}
	p, err := spec.New(providers.Config{Name: "j", Endpoint: testEndpointV1})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.DefaultBilled(), []string{"0"}) {
		t.Errorf("DefaultBilled %v, want error_code 0", p.DefaultBilled())
	}
	var cols []string
	for _, c := range p.Columns() {
		cols = append(cols, c.Name)
	}
	if !slices.Equal(cols, []string{"score", "found", "id_found", "risk_codes", "orderid"}) {
		t.Errorf("columns %v", cols)
	}
	if vs := sandbox.New(sandbox.Config{Seed: 1, Population: 10}).Vendors(); !slices.Contains(vs, "juhe") {
		t.Errorf("sandbox vendors %v lack juhe", vs)
	}
}

func TestInputAliases(t *testing.T) {
	c := newClient(t, testEndpointV1, nil)
	for _, header := range [][]string{
		{"name", "idcard", "mobile"},
		{"真实姓名", "身份证号码", "手机号码"},
		{"客户姓名", "证件号码", "手机"},
		{"Name", "ID_NO", "Phone"},
		{" realname ", "\ufeff证件号", "手机号"},
	} {
		b, missing := providers.NewBinding(header, c.Inputs(), nil)
		if len(missing) > 0 || !b.Has("name") || !b.Has("idcard") || !b.Has("mobile") {
			t.Errorf("header %q: missing %v", header, missing)
		}
	}
	_, missing := providers.NewBinding([]string{"姓名", "手机号"}, c.Inputs(), nil)
	if len(missing) != 1 || !strings.HasPrefix(missing[0], "idcard") {
		t.Errorf("missing ID column: %v", missing)
	}
	b, missing := providers.NewBinding([]string{"身份证号", "手机号"}, c.Inputs(), nil)
	if len(missing) > 0 || b.Has("name") {
		t.Errorf("name is optional: missing %v", missing)
	}
}
