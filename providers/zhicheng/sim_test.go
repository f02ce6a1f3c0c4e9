package zhicheng_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/providertest"
	"github.com/riskbatch/riskbatch/providers/sandbox"
	"github.com/riskbatch/riskbatch/providers/zhicheng"
	"github.com/riskbatch/riskbatch/providers/zhicheng/zhichengsim"
)

// The client against its simulator over loopback (providertest).

// key1 and key2 are the simulator's default keys.
var key1, key2 = providertest.KeyPair(zhichengsim.Sim{})

const vendor = zhichengsim.VendorName

var shanghai = zhichengsim.Sim{}.Location() // Zhicheng's quota day

type env struct{ *providertest.Env }

func newEnv(t *testing.T) *env { return newEnvWith(t, sandbox.Config{}) }

func newEnvWith(t *testing.T, cfg sandbox.Config) *env { return &env{providertest.NewEnv(t, cfg)} }

func (e *env) provider(t *testing.T, opts map[string]any) providers.Provider {
	return e.Provider(t, vendor, "/submit", opts)
}

// row is an input row as header → value.
type row map[string]string

func record(t *testing.T, p providers.Provider, r row) providers.Record {
	return providertest.Row(t, p, r)
}

// personRow is population member i with the three required columns.
func (e *env) personRow(i int) row {
	per := e.Person(i)
	return row{"姓名": per.Name, "身份证号": per.IDCard, "手机号": per.Mobile}
}

func (e *env) call(t *testing.T, p providers.Provider, key providers.Key, r row) (providers.Result, []byte) {
	t.Helper()
	return e.Call(t, p, key, record(t, p, r))
}

// sentParams is the params field of the form the client sends for req.
func sentParams(t *testing.T, p providers.Provider, req *providers.Request) string {
	t.Helper()
	hreq, err := p.NewHTTPRequest(t.Context(), key1, req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(hreq.Body)
	if err != nil {
		t.Fatal(err)
	}
	f, err := url.ParseQuery(string(b))
	if err != nil {
		t.Fatalf("form %s: %v", b, err)
	}
	return f.Get("params")
}

// form is a complete, valid request form with key k.
func form(k providers.Key, params string) url.Values {
	return url.Values{
		"user_name": {k.Credentials["user_name"]}, "sign": {k.Credentials["sign"]},
		"api_name": {zhicheng.APIName}, "query_reason": {"LOAN_AUDIT"}, "params": {params},
	}
}

// post sends a raw request to path and returns status, header and body.
func (e *env) post(t *testing.T, method, path, ctype, body string) (int, http.Header, []byte) {
	t.Helper()
	return e.Raw(t, method, path, ctype, []byte(body), nil)
}

// postForm posts a form to /submit and parses the answer with p.
func (e *env) postForm(t *testing.T, p providers.Provider, f url.Values) (providers.Result, []byte) {
	t.Helper()
	status, h, body := e.post(t, http.MethodPost, "/submit", "application/x-www-form-urlencoded", f.Encode())
	return p.Parse(status, h, body), body
}

// hitPerson and noRecordPerson pick population members by their standing.
func (e *env) hitPerson(t *testing.T, from int) int {
	return providertest.FirstWhere(t, from, func(i int) bool { _, hit := zhichengsim.Subject(e.Srv.Population(), i); return hit })
}

func (e *env) noRecordPerson(t *testing.T) int {
	return providertest.FirstWhere(t, 0, func(i int) bool { _, hit := zhichengsim.Subject(e.Srv.Population(), i); return !hit })
}

func value(t *testing.T, p providers.Provider, res providers.Result, col string) string {
	return providertest.Value(t, p, res, col)
}

func TestHitAndNoHit(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)

	t.Run("hit", func(t *testing.T) {
		i := e.hitPerson(t, 0)
		score, _ := zhichengsim.Subject(e.Srv.Population(), i)
		res, body := e.call(t, p, key1, e.personRow(i))
		if res.Outcome != providers.Hit || res.Code != "10000" {
			t.Fatalf("got %+v (%s)", res, body)
		}
		if got := value(t, p, res, "fraud_score"); got != strconv.Itoa(score) {
			t.Errorf("fraud_score %q, want %d", got, score)
		}
		n := (score-1)/20 + 1
		lvl := strconv.Itoa(n)
		if got := value(t, p, res, "fraud_level"); got != lvl {
			t.Errorf("fraud_level %q, want %s", got, lvl)
		}
		levels := []string{"数据不足", "一级", "二级", "三级", "四级", "五级"} // the document's fraudLevel words
		if got := value(t, p, res, "fraud_level_desc"); got != levels[n] {
			t.Errorf("fraud_level_desc %q", got)
		}
		per := e.Person(i)
		wantGender := map[bool]string{true: "男", false: "女"}[(per.IDCard[16]-'0')%2 == 1]
		if got := value(t, p, res, "gender"); got != wantGender {
			t.Errorf("gender %q, want %q", got, wantGender)
		}
		if age, err := strconv.Atoi(value(t, p, res, "age")); err != nil || age < 18 || age > 70 {
			t.Errorf("age %q", value(t, p, res, "age"))
		}
		if got := value(t, p, res, "id_no_location"); got != zhichengsim.IDLocation(per.IDCard) {
			t.Errorf("id_no_location %q", got)
		}
		if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(value(t, p, res, "flow_id")) {
			t.Errorf("flow_id %q", value(t, p, res, "flow_id"))
		}
		if strings.Contains(string(body), per.IDCard) {
			t.Errorf("answer echoes the full ID number: %s", body)
		}
	})

	for _, tc := range []struct {
		name string
		r    row
	}{
		{"no record", e.personRow(e.noRecordPerson(t))},
		{"outsider", func() row {
			per := e.Person(providertest.Population + 17)
			return row{"姓名": per.Name, "身份证号": per.IDCard, "手机号": per.Mobile}
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := e.call(t, p, key1, tc.r)
			if res.Outcome != providers.NoHit || res.Code != "10000" {
				t.Fatalf("got %+v (%s)", res, body)
			}
			for col, w := range map[string]string{"fraud_score": "", "fraud_level": "0", "fraud_level_desc": "数据不足", "risk_hits": "", "risk_hit_count": "0", "age": ""} {
				if got := value(t, p, res, col); got != w {
					t.Errorf("%s = %q, want %q", col, got, w)
				}
			}
			if strings.Contains(string(body), "fraudScore") {
				t.Errorf("a no-hit carries a score: %s", body)
			}
		})
	}
}

