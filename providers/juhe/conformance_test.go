package juhe_test

import (
	"maps"
	"strconv"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/juhe"
	"github.com/riskbatch/riskbatch/providers/juhe/juhesim"
	"github.com/riskbatch/riskbatch/providers/providertest"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// juheCodes is Juhe's error_code table: the document's wording (service
// codes 2370xx, system codes 100xx) and the classification of
// docs/providers.md (Juhe), written out independently of codes.go.
var juheCodes = []providertest.Code{
	{Code: "237001", Outcome: providers.Invalid, Message: "参数错误"},
	{Code: "237002", Outcome: providers.Transient, Message: "请求供应商失败"},
	{Code: "237003", Outcome: providers.Transient, Message: "查询失败"},
	{Code: "10001", Outcome: providers.Fatal, Message: "错误的请求KEY"},
	{Code: "10002", Outcome: providers.Fatal, Message: "该KEY无请求权限"},
	{Code: "10003", Outcome: providers.Fatal, Message: "KEY过期"},
	{Code: "10004", Outcome: providers.Fatal, Message: "错误的OPENID"},
	{Code: "10005", Outcome: providers.Fatal, Message: "应用未审核超时，请提交认证"},
	{Code: "10007", Outcome: providers.Fatal, Message: "未知的请求源"},
	{Code: "10008", Outcome: providers.Fatal, Message: "被禁止的IP"},
	{Code: "10009", Outcome: providers.Fatal, Message: "被禁止的KEY"},
	// Per IP: every key of the provider from this host, a long pause.
	{Code: "10011", Outcome: providers.Quota, Scope: providers.ScopeProvider, Pause: time.Minute, Message: "当前IP请求超过限制"},
	{Code: "10012", Outcome: providers.Quota, Message: "请求超过次数限制"},
	{Code: "10013", Outcome: providers.Quota, Message: "测试KEY超过请求限制"},
	// The document adds a note on top-up services to 10014's wording.
	{Code: "10014", Outcome: providers.Transient},
	{Code: "10020", Outcome: providers.Transient, Pause: time.Minute, Message: "接口维护"},
	{Code: "10021", Outcome: providers.Fatal, Message: "接口停用"},
}

// encodings are job options under which a lookup must read the same (the
// orderid follows the request as sent), each sent by POST and by GET.
var encodings = func() []providertest.Encoding {
	cases := []providertest.Encoding{
		{Name: "plain", Options: nil},
		{Name: "md5", Options: map[string]any{"id_crypto": "md5", "phone_crypto": "md5"}},
		{Name: "sha256", Options: map[string]any{"id_crypto": "sha256", "phone_crypto": "sha256"}},
		{Name: "sm3", Options: map[string]any{"id_crypto": "sm3", "phone_crypto": "sm3"}},
		{Name: "mixed", Options: map[string]any{"id_crypto": "sm3", "phone_crypto": "md5", "name_crypto": "md5"}},
		{Name: "name_md5", Options: map[string]any{"name_crypto": "md5"}},
		{Name: "no_name", Options: map[string]any{"realname": false}},
		{Name: "aes", Options: map[string]any{"aes": true}},
		{Name: "aes_md5", Options: map[string]any{"aes": true, "id_crypto": "md5", "phone_crypto": "md5", "name_crypto": "md5"}},
		{Name: "aes_sha256", Options: map[string]any{"aes": true, "id_crypto": "sha256", "phone_crypto": "sha256"}},
		{Name: "aes_sm3", Options: map[string]any{"aes": true, "id_crypto": "sm3", "phone_crypto": "sm3"}},
	}
	var out []providertest.Encoding
	for _, method := range []string{"POST", "GET"} {
		for _, c := range cases {
			opts := map[string]any{"method": method}
			maps.Copy(opts, c.Options)
			out = append(out, providertest.Encoding{Name: method + "/" + c.Name, Options: opts})
		}
	}
	return out
}()

func TestConformance(t *testing.T) {
	var listed []string
	for _, c := range juhe.ErrorCodes() {
		listed = append(listed, strconv.Itoa(c))
	}
	for _, product := range []string{juhe.ProductV1, juhe.ProductV2} {
		t.Run(product, func(t *testing.T) {
			v := providertest.Vendor{
				Kind: "juhe", Path: "/anti_fraud/" + product, Sim: juhesim.Sim{},
				Row: func(per sandbox.Person) map[string]string {
					return map[string]string{"姓名": per.Name, "身份证号": per.IDCard, "手机号": per.Mobile}
				},
				Identity: func(per sandbox.Person) string { return per.IDCard },
				Hit: func(pop *sandbox.Population, i int) bool {
					_, _, _, hit := juhesim.AnswerFor(pop, i, product)
					return hit
				},
				Codes: juheCodes, ClientCodes: listed, Unknown: "99999",
				Throttled: "HTTP 429", ThrottledWaitFor: true, Quota: "10012",
				BadKeys:   []providertest.BadKey{{Name: "wrong key", Code: "10001", Key: providers.Key{ID: "x", Credentials: map[string]string{"key": "not-a-key"}}}},
				Encodings: encodings, Compare: []string{"score", "found", "id_found", "risk_codes"},
			}
			if product == juhe.ProductV1 {
				v.DocAnswers = []providertest.DocAnswer{
					{File: "doc_query_example.json", Status: 200, Outcome: providers.Hit, Code: "0",
						Values: map[string]string{"score": "20", "found": "1", "id_found": "1", "orderid": "J370202203211536501431"}},
				}
				v.DocRequests = []providertest.DocRequest{{
					// 请求示例 of anti_fraud/query: a GET with the fields in plain text.
					File: "doc_query_request.txt", Options: map[string]any{"method": "GET"}, Decode: providertest.FormFields,
					Row: map[string]string{"姓名": "张三", "身份证号": "330328199001016785", "手机号": "17700001111"},
					Key: providers.Key{ID: "doc", Credentials: map[string]string{"key": "您申请的appkey"}},
					Differ: map[string]string{
						"idcard": "the example's 330328199001016789 fails its GB 11643 check digit (5, not 9): the client refuses it, so the row carries the valid number",
					},
				}}
			} else {
				v.DocAnswers = []providertest.DocAnswer{
					{File: "doc_queryV2_example.json", Status: 200, Outcome: providers.Hit, Code: "0",
						Values: map[string]string{"score": "63", "found": "1", "id_found": "-1", "orderid": "J370202302281430184742"}},
				}
			}
			providertest.Run(t, v)
		})
	}
}
