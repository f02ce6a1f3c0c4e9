package zhicheng

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

type wantClass struct {
	outcome   providers.Outcome
	permanent bool
}

// designZhicheng is the Zhicheng row of docs/providers.md written out independently of
// codes.go: ranges expanded over the codes the document lists.
func designZhicheng() map[string]wantClass {
	m := map[string]wantClass{}
	add := func(o providers.Outcome, perm bool, codes ...int) {
		for _, c := range codes {
			m[strconv.Itoa(c)] = wantClass{o, perm}
		}
	}
	span := func(from, to int) []int {
		var out []int
		for c := from; c <= to; c++ {
			out = append(out, c)
		}
		return out
	}
	// 44001–44027 as listed by the document (44003 and 44006 do not exist).
	invalid := slices.DeleteFunc(span(44001, 44027), func(c int) bool { return c == 44003 || c == 44006 })
	add(providers.Invalid, false, invalid...)
	add(providers.Invalid, false, 44054, 44055, 44062)
	add(providers.Transient, false, 50000, 50001, 50201, 50203, 50204, 54000)
	add(providers.Quota, false, 50106)
	add(providers.Quota, true, 50107, 50500)
	add(providers.Fatal, false, span(40000, 40005)...)
	add(providers.Invalid, false, 40006) // one row's params (ParamsRejected); the pipeline stops after 3 in a row
	add(providers.Fatal, false, span(44050, 44053)...)
	add(providers.Fatal, false, 44061, 50202)
	add(providers.Fatal, false, span(50101, 50105)...)
	add(providers.Fatal, false, span(50108, 50112)...)
	return m
}

func TestResultCodesMatchDesign(t *testing.T) {
	want := designZhicheng()
	got := ResultCodes()
	slices.Sort(got)
	var wantCodes []string
	for c := range want {
		wantCodes = append(wantCodes, c)
	}
	slices.Sort(wantCodes)
	if !slices.Equal(got, wantCodes) {
		t.Fatalf("ResultCodes() = %v\ndocs/providers.md lists %v", got, wantCodes)
	}
}

// TestForcedCodes forces every documented code through the simulator, by
// key and by identity, and checks the client's classification. Each force
// is for one answer: the next call is served (and billed) normally.
func TestForcedCodes(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	i := e.hitPerson(t, 0)
	r := e.personRow(i)
	want := designZhicheng()
	codes := ResultCodes()
	slices.Sort(codes)
	for _, code := range codes {
		for _, by := range []string{"key", "identity"} {
			t.Run(code+"/"+by, func(t *testing.T) {
				before := e.srv.Counters(VendorName).Keys["zhicheng/zc-1"]
				if by == "key" {
					e.srv.Force(VendorName, key1.ID, "", code, 1)
				} else {
					e.srv.Force(VendorName, "", e.person(i).IDCard, code, 1)
				}
				res, body := e.call(t, p, key1, r)
				w := want[code]
				if res.Outcome != w.outcome || res.Code != code || res.Permanent != w.permanent || res.Unknown || res.Values != nil {
					t.Fatalf("code %s: got %+v, want %+v (body %s)", code, res, w, body)
				}
				if wantPR := code == CodeParamsFormat; res.ParamsRejected != wantPR {
					t.Errorf("code %s: ParamsRejected %v, want %v", code, res.ParamsRejected, wantPR)
				}
				if !strings.Contains(string(body), `"success":false`) || res.Message != resultCodes[code].msg {
					t.Errorf("code %s: body %s, message %q", code, body, res.Message)
				}
				if res, _ := e.call(t, p, key1, r); res.Outcome != providers.Hit {
					t.Fatalf("after the forced answer: %+v", res)
				}
				got := e.srv.Counters(VendorName).Keys["zhicheng/zc-1"]
				if got.Calls-before.Calls != 2 || got.Billed-before.Billed != 1 {
					t.Errorf("counters %+v → %+v: want 2 calls, 1 billed (failures are not billed)", before, got)
				}
			})
		}
	}
}

func TestForcedIdentityOnly(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	a, b := e.hitPerson(t, 0), e.hitPerson(t, e.hitPerson(t, 0)+1)
	e.srv.Force(VendorName, "", e.person(a).IDCard, "54000", 0)
	if res, _ := e.call(t, p, key1, e.personRow(b)); res.Outcome != providers.Hit {
		t.Fatalf("another identity: %+v", res)
	}
	for range 2 { // count 0: until reset
		if res, _ := e.call(t, p, key1, e.personRow(a)); res.Code != "54000" || res.Outcome != providers.Transient {
			t.Fatalf("forced identity: %+v", res)
		}
	}
}

