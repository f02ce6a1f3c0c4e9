// Package zhicheng is the Zhicheng Afu (致诚阿福) 群星系统 vendor, API
// fraud.screening.advance.api (欺诈甄别进阶版 V1: fraud score and level,
// risk lists, social network, personal and corporate address verification),
// client and simulator side by side (seed 001).
package zhicheng

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unsafe"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/pii"
	"github.com/riskbatch/riskbatch/providers/wire"
)

// TimeZone is the vendor's quota day: China has one zone.
const TimeZone = "Asia/Shanghai"

func init() {
	providers.Register(providers.Spec{
		Kind: "zhicheng",
		Doc:  "Zhicheng Afu 群星 fraud.screening.advance.api (POST /submit)",
		Credentials: []providers.Credential{
			{Name: "user_name", Required: true, Doc: "the user name Zhicheng issued (test accounts end in _testusr)"},
			{Name: "sign", Required: true, Doc: "the user's RC4 secret, sent as-is in the form"},
		},
		TimeZone: TimeZone,
		Market:   providers.MarketCN,
		New:      New,
		Endpoint: "https://starapi.zhichengcredit.com/submit",
		Options:  func() any { return &Options{} },
		Example:  nil,
		Report: providers.ReportDefaults{
			Score: "fraud_score",
			Rules: []providers.DefaultRule{
				{Name: "Zhicheng fraud level 4–5", When: "fraud_level in [4, 5]", Decision: "reject", Why: zhichengRuleWhy},
				{Name: "Zhicheng fraud level 3", When: "fraud_level == 3", Decision: "review", Why: zhichengRuleWhy},
				{Name: "Zhicheng fraud level 1–2", When: "fraud_level in [1, 2]", Decision: "pass", Why: zhichengRuleWhy},
			},
			Bands: []providers.DefaultBand{
				{Name: "level 1", When: "fraud_level == 1"},
				{Name: "level 2", When: "fraud_level == 2"},
				{Name: "level 3", When: "fraud_level == 3"},
				{Name: "level 4", When: "fraud_level == 4"},
				{Name: "level 5", When: "fraud_level == 5"},
			},
			List:           "risk_hits",
			ListPathLevels: 2,
		},
	})
}

const zhichengRuleWhy = "the Zhicheng document only says risk rises from level 1 to 5"

// Options are the job's options for a Zhicheng provider.
type Options struct {
	// QueryReason is query_reason (字典 1); default LOAN_AUDIT.
	QueryReason string `yaml:"query_reason" values:"{LOAN_AUDIT}, {LOAN_MANAGE}, {CREDIT_CARD_AUDIT}, {GUARANTEE_AUDIT}, {PRE_GUARANTEE_AUDIT}" default:"{LOAN_AUDIT}" doc:"query_reason (字典 1); anything else fails when the job loads."`
	// AmountBusiness is the product type code (字典 7); default "0".
	AmountBusiness string `yaml:"amount_business" values:"{0}, {1}, {2}, {3}, {99}" default:"{\"0\"}" doc:"Product type code (字典 7); a YAML number is accepted."`
	// AddrDetectionTypes asks for personal address verdicts (字典 8).
	AddrDetectionTypes []string `yaml:"addr_detection_types" values:"a list of {SELF_MOBILE_1_FAMILY_ADDR}, {SELF_MOBILE_1_CORP_ADDR}, {SELF_MOBILE_2_FAMILY_ADDR}, {SELF_MOBILE_2_CORP_ADDR} (any case)" default:"none" doc:"Personal address verdicts to ask for (字典 8; duplicates dropped). Each type needs that mobile and that address (with its street part) in the row, else the row is {invalid} 44054 and not sent."`
	// QueryCorpAddrDetection asks for the corporate address verdict.
	QueryCorpAddrDetection bool `yaml:"query_corp_addr_detection" values:"{true}, {false}" default:"{false}" doc:"{true} sends {\"query_corp_addr_detection\":\"1\"}; the row then needs {corp_name} and a corporate street address, else {invalid} 44062."`
	// AddressEncoding is how family_addr, corp_addr and contacts are sent:
	// "object" (nested JSON, as the document's example) or "string" (a JSON
	// string holding the object, as its table says). Default "object".
	AddressEncoding string `yaml:"address_encoding" values:"{object}, {string}" default:"{object}" doc:"How {family_addr}, {corp_addr} and {contacts} go inside {params}: {object} (nested JSON, as the document's example) or {string} (a JSON string holding the object or array, as its table says)."`
}

// Client is the Zhicheng provider.
type Client struct {
	endpoint       string
	post           *providers.Post // the endpoint and headers, parsed once
	queryReason    string
	amountBusiness string
	addrTypes      []string
	corp           bool
	encoding       string
	columns        []providers.Column
}

