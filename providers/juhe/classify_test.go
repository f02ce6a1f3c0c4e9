package juhe

import (
	"testing"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/providertest"
)

// TestParseFixtures parses recorded bodies: the shapes public clients
// report (result null, a string or an object on errors; reason wording
// varying; a gateway's HTML page).
func TestParseFixtures(t *testing.T) {
	c := &Client{product: ProductV2}
	providertest.CheckParse(t, c, []providertest.ParseCase{
		{File: "hit_risk_info.json", Status: 200, Outcome: providers.Hit, Code: "0", Values: []string{"87", "1", "1", "21001 疑似恶意借贷(高); 12002 疑似黑产账号(中); 11003 疑似营销欺诈(低)", "J100000000000000000001"}},
		{File: "hit_unknown_risk_code.json", Status: 200, Outcome: providers.Hit, Code: "0", Values: []string{"45", "1", "1", "99999 未知风险码(中)", "J100000000000000000002"}},
		{File: "nohit_query_99.json", Status: 200, Outcome: providers.NoHit, Code: "0", Values: []string{"", "-1", "-1", "", "J100000000000000000003"}},
		{File: "nohit_queryV2_minus1.json", Status: 200, Outcome: providers.NoHit, Code: "0", Values: []string{"", "-1", "1", "", "J100000000000000000004"}},
		{File: "error_result_null.json", Status: 200, Outcome: providers.Quota, Code: "10012"},
		{File: "error_result_string.json", Status: 200, Outcome: providers.Invalid, Code: "237001"},
		{File: "error_result_object.json", Status: 200, Outcome: providers.Fatal, Code: "10001"},
		{File: "error_reason_english.json", Status: 200, Outcome: providers.Quota, Code: "10013"},
		{File: "error_reason_misleading.json", Status: 200, Outcome: providers.Transient, Code: "237002"},
		{File: "ok_result_null.json", Status: 200, Outcome: providers.Transient, Code: "0"},
		{File: "ok_found_missing.json", Status: 200, Outcome: providers.Transient, Code: "0"},
		{File: "no_error_code.json", Status: 200, Outcome: providers.Transient, Code: "HTTP 200"},
		{File: "html_gateway.html", Status: 200, Outcome: providers.Transient, Code: "HTTP 200"},
	})
}

func TestFormatRisk(t *testing.T) {
	tests := []struct {
		in   []riskInfo
		want string
	}{
		{nil, ""},
		{[]riskInfo{{21001, 3}}, "21001 疑似恶意借贷(高)"},
		{[]riskInfo{{11002, 1}, {21002, 2}, {21001, 3}}, "21001 疑似恶意借贷(高); 21002 疑似职业撸口子(中); 11002 疑似网络投机(低)"},
		{[]riskInfo{{1101, 2}, {3202, 2}}, "1101 疑似资料伪造包装(中); 3202 疑似账号被盗风险(中)"}, // stable within a level
		{[]riskInfo{{12001, 5}}, "12001 疑似黑产设备(5)"},
		{[]riskInfo{{4242, 1}}, "4242 未知风险码(低)"},
	}
	for _, tc := range tests {
		if got := formatRisk(tc.in); got != tc.want {
			t.Errorf("formatRisk(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// Every documented code has its description.
	for _, c := range append(append([]int(nil), v1Codes...), v2Codes...) {
		if riskCodes[c] == "" {
			t.Errorf("risk code %d has no description", c)
		}
	}
}
