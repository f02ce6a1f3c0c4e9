package juhe

import "github.com/riskbatch/riskbatch/providers"

// riskCodes are the risk code descriptions of both products (seed 000).
// query (社交卡查询) uses 1101–3202; queryV2 (通用查询2.0) uses 11001–21002.
var riskCodes = map[int]string{
	1101: "疑似资料伪造包装", 1102: "疑似涉黄涉恐行为", 1103: "疑似资料仿冒行为", 1104: "疑似营销活动欺诈",
	1105: "疑似身份信息不符", 1106: "疑似公开信息失信", 1107: "疑似金融黑产相关", 1108: "疑似手机猫池欺诈",
	1201: "疑似风险设备环境", 2101: "疑似资金紧张人群", 3101: "疑似异常支付行为", 3102: "疑似线上支付白户",
	3103: "疑似线上养号小号", 3104: "疑似线上涉赌行为", 3201: "疑似存在失联风险", 3202: "疑似账号被盗风险",

	21001: "疑似恶意借贷", 21002: "疑似职业撸口子", 11001: "疑似涉黑涉赌", 11002: "疑似网络投机",
	11003: "疑似营销欺诈", 11004: "疑似黑中介包装", 11005: "疑似恶意套现", 12001: "疑似黑产设备",
	12002: "疑似黑产账号",
}

var v1Codes = []int{1101, 1102, 1103, 1104, 1105, 1106, 1107, 1108, 1201, 2101, 3101, 3102, 3103, 3104, 3201, 3202}
var v2Codes = []int{21001, 21002, 11001, 11002, 11003, 11004, 11005, 12001, 12002}

// RiskCodes lists the risk codes the document gives a product (query:
// 1101–3202, queryV2: 11001–21002), in the document's order; the simulator
// draws its answers from them.
func RiskCodes(product string) []int {
	if product == ProductV2 {
		return append([]int(nil), v2Codes...)
	}
	return append([]int(nil), v1Codes...)
}

// levelName is riskCodeValue: 1 low, 2 medium, 3 high.
var levelName = map[int]string{1: "低", 2: "中", 3: "高"}

// codeClass classifies every error_code of the document (the Juhe row of docs/providers.md, classification by vendor).
type codeClass struct {
	outcome   providers.Outcome
	scope     providers.Scope
	permanent bool
	reason    string // the document's wording
}

var errorCodes = map[int]codeClass{
	237001: {providers.Invalid, providers.ScopeKey, false, "参数错误"},
	237002: {providers.Transient, providers.ScopeKey, false, "请求供应商失败"},
	237003: {providers.Transient, providers.ScopeKey, false, "查询失败"},
	10001:  {providers.Fatal, providers.ScopeKey, false, "错误的请求KEY"},
	10002:  {providers.Fatal, providers.ScopeKey, false, "该KEY无请求权限"},
	10003:  {providers.Fatal, providers.ScopeKey, false, "KEY过期"},
	10004:  {providers.Fatal, providers.ScopeKey, false, "错误的OPENID"},
	10005:  {providers.Fatal, providers.ScopeKey, false, "应用未审核超时，请提交认证"},
	10007:  {providers.Fatal, providers.ScopeKey, false, "未知的请求源"},
	10008:  {providers.Fatal, providers.ScopeKey, false, "被禁止的IP"},
	10009:  {providers.Fatal, providers.ScopeKey, false, "被禁止的KEY"},
	10011:  {providers.Quota, providers.ScopeProvider, false, "当前IP请求超过限制"},
	10012:  {providers.Quota, providers.ScopeKey, false, "请求超过次数限制"},
	10013:  {providers.Quota, providers.ScopeKey, false, "测试KEY超过请求限制"},
	10014:  {providers.Transient, providers.ScopeKey, false, "系统内部异常"},
	10020:  {providers.Transient, providers.ScopeKey, false, "接口维护"},
	10021:  {providers.Fatal, providers.ScopeKey, false, "接口停用"},
}

// ErrorReason is the document's reason text for an error_code (what Juhe
// sends in reason), and whether the document lists the code.
func ErrorReason(code int) (string, bool) {
	cl, ok := errorCodes[code]
	return cl.reason, ok
}

// ErrorCodes lists every documented error_code, for tests and docs.
func ErrorCodes() []int {
	out := make([]int, 0, len(errorCodes))
	for c := range errorCodes {
		out = append(out, c)
	}
	return out
}