// TestPopulationSpread: no-hits near 15%, scores over the whole range, risk
// lists and the "too few contacts" rate all occur.
func TestPopulationSpread(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	const n = 300
	noHit, withRisks, fewContacts := 0, 0, 0
	levels := map[string]int{}
	lo, hi := 101, 0
	for i := range n {
		res, body := e.call(t, p, key1, e.personRow(i))
		switch res.Outcome {
		case providers.NoHit:
			noHit++
			continue
		case providers.Hit:
		default:
			t.Fatalf("person %d: %+v (%s)", i, res, body)
		}
		s, _ := strconv.Atoi(value(t, p, res, "fraud_score"))
		lo, hi = min(lo, s), max(hi, s)
		levels[value(t, p, res, "fraud_level")]++
		if value(t, p, res, "risk_hit_count") != "0" {
			withRisks++
		}
		if value(t, p, res, "first_order_black_rate") == "联系人过少不予计算" {
			fewContacts++
		}
	}
	if share := float64(noHit) / n; share < 0.09 || share > 0.22 {
		t.Errorf("no-hit share %.2f, want about 0.15", share)
	}
	if lo > 10 || hi < 85 {
		t.Errorf("scores span %d–%d, want most of 1–100", lo, hi)
	}
	if len(levels) != 5 {
		t.Errorf("levels seen %v, want all five", levels)
	}
	if withRisks < 20 || fewContacts == 0 {
		t.Errorf("%d answers with risk lists, %d with too few contacts", withRisks, fewContacts)
	}
}

