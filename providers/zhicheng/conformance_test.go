package zhicheng_test

import (
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/providertest"
	"github.com/riskbatch/riskbatch/providers/sandbox"
	"github.com/riskbatch/riskbatch/providers/zhicheng"
	"github.com/riskbatch/riskbatch/providers/zhicheng/zhichengsim"
)

// zhichengCodes is Zhicheng's result code table as docs/providers.md
// (Zhicheng) classifies it, written out independently of codes.go: ranges
// expanded over the codes the document lists.
func zhichengCodes() []providertest.Code {
	var out []providertest.Code
	add := func(c providertest.Code, codes ...int) {
		for _, n := range codes {
			c.Code = strconv.Itoa(n)
			out = append(out, c)
		}
	}
	span := func(from, to int) []int {
		var s []int
		for c := from; c <= to; c++ {
			s = append(s, c)
		}
		return s
	}
	// 44001–44027 as listed by the document (44003 and 44006 do not exist).
	add(providertest.Code{Outcome: providers.Invalid}, slices.DeleteFunc(span(44001, 44027), func(c int) bool { return c == 44003 || c == 44006 })...)
	add(providertest.Code{Outcome: providers.Invalid}, 44054, 44055, 44062)
	add(providertest.Code{Outcome: providers.Transient}, 50000, 50001, 50201, 50203, 50204, 54000)
	add(providertest.Code{Outcome: providers.Quota}, 50106)
	add(providertest.Code{Outcome: providers.Quota, Permanent: true}, 50107, 50500)
	add(providertest.Code{Outcome: providers.Fatal}, span(40000, 40005)...)
	// One row's params (ParamsRejected); the pipeline stops after 3 in a row.
	add(providertest.Code{Outcome: providers.Invalid, ParamsRejected: true}, 40006)
	add(providertest.Code{Outcome: providers.Fatal}, span(44050, 44053)...)
	add(providertest.Code{Outcome: providers.Fatal}, 44061, 50202)
	add(providertest.Code{Outcome: providers.Fatal}, span(50101, 50105)...)
	add(providertest.Code{Outcome: providers.Fatal}, span(50108, 50112)...)
	return out
}

// zhichengOutcome is a code's outcome in zhichengCodes.
func zhichengOutcome(code string) providers.Outcome {
	for _, c := range zhichengCodes() {
		if c.Code == code {
			return c.Outcome
		}
	}
	panic("code " + code + " is not in the table")
}

// paramsFields reads the document's params example, or the params field of
// the form the client sends, into flat fields (providertest.JSONFields).
func paramsFields(raw []byte) (map[string]string, error) {
	if len(raw) > 0 && raw[0] == '{' {
		return providertest.JSONFields(raw)
	}
	f, err := url.ParseQuery(string(raw))
	if err != nil {
		return nil, err
	}
	return providertest.JSONFields([]byte(f.Get("params")))
}

func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Vendor{
		Kind: zhichengsim.VendorName, Path: "/submit", Sim: zhichengsim.Sim{},
		Row: func(per sandbox.Person) map[string]string {
			return map[string]string{"姓名": per.Name, "身份证号": per.IDCard, "手机号": per.Mobile}
		},
		Identity: func(per sandbox.Person) string { return per.IDCard },
		Hit: func(pop *sandbox.Population, i int) bool {
			_, hit := zhichengsim.Subject(pop, i)
			return hit
		},
		Codes: zhichengCodes(), ClientCodes: zhicheng.ResultCodes(), Unknown: "99999",
		Throttled: "HTTP 429", ThrottledWaitFor: true, Quota: "50106",
		DocRequests: []providertest.DocRequest{{
			// "params 的例子", made valid JSON (the document's trailing
			// commas removed), from an input row holding its values.
			File: "doc_params_example.json", Decode: paramsFields, Key: providertest.Keys(zhichengsim.Sim{})[0],
			Options: map[string]any{"amount_business": "1", "query_corp_addr_detection": true,
				"addr_detection_types": []string{"SELF_MOBILE_1_FAMILY_ADDR", "SELF_MOBILE_1_CORP_ADDR"}},
			Row: map[string]string{
				"name": "张三", "id_no": "370633197005042513", "mobile": "15850696589", "mobile2": "15850696579",
				"bank_no": "6222600640011810331", "corp_name": "微商科技有限公司", "corp_tel": "010-61300110",
				"corp_province": "XX 省", "corp_city": "XX 市", "corp_county": "XX 县", "corp_address": "温特莱 B 座 1910",
				"family_province": "XX 省", "family_city": "XX 市", "family_county": "XX 县", "family_address": "温特莱 B 座 1910",
				"family_tel": "010-61300110", "email": "123qq@qq.com", "qq": "532537296",
				"contact1_id_no": "152322197203220015", "contact1_mobile": "15002035914", "contact1_name": "高求", "contact1_type": "SPOUSE",
			},
			Differ: map[string]string{
				" query_corp_addr_detection ": "the example's key carries spaces; the table names query_corp_addr_detection, which the client sends (docs/providers.md)",
				"contacts":                    "the example's contact_id_no 152322197203220015 fails its GB 11643 check digit (3, not 5): an optional value, the client leaves it out with a warning",
			},
		}},
		BadKeys: []providertest.BadKey{
			{Name: "wrong sign", Code: "50102", Key: providers.Key{ID: "x", Credentials: map[string]string{"user_name": "sandbox_testusr", "sign": "secret-WRONG-sign"}}},
			{Name: "unknown user", Code: "50101", Key: providers.Key{ID: "x", Credentials: map[string]string{"user_name": "nobody_testusr", "sign": "secret-WRONG-sign"}}},
			{Name: "other key's sign", Code: "50102", Key: providers.Key{ID: "x", Credentials: map[string]string{"user_name": "sandbox_testusr", "sign": "sandbox-zc-sign-2"}}},
		},
	})
}