// New builds a Zhicheng provider from the job.
func New(cfg providers.Config) (providers.Provider, error) {
	o, _, err := providers.ReadConfig[Options](cfg)
	if err != nil {
		return nil, err
	}
	c := &Client{
		endpoint:       cfg.Endpoint,
		queryReason:    strings.TrimSpace(o.QueryReason),
		amountBusiness: strings.TrimSpace(o.AmountBusiness),
		corp:           o.QueryCorpAddrDetection,
		encoding:       strings.ToLower(strings.TrimSpace(o.AddressEncoding)),
	}
	if c.queryReason == "" {
		c.queryReason = "LOAN_AUDIT"
	}
	if !slices.Contains(queryReasons, c.queryReason) {
		return nil, fmt.Errorf("options.query_reason %q: want one of %s", o.QueryReason, strings.Join(queryReasons, ", "))
	}
	if c.amountBusiness == "" {
		c.amountBusiness = "0"
	}
	if !slices.Contains(amountBusinessCodes, c.amountBusiness) {
		return nil, fmt.Errorf("options.amount_business %q: want one of %s", o.AmountBusiness, strings.Join(amountBusinessCodes, ", "))
	}
	for _, t := range o.AddrDetectionTypes {
		t = strings.ToUpper(strings.TrimSpace(t))
		if !validAddrType(t) {
			return nil, fmt.Errorf("options.addr_detection_types: %q is not one of %s, %s, %s, %s", t, Mobile1Family, Mobile1Corp, Mobile2Family, Mobile2Corp)
		}
		if !slices.Contains(c.addrTypes, t) {
			c.addrTypes = append(c.addrTypes, t)
		}
	}
	switch c.encoding {
	case "":
		c.encoding = EncodingObject
	case EncodingObject, EncodingString:
	default:
		return nil, fmt.Errorf("options.address_encoding %q: want object or string", o.AddressEncoding)
	}
	c.columns = c.buildColumns()
	if c.post, err = providers.NewPost(cfg.Endpoint, map[string]string{
		"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
		"Accept":       "application/json",
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// Inputs implements providers.Provider.
func (c *Client) Inputs() []providers.Input {
	in := []providers.Input{
		{Name: "name", Kind: providers.PIIName, Aliases: []string{"姓名", "name", "realname", "真实姓名", "客户姓名"}, Required: true, Doc: "applicant name, 2-30 characters",
			Check: "required (是, 2-30 位): `pii.Name`, at most 30 characters; a failure makes the row invalid (44001 empty, 44004)"},
		{Name: "id_no", Kind: providers.PIIIDCard, Aliases: []string{"身份证号", "身份证号码", "证件号码", "idcard", "id_no", "id_card"}, Required: true, Doc: "Chinese resident ID (18 characters; a 15-digit legacy number is upgraded)",
			Check: "required (是, 18 位以内): `pii.ChineseID` with the check digit; a digest is refused (Zhicheng takes plaintext); a failure makes the row invalid (44002 empty, 44005)"},
		{Name: "mobile", Kind: providers.PIIMobile, Aliases: []string{"手机号", "手机号码", "mobile", "phone"}, Required: true, Doc: "Chinese mobile, 11 digits; two may be given comma-separated",
			Check: "required (是, 每个号码 11 位, 至多 2 个): `pii.ChineseMobile` for each; a failure makes the row invalid (44019 missing, 44007, 44008, 44024)"},
		{Name: "mobile2", Kind: providers.PIIMobile, Aliases: []string{"手机号2", "手机号码2", "mobile2"}, Doc: "second mobile",
			Check: "optional: `pii.ChineseMobile`, not the same as mobile; a failure leaves it out with a warning (44007, 44024), unless addr_detection_types names a SELF_MOBILE_2 type"},
		{Name: "bank_no", Kind: providers.PIIBankCard, Aliases: []string{"银行卡号", "bank_no", "bankcard"}, Doc: "bank card number, at most 20 digits",
			Check: "optional (否, 20 以内): `pii.BankCard` (full-width digits folded, spaces and dashes removed), then 1-20 digits; a failure leaves it out with a warning (44016)"},
		{Name: "email", Kind: providers.PIIEmail, Aliases: []string{"邮箱", "电子邮箱", "email"}, Doc: "e-mail, at most 50 characters",
			Check: "optional (否, 50 以内): `pii.Email`, at most 50 characters; a failure leaves it out with a warning (44009)"},
		{Name: "qq", Aliases: []string{"QQ", "QQ号", "qq"}, Doc: "QQ number",
			Check: "optional (否, 50 位以内): at most 50 characters (the document's only rule); a longer value is left out with a warning (44010)"},
		{Name: "family_tel", Kind: providers.PIIPhone, Aliases: []string{"家庭固话", "家庭电话", "family_tel"}, Doc: "home landline 010-65239821",
			Check: "optional (否): 3-4 digit area code, -, 7-8 digits; a failure leaves it out with a warning (44012)"},
		{Name: "corp_tel", Kind: providers.PIIPhone, Aliases: []string{"单位固话", "单位电话", "corp_tel"}, Doc: "office landline 010-65239821",
			Check: "optional (否): 3-4 digit area code, -, 7-8 digits; a failure leaves it out with a warning (44015)"},
		{Name: "corp_name", Aliases: []string{"单位名称", "corp_name", "company"}, Doc: "employer, at most 100 characters",
			Check: "optional (否, 100 以内): at most 100 characters; a failure leaves it out with a warning (44013), unless query_corp_addr_detection is on (then the row is invalid)"},
	}
	for _, a := range []struct{ pre, zh, code, needs string }{
		{"family", "家庭", "44011", "addr_detection_types names a FAMILY_ADDR type"},
		{"corp", "单位", "44014", "addr_detection_types names a CORP_ADDR type or query_corp_addr_detection is on"},
	} {
		chk := func(limit string) string {
			return "optional (否): " + limit + ", the whole address object at most 100 characters; a failure leaves the part out with a warning (" + a.code + "), unless " + a.needs + " (then the row is invalid)"
		}
		in = append(in,
			providers.Input{Name: a.pre + "_province", Aliases: []string{a.zh + "地址省", a.zh + "省"}, Doc: a.zh + "地址: province (≤ 20)", Check: chk("at most 20 characters")},
			providers.Input{Name: a.pre + "_city", Aliases: []string{a.zh + "地址市", a.zh + "市"}, Doc: a.zh + "地址: city (≤ 20)", Check: chk("at most 20 characters")},
			providers.Input{Name: a.pre + "_county", Aliases: []string{a.zh + "地址区县", a.zh + "区县"}, Doc: a.zh + "地址: county or district (≤ 20)", Check: chk("at most 20 characters")},
			providers.Input{Name: a.pre + "_address", Aliases: []string{a.zh + "详细地址"}, Doc: a.zh + "地址: street address (≤ 40)", Check: chk("at most 40 characters")},
			providers.Input{Name: a.pre + "_addr", Aliases: []string{a.zh + "地址"}, Doc: a.zh + "地址 as one free-text column (sent as the street address part)", Check: chk("at most 40 characters")},
		)
	}
	for i := 1; i <= maxContacts; i++ {
		n := strconv.Itoa(i)
		pre := "contact" + n + "_"
		in = append(in,
			providers.Input{Name: pre + "name", Kind: providers.PIIName, Aliases: []string{"联系人" + n + "姓名"}, Doc: "contact " + n + " name",
				Check: "optional (否, 30 以内): `pii.Name`; a contact is sent only with a valid name: otherwise the whole contact is left out with a warning (44020, 44027)"},
			providers.Input{Name: pre + "mobile", Kind: providers.PIIMobile, Aliases: []string{"联系人" + n + "手机号", "联系人" + n + "手机"}, Doc: "contact " + n + " mobile",
				Check: "optional (否, 11 位): `pii.ChineseMobile`; a failure leaves it out with a warning (44017)"},
			providers.Input{Name: pre + "id_no", Kind: providers.PIIIDCard, Aliases: []string{"联系人" + n + "身份证号"}, Doc: "contact " + n + " ID number",
				Check: "optional (否, 18 位): `pii.ChineseID`, not the applicant's or another contact's; a failure leaves it out with a warning (44021, 44023)"},
			providers.Input{Name: pre + "type", Aliases: []string{"联系人" + n + "关系"}, Doc: "contact " + n + " relationship: SPOUSE, CHILD, PARENTS, COLLEAGUE, RELATIVES, FRIEND, OTHER_CONTACTS (or 配偶, 子女, 父母, 同事, 亲属, 朋友, 其他联系人)",
				Check: "optional (否, 枚举): the enum or its Chinese word; at most 1 spouse and 2 parents; a failure leaves it out with a warning (44022, 44025, 44026)"},
		)
	}
	return in
}

// socialColumns are the socialNetwork figures written out, by column.
var socialColumns = []struct {
	col, key string
	numeric  bool
	doc      string
}{
	{"age", "age", true, "年龄 (socialNetwork.age)"},
	{"gender", "gender", false, "性别"},
	{"id_no_location", "idNoLocation", false, "身份证号归属地"},
	{"mobile_location", "mobileLocation", false, "手机号归属地"},
	{"mobile_operator", "mobileOperator", false, "手机号运营商"},
	{"first_order_black_cnt", "firstOrderBlackCnt", true, "一阶联系人黑名单个数"},
	{"first_order_black_rate", "firstOrderBlackRate", true, "一阶联系人黑名单占比 (or 联系人过少不予计算)"},
	{"first_order_overdue_cnt", "firstOrderOverdueCnt", true, "一阶联系人逾期个数"},
	{"first_order_overdue_rate", "firstOrderOverdueRate", true, "一阶联系人逾期占比 (or 联系人过少不予计算)"},
	{"first_order_m3_cnt", "firstOrderM3Cnt", true, "一阶联系人逾期 M3+ 个数"},
	{"second_order_black_cnt", "secondOrderBlackCnt", true, "二阶联系人黑名单个数"},
	{"second_order_overdue_cnt", "secondOrderOverdueCnt", true, "二阶联系人逾期个数"},
	{"second_order_m3_cnt", "secondOrderM3Cnt", true, "二阶联系人逾期 M3+ 个数"},
	{"active_call_cnt", "activeCallCnt", true, "主叫联系人数"},
	{"active_call_black_cnt", "activeCallBlackCnt", true, "主叫联系人黑名单数"},
	{"active_call_overdue_cnt", "activeCallOverdueCnt", true, "主叫联系人逾期数"},
	{"loan_call_cnt", "loanCallCnt", true, "与银行或同行通话总人数"},
	{"loan_call_num", "loanCallNum", true, "与银行或同行通话总次数"},
	{"court_call_num", "courtCallNum", true, "与法院通话次数"},
	{"lawyer_call_num", "lawyerCallNum", true, "与律师通话总次数"},
	{"fiction_call_cnt", "fictionCallCnt", true, "与虚拟号码通话人数"},
	{"macao_call_cnt", "macaoCallCnt", true, "与澳门通话人数"},
	{"night_call_cnt", "nightCallCnt", true, "夜间通话人数"},
	{"remote_call_cnt", "remoteCallCnt", true, "异地通话人数"},
}

func (c *Client) buildColumns() []providers.Column {
	cols := []providers.Column{
		{Name: "fraud_score", Numeric: true, Doc: "fraudScore 1-100; empty on a no-hit"},
		{Name: "fraud_level", Numeric: true, Doc: "fraudLevel 0-5 (0: data insufficient)"},
		{Name: "fraud_level_desc", Doc: "一级…五级, or 数据不足"},
		{Name: "risk_hits", Doc: "riskResult as 名单类型/风险明细/命中项 (年), joined with \"; \""},
		{Name: "risk_hit_count", Numeric: true, Doc: "number of riskResult entries"},
	}
	for _, s := range socialColumns {
		cols = append(cols, providers.Column{Name: s.col, Numeric: s.numeric, Doc: "socialNetwork." + s.key + ": " + s.doc})
	}
	for _, t := range c.addrTypes {
		cols = append(cols, providers.Column{Name: "addr_" + strings.ToLower(t), Doc: addrTypeDesc(t) + ": the five sub-results as 项目 code 结果/风险程度"})
	}
	if c.corp {
		cols = append(cols,
			providers.Column{Name: "corp_addr_result", Doc: "corporate address verdict: code and meaning (字典 12)"},
			providers.Column{Name: "corp_addr_similar", Doc: "similar addresses found: address (有效性, 来源)"},
		)
	}
	return append(cols, providers.Column{Name: "flow_id", Doc: "Zhicheng's flowId"})
}

// Columns implements providers.Provider.
func (c *Client) Columns() []providers.Column { return c.columns }

// DefaultBilled implements providers.Provider: success && code 10000 is the
// only billed answer.
func (c *Client) DefaultBilled() []string { return []string{CodeOK} }

type payload struct{ params string }

// altField names the other column a field may have come from, for error
// messages (a free-text address lands in the street address part).
var altField = map[string]string{"family_address": "family_addr", "corp_address": "corp_addr"}

// Prepare builds params from the row and validates it with the vendor's
// own rules (shared with the simulator), so a row Zhicheng would reject is
// reported with its code and never sent.
func (c *Client) Prepare(rec providers.Record) (*providers.Request, error) {
	v := zcFields.Of(rec)
	p := &Params{
		AmountBusiness:     c.amountBusiness,
		AddrDetectionTypes: c.addrTypes,
		Name:               v.Get(fName),
		IDNo:               v.Get(fIDNo),
		BankNo:             v.Get(fBankNo),
		Email:              v.Get(fEmail),
		QQ:                 v.Get(fQQ),
		FamilyTel:          v.Get(fFamilyTel),
		CorpTel:            v.Get(fCorpTel),
		CorpName:           v.Get(fCorpName),
		FamilyAddr:         address(v, fFamilyAddr),
		CorpAddr:           address(v, fCorpAddr),
	}
	if c.corp {
		p.QueryCorpAddrDetection = "1"
	}
	for _, f := range [...]int{fMobile, fMobile2} {
		for _, m := range splitMobiles(v.Get(f)) {
			p.Mobiles = append(p.Mobiles, m)
			p.mobileFields = append(p.mobileFields, zcFields.Name(f))
		}
	}
	p.Contacts = make([]Contact, 0, maxContacts)
	for i := range maxContacts {
		f := fContacts + 4*i
		p.Contacts = append(p.Contacts, Contact{Name: v.Get(f), Mobile: v.Get(f + 1), IDNo: v.Get(f + 2), Type: v.Get(f + 3)})
	}
	// Zhicheng's document defines no hashing: a digest in an identity
	// column can never match, so say so instead of a format error.
	for _, f := range [...]int{fIDNo, fMobile, fMobile2} {
		if s := v.Get(f); s != "" {
			if _, _, hashed := pii.DetectHashed(s, pii.SHA256); hashed {
				return nil, rec.Invalid(zcFields.Name(f), "hashed_not_accepted", "the value is already a digest; Zhicheng takes plaintext only (send this row from the plaintext file)", s[:6]+"…")
			}
		}
	}
	var notes []string
	// An optional value failing its check is left out with a warning and
	// the check runs again (optional.go); a required field's failure makes
	// the row invalid. Each pass clears one value, so this ends.
	var warns []*providers.RowError
	var dropped []*FieldError
	for {
		fe := check(p, true, &notes)
		if fe == nil {
			break
		}
		if dropOptional(p, fe) {
			warns = append(warns, rec.Warning(inputField(rec, fe.Field), fe.Code, fe.Reason, fe.Masked))
			dropped = append(dropped, fe)
			continue
		}
		if fe.Code == "44054" || fe.Code == "44062" {
			// The job's address checks need the value that was dropped:
			// report that value's own failure.
			for _, d := range dropped {
				if fieldGroup(d.Field) == fieldGroup(fe.Field) {
					return nil, rec.Invalid(inputField(rec, d.Field), d.Code, d.Reason+" (required by the job's address checks)", d.Masked)
				}
			}
		}
		return nil, rec.Invalid(inputField(rec, fe.Field), fe.Code, fe.Reason, fe.Masked)
	}
	// Empty contact slots are not sent; numbering in errors followed the
	// input columns, so drop them only now.
	p.Contacts = slices.DeleteFunc(p.Contacts, Contact.empty)
	body, err := p.Marshal(c.encoding)
	if err != nil {
		return nil, fmt.Errorf("zhicheng: encoding params: %w", err)
	}
	// The params are plaintext (no per-key encoding): the wire digest is
	// also the lookup's identity (Request.Identity).
	// body is Marshal's own buffer, never written again: view it as the
	// string instead of copying it (720 bytes a row in the bench).
	params := unsafe.String(unsafe.SliceData(body), len(body))
	d := providers.DedupeKey("zhicheng", APIName, c.queryReason, params)
	return &providers.Request{
		Dedupe:   d,
		Identity: d,
		Payload:  payload{params: params},
		Notes:    notes,
		Warnings: warns,
	}, nil
}

// zcFields are the input fields Prepare reads, resolved once per input
// file (a map lookup per field per row was a visible cost), numbered by
// the f… constants.
var zcFields = providers.NewFields(func() []string {
	names := []string{"name", "id_no", "bank_no", "email", "qq", "family_tel", "corp_tel", "corp_name", "mobile", "mobile2"}
	for _, pre := range []string{"family", "corp"} {
		names = append(names, pre+"_province", pre+"_city", pre+"_county", pre+"_address", pre+"_addr")
	}
	for i := range maxContacts {
		pre := "contact" + strconv.Itoa(i+1) + "_"
		names = append(names, pre+"name", pre+"mobile", pre+"id_no", pre+"type")
	}
	return names
}()...)

// The numbers of zcFields: an address is five fields from fFamilyAddr or
// fCorpAddr (province, city, county, address, the free-text addr), a
// contact four from fContacts+4·i (name, mobile, id_no, type).
const (
	fName = iota
	fIDNo
	fBankNo
	fEmail
	fQQ
	fFamilyTel
	fCorpTel
	fCorpName
	fMobile
	fMobile2
	fFamilyAddr
	fCorpAddr = fFamilyAddr + 5
	fContacts = fCorpAddr + 5
)

// inputField is the field whose column a check failure is reported on: a
// free-text address column stands for the street address part.
func inputField(rec providers.Record, field string) string {
	if alt, ok := altField[field]; ok && rec.Column(field) == "" && rec.Column(alt) != "" {
		return alt
	}
	return field
}

// address reads the province, city, county and address fields from f on,
// or the free-text addr field as the street address part.
func address(v providers.FieldValues, f int) *Address {
	a := &Address{Province: v.Get(f), City: v.Get(f + 1), County: v.Get(f + 2), Address: v.Get(f + 3)}
	if a.Address == "" {
		a.Address = v.Get(f + 4)
	}
	if a.empty() {
		return nil
	}
	return a
}

// splitMobiles splits a cell holding one or two mobiles (the wire format's
// comma, or the separators people type).
func splitMobiles(s string) []string {
	if !strings.ContainsAny(s, ",，;；、") { // one mobile (or none): no split
		if s = providers.TrimSpace(s); s == "" {
			return nil
		}
		return []string{s}
	}
	var out []string
	for _, m := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(",，;；、", r) }) {
		if m = providers.TrimSpace(m); m != "" {
			out = append(out, m)
		}
	}
	return out
}

// NewHTTPRequest implements providers.Provider: a form POST of the five
// parameters, the credentials as-is.
func (c *Client) NewHTTPRequest(ctx context.Context, key providers.Key, req *providers.Request) (*http.Request, error) {
	p, ok := req.Payload.(payload)
	if !ok {
		return nil, fmt.Errorf("zhicheng: foreign request payload %T", req.Payload)
	}
	user, sign := key.Credentials["user_name"], key.Credentials["sign"]
	if user == "" || sign == "" {
		return nil, fmt.Errorf("zhicheng: key %s needs the user_name and sign credentials", key.ID)
	}
	// What url.Values.Encode writes for the five values (keys sorted),
	// appended directly: the long params JSON was escaped through a map
	// and a sort for every attempt (issue 18; TestFormBodyMatchesValues).
	r, err := c.post.Request(ctx, c.formBody(user, sign, p.params))
	if err != nil {
		return nil, fmt.Errorf("zhicheng: %w", err)
	}
	return r, nil
}

// formBody is the form: api_name, params, query_reason, sign, user_name.
func (c *Client) formBody(user, sign, params string) []byte {
	b := make([]byte, 0, len("api_name=&params=&query_reason=&sign=&user_name=")+
		3*(len(APIName)+len(params)+len(c.queryReason)+len(sign)+len(user)))
	b = append(b, "api_name="...)
	b = wire.AppendQueryEscape(b, APIName)
	b = append(b, "&params="...)
	b = wire.AppendQueryEscape(b, params)
	b = append(b, "&query_reason="...)
	b = wire.AppendQueryEscape(b, c.queryReason)
	b = append(b, "&sign="...)
	b = wire.AppendQueryEscape(b, sign)
	b = append(b, "&user_name="...)
	return wire.AppendQueryEscape(b, user)
}

// answer is the response envelope. code is a String in the document but is
// read as a number too.
type answer struct {
	Code    json.RawMessage `json:"code"`
	Msg     json.RawMessage `json:"msg"`
	Success bool            `json:"success"`
	FlowID  json.RawMessage `json:"flowId"`
	Data    json.RawMessage `json:"data"`
}

// parseSlow is Parse through encoding/json: the reference for parseFast
// (parse.go) and what reads every answer parseFast leaves to it.
func (c *Client) parseSlow(status int, body []byte) providers.Result {
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return providers.Result{Outcome: providers.Transient, Code: fmt.Sprintf("HTTP %d", status), Message: "unparseable body"}
	}
	code, _ := scalar(a.Code)
	code = strings.TrimSpace(code)
	msg, _ := scalar(a.Msg)
	if code == "" {
		return providers.Result{Outcome: providers.Transient, Code: fmt.Sprintf("HTTP %d", status), Message: "answer without a code"}
	}
	if code != CodeOK {
		cl, known := resultCodes[code]
		if !known {
			return providers.Result{Outcome: providers.Transient, Code: code, Message: msg, Unknown: true}
		}
		return providers.Result{Outcome: cl.outcome, Code: code, Message: msg, Permanent: cl.permanent, ParamsRejected: code == CodeParamsFormat}
	}
	if !a.Success {
		// 10000 without success is neither the documented success nor a
		// documented failure.
		return providers.Result{Outcome: providers.Transient, Code: code, Message: "code 10000 with success false", Unknown: true}
	}
	flow, _ := scalar(a.FlowID)
	vals, hit, ok := c.values(a.Data, flow)
	if !ok {
		// A success without a readable data object is not an answer: never
		// report it as a no-hit.
		return providers.Result{Outcome: providers.Transient, Code: code, Message: "unparseable data"}
	}
	out := providers.NoHit
	if hit {
		out = providers.Hit
	}
	return providers.Result{Outcome: out, Code: code, Message: msg, Values: vals}
}