// TestAddressEncodings: both encodings of family_addr, corp_addr and
// contacts are accepted and answered alike.
func TestAddressEncodings(t *testing.T) {
	e := newEnv(t)
	i := e.hitPerson(t, 0)
	per := e.Person(i)
	r := e.personRow(i)
	r["家庭地址省"], r["家庭地址市"], r["家庭地址区县"], r["家庭详细地址"] = per.FamilyAddr.Province, per.FamilyAddr.City, per.FamilyAddr.County, per.FamilyAddr.Address
	r["contact1_name"], r["contact1_mobile"], r["contact1_type"] = "李四", "13900001111", "配偶"
	opts := map[string]any{"addr_detection_types": []string{zhicheng.Mobile1Family}}
	var values [][]string
	for _, enc := range []string{zhicheng.EncodingObject, zhicheng.EncodingString} {
		opts["address_encoding"] = enc
		p := e.provider(t, opts)
		req, err := p.Prepare(record(t, p, r))
		if err != nil {
			t.Fatal(err)
		}
		params := sentParams(t, p, req)
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(params), &m); err != nil {
			t.Fatalf("params %s: %v", params, err)
		}
		isString := m["family_addr"][0] == '"' && m["contacts"][0] == '"'
		if isString != (enc == zhicheng.EncodingString) {
			t.Errorf("%s: params %s", enc, params)
		}
		if !strings.Contains(params, `SPOUSE`) {
			t.Errorf("%s: contact type not mapped: %s", enc, params)
		}
		res, body := e.Send(t, p, key1, req)
		if res.Outcome != providers.Hit {
			t.Fatalf("%s: %+v (%s)", enc, res, body)
		}
		if got := value(t, p, res, "addr_self_mobile_1_family_addr"); !strings.HasPrefix(got, "匹配度 1001 匹配/正常") && !strings.HasPrefix(got, "匹配度 1004") {
			t.Errorf("%s: own address verdict %q", enc, got)
		}
		values = append(values, res.Values[:len(res.Values)-1]) // all but flow_id
	}
	if strings.Join(values[0], "|") != strings.Join(values[1], "|") {
		t.Errorf("encodings answered differently:\n%q\n%q", values[0], values[1])
	}
}

func TestAddressVerdicts(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, map[string]any{"addr_detection_types": []string{"self_mobile_1_family_addr", zhicheng.Mobile2Corp}, "query_corp_addr_detection": true})
	pop := e.Srv.Population()
	// A person whose verdicts are not the occasional lookup failure.
	i := providertest.FirstWhere(t, 0, func(i int) bool {
		_, hit := zhichengsim.Subject(pop, i)
		return hit && pop.Rand(i, vendor+"/addr/"+zhicheng.Mobile1Family).IntN(12) != 0 && pop.Rand(i, vendor+"/addr/"+zhicheng.Mobile2Corp).IntN(12) != 0 &&
			pop.Rand(i, vendor+"/corp").IntN(15) != 0
	})
	per := e.Person(i)
	r := e.personRow(i)
	r["手机号2"] = per.Mobile2
	r["家庭地址"] = per.FamilyAddr.Address
	r["单位地址"] = "人民路1号"
	r["单位名称"] = "无关有限公司"
	res, body := e.call(t, p, key1, r)
	if res.Outcome != providers.Hit {
		t.Fatalf("%+v (%s)", res, body)
	}
	fam := value(t, p, res, "addr_self_mobile_1_family_addr")
	corp := value(t, p, res, "addr_self_mobile_2_corp_addr")
	if !strings.HasPrefix(fam, "匹配度 1001 匹配/正常; 有效性 2001 ") || strings.Count(fam, "; ") != 4 {
		t.Errorf("own family address: %q", fam)
	}
	if !strings.HasPrefix(corp, "匹配度 1002 不匹配/中风险; 有效性 2002 ") {
		t.Errorf("foreign corporate address: %q", corp)
	}
	if got := value(t, p, res, "corp_addr_result"); got != "DIFFERENCE 验证结果不一致" {
		t.Errorf("corp_addr_result %q", got)
	}
	if got := value(t, p, res, "corp_addr_similar"); !strings.Contains(got, per.CorpAddr.String()) {
		t.Errorf("corp_addr_similar %q", got)
	}
	// No record: evidence insufficient everywhere.
	j := e.noRecordPerson(t)
	pj := e.Person(j)
	r = e.personRow(j)
	r["手机号2"], r["家庭地址"], r["单位地址"], r["单位名称"] = pj.Mobile2, pj.FamilyAddr.Address, pj.CorpAddr.Address, pj.CorpName
	res, body = e.call(t, p, key1, r)
	if res.Outcome != providers.NoHit {
		t.Fatalf("%+v (%s)", res, body)
	}
	if got := value(t, p, res, "addr_self_mobile_1_family_addr"); !strings.HasPrefix(got, "匹配度 1003 ") || !strings.Contains(got, "有效地址数 5004 证据不足,无法评估") {
		t.Errorf("no-record verdict %q", got)
	}
	if got := value(t, p, res, "corp_addr_result"); got != "LACK_EVIDENCE 证据不足,无法验证" {
		t.Errorf("no-record corp %q", got)
	}
}

