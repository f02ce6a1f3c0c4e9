package zhicheng

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/providertest"
)

const (
	goodID     = "110105199001011232" // valid check digit
	goodMobile = "13800138000"
)

// key1 is a key with both credentials (the simulator's first default key).
var key1 = providers.Key{ID: "zc-1", Credentials: map[string]string{"user_name": "sandbox_testusr", "sign": "sandbox-zc-sign-1"}}

// row is an input row as header → value.
type row map[string]string

func record(t *testing.T, p providers.Provider, r row) providers.Record {
	return providertest.Row(t, p, r)
}

// value returns the named column of a result.
func value(t *testing.T, p providers.Provider, res providers.Result, col string) string {
	return providertest.Value(t, p, res, col)
}

func newClient(t *testing.T, opts map[string]any) *Client {
	t.Helper()
	p, err := New(providers.Config{Name: "zhicheng", Endpoint: "http://127.0.0.1:1/submit", Options: opts})
	if err != nil {
		t.Fatalf("New(%v): %v", opts, err)
	}
	return p.(*Client)
}

// params returns the params JSON a row prepares to.
func params(t *testing.T, req *providers.Request) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(req.Payload.(payload).params), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPrepareValidation(t *testing.T) {
	base := func() row { return row{"姓名": "张三", "身份证号": goodID, "手机号": goodMobile} }
	mod := func(kv ...string) row {
		r := base()
		for i := 0; i < len(kv); i += 2 {
			r[kv[i]] = kv[i+1]
		}
		return r
	}
	tests := []struct {
		name   string
		opts   map[string]any
		r      row
		code   string // "" = accepted
		column string
		masked string
	}{
		{"ok", nil, base(), "", "", ""},
		{"name empty", nil, mod("姓名", " "), "44001", "姓名", ""},
		{"id empty", nil, mod("身份证号", ""), "44002", "身份证号", ""},
		{"name one char", nil, mod("姓名", "张"), "44004", "姓名", "*"},
		{"id checksum", nil, mod("身份证号", "110105199001011238"), "44005", "身份证号", "110105********1238"},
		{"id from Excel", nil, mod("身份证号", "1.10105E+17"), "44005", "身份证号", ""},
		{"mobile 10 digits", nil, mod("手机号", "3800138000"), "44007", "手机号", "380***8000"},
		{"three mobiles", nil, mod("手机号", "13800138000,13900139000", "mobile2", "13700137000"), "44008", "手机号", ""},
		{"same mobile twice", nil, mod("手机号", "13800138000", "mobile2", "138 0013 8000"), "44024", "mobile2", "138****8000"},
		{"email", nil, mod("email", "x@y"), "44009", "email", "***@y"},
		{"qq longer than 50", nil, mod("qq", strings.Repeat("1", 51)), "44010", "qq", ""},
		{"qq any 50 characters", nil, mod("qq", "0123abc"), "", "", ""},
		{"family address detail too long", nil, mod("家庭地址", strings.Repeat("路", 41)), "44011", "家庭地址", ""},
		{"family tel", nil, mod("family_tel", "6523-9821"), "44012", "family_tel", ""},
		{"corp name", nil, mod("单位名称", strings.Repeat("公", 101)), "44013", "单位名称", ""},
		{"corp city", nil, mod("单位地址市", strings.Repeat("市", 21)), "44014", "单位地址市", ""},
		{"corp tel", nil, mod("corp_tel", "010-123"), "44015", "corp_tel", ""},
		{"bank", nil, mod("银行卡号", "6.2226E+18"), "44016", "银行卡号", ""},
		{"contact mobile", nil, mod("contact2_name", "李四", "contact2_mobile", "12345"), "44017", "contact2_mobile", ""},
		{"contact without name", nil, mod("contact1_mobile", "13900001111"), "44020", "", ""},
		{"contact id", nil, mod("contact1_name", "李四", "contact1_id_no", "110105199001011238"), "44021", "contact1_id_no", "110105********1238"},
		{"contact type", nil, mod("contact1_name", "李四", "contact1_type", "老板"), "44022", "contact1_type", ""},
		{"contact is applicant", nil, mod("contact1_name", "李四", "contact1_id_no", goodID), "44023", "contact1_id_no", "110105********1232"},
		{"two spouses", nil, mod("contact1_name", "李四", "contact1_type", "Spouse", "contact3_name", "王五", "contact3_type", "配偶"), "44025", "contact3_type", ""},
		{"three parents", nil, mod("contact1_name", "李四", "contact1_type", "父母", "contact2_name", "王五", "contact2_type", "PARENTS", "contact4_name", "赵六", "contact4_type", "母亲"), "44026", "contact4_type", ""},
		{"contact name", nil, mod("contact1_name", "李#"), "44027", "contact1_name", ""},
		{"detection needs family address", map[string]any{"addr_detection_types": []string{Mobile1Family}}, base(), "44054", "", ""},
		{"detection needs mobile 2", map[string]any{"addr_detection_types": []string{Mobile2Corp}}, mod("单位地址", "人民路1号"), "44054", "", ""},
		{"detection ok", map[string]any{"addr_detection_types": []string{Mobile2Corp}}, mod("单位地址", "人民路1号", "手机号", "13800138000，13900139000"), "", "", ""},
		{"corp detection needs name", map[string]any{"query_corp_addr_detection": true}, mod("单位地址", "人民路1号"), "44062", "", ""},
		{"corp detection ok", map[string]any{"query_corp_addr_detection": true}, mod("单位地址", "人民路1号", "单位名称", "微商科技有限公司"), "", "", ""},
		{"normalized inputs", nil, mod("手机号", "+86 138-0013-8000", "身份证号", "110105900101123", "family_tel", " 010－65239821 ", "contact1_name", "李四", "contact1_type", "friend"), "", "", ""},
	}
	// The document marks these fields 否 (optional): a bad value is left out
	// of params with a warning and the row is sent.
	optional := map[string]bool{
		"same mobile twice": true, "email": true, "qq longer than 50": true, "family address detail too long": true,
		"family tel": true, "corp name": true, "corp city": true, "corp tel": true, "bank": true, "contact mobile": true,
		"contact without name": true, "contact id": true, "contact type": true, "contact is applicant": true,
		"two spouses": true, "three parents": true, "contact name": true,
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, tc.opts)
			rec := record(t, c, tc.r)
			req, err := c.Prepare(rec)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("Prepare: %v", err)
				}
				if len(req.Warnings) != 0 {
					t.Fatalf("warnings %v, want none", req.Warnings)
				}
				return
			}
			if optional[tc.name] {
				if err != nil {
					t.Fatalf("Prepare: %v, want the row sent without the optional value", err)
				}
				if len(req.Warnings) != 1 {
					t.Fatalf("warnings %v, want one", req.Warnings)
				}
				w := req.Warnings[0]
				if w.Code != tc.code || (tc.column != "" && w.Column != tc.column) || (tc.masked != "" && w.Masked != tc.masked) {
					t.Fatalf("warning %+v, want code %s column %q masked %q", w, tc.code, tc.column, tc.masked)
				}
				for _, v := range tc.r {
					if len([]rune(v)) >= 4 && strings.Contains(w.Error(), v) {
						t.Errorf("warning %q contains the raw value %q", w.Error(), v)
					}
				}
				return
			}
			if err == nil {
				t.Fatalf("Prepare accepted the row (warnings %v), want a RowError %s", req.Warnings, tc.code)
			}
			var re *providers.RowError
			if !errors.As(err, &re) {
				t.Fatalf("Prepare = %v, %v; want a RowError %s", req, err, tc.code)
			}
			if re.Code != tc.code || (tc.column != "" && re.Column != tc.column) || (tc.masked != "" && re.Masked != tc.masked) {
				t.Fatalf("RowError %+v, want code %s column %q masked %q", re, tc.code, tc.column, tc.masked)
			}
			// Never the raw value in the message.
			for _, v := range tc.r {
				if len([]rune(v)) >= 4 && strings.Contains(re.Error(), v) {
					t.Errorf("error %q contains the raw value %q", re.Error(), v)
				}
			}
		})
	}
}

