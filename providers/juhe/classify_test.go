package juhe

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/riskbatch/riskbatch/providers"
)

// TestParseFixtures parses recorded bodies: the shapes public clients report (result null, a string or an object on
// errors; reason wording varying).
func TestParseFixtures(t *testing.T) {
	c := &Client{product: ProductV2}
	tests := []struct {
		file    string
		status  int
		outcome providers.Outcome
		code    string
		values  []string
	}{
		{"hit_risk_info.json", 200, providers.Hit, "0", []string{"87", "1", "1", "21001 疑似恶意借贷(高); 12002 疑似黑产账号(中); 11003 疑似营销欺诈(低)", "J100000000000000000001"}},
		{"hit_unknown_risk_code.json", 200, providers.Hit, "0", []string{"45", "1", "1", "99999 未知风险码(中)", "J100000000000000000002"}},
		{"nohit_query_99.json", 200, providers.NoHit, "0", []string{"", "-1", "-1", "", "J100000000000000000003"}},
		{"nohit_queryV2_minus1.json", 200, providers.NoHit, "0", []string{"", "-1", "1", "", "J100000000000000000004"}},
		{"error_result_null.json", 200, providers.Quota, "10012", nil},
		{"error_result_string.json", 200, providers.Invalid, "237001", nil},
		{"error_result_object.json", 200, providers.Fatal, "10001", nil},
		{"error_reason_english.json", 200, providers.Quota, "10013", nil},
		{"error_reason_misleading.json", 200, providers.Transient, "237002", nil},
		{"ok_result_null.json", 200, providers.Transient, "0", nil},
		{"ok_found_missing.json", 200, providers.Transient, "0", nil},
		{"no_error_code.json", 200, providers.Transient, "HTTP 200", nil},
		{"html_gateway.html", 200, providers.Transient, "HTTP 200", nil},
		{"html_gateway.html", 502, providers.Transient, "HTTP 502", nil},
		{"error_result_null.json", 429, providers.Throttled, "HTTP 429", nil},
		{"html_gateway.html", 404, providers.Fatal, "HTTP 404", nil},
	}
	for _, tc := range tests {
		t.Run(tc.file+"/"+strconv.Itoa(tc.status), func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			res := c.Parse(tc.status, http.Header{}, body)
			if res.Outcome != tc.outcome || res.Code != tc.code {
				t.Fatalf("got %s %q (%s), want %s %q", res.Outcome, res.Code, res.Message, tc.outcome, tc.code)
			}
			if !slices.Equal(res.Values, tc.values) {
				t.Errorf("values %q, want %q", res.Values, tc.values)
			}
			if len(res.Values) > 0 && len(res.Values) != len(c.Columns()) {
				t.Errorf("%d values for %d columns", len(res.Values), len(c.Columns()))
			}
		})
	}
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
