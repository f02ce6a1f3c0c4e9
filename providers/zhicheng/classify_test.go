package zhicheng

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/providertest"
)

// TestParse covers envelopes the simulator does not send (the HTTP
// statuses every client reads alike are in the conformance suite).
func TestParse(t *testing.T) {
	c := &Client{}
	c.columns = c.buildColumns()
	providertest.CheckParse(t, c, []providertest.ParseCase{
		{Name: "no code", Status: 200, Body: `{"msg":"x","success":false}`, Outcome: providers.Transient, Code: "HTTP 200"},
		{Name: "numeric code", Status: 200, Body: `{"code":50102,"msg":"sign 校验失败","success":false}`, Outcome: providers.Fatal, Code: "50102"},
		{Name: "10000 not success", Status: 200, Body: `{"code":"10000","success":false}`, Outcome: providers.Transient, Code: "10000", Unknown: true},
		{Name: "10000 data null", Status: 200, Body: `{"code":"10000","success":true,"data":null}`, Outcome: providers.Transient, Code: "10000"},
		{Name: "10000 no-hit", Status: 200, Body: `{"code":"10000","success":true,"flowId":"f","data":{"fraudLevel":"0","riskResult":[]}}`, Outcome: providers.NoHit, Code: "10000"},
		{Name: "10000 score without level 0", Status: 200, Body: `{"code":"10000","success":true,"data":{"fraudScore":"12","fraudLevel":"1"}}`, Outcome: providers.Hit, Code: "10000"},
		{Name: "unknown", Status: 200, Body: `{"code":"77777","msg":"?","success":false}`, Outcome: providers.Transient, Code: "77777", Unknown: true},
		{Name: "50107 total", Status: 200, Body: `{"code":"50107","success":false}`, Outcome: providers.Quota, Code: "50107"},
	})
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