// object is a JSON object's members, their keys looked up with spaces
// squashed (the document's example has "gender " and
// " query_corp_addr_detection "). A slice searched linearly: the answer's
// objects hold 5 to 35 members read a few times each, and building a map
// for every nested object cost more than the searches (BENCHMARKS.md).
type object []member

type member struct {
	key []byte // squashed; usually a piece of the answer itself
	val json.RawMessage
}

// get returns key's value; a repeated key gives the last, as in encoding/json.
func (o object) get(key string) json.RawMessage {
	for i := len(o) - 1; i >= 0; i-- {
		if string(o[i].key) == key {
			return o[i].val
		}
	}
	return nil
}

func decodeObject(r json.RawMessage) (object, bool) {
	if o, ok := splitObject(r); ok {
		return o, true
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r, &m); err != nil || m == nil {
		return nil, false
	}
	o := make(object, 0, len(m))
	for k, v := range m {
		o = append(o, member{key: []byte(squash(k)), val: v})
	}
	return o, true
}

// splitObject cuts a JSON object into its members without decoding the
// values. The pieces Parse handles come from a document json.Unmarshal has
// already checked, and decoding each nested level again with
// encoding/json re-scanned the whole answer once per level (the largest
// cost of a Zhicheng call on the client side, BENCHMARKS.md). Anything
// unexpected (escaped keys, damage) returns ok=false and the caller falls
// back to encoding/json.
func splitObject(r []byte) (object, bool) {
	i := skipSpace(r, 0)
	if i >= len(r) || r[i] != '{' {
		return nil, false
	}
	// About one member per 24 bytes in Zhicheng's answers: sizing the
	// slice up front saves its step-by-step growth (socialNetwork has 35).
	o := make(object, 0, len(r)/24+1)
	i = skipSpace(r, i+1)
	if i < len(r) && r[i] == '}' {
		return o, skipSpace(r, i+1) == len(r)
	}
	for {
		if i >= len(r) || r[i] != '"' {
			return nil, false
		}
		end, escaped := scanString(r, i)
		if end < 0 || escaped {
			return nil, false
		}
		key := r[i+1 : end-1]
		if bytes.ContainsFunc(key, unicode.IsSpace) {
			key = []byte(squash(string(key)))
		}
		i = skipSpace(r, end)
		if i >= len(r) || r[i] != ':' {
			return nil, false
		}
		i = skipSpace(r, i+1)
		vend := scanValue(r, i)
		if vend < 0 {
			return nil, false
		}
		o = append(o, member{key: key, val: json.RawMessage(r[i:vend])})
		i = skipSpace(r, vend)
		if i < len(r) && r[i] == ',' {
			i = skipSpace(r, i+1)
			continue
		}
		if i < len(r) && r[i] == '}' {
			return o, skipSpace(r, i+1) == len(r)
		}
		return nil, false
	}
}