func TestPrepareParams(t *testing.T) {
	c := newClient(t, map[string]any{"amount_business": 1, "addr_detection_types": []string{Mobile1Family}})
	r := row{
		"姓名": " 张三 ", "身份证号": "11010590010112３", "手机号": "+86 138-0013-8000", "手机号2": "13900139000",
		"家庭地址省": "北京市", "家庭地址市": "北京市", "家庭地址区县": "朝阳区", "家庭详细地址": "建国路1号",
		"银行卡号": "6222 6006 4001 1810 331", "email": "ABC@QQ.com",
		"contact2_name": "李四", "contact2_type": "配偶", "contact2_mobile": "13900001111",
	}
	req, err := c.Prepare(record(t, c, r))
	if err != nil {
		t.Fatal(err)
	}
	m := params(t, req)
	want := map[string]any{
		"amount_business": "1", "name": "张三", "id_no": "110105199001011232", "mobile": "13800138000,13900139000",
		"bank_no": "6222600640011810331", "email": "abc@qq.com",
		"family_addr":          map[string]any{"province": "北京市", "city": "北京市", "county": "朝阳区", "address": "建国路1号"},
		"contacts":             []any{map[string]any{"contact_name": "李四", "contact_type": "SPOUSE", "contact_mobile": "13900001111"}},
		"addr_detection_types": []any{Mobile1Family},
	}
	for k, w := range want {
		gb, _ := json.Marshal(m[k])
		wb, _ := json.Marshal(w)
		if string(gb) != string(wb) {
			t.Errorf("params.%s = %s, want %s", k, gb, wb)
		}
	}
	for _, k := range []string{"qq", "corp_addr", "corp_name", "query_corp_addr_detection"} {
		if _, ok := m[k]; ok {
			t.Errorf("params.%s sent though empty", k)
		}
	}
	if len(req.Notes) != 1 || !strings.Contains(req.Notes[0], "15-digit") {
		t.Errorf("notes %q: want the 15-digit upgrade noted", req.Notes)
	}

	// The form: five parameters, credentials as given.
	hreq, err := c.NewHTTPRequest(context.Background(), key1, req)
	if err != nil {
		t.Fatal(err)
	}
	if hreq.Method != "POST" || !strings.HasPrefix(hreq.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		t.Errorf("%s %s", hreq.Method, hreq.Header.Get("Content-Type"))
	}
	b, _ := io.ReadAll(hreq.Body)
	f, err := url.ParseQuery(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if f.Get("user_name") != "sandbox_testusr" || f.Get("sign") != "sandbox-zc-sign-1" || f.Get("api_name") != APIName ||
		f.Get("query_reason") != "LOAN_AUDIT" || f.Get("params") != req.Payload.(payload).params || len(f) != 5 {
		t.Errorf("form %v", f)
	}
	if strings.Contains(hreq.URL.String(), "sign") {
		t.Errorf("the sign is in the URL: %s", hreq.URL)
	}
}

func TestDedupe(t *testing.T) {
	r := row{"姓名": "张三", "身份证号": goodID, "手机号": goodMobile}
	key := func(opts map[string]any, r row) [32]byte {
		c := newClient(t, opts)
		req, err := c.Prepare(record(t, c, r))
		if err != nil {
			t.Fatal(err)
		}
		return req.Dedupe
	}
	a := key(nil, r)
	if key(nil, row{"姓名": "张三", "身份证号": goodID, "手机号": "138 0013 8000"}) != a {
		t.Error("equal rows after normalization dedupe differently")
	}
	for name, opts := range map[string]map[string]any{
		"query_reason":    {"query_reason": "LOAN_MANAGE"},
		"amount_business": {"amount_business": "3"},
		"corp":            {"query_corp_addr_detection": true},
	} {
		rr := r
		if name == "corp" {
			rr = row{"姓名": "张三", "身份证号": goodID, "手机号": goodMobile, "单位名称": "x公司", "单位地址": "y路"}
		}
		if key(opts, rr) == a {
			t.Errorf("%s does not change the dedupe key", name)
		}
	}
	withAddr := row{"姓名": "张三", "身份证号": goodID, "手机号": goodMobile, "家庭地址": "y路"}
	if key(nil, withAddr) == key(map[string]any{"address_encoding": "string"}, withAddr) {
		t.Error("the address encoding does not change the dedupe key")
	}
}

func TestOptions(t *testing.T) {
	c := newClient(t, nil)
	if c.queryReason != "LOAN_AUDIT" || c.amountBusiness != "0" || c.encoding != EncodingObject || c.corp || len(c.addrTypes) != 0 {
		t.Errorf("defaults %+v", c)
	}
	if got := newClient(t, map[string]any{"amount_business": 99}).amountBusiness; got != "99" {
		t.Errorf("amount_business 99 (a YAML number) = %q", got)
	}
	for _, opts := range []map[string]any{
		{"query_reason": "FUN"},
		{"amount_business": "4"},
		{"addr_detection_types": []string{"SELF_MOBILE_3_FAMILY_ADDR"}},
		{"address_encoding": "base64"},
		{"query_corp_addr": true}, // unknown key
	} {
		if _, err := New(providers.Config{Endpoint: "http://x/submit", Options: opts}); err == nil {
			t.Errorf("New(%v) accepted", opts)
		}
	}
	if _, err := New(providers.Config{Endpoint: "/submit"}); err == nil {
		t.Error("a relative endpoint was accepted")
	}
	// Columns follow the options; none carries the provider prefix.
	c = newClient(t, map[string]any{"addr_detection_types": []string{Mobile2Family, Mobile1Corp}, "query_corp_addr_detection": true})
	names := map[string]bool{}
	for _, col := range c.Columns() {
		if names[col.Name] || strings.HasPrefix(col.Name, "zhicheng") {
			t.Errorf("column %q duplicated or prefixed", col.Name)
		}
		names[col.Name] = true
	}
	for _, n := range []string{"fraud_score", "risk_hits", "addr_self_mobile_2_family_addr", "addr_self_mobile_1_corp_addr", "corp_addr_result", "flow_id", "loan_call_cnt", "first_order_black_cnt"} {
		if !names[n] {
			t.Errorf("no column %s", n)
		}
	}
	if len(newClient(t, nil).Columns()) != len(c.Columns())-4 {
		t.Error("address columns are not tied to the options")
	}
	if got := c.DefaultBilled(); len(got) != 1 || got[0] != "10000" {
		t.Errorf("DefaultBilled %v", got)
	}
	spec, ok := providers.Lookup("zhicheng")
	if !ok || spec.TimeZone != "Asia/Shanghai" || len(spec.Credentials) != 2 {
		t.Errorf("registration %+v", spec)
	}
}

func TestInputAliases(t *testing.T) {
	c := newClient(t, nil)
	header := []string{"真实姓名", "身份证号码", "phone", "手机号码2", "bankcard", "company", "联系人1姓名", "联系人1关系", "家庭地址", "单位详细地址"}
	b, missing := providers.NewBinding(header, c.Inputs(), nil)
	if len(missing) > 0 {
		t.Fatalf("missing %v", missing)
	}
	for _, f := range []string{"name", "id_no", "mobile", "mobile2", "bank_no", "corp_name", "contact1_name", "contact1_type", "family_addr", "corp_address"} {
		if !b.Has(f) {
			t.Errorf("field %s not bound from %v", f, header)
		}
	}
}

func TestPrepareRefusesDigests(t *testing.T) {
	c := newClient(t, nil)
	for _, tc := range []struct{ field, value string }{
		{"id_no", "0cc175b9c0f1b6a831c399e269772661"},
		{"mobile", "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"},
	} {
		r := row{"姓名": "张三", "身份证号": goodID, "手机号": goodMobile}
		r[tc.field] = tc.value
		_, err := c.Prepare(record(t, c, r))
		var re *providers.RowError
		if !errors.As(err, &re) || re.Code != "hashed_not_accepted" {
			t.Errorf("%s digest: got %v, want RowError hashed_not_accepted", tc.field, err)
			continue
		}
		if strings.Contains(err.Error(), tc.value) {
			t.Errorf("%s: the error repeats the whole digest: %v", tc.field, err)
		}
	}
}

// TestPrepareOptionalLeftOut: bad optional values are left out of params
// (several at once), good ones are kept; a value a job option makes
// required (addr_detection_types, query_corp_addr_detection) makes the row
// invalid with its own code, not the option's.
func TestPrepareOptionalLeftOut(t *testing.T) {
	base := row{"姓名": "张三", "身份证号": goodID, "手机号": goodMobile}
	with := func(kv ...string) row {
		r := row{}
		for k, v := range base {
			r[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			r[kv[i]] = kv[i+1]
		}
		return r
	}
	tests := []struct {
		name      string
		opts      map[string]any
		r         row
		warnCodes []string       // warnings, in order
		absent    []string       // params keys left out
		kept      map[string]any // params values still sent
		invalid   string         // the row's code when it is invalid
		column    string
	}{
		{"email and qq bad, bank good", nil, with("email", "x@y", "qq", strings.Repeat("9", 51), "银行卡号", "6222600640011810331"),
			[]string{"44009", "44010"}, []string{"email", "qq"}, map[string]any{"bank_no": "6222600640011810331"}, "", ""},
		{"bad mobile2 dropped, mobile kept", nil, with("手机号2", "12345"),
			[]string{"44007"}, nil, map[string]any{"mobile": goodMobile}, "", ""},
		{"bad contact mobile: contact sent without it", nil, with("contact1_name", "李四", "contact1_mobile", "12345", "contact1_type", "朋友"),
			[]string{"44017"}, nil, map[string]any{"contacts": []any{map[string]any{"contact_name": "李四", "contact_type": "FRIEND"}}}, "", ""},
		{"detection needs the family address that is too long", map[string]any{"addr_detection_types": []string{Mobile1Family}},
			with("家庭地址", strings.Repeat("路", 41)), nil, nil, nil, "44011", "家庭地址"},
		{"corporate check needs the company name that is too long", map[string]any{"query_corp_addr_detection": true},
			with("单位地址", "人民路1号", "单位名称", strings.Repeat("公", 101)), nil, nil, nil, "44013", "单位名称"},
		{"detection on: a bad optional field elsewhere is still left out", map[string]any{"addr_detection_types": []string{Mobile1Family}},
			with("家庭地址", "建国路1号", "qq", strings.Repeat("9", 51)), []string{"44010"}, []string{"qq"}, nil, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, tc.opts)
			req, err := c.Prepare(record(t, c, tc.r))
			if tc.invalid != "" {
				var re *providers.RowError
				if !errors.As(err, &re) || re.Code != tc.invalid || re.Column != tc.column {
					t.Fatalf("Prepare = %v, want invalid %s on column %s", err, tc.invalid, tc.column)
				}
				return
			}
			if err != nil {
				t.Fatalf("Prepare: %v", err)
			}
			var codes []string
			for _, w := range req.Warnings {
				codes = append(codes, w.Code)
			}
			if !slices.Equal(codes, tc.warnCodes) {
				t.Errorf("warning codes %v, want %v", codes, tc.warnCodes)
			}
			m := params(t, req)
			for _, k := range tc.absent {
				if _, ok := m[k]; ok {
					t.Errorf("params still carry %s: %v", k, m)
				}
			}
			for k, v := range tc.kept {
				if !reflect.DeepEqual(m[k], v) {
					t.Errorf("params %s = %v, want %v", k, m[k], v)
				}
			}
		})
	}
}

// TestFieldNumbers: the f… constants name the fields Prepare means.
func TestFieldNumbers(t *testing.T) {
	want := map[int]string{
		fName: "name", fIDNo: "id_no", fBankNo: "bank_no", fEmail: "email", fQQ: "qq", fFamilyTel: "family_tel",
		fCorpTel: "corp_tel", fCorpName: "corp_name", fMobile: "mobile", fMobile2: "mobile2",
		fFamilyAddr: "family_province", fFamilyAddr + 3: "family_address", fFamilyAddr + 4: "family_addr",
		fCorpAddr: "corp_province", fCorpAddr + 2: "corp_county", fCorpAddr + 4: "corp_addr",
		fContacts: "contact1_name", fContacts + 3: "contact1_type", fContacts + 4*2 + 1: "contact3_mobile",
		fContacts + 4*(maxContacts-1) + 2: "contact6_id_no",
	}
	for i, name := range want {
		if got := zcFields.Name(i); got != name {
			t.Errorf("field %d is %q, want %q", i, got, name)
		}
	}
}
