package td_test

import (
	"strconv"
	"testing"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/providertest"
	"github.com/riskbatch/riskbatch/providers/sandbox"
	"github.com/riskbatch/riskbatch/providers/td"
	"github.com/riskbatch/riskbatch/providers/td/tdsim"
)

// tdCodes is TD's API status code table: the document's wording (a forced
// code names the field session_id where the wording has {字段名}) and the
// classification of docs/providers.md (TD), written out independently of
// codes.go.
var tdCodes = []providertest.Code{
	{Code: "200", Outcome: providers.Hit},
	{Code: "301", Outcome: providers.Fatal, Message: "未购买此服务"},
	{Code: "302", Outcome: providers.Fatal, Message: "流量已被禁用"},
	{Code: "303", Outcome: providers.Quota, Permanent: true, Message: "流量不足"}, // bought traffic used up: not reset at midnight
	{Code: "304", Outcome: providers.Fatal, Message: "服务已过期"},
	{Code: "305", Outcome: providers.Quota, Message: "日流量已封顶"},
	{Code: "9001", Outcome: providers.Invalid, Message: "session_id为空"},
	{Code: "9002", Outcome: providers.Invalid, Message: "session_id参数校验错误"},
	{Code: "9003", Outcome: providers.Invalid, Message: "session_id参数长度或者大小超过1024"},
	{Code: "9004", Outcome: providers.Invalid, Message: "black_box或ip至少存在一个"},
	{Code: "9200", Outcome: providers.Transient, Message: "系统异常"},
	{Code: "9201", Outcome: providers.Transient, Message: "未知异常"},
	{Code: "9202", Outcome: providers.Fatal, Message: "content-type不合法"},
}

func TestConformance(t *testing.T) {
	var listed []string
	for _, c := range td.StatusCodes() {
		listed = append(listed, strconv.Itoa(c))
	}
	partner := providers.Key{ID: "doc", Credentials: map[string]string{"partner_code": "sandbox", "partner_key": "sandbox-td-key-1"}}
	providertest.Run(t, providertest.Vendor{
		Kind: "td", Path: tdsim.Path, Sim: tdsim.Sim{},
		Options: map[string]any{"channel": "test", "decision_event": "marketing"},
		Row: func(per sandbox.Person) map[string]string {
			return map[string]string{"account_id": per.AccountID, "ip": per.IP, "black_box": per.BlackBox, "event_time": "2024-05-06 07:08:09", "session_id": "s-1"}
		},
		Identity: func(per sandbox.Person) string { return per.AccountID },
		Hit: func(pop *sandbox.Population, i int) bool {
			_, _, hit := tdsim.AnswerFor(pop, i)
			return hit
		},
		Codes: tdCodes, ClientCodes: listed, Unknown: "9999",
		Throttled: "HTTP 429", ThrottledWaitFor: true, Quota: "305",
		// The document has no "wrong key" code: an unknown partner has bought no service.
		BadKeys: []providertest.BadKey{{Name: "wrong partner_key", Code: "301",
			Key: providers.Key{ID: "bad", Credentials: map[string]string{"partner_code": "sandbox", "partner_key": "wrong-secret"}}}},
		DocAnswers: []providertest.DocAnswer{
			// 响应示例
			{File: "doc_answer_example.json", Status: 200, Outcome: providers.Hit, Code: "200", Values: map[string]string{
				"score": "90", "result": "decline", "result_desc": "拒绝", "reasons": "IDRBVBBY 短时间内操作频率异常",
				"sequence_id": "1648777165770866F82AC7F326307055"}},
		},
		DocRequests: []providertest.DocRequest{{
			// 请求示例 (以营销事件为例): the example's values in an input row.
			File: "doc_request_example.json", Decode: providertest.JSONFields, Key: partner,
			Options: map[string]any{"time_zone": "Asia/Jakarta"}, // the example's +07:00
			Row: map[string]string{
				"session_id": "abc0123456789", "decision_event": "marketing", "event_time": "2021-10-12 14:20:50.521",
				"account_id": "123456789", "black_box": "aGPH1658920283672ropYaFxT7", "ip": "210.20.10.33",
				"ext_book_id": "LFOUHOFHOHFNOUH", "ext_book_num": "10",
				"detail_marketing_id": "X08938", "detail_open_id": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "detail_open_id_type": "wechat",
				"detail_begin_time": "1596358039000", "detail_expire_time": "1616358039000",
			},
			Differ: map[string]string{
				"ext.ext_book_num": "ext values go out as the file's text (\"10\"); the document leaves ext's types to the agreement with TD",
			},
		}},
	})
}