func TestCredentials(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	r := e.personRow(e.hitPerson(t, 0))
	if res, _ := e.call(t, p, key2, r); res.Outcome != providers.Hit {
		t.Errorf("second default key: %+v", res)
	}
	// Missing credentials never reach the wire, and the error names no secret.
	req, err := p.Prepare(record(t, p, r))
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.NewHTTPRequest(context.Background(), providers.Key{ID: "k", Credentials: map[string]string{"user_name": "u-secret"}}, req)
	if err == nil || strings.Contains(err.Error(), "u-secret") {
		t.Errorf("missing sign: %v", err)
	}
}

// TestGateway checks the gateway's own codes for requests the client never
// sends: wrong method, content type, path, missing or garbled parameters.
func TestGateway(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	per := e.Person(e.hitPerson(t, 0))
	good := `{"amount_business":"0","name":"` + per.Name + `","id_no":"` + per.IDCard + `","mobile":"` + per.Mobile + `"}`
	full := form(key1, good)
	without := func(k string) string { f := form(key1, good); f.Del(k); return f.Encode() }
	with := func(k, v string) string { f := form(key1, good); f.Set(k, v); return f.Encode() }
	const formCT = "application/x-www-form-urlencoded"
	tests := []struct {
		name, method, path, ctype, body string
		outcome                         providers.Outcome
		code                            string
	}{
		{"ok", "POST", "/submit", formCT, full.Encode(), providers.Hit, "10000"},
		{"ok charset", "POST", "/submit", formCT + "; charset=UTF-8", full.Encode(), providers.Hit, "10000"},
		{"GET", "GET", "/submit?" + full.Encode(), "", "", providers.Fatal, "40000"},
		{"JSON body", "POST", "/submit", "application/json", `{"user_name":"sandbox_testusr"}`, providers.Fatal, "40000"},
		{"empty form", "POST", "/submit", formCT, "", providers.Fatal, "40000"},
		{"wrong path", "POST", "/submit/v2", formCT, full.Encode(), providers.Fatal, "HTTP 404"},
		{"no sign", "POST", "/submit", formCT, without("sign"), providers.Fatal, "40001"},
		{"no user", "POST", "/submit", formCT, without("user_name"), providers.Fatal, "40002"},
		{"no api_name", "POST", "/submit", formCT, without("api_name"), providers.Fatal, "40003"},
		{"no params", "POST", "/submit", formCT, without("params"), providers.Fatal, "40004"},
		{"no query_reason", "POST", "/submit", formCT, without("query_reason"), providers.Fatal, "40005"},
		{"params not JSON", "POST", "/submit", formCT, with("params", "name=张三"), providers.Invalid, "40006"},
		{"params array", "POST", "/submit", formCT, with("params", "[1]"), providers.Invalid, "40006"},
		{"wrong api_name", "POST", "/submit", formCT, with("api_name", "fraud.screening.api"), providers.Fatal, "50202"},
		{"bad query_reason", "POST", "/submit", formCT, with("query_reason", "loan_audit"), providers.Fatal, "50110"},
		{"amount_business missing", "POST", "/submit", formCT, with("params", strings.Replace(good, `"amount_business":"0",`, "", 1)), providers.Fatal, "44052"},
		{"amount_business bad", "POST", "/submit", formCT, with("params", strings.Replace(good, `"amount_business":"0"`, `"amount_business":"5"`, 1)), providers.Invalid, "44055"},
		{"amount_business number", "POST", "/submit", formCT, with("params", strings.Replace(good, `"amount_business":"0"`, `"amount_business":99`, 1)), providers.Hit, "10000"},
		{"family_addr garbled", "POST", "/submit", formCT, with("params", strings.Replace(good, `"amount_business":"0"`, `"amount_business":"0","family_addr":"{province"`, 1)), providers.Invalid, "44011"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := e.post(t, tc.method, tc.path, tc.ctype, tc.body)
			res := p.Parse(status, h, body)
			if res.Outcome != tc.outcome || res.Code != tc.code {
				t.Fatalf("got %+v (HTTP %d %s)", res, status, body)
			}
		})
	}
	// Institution zc-2 may not use CREDIT_CARD_AUDIT.
	f := form(key2, good)
	f.Set("query_reason", "CREDIT_CARD_AUDIT")
	if res, body := e.postForm(t, p, f); res.Outcome != providers.Fatal || res.Code != "50109" {
		t.Errorf("reason not allowed: %+v (%s)", res, body)
	}
	f.Set("query_reason", "LOAN_MANAGE")
	if res, body := e.postForm(t, p, f); res.Outcome != providers.Hit {
		t.Errorf("allowed reason: %+v (%s)", res, body)
	}
}

