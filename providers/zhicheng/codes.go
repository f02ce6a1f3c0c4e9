package zhicheng

import (
	"strings"
	"unicode"

	"github.com/riskbatch/riskbatch/providers"
)

// APIName is the fixed business code of the API (请求参数 api_name).
const APIName = "fraud.screening.advance.api"

// CodeParamsFormat is 40006 params 格式不对: the vendor could not read the
// params riskbatch built for a row.
const CodeParamsFormat = "40006"

// CodeOK is the only successful code; with success == true it is the only
// billed answer.
const CodeOK = "10000"

// codeClass is how one result code is classified (the Zhicheng row of docs/providers.md)
// and the document's wording, which the simulator answers with.
type codeClass struct {
	outcome   providers.Outcome
	permanent bool
	msg       string
}

// resultCodes lists every code of tables 9.1 (gateway) and 9.2 (business)
// except 10000.
var resultCodes = map[string]codeClass{
	// 9.1 gateway
	"40000": {providers.Fatal, false, "请求对象为空"},
	"40001": {providers.Fatal, false, "缺少 sign 参数"},
	"40002": {providers.Fatal, false, "缺少 user_name 参数"},
	"40003": {providers.Fatal, false, "缺少 api_name 参数"},
	"40004": {providers.Fatal, false, "缺少 params 参数"},
	"40005": {providers.Fatal, false, "缺少查询原因参数"},
	// 40006 concerns the params of one request: the row is invalid, and the
	// pipeline stops the provider only when it repeats for
	// providers.ParamsRejectedStop distinct rows in a row (Result.ParamsRejected).
	"40006": {providers.Invalid, false, "params 格式不对"},
	"50001": {providers.Transient, false, "网关参数校验异常"},
	"50101": {providers.Fatal, false, "用户不存在"},
	"50102": {providers.Fatal, false, "sign 校验失败"},
	"50103": {providers.Fatal, false, "ip 不在白名单中"},
	"50104": {providers.Fatal, false, "业务未开通"},
	"50105": {providers.Fatal, false, "token 无效或者已过期"},
	"50106": {providers.Quota, false, "每日查询次数超过上限"},
	"50107": {providers.Quota, true, "总查询次数超过上限"},
	"50108": {providers.Fatal, false, "用户对应机构不存在"},
	"50109": {providers.Fatal, false, "机构和查询原因对应错误"},
	"50110": {providers.Fatal, false, "查询原因字段格式错误"},
	"50111": {providers.Fatal, false, "机构已停用"},
	"50112": {providers.Fatal, false, "用户已停用"},
	"50201": {providers.Transient, false, "API 服务异常"},
	"50202": {providers.Fatal, false, "api_name 参数有误或不合规"},
	"50203": {providers.Transient, false, "内部 api 执行异常"},
	"50204": {providers.Transient, false, "网关内部 API 异常"},
	"50500": {providers.Quota, true, "机构余额不足"},
	"50000": {providers.Transient, false, "网关异常"},
	// 9.2 business
	"44001": {providers.Invalid, false, "被查姓名为空"},
	"44002": {providers.Invalid, false, "身份证号为空"},
	"44004": {providers.Invalid, false, "姓名格式错误"},
	"44005": {providers.Invalid, false, "身份证号格式错误"},
	"44007": {providers.Invalid, false, "手机号码格式错误"},
	"44008": {providers.Invalid, false, "手机号码最多只能输入 2 个"},
	"44009": {providers.Invalid, false, "邮箱格式错误"},
	"44010": {providers.Invalid, false, "QQ 号码格式错误"},
	"44011": {providers.Invalid, false, "家庭地址格式错误"},
	"44012": {providers.Invalid, false, "家庭固话格式错误"},
	"44013": {providers.Invalid, false, "单位名称格式错误"},
	"44014": {providers.Invalid, false, "单位地址格式错误"},
	"44015": {providers.Invalid, false, "单位固话格式错误"},
	"44016": {providers.Invalid, false, "银行卡号格式错误"},
	"44017": {providers.Invalid, false, "联系人号码格式错误"},
	"44018": {providers.Invalid, false, "联系人最多只能输入 6 个"},
	"44019": {providers.Invalid, false, "手机号码缺失"},
	"44020": {providers.Invalid, false, "联系人姓名缺失"},
	"44021": {providers.Invalid, false, "联系人身份证格式错误"},
	"44022": {providers.Invalid, false, "联系人关系错误"},
	"44023": {providers.Invalid, false, "身份证号重复"},
	"44024": {providers.Invalid, false, "手机号重复"},
	"44025": {providers.Invalid, false, "联系人关系配偶超过限制"},
	"44026": {providers.Invalid, false, "联系人关系父母超过限制"},
	"44027": {providers.Invalid, false, "联系人姓名格式错误"},
	"44050": {providers.Fatal, false, "机构产品类型权限不足"},
	"44051": {providers.Fatal, false, "暂未开通机构产品类型功能"},
	"44052": {providers.Fatal, false, "缺少机构产品类型参数"},
	"44053": {providers.Fatal, false, "暂未开通个人地址风险验证功能"},
	"44054": {providers.Invalid, false, "个人地址风险验证参数错误"},
	"44055": {providers.Invalid, false, "业务类型码非有效枚举"},
	"44061": {providers.Fatal, false, "暂未开通企业地址验证功能"},
	"44062": {providers.Invalid, false, "企业地址验证参数错误"},
	"54000": {providers.Transient, false, "服务异常"},
}