func TestUnknownAndForcedOK(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	r := e.personRow(e.hitPerson(t, 0))
	e.srv.Force(VendorName, key1.ID, "", "99999", 1)
	if res, body := e.call(t, p, key1, r); res.Outcome != providers.Transient || !res.Unknown || res.Code != "99999" {
		t.Fatalf("unknown code: %+v (%s)", res, body)
	}
	e.srv.Force(VendorName, key1.ID, "", CodeOK, 1)
	if res, _ := e.call(t, p, key1, r); res.Outcome != providers.Hit {
		t.Fatalf("forced 10000 is a normal answer: %+v", res)
	}
}

func TestHTTPFaults(t *testing.T) {
	for _, fault := range []string{"http_500", "http_502", "http_503", "malformed", "reset", "timeout", "http_429"} {
		t.Run(fault, func(t *testing.T) {
			e := newEnvWith(t, sandbox.Config{Hang: time.Second})
			p := e.provider(t, nil)
			r := e.personRow(3)
			if res, _ := e.call(t, p, key1, r); !res.Outcome.Final() { // warm the lookup index
				t.Fatalf("warm-up: %+v", res)
			}
			e.hc = &http.Client{Timeout: 300 * time.Millisecond}
			e.srv.Force(VendorName, key1.ID, "", fault, 0)
			start := time.Now()
			res, body := e.call(t, p, key1, r)
			want := providers.Transient
			if fault == "http_429" {
				want = providers.Throttled
			}
			if res.Outcome != want || res.Unknown {
				t.Fatalf("%s: got %+v (body %q), want %s", fault, res, body, want)
			}
			switch fault {
			case "http_429":
				if res.RetryAfter != time.Second {
					t.Errorf("429: RetryAfter %v, want 1s", res.RetryAfter)
				}
			case "timeout":
				if res.Code != "timeout" || time.Since(start) >= time.Second { // the client gave up before the 1s hang ended
					t.Errorf("timeout: code %q after %v", res.Code, time.Since(start))
				}
			}
		})
	}
}

// TestParse covers answers the simulator does not send: the document's
// example, HTTP-level failures, Retry-After forms and odd envelopes.
func TestParse(t *testing.T) {
	c := &Client{}
	c.columns = c.buildColumns()
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name    string
		status  int
		header  http.Header
		body    string
		outcome providers.Outcome
		code    string
		retry   time.Duration
		unknown bool
	}{
		{"500", 500, nil, "oops", providers.Transient, "HTTP 500", 0, false},
		{"503", 503, nil, "", providers.Transient, "HTTP 503", 0, false},
		{"429 seconds", 429, http.Header{"Retry-After": {"7"}}, "", providers.Throttled, "HTTP 429", 7 * time.Second, false},
		{"429 date", 429, http.Header{"Retry-After": {date}}, "", providers.Throttled, "HTTP 429", 0, false},
		{"404", 404, nil, "not found", providers.Fatal, "HTTP 404", 0, false},
		{"html", 200, nil, "<html>gateway</html>", providers.Transient, "HTTP 200", 0, false},
		{"truncated", 200, nil, `{"code":"10000","success":true,"data":{"fraud`, providers.Transient, "HTTP 200", 0, false},
		{"no code", 200, nil, `{"msg":"x","success":false}`, providers.Transient, "HTTP 200", 0, false},
		{"numeric code", 200, nil, `{"code":50102,"msg":"sign 校验失败","success":false}`, providers.Fatal, "50102", 0, false},
		{"10000 not success", 200, nil, `{"code":"10000","success":false}`, providers.Transient, "10000", 0, true},
		{"10000 data null", 200, nil, `{"code":"10000","success":true,"data":null}`, providers.Transient, "10000", 0, false},
		{"10000 no-hit", 200, nil, `{"code":"10000","success":true,"flowId":"f","data":{"fraudLevel":"0","riskResult":[]}}`, providers.NoHit, "10000", 0, false},
		{"10000 score without level 0", 200, nil, `{"code":"10000","success":true,"data":{"fraudScore":"12","fraudLevel":"1"}}`, providers.Hit, "10000", 0, false},
		{"unknown", 200, nil, `{"code":"77777","msg":"?","success":false}`, providers.Transient, "77777", 0, true},
		{"50107 total", 200, nil, `{"code":"50107","success":false}`, providers.Quota, "50107", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.header
			if h == nil {
				h = http.Header{}
			}
			res := c.Parse(tc.status, h, []byte(tc.body))
			if res.Outcome != tc.outcome || res.Code != tc.code || res.Unknown != tc.unknown {
				t.Fatalf("got %+v, want %s %s unknown=%v", res, tc.outcome, tc.code, tc.unknown)
			}
			if tc.name == "429 date" {
				if res.RetryAfter < 80*time.Second || res.RetryAfter > 91*time.Second {
					t.Errorf("HTTP-date Retry-After: %v", res.RetryAfter)
				}
			} else if res.RetryAfter != tc.retry {
				t.Errorf("RetryAfter %v, want %v", res.RetryAfter, tc.retry)
			}
			if res.Outcome.Final() && len(res.Values) != len(c.Columns()) {
				t.Errorf("%d values for %d columns", len(res.Values), len(c.Columns()))
			}
		})
	}
}