// TestSimValidatesLikeClient sends rows the client would reject straight to
// the simulator (bypassing Prepare) and expects the same vendor code.
func TestSimValidatesLikeClient(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	per := e.Person(e.hitPerson(t, 0))
	base := func() *zhicheng.Params {
		return &zhicheng.Params{AmountBusiness: "0", Name: per.Name, IDNo: per.IDCard, Mobiles: []string{per.Mobile}}
	}
	c := func(name, mobile, id, typ string) zhicheng.Contact {
		return zhicheng.Contact{Name: name, Mobile: mobile, IDNo: id, Type: typ}
	}
	other := e.Person(providertest.Population + 5).IDCard // an outsider: never the applicant
	tests := []struct {
		name string
		mod  func(p *zhicheng.Params)
		code string
	}{
		{"name empty", func(p *zhicheng.Params) { p.Name = "" }, "44001"},
		{"id empty", func(p *zhicheng.Params) { p.IDNo = "" }, "44002"},
		{"name digits", func(p *zhicheng.Params) { p.Name = "张3" }, "44004"},
		{"name too long", func(p *zhicheng.Params) { p.Name = strings.Repeat("张", 31) }, "44004"},
		{"id checksum", func(p *zhicheng.Params) {
			p.IDNo = per.IDCard[:17] + map[bool]string{true: "0", false: "1"}[per.IDCard[17] != '0']
		}, "44005"},
		{"id 15 digits", func(p *zhicheng.Params) { p.IDNo = "110105800101123" }, "44005"},
		{"mobile short", func(p *zhicheng.Params) { p.Mobiles = []string{"1380013800"} }, "44007"},
		{"mobile +86", func(p *zhicheng.Params) { p.Mobiles = []string{"+8613800138000"} }, "44007"},
		{"three mobiles", func(p *zhicheng.Params) { p.Mobiles = []string{"13800138000", "13900139000", "13700137000"} }, "44008"},
		{"no mobile", func(p *zhicheng.Params) { p.Mobiles = nil }, "44019"},
		{"email", func(p *zhicheng.Params) { p.Email = "a@b" }, "44009"},
		{"qq longer than 50", func(p *zhicheng.Params) { p.QQ = strings.Repeat("1", 51) }, "44010"},
		{"family address long", func(p *zhicheng.Params) { p.FamilyAddr = &zhicheng.Address{Address: strings.Repeat("路", 41)} }, "44011"},
		{"family address json long", func(p *zhicheng.Params) {
			p.FamilyAddr = &zhicheng.Address{Province: strings.Repeat("省", 20), City: strings.Repeat("市", 20), County: strings.Repeat("区", 20), Address: strings.Repeat("路", 20)}
		}, "44011"},
		{"family tel", func(p *zhicheng.Params) { p.FamilyTel = "01065239821" }, "44012"},
		{"corp name", func(p *zhicheng.Params) { p.CorpName = strings.Repeat("公", 101) }, "44013"},
		{"corp province", func(p *zhicheng.Params) { p.CorpAddr = &zhicheng.Address{Province: strings.Repeat("省", 21)} }, "44014"},
		{"corp tel", func(p *zhicheng.Params) { p.CorpTel = "10-65239821" }, "44015"},
		{"bank", func(p *zhicheng.Params) { p.BankNo = strings.Repeat("6", 21) }, "44016"},
		{"contact mobile", func(p *zhicheng.Params) { p.Contacts = []zhicheng.Contact{c("李四", "123", "", "")} }, "44017"},
		{"seven contacts", func(p *zhicheng.Params) {
			for k := range 7 {
				p.Contacts = append(p.Contacts, c("李四", "1390000000"+strconv.Itoa(k), "", "FRIEND"))
			}
		}, "44018"},
		{"contact without name", func(p *zhicheng.Params) { p.Contacts = []zhicheng.Contact{c("", "13900001111", "", "")} }, "44020"},
		{"contact id", func(p *zhicheng.Params) { p.Contacts = []zhicheng.Contact{c("李四", "", "12345", "")} }, "44021"},
		{"contact type", func(p *zhicheng.Params) { p.Contacts = []zhicheng.Contact{c("李四", "", "", "BOSS")} }, "44022"},
		{"contact type word unsent", func(p *zhicheng.Params) { p.Contacts = []zhicheng.Contact{c("李四", "", "", "配偶")} }, "44022"},
		{"contact id is applicant's", func(p *zhicheng.Params) { p.Contacts = []zhicheng.Contact{c("李四", "", per.IDCard, "")} }, "44023"},
		{"contact ids repeat", func(p *zhicheng.Params) {
			p.Contacts = []zhicheng.Contact{c("李四", "", other, ""), c("王五", "", other, "")}
		}, "44023"},
		{"same mobile twice", func(p *zhicheng.Params) { p.Mobiles = []string{per.Mobile, per.Mobile} }, "44024"},
		{"two spouses", func(p *zhicheng.Params) {
			p.Contacts = []zhicheng.Contact{c("李四", "", "", "SPOUSE"), c("王五", "", "", "SPOUSE")}
		}, "44025"},
		{"three parents", func(p *zhicheng.Params) {
			p.Contacts = []zhicheng.Contact{c("李四", "", "", "PARENTS"), c("王五", "", "", "PARENTS"), c("赵六", "", "", "PARENTS")}
		}, "44026"},
		{"contact name", func(p *zhicheng.Params) { p.Contacts = []zhicheng.Contact{c("李4", "", "", "")} }, "44027"},
		{"detection type unknown", func(p *zhicheng.Params) { p.AddrDetectionTypes = []string{"SELF_MOBILE_3_FAMILY_ADDR"} }, "44054"},
		{"detection without address", func(p *zhicheng.Params) { p.AddrDetectionTypes = []string{zhicheng.Mobile1Family} }, "44054"},
		{"detection without mobile 2", func(p *zhicheng.Params) {
			p.AddrDetectionTypes = []string{zhicheng.Mobile2Family}
			p.FamilyAddr = &zhicheng.Address{Address: "人民路1号"}
		}, "44054"},
		{"corp detection without name", func(p *zhicheng.Params) {
			p.QueryCorpAddrDetection = "1"
			p.CorpAddr = &zhicheng.Address{Address: "人民路1号"}
		}, "44062"},
		{"corp detection value", func(p *zhicheng.Params) { p.QueryCorpAddrDetection = "yes" }, "44062"},
		{"all fine", func(p *zhicheng.Params) {
			p.Contacts = []zhicheng.Contact{c("李四", "13900001111", other, "SPOUSE"), c("王五", "", "", "PARENTS"), c("赵六", "", "", "PARENTS")}
			p.Mobiles = append(p.Mobiles, per.Mobile2)
			p.FamilyAddr, p.FamilyTel, p.CorpTel, p.QQ, p.Email, p.BankNo = &zhicheng.Address{Address: "人民路1号"}, "010-65239821", "0571-6523982", "532537296", "123qq@qq.com", "6222600640011810331"
			p.AddrDetectionTypes = []string{zhicheng.Mobile2Family}
		}, "10000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prm := base()
			tc.mod(prm)
			for _, enc := range []string{zhicheng.EncodingObject, zhicheng.EncodingString} {
				b, err := prm.Marshal(enc)
				if err != nil {
					t.Fatal(err)
				}
				res, body := e.postForm(t, p, form(key1, string(b)))
				if res.Code != tc.code {
					t.Fatalf("%s: simulator answered %+v, want %s (params %s; body %s)", enc, res, tc.code, b, body)
				}
				if tc.code != "10000" && res.Outcome != zhichengOutcome(tc.code) {
					t.Errorf("%s: outcome %s", enc, res.Outcome)
				}
			}
			// The shared check gives the client the same code.
			cp := base()
			tc.mod(cp)
			fe := zhicheng.Fix(cp)
			switch {
			case tc.code == "10000" && fe != nil:
				t.Errorf("client rejects a good row: %v", fe)
			case tc.code != "10000" && tc.name != "id 15 digits" && tc.name != "mobile +86" && tc.name != "contact type word unsent" && (fe == nil || fe.Code != tc.code):
				t.Errorf("client check: %v, want %s", fe, tc.code)
			}
		})
	}
}