// ResultCodes lists every documented code other than 10000, for tests and docs.
func ResultCodes() []string {
	out := make([]string, 0, len(resultCodes))
	for c := range resultCodes {
		out = append(out, c)
	}
	return out
}

// Query reasons (字典 1).
var queryReasons = []string{"LOAN_AUDIT", "LOAN_MANAGE", "CREDIT_CARD_AUDIT", "GUARANTEE_AUDIT", "PRE_GUARANTEE_AUDIT"}

// Product type codes (字典 7, amount_business).
var amountBusinessCodes = []string{"0", "1", "2", "3", "99"}

// Personal address detection types (字典 8) and their descriptions, which
// the document's example echoes in addrDetectionList[].type.
const (
	Mobile1Family = "SELF_MOBILE_1_FAMILY_ADDR"
	Mobile1Corp   = "SELF_MOBILE_1_CORP_ADDR"
	Mobile2Family = "SELF_MOBILE_2_FAMILY_ADDR"
	Mobile2Corp   = "SELF_MOBILE_2_CORP_ADDR"
)

var addrTypes = []struct{ code, desc string }{
	{Mobile1Family, "本人手机号 1 与家庭地址"},
	{Mobile1Corp, "本人手机号 1 与单位地址"},
	{Mobile2Family, "本人手机号 2 与家庭地址"},
	{Mobile2Corp, "本人手机号 2 与单位地址"},
}

// addrTypeOf maps an answer's type (the enum or its description, with any
// spacing) to the enum.
func addrTypeOf(s string) (string, bool) {
	k := squash(s)
	for _, t := range addrTypes {
		if k == squash(t.code) || k == squash(t.desc) {
			return t.code, true
		}
	}
	return "", false
}

func addrTypeDesc(code string) string {
	for _, t := range addrTypes {
		if t.code == code {
			return t.desc
		}
	}
	return code
}

func validAddrType(s string) bool {
	for _, t := range addrTypes {
		if t.code == s {
			return true
		}
	}
	return false
}

// Contact relationship codes (字典 6), with the Chinese words an input file
// may use for them.
var contactTypes = map[string]string{
	"SPOUSE": "配偶", "CHILD": "子女", "PARENTS": "父母", "COLLEAGUE": "同事",
	"RELATIVES": "亲属", "FRIEND": "朋友", "OTHER_CONTACTS": "其他联系人",
}

var contactTypeWords = map[string]string{
	"配偶": "SPOUSE", "妻子": "SPOUSE", "丈夫": "SPOUSE", "子女": "CHILD", "父母": "PARENTS",
	"父亲": "PARENTS", "母亲": "PARENTS", "同事": "COLLEAGUE", "亲属": "RELATIVES", "朋友": "FRIEND",
	"其他联系人": "OTHER_CONTACTS", "其他": "OTHER_CONTACTS",
}

// Fraud levels (字典 2).
var fraudLevels = map[string]string{"0": "数据不足", "1": "一级", "2": "二级", "3": "三级", "4": "四级", "5": "五级"}

// List types (字典 3).
var dataTypes = map[string]string{"CREDITEASE": "网贷", "COURT_LITIGATION": "法院诉讼", "OTHER": "其他", "NETWORK": "网络"}

// Hit items (字典 4).
var riskItemTypes = map[string]string{
	"ID_NO": "本人身份证号", "CONTACT_ID_NO": "联系人身份证号", "MOBILE": "本人手机号码",
	"CONTACT_MOBILE_NO": "联系人手机号码", "FAMILY_TEL": "家庭固话", "FAMILY_ADDR": "家庭地址",
	"BANK_NO": "银行卡号", "QQ": "QQ 号", "EMAIL": "电子邮箱", "CORP_NAME": "单位名称",
	"CORP_TEL": "单位固话", "CORP_ADDR": "单位地址",
}