// splitArray cuts a JSON array into its elements (see splitObject).
func splitArray(r []byte) ([]json.RawMessage, bool) {
	i := skipSpace(r, 0)
	if i >= len(r) || r[i] != '[' {
		return nil, false
	}
	var out []json.RawMessage
	i = skipSpace(r, i+1)
	if i < len(r) && r[i] == ']' {
		return out, skipSpace(r, i+1) == len(r)
	}
	for {
		end := scanValue(r, i)
		if end < 0 {
			return nil, false
		}
		out = append(out, json.RawMessage(r[i:end]))
		i = skipSpace(r, end)
		if i < len(r) && r[i] == ',' {
			i = skipSpace(r, i+1)
			continue
		}
		if i < len(r) && r[i] == ']' {
			return out, skipSpace(r, i+1) == len(r)
		}
		return nil, false
	}
}

func skipSpace(r []byte, i int) int {
	for i < len(r) && (r[i] == ' ' || r[i] == '\t' || r[i] == '\n' || r[i] == '\r') {
		i++
	}
	return i
}

// scanString returns the index after the string starting at r[i] (a
// quote), -1 when it does not end, and whether it holds an escape.
func scanString(r []byte, i int) (int, bool) {
	escaped := false
	for j := i + 1; j < len(r); j++ {
		switch r[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped
		}
	}
	return -1, escaped
}

