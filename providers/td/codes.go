package td

import (
	"fmt"
	"strings"

	"github.com/riskbatch/riskbatch/providers"
)

// Events are the 13 decision_event enums of the document, with the Chinese
// labels of its event_detail table (accepted in input files as well).
var events = []struct{ name, label string }{
	{"marketing", "营销"},
	{"marketing_code", "扫码"},
	{"marketing_exchange", "兑奖"},
	{"send_gift", "送礼"},
	{"get_coupon", "领券"},
	{"withdraw", "提现"},
	{"invite", "邀请"},
	{"sms", "短信"},
	{"browse", "浏览"},
	{"activate", "激活"},
	{"like", "点赞"},
	{"comment", "评论"},
	{"favorite", "收藏"},
}

// Events lists the decision_event enums, in the document's order.
func Events() []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.name
	}
	return out
}

// canonicalEvent maps an input value (enum, any case, or the document's
// Chinese label) to the enum; ok is false for anything else.
func canonicalEvent(v string) (string, bool) {
	l := strings.ToLower(strings.TrimSpace(v))
	for _, e := range events {
		if l == e.name || v == e.label {
			return e.name, true
		}
	}
	return "", false
}

// codeClass classifies one API status code (the TD row of docs/providers.md).
type codeClass struct {
	outcome   providers.Outcome
	permanent bool
	message   string // the document's wording; %s is the field name
}

// statusCodes are every API status code of the document. Errors arrive
// with HTTP 200 and the code in the body, like success.
var statusCodes = map[int]codeClass{
	200:  {providers.Hit, false, ""},
	301:  {providers.Fatal, false, "未购买此服务"},
	302:  {providers.Fatal, false, "流量已被禁用"},
	303:  {providers.Quota, true, "流量不足"}, // the purchased traffic is used up: not reset at midnight
	304:  {providers.Fatal, false, "服务已过期"},
	305:  {providers.Quota, false, "日流量已封顶"}, // daily cap
	9001: {providers.Invalid, false, "%s为空"},
	9002: {providers.Invalid, false, "%s参数校验错误"},
	9003: {providers.Invalid, false, "%s参数长度或者大小超过1024"},
	9004: {providers.Invalid, false, "black_box或ip至少存在一个"},
	9200: {providers.Transient, false, "系统异常"},
	9201: {providers.Transient, false, "未知异常"},
	9202: {providers.Fatal, false, "content-type不合法"},
}

// StatusCodes lists every documented API status code, for tests and docs.
func StatusCodes() []int {
	out := make([]int, 0, len(statusCodes))
	for c := range statusCodes {
		out = append(out, c)
	}
	return out
}

// CodeMessage renders the document's message for code, naming field where
// the message has a placeholder (the simulator answers with it).
func CodeMessage(code int, field string) string {
	cl, ok := statusCodes[code]
	if !ok {
		return "未知异常"
	}
	if strings.Contains(cl.message, "%s") {
		return fmt.Sprintf(cl.message, field)
	}
	return cl.message
}

// resultDesc is the document's Chinese wording of the result enum.
var resultDesc = map[string]string{"decline": "拒绝", "review": "核验", "accept": "通过"}

// MaxLen is the document's length limit for a parameter (9003).
const MaxLen = 1024