// Risk details (字典 5). The document's table spells one "COURT_ EXECUTED"
// (a stray space) while its example says COURT_EXECUTED; lookups squash
// spaces so both read the same.
var riskDetails = map[string]string{
	"ARREARS": "长期拖欠", "FAKE_INFO": "申请信息虚假", "FAKE_DATA": "资料虚假", "PSEUDO": "伪冒",
	"LOSS_PAYMENT": "丧失还款能力", "RISK_USEAGE": "用途风险", "AGENCY": "同行中介",
	"COURT_PROMISE_BREAKING": "法院-失信", "COURT_EXECUTED": "法院-被执行",
	"RECENT_EXIST_MULTI_APPLY_RISK": "近期存在多头申请风险", "MODEL_EVALUATION_LOW_QUALIFICATION": "模型评估低资质",
	"SMALL_BUSINESS_ARREARS": "小额业务拖欠", "FIRST_OVER_SUSPECTED_FRAUD": "首逾 M3",
	"DIFFICULTIES_OBTAIN_SMALL_BUSINESS": "小额业务获批困难",
}

// describe looks a code up in a dictionary, ignoring spaces; unknown codes
// are shown as sent.
func describe(dict map[string]string, code string) string {
	if d, ok := dict[squash(code)]; ok {
		return d
	}
	return strings.TrimSpace(code)
}

// squash removes all spaces (the document's tables and example carry stray
// ones inside codes and keys).
func squash(s string) string {
	// Most keys have no space at all: no need to split and join them.
	if !strings.ContainsFunc(s, unicode.IsSpace) {
		return s
	}
	return strings.Join(strings.Fields(s), "")
}

// addrVerdict is one row of table 11 (个人地址验证-结果编码). result is the
// fixed text, or empty where the answer carries one of the listed enum
// values (4001–4005, 5001–5004).
type addrVerdict struct {
	result, riskLevel, remark, desc string
}

var addrCodes = map[string]addrVerdict{
	"1001": {"匹配", "正常", "无", "输入地址与手机号码关联"},
	"1002": {"不匹配", "中风险", "无", "输入地址与手机号码不关联"},
	"1003": {"未命中有效结果,无法进行地址验证", "", "", ""},
	"1004": {"验证失败", "", "", ""},
	"2001": {"有效性较高,是客户曾用地址之一", "正常", "无", "与历史使用过的某地址一致或距离接近"},
	"2002": {"疑似提供陌生地址,实际使用地址未提供", "高风险", "无", "与历史使用过的所有地址距离均较远"},
	"2003": {"证据不足,无法评估", "", "", ""},
	"3001": {"时效性较高,是最新使用的地址", "正常", "无", "与最新使用的地址一致或距离接近"},
	"3002": {"时效性较低,可能存在最新使用的地址未提供", "中风险", "无", "与最新使用地址距离较远,但历史使用过该地址"},
	"3003": {"疑似提供陌生地址,最新使用的地址未提供", "高风险", "无", "与最新使用的地址距离较远,且历史也未使用过该地址"},
	"3004": {"证据不足,无法评估", "", "", ""},
	"4001": {"", "活跃", "输入地址活跃度较高", "输入地址与最近一次使用的地址一致或接近"},
	"4002": {"", "中风险", "疑似存在其他活跃地址未提供", "最近一次使用的非输入地址,且该地址活跃度较高"},
	"4003": {"", "不活跃", "无", "输入地址与最近一次使用的地址一致或接近"},
	"4004": {"", "不活跃", "无", "最近一次使用的非输入地址"},
	"4005": {"证据不足,无法评估", "", "", ""},
	"5001": {"", "正常", "输入地址为有效地址之一", "输入地址为历史使用过的某地址一致或接近"},
	"5002": {"", "中风险", "疑似存在其他有效地址未提供", "输入地址非历史使用过的有效地址,且存在其他有效地址较多"},
	"5003": {"", "无", "无", "输入地址非历史使用过的有效地址"},
	"5004": {"证据不足,无法评估", "", "", ""},
}

// The enum values table 11 lists for 4001–4004 and 5001–5003.
var (
	recentPeriods = []string{"近3个月", "近3-6个月", "近6个月-1年", "近1年-2年"}
	addrCounts    = []string{"无地址", "1个地址", "2个地址", "3个地址", "4个及以上地址"}
)

// The five sub-results of a personal address verdict, in the order the
// column shows them, with the code family each may carry.
var addrParts = []struct {
	key, label, family string
}{
	{"addrMobileMatching", "匹配度", "1"},
	{"addrEffective", "有效性", "2"},
	{"addrTimeEffective", "时效性", "3"},
	{"recentAddrTime", "最近使用", "4"},
	{"effectiveAddrNum", "有效地址数", "5"},
}

// Corporate address verdicts (字典 12), validity (13) and sources (14).
var (
	corpResults = map[string]string{"NO_DIFFERENCE": "验证结果一致", "DIFFERENCE": "验证结果不一致", "LACK_EVIDENCE": "证据不足,无法验证", "FAILTURE": "验证失败"}
	corpEffect  = map[string]string{"NORMAL": "正常"}
	corpSources = map[string]string{"BUSINESS": "工商", "EMPLOYMENT": "招聘信息", "YELLOW_PAGES": "企业黄页", "NETWORK": "网络", "OTHER": "其他"}
)