// scanValue returns the index after the value starting at r[i], -1 when
// it does not end.
func scanValue(r []byte, i int) int {
	if i >= len(r) {
		return -1
	}
	switch r[i] {
	case '"':
		end, _ := scanString(r, i)
		return end
	case '{', '[':
		depth := 0
		for j := i; j < len(r); j++ {
			switch r[j] {
			case '"':
				end, _ := scanString(r, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(r) && r[j] != ',' && r[j] != '}' && r[j] != ']' && r[j] != ' ' && r[j] != '\t' && r[j] != '\n' && r[j] != '\r' {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// str returns a string or number field as text ("" when absent or of
// another type): loanCallCnt is a String in the table and a number in the
// example, counts may come either way.
func (o object) str(key string) string {
	s, _ := scalar(o.get(key))
	return providers.TrimSpace(s)
}

// sub returns key's value as an object.
func (o object) sub(key string) (object, bool) { return decodeObject(o.get(key)) }

func (o object) objects(key string) []object {
	raw, ok := splitArray(o.get(key))
	if !ok && json.Unmarshal(o.get(key), &raw) != nil {
		return nil
	}
	out := make([]object, 0, len(raw))
	for _, r := range raw {
		if m, ok := decodeObject(r); ok {
			out = append(out, m)
		}
	}
	return out
}

// values reads data into the columns; hit is false when there is no score
// (fraudLevel 0, data insufficient).
func (c *Client) values(raw json.RawMessage, flow string) (vals []string, hit, ok bool) {
	d, ok := decodeObject(raw)
	if !ok {
		return nil, false, false
	}
	set := make(map[string]string, len(c.columns))
	score, level := d.str("fraudScore"), d.str("fraudLevel")
	hit = score != "" && level != "0"
	if hit {
		set["fraud_score"] = score
	}
	set["fraud_level"] = level
	if level != "" {
		set["fraud_level_desc"] = describe(fraudLevels, level)
	}
	risks := d.objects("riskResult")
	set["risk_hits"] = formatRisks(risks)
	set["risk_hit_count"] = strconv.Itoa(len(risks))
	if sn, ok := decodeObject(d.get("socialNetwork")); ok {
		for _, s := range socialColumns {
			set[s.col] = sn.str(s.key)
		}
	}
	for _, e := range d.objects("addrDetectionList") {
		t, ok := addrTypeOf(e.str("type"))
		if !ok || !slices.Contains(c.addrTypes, t) {
			continue
		}
		set["addr_"+strings.ToLower(t)] = formatAddrVerdict(e)
	}
	if c.corp {
		if co, ok := decodeObject(d.get("corpAddrDetectionResult")); ok {
			set["corp_addr_result"], set["corp_addr_similar"] = formatCorp(co)
		}
	}
	set["flow_id"] = flow
	vals = make([]string, len(c.columns))
	for i, col := range c.columns {
		vals[i] = set[col.Name]
	}
	return vals, hit, true
}

// formatRisks renders each riskResult entry as 名单类型/风险明细/命中项 (年),
// e.g. 法院诉讼/法院-失信/本人身份证号 (2017).
func formatRisks[O reader[O]](risks []O) string {
	parts := make([]string, 0, len(risks))
	for _, r := range risks {
		s := describe(dataTypes, r.str("dataType")) + "/" + describe(riskDetails, r.str("riskDetail")) + "/" + describe(riskItemTypes, r.str("riskItemType"))
		if t := r.str("riskTime"); t != "" {
			s += " (" + t + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// formatAddrVerdict renders the five sub-results of one personal address
// verdict as 项目 code 结果/风险程度, filling result and riskLevel from
// table 11 when the answer leaves them out.
func formatAddrVerdict[O reader[O]](e O) string {
	var parts []string
	for _, ap := range addrParts {
		sub, ok := e.sub(ap.key)
		if !ok {
			continue
		}
		code := sub.str("code")
		ref := addrCodes[code]
		result, risk := sub.str("result"), sub.str("riskLevel")
		if result == "" {
			result = ref.result
		}
		if risk == "" {
			risk = ref.riskLevel
		}
		s := ap.label + " " + code
		if result != "" {
			s += " " + result
		}
		if risk != "" {
			s += "/" + risk
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// formatCorp renders the corporate verdict (code and meaning) and the
// similar addresses.
func formatCorp[O reader[O]](co O) (result, similar string) {
	code := co.str("resultVerificationCode")
	if code == "" {
		// The document's table loses this field's name at a page break;
		// accept the shorter spelling too.
		code = co.str("resultVerification")
	}
	desc := co.str("resultVerificationDesc")
	if desc == "" {
		desc = describe(corpResults, code)
	}
	result = providers.TrimSpace(code + " " + desc)
	var sims []string
	for _, s := range co.objects("corpAddrSimilarList") {
		eff := s.str("effectiveDesc")
		if eff == "" {
			eff = describe(corpEffect, s.str("effectiveCode"))
		}
		src := s.str("sourceDesc")
		if src == "" {
			src = describe(corpSources, s.str("sourceCode"))
		}
		sims = append(sims, s.str("address")+" ("+eff+", "+src+")")
	}
	return result, strings.Join(sims, "; ")
}