// TestParseDocExample reads the document's example answer (made valid
// JSON): stray spaces in keys, loanCallCnt as a number, the address verdict
// typed by its description, the corporate result without a verdict code.
func TestParseDocExample(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "doc_example.json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(providers.Config{Endpoint: "http://x/submit", Options: map[string]any{
		"addr_detection_types": []string{Mobile1Family}, "query_corp_addr_detection": true,
	}})
	if err != nil {
		t.Fatal(err)
	}
	c := p.(*Client)
	res := c.Parse(200, http.Header{}, body)
	if res.Outcome != providers.Hit || res.Code != "10000" {
		t.Fatalf("got %+v", res)
	}
	want := map[string]string{
		"fraud_score":              "66",
		"fraud_level":              "4",
		"fraud_level_desc":         "四级",
		"risk_hits":                "法院诉讼/法院-失信/单位名称 (2017); 法院诉讼/法院-失信/本人身份证号 (2015); 法院诉讼/法院-被执行/本人身份证号 (2014)",
		"risk_hit_count":           "3",
		"age":                      "48",
		"gender":                   "男",
		"id_no_location":           "山东省-威海市-荣成市",
		"mobile_operator":          "中国移动",
		"second_order_overdue_cnt": "3",
		"first_order_black_rate":   "0",
		"loan_call_cnt":            "0",
		"addr_self_mobile_1_family_addr": "匹配度 1002 不匹配/中风险; 有效性 2002 疑似提供陌生地址,实际使用地址未提供/高风险; " +
			"时效性 3003 疑似提供陌生地址,最新使用的地址未提供/高风险; 最近使用 4004 近 6 个月-1 年/不活跃; 有效地址数 5003 2 个地址/无",
		"corp_addr_result":  "",
		"corp_addr_similar": "北京市朝阳区温特莱中心 B 座 (正常, 工商)",
		"flow_id":           "doc-example-flow",
	}
	for col, w := range want {
		if got := value(t, c, res, col); got != w {
			t.Errorf("%s = %q, want %q", col, got, w)
		}
	}
}

// TestParseVariants: the table's shapes where the example differs.
func TestParseVariants(t *testing.T) {
	c := &Client{addrTypes: []string{Mobile2Corp}, corp: true}
	c.columns = c.buildColumns()
	body := `{"code":"10000","msg":"ok","success":true,"flowId":"f1","data":{"fraudScore":"91","fraudLevel":"5",
		"riskResult":[{"dataType":"CREDITEASE","riskDetail":"COURT_ EXECUTED","riskItemType":"MOBILE","riskTime":"2020"},{"dataType":"X","riskDetail":"Y","riskItemType":"Z"}],
		"socialNetwork":{"loanCallCnt":"12","gender":"女","firstOrderBlackRate":"联系人过少不予计算"},
		"addrDetectionList":[{"type":"SELF_MOBILE_2_CORP_ADDR","addrMobileMatching":{"code":"1003"},"recentAddrTime":{"code":"4001","result":"近3个月"}}],
		"corpAddrDetectionResult":{"resultVerification":"DIFFERENCE","corpAddrSimilarList":[{"address":"a","effectiveCode":"NORMAL","sourceCode":"YELLOW_PAGES"}]}}}`
	res := c.Parse(200, http.Header{}, []byte(body))
	if res.Outcome != providers.Hit {
		t.Fatalf("got %+v", res)
	}
	for col, w := range map[string]string{
		"risk_hits":                    "网贷/法院-被执行/本人手机号码 (2020); X/Y/Z",
		"loan_call_cnt":                "12",
		"gender":                       "女",
		"first_order_black_rate":       "联系人过少不予计算",
		"addr_self_mobile_2_corp_addr": "匹配度 1003 未命中有效结果,无法进行地址验证; 最近使用 4001 近3个月/活跃",
		"corp_addr_result":             "DIFFERENCE 验证结果不一致",
		"corp_addr_similar":            "a (正常, 企业黄页)",
	} {
		if got := value(t, c, res, col); got != w {
			t.Errorf("%s = %q, want %q", col, got, w)
		}
	}
}
