// Package zhichengsim simulates Zhicheng's fraud.screening.advance.api at
// POST /submit for the sandbox (docs/sandbox.md). Its validation is the
// client's (zhicheng.Validate): the document's business rules are one
// table, applied on both sides; document fixtures in providers/zhicheng
// check the reading of the document itself.
package zhichengsim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/pii"
	"github.com/riskbatch/riskbatch/providers/sandbox"
	"github.com/riskbatch/riskbatch/providers/zhicheng"
)

func init() {
	sandbox.RegisterVendor(func() sandbox.Vendor { return Sim{} })
	sandbox.RegisterGenColumns(sandbox.GenColumns{Market: "cn", Order: 10, Names: genNames, Cells: genCells})
}

// genNames are the columns `riskbatch gen` adds for Zhicheng's optional
// inputs (second mobile, bank card, contacts, addresses, employer), after
// the person's name, ID number and mobile.
var genNames = []string{"手机号2", "银行卡号", "email", "qq",
	"family_tel", "corp_tel", "family_province", "family_city", "family_county", "family_address",
	"corp_province", "corp_city", "corp_county", "corp_address", "corp_name",
	"contact1_name", "contact1_mobile", "contact1_type", "contact2_name", "contact2_mobile", "contact2_type"}

var genContactTypes = []string{"SPOUSE", "PARENTS", "FRIEND", "COLLEAGUE", "RELATIVES", "CHILD"}

// genCells fills genNames for person i: two other people of the population
// are the contacts.
func genCells(p *sandbox.Population, _, i int, per *sandbox.Person, c []string) {
	c1 := p.Person((i + 17) % p.Size)
	c2 := p.Person((i + 4242) % p.Size)
	copy(c, []string{
		per.Mobile2, per.BankNo, per.Email, per.QQ,
		per.FamilyTel, per.CorpTel, per.FamilyAddr.Province, per.FamilyAddr.City, per.FamilyAddr.County, per.FamilyAddr.Address,
		per.CorpAddr.Province, per.CorpAddr.City, per.CorpAddr.County, per.CorpAddr.Address, per.CorpName,
		c1.Name, c1.Mobile, genContactTypes[i%len(genContactTypes)], c2.Name, c2.Mobile, genContactTypes[(i+3)%len(genContactTypes)],
	})
}

// VendorName is the simulator's name in the sandbox (forced codes, limits,
// counters).
const VendorName = "zhicheng"

// Sim simulates POST /submit for fraud.screening.advance.api.
type Sim struct{}

var shanghai = providers.Zone(zhicheng.TimeZone) // the client's registered zone

// Name implements sandbox.Vendor.
func (Sim) Name() string { return VendorName }

// Paths implements sandbox.Vendor.
func (Sim) Paths() []string { return []string{"/submit"} }

// Location implements sandbox.Vendor: quotas reset at midnight in Beijing.
func (Sim) Location() *time.Location { return shanghai }

// DefaultKeys implements sandbox.Vendor. A key's optional "query_reasons"
// entry (comma-separated) is the set of query reasons its institution may
// use (50109 otherwise); zc-2's institution may only audit and manage loans.
func (Sim) DefaultKeys() []sandbox.KeySpec {
	return []sandbox.KeySpec{
		{ID: "zc-1", Credentials: map[string]string{"user_name": "sandbox_testusr", "sign": "sandbox-zc-sign-1"}},
		{ID: "zc-2", Credentials: map[string]string{"user_name": "sandbox2_testusr", "sign": "sandbox-zc-sign-2", "query_reasons": "LOAN_AUDIT,LOAN_MANAGE"}},
	}
}

// Serve implements sandbox.Vendor: the gateway's checks (method, content
// type, the five parameters, user and sign), the shared admission (forced
// codes, faults, QPS, daily quota), api_name and query_reason, the
// business validation shared with the client, then the person's
// deterministic answer.
func (Sim) Serve(s *sandbox.Server, w http.ResponseWriter, r *http.Request) {
	// The gateway reads a form body only: another method or content type
	// leaves it with no request object at all.
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Method != http.MethodPost || ct != "application/x-www-form-urlencoded" {
		writeCode(w, "40000", "")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		writeCode(w, "40000", "")
		return
	}
	f := r.PostForm
	user, sign, api, params, reason := f.Get("user_name"), f.Get("sign"), f.Get("api_name"), f.Get("params"), f.Get("query_reason")
	flow := sandbox.DeriveHex(32, VendorName, user, api, reason, params)
	switch {
	case user == "" && sign == "" && api == "" && params == "" && reason == "":
		writeCode(w, "40000", flow)
		return
	case sign == "":
		writeCode(w, "40001", flow)
		return
	case user == "":
		writeCode(w, "40002", flow)
		return
	case api == "":
		writeCode(w, "40003", flow)
		return
	case params == "":
		writeCode(w, "40004", flow)
		return
	case reason == "":
		writeCode(w, "40005", flow)
		return
	}
	var creds map[string]string
	keyID, ok := s.FindKey(VendorName, func(c map[string]string) bool {
		if c["user_name"] == user {
			creds = c
			return true
		}
		return false
	})
	if !ok {
		writeCode(w, "50101", flow)
		return
	}
	if creds["sign"] != sign {
		writeCode(w, "50102", flow)
		return
	}

	p, pcode := zhicheng.DecodeParams(params)
	identity := ""
	if p != nil {
		identity = strings.ToUpper(strings.TrimSpace(p.IDNo))
	}
	v := s.Admit(w, r, VendorName, keyID, identity)
	switch {
	case v.Handled:
		return
	case v.Forced != "" && v.Forced != zhicheng.CodeOK:
		writeCode(w, v.Forced, flow)
		return
	case v.Throttled:
		// The document defines no rate-limit code.
		sandbox.WriteThrottled(w, v.RetryAfter)
		return
	case v.OverQuota:
		writeCode(w, "50106", flow)
		return
	}

	if api != zhicheng.APIName {
		writeCode(w, "50202", flow)
		return
	}
	if !slices.Contains(zhicheng.QueryReasons(), reason) {
		writeCode(w, "50110", flow)
		return
	}
	if allowed := creds["query_reasons"]; allowed != "" && !slices.Contains(strings.Split(allowed, ","), reason) {
		writeCode(w, "50109", flow)
		return
	}
	if pcode != "" {
		writeCode(w, pcode, flow)
		return
	}
	if fe := zhicheng.Validate(p); fe != nil {
		writeCode(w, fe.Code, flow)
		return
	}

	data := answerFor(s, p)
	s.Bill(VendorName, keyID)
	writeJSON(w, simAnswer{Code: zhicheng.CodeOK, Msg: "请求成功", Success: true, FlowID: flow, Data: data})
}

// simAnswer is the response envelope; data is left out of failures (the
// document: only a 10000 answer's data means anything).
type simAnswer struct {
	Code    string   `json:"code"`
	Msg     string   `json:"msg"`
	Success bool     `json:"success"`
	FlowID  string   `json:"flowId,omitempty"`
	Data    *simData `json:"data,omitempty"`
}

type simData struct {
	FraudScore              string             `json:"fraudScore,omitempty"`
	FraudLevel              string             `json:"fraudLevel"`
	RiskResult              []simRisk          `json:"riskResult"`
	SocialNetwork           *simSocial         `json:"socialNetwork,omitempty"`
	AddrDetectionList       []simAddrDetection `json:"addrDetectionList,omitempty"`
	CorpAddrDetectionResult *simCorp           `json:"corpAddrDetectionResult,omitempty"`
}

type simRisk struct {
	DataType         string              `json:"dataType"`
	Remarks          string              `json:"remarks,omitempty"`
	DishonestDetails []map[string]string `json:"dishonestDetails,omitempty"`
	RemarksDetails   []map[string]string `json:"remarksDetails,omitempty"`
	RiskDetail       string              `json:"riskDetail"`
	RiskItemType     string              `json:"riskItemType"`
	RiskItemValue    string              `json:"riskItemValue,omitempty"`
	RiskTime         string              `json:"riskTime"`
}

// simSocial follows the example's field order and types (loanCallCnt a
// number there, a String in the table).
type simSocial struct {
	ActiveCallBlackCnt    int    `json:"activeCallBlackCnt"`
	ActiveCallCnt         int    `json:"activeCallCnt"`
	ActiveCallOverdueCnt  int    `json:"activeCallOverdueCnt"`
	Age                   int    `json:"age"`
	CourtCallNum          int    `json:"courtCallNum"`
	FictionCallCnt        int    `json:"fictionCallCnt"`
	FictionCallNum        int    `json:"fictionCallNum"`
	FictionCallSeconds    int    `json:"fictionCallSeconds"`
	FirstOrderBlackCnt    int    `json:"firstOrderBlackCnt"`
	FirstOrderBlackRate   string `json:"firstOrderBlackRate"`
	FirstOrderM3Cnt       int    `json:"firstOrderM3Cnt"`
	FirstOrderOverdueCnt  int    `json:"firstOrderOverdueCnt"`
	FirstOrderOverdueRate string `json:"firstOrderOverdueRate"`
	Gender                string `json:"gender"`
	IDNoLocation          string `json:"idNoLocation"`
	LawyerCallNum         int    `json:"lawyerCallNum"`
	LoanCallNum           int    `json:"loanCallNum"`
	LoanCallSeconds       int    `json:"loanCallSeconds"`
	MacaoCallCnt          int    `json:"macaoCallCnt"`
	MacaoCallNum          int    `json:"macaoCallNum"`
	MacaoCallSeconds      int    `json:"macaoCallSeconds"`
	MobileLocation        string `json:"mobileLocation"`
	MobileOperator        string `json:"mobileOperator"`
	NightCallCnt          int    `json:"nightCallCnt"`
	NightCallNum          int    `json:"nightCallNum"`
	NightCallSeconds      int    `json:"nightCallSeconds"`
	RemoteCallCnt         int    `json:"remoteCallCnt"`
	RemoteCallNum         int    `json:"remoteCallNum"`
	RemoteCallSeconds     int    `json:"remoteCallSeconds"`
	SecondOrderBlackCnt   int    `json:"secondOrderBlackCnt"`
	SecondOrderM3Cnt      int    `json:"secondOrderM3Cnt"`
	SecondOrderOverdueCnt int    `json:"secondOrderOverdueCnt"`
	LoanCallCnt           int    `json:"loanCallCnt"`
}

type simVerdict struct {
	Code      string `json:"code"`
	Desc      string `json:"desc,omitempty"`
	Remark    string `json:"remark,omitempty"`
	Result    string `json:"result"`
	RiskLevel string `json:"riskLevel,omitempty"`
}

type simAddrDetection struct {
	Addr               string     `json:"addr"`
	AddrEffective      simVerdict `json:"addrEffective"`
	AddrMobileMatching simVerdict `json:"addrMobileMatching"`
	AddrTimeEffective  simVerdict `json:"addrTimeEffective"`
	EffectiveAddrNum   simVerdict `json:"effectiveAddrNum"`
	Mobile             string     `json:"mobile"`
	RecentAddrTime     simVerdict `json:"recentAddrTime"`
	Type               string     `json:"type"`
}

type simCorp struct {
	CorpName               string              `json:"corpName"`
	CorpAddr               string              `json:"corpAddr"`
	ResultVerificationCode string              `json:"resultVerificationCode"`
	ResultVerificationDesc string              `json:"resultVerificationDesc"`
	CorpAddrSimilarList    []map[string]string `json:"corpAddrSimilarList"`
}

// NoRecordShare is the share of the population Zhicheng has no record of.
const NoRecordShare = 0.15

// Subject returns population member i's standing at Zhicheng: whether it
// has a record and, if so, the fraud score. Tests use it to pick people.
func Subject(pop *sandbox.Population, i int) (score int, hit bool) {
	if i < 0 || i >= pop.Size {
		return 0, false
	}
	r := pop.Rand(i, VendorName)
	if r.Float64() < NoRecordShare {
		return 0, false
	}
	score = int(math.Round(pop.Risk(i)*100 + r.NormFloat64()*8))
	return max(1, min(100, score)), true
}

// levelOf is the fraud level of a score: five bands of 20 (the example's
// score 66 is level 4).
func levelOf(score int) int { return (score-1)/20 + 1 }

// answerFor builds the data node for a validated request: a no-hit
// (fraudLevel 0, no score) for outsiders and people without a record, the
// person's deterministic answer otherwise. Address verdicts come for every
// requested type either way.
func answerFor(s *sandbox.Server, p *zhicheng.Params) *simData {
	pop := s.Population()
	idx, known := pop.Lookup(sandbox.FieldIDCard, sandbox.Plain, strings.ToUpper(p.IDNo))
	score, hit := 0, false
	if known {
		score, hit = Subject(pop, idx)
	}
	d := &simData{FraudLevel: "0", RiskResult: []simRisk{}}
	var per *sandbox.Person
	if hit {
		x := pop.Person(idx)
		per = &x
		d.FraudScore = strconv.Itoa(score)
		d.FraudLevel = strconv.Itoa(levelOf(score))
		d.RiskResult = risks(pop.Rand(idx, VendorName+"/risk"), score, p, per)
		d.SocialNetwork = social(pop.Rand(idx, VendorName+"/social"), pop.Risk(idx), p, s.Now())
	}
	for _, t := range p.AddrDetectionTypes {
		d.AddrDetectionList = append(d.AddrDetectionList, addrDetection(pop, idx, per, t, p))
	}
	if p.QueryCorpAddrDetection == "1" {
		d.CorpAddrDetectionResult = corpDetection(pop, idx, per, p)
	}
	return d
}

// Risk list entries: a realistic riskDetail for each list type.
var detailsByType = map[string][]string{
	"CREDITEASE":       {"ARREARS", "LOSS_PAYMENT", "SMALL_BUSINESS_ARREARS", "FIRST_OVER_SUSPECTED_FRAUD", "RECENT_EXIST_MULTI_APPLY_RISK", "DIFFICULTIES_OBTAIN_SMALL_BUSINESS"},
	"COURT_LITIGATION": {"COURT_PROMISE_BREAKING", "COURT_EXECUTED"},
	"OTHER":            {"FAKE_INFO", "FAKE_DATA", "PSEUDO", "MODEL_EVALUATION_LOW_QUALIFICATION"},
	"NETWORK":          {"AGENCY", "RISK_USEAGE", "FAKE_INFO"},
}

var listTypes = []string{"CREDITEASE", "COURT_LITIGATION", "OTHER", "NETWORK"}

// courts and areas give court records a plausible look.
var courts = []struct{ area, court, abbr string }{
	{"重庆", "重庆市荣昌区人民法院", "渝0153"}, {"浙江", "杭州市西湖区人民法院", "浙0106"},
	{"广东", "深圳市南山区人民法院", "粤0305"}, {"江苏", "南京市玄武区人民法院", "苏0102"},
	{"山东", "荣成市人民法院", "鲁1082"}, {"四川", "成都市武侯区人民法院", "川0107"},
}

func risks(r *rand.Rand, score int, p *zhicheng.Params, per *sandbox.Person) []simRisk {
	n := 0
	switch {
	case score > 80:
		n = 1 + r.IntN(3)
	case score > 60:
		n = r.IntN(3)
	case score > 40:
		n = r.IntN(2)
	case r.IntN(10) == 0:
		n = 1
	}
	// Items the request carried beyond ID and mobile can be hit too.
	items := []string{"ID_NO", "ID_NO", "MOBILE", "MOBILE"}
	if p.BankNo != "" {
		items = append(items, "BANK_NO")
	}
	if p.CorpName != "" {
		items = append(items, "CORP_NAME")
	}
	if p.FamilyTel != "" {
		items = append(items, "FAMILY_TEL")
	}
	for _, c := range p.Contacts {
		if c.Mobile != "" {
			items = append(items, "CONTACT_MOBILE_NO")
			break
		}
	}
	out := []simRisk{}
	for range n {
		dt := listTypes[r.IntN(len(listTypes))]
		ds := detailsByType[dt]
		e := simRisk{DataType: dt, RiskDetail: ds[r.IntN(len(ds))], RiskItemType: items[r.IntN(len(items))]}
		year := 2014 + r.IntN(11)
		e.RiskTime = strconv.Itoa(year)
		switch e.RiskItemType {
		case "ID_NO":
			e.RiskItemValue = pii.MaskID(p.IDNo)
		case "MOBILE":
			e.RiskItemValue = pii.MaskMobile(p.Mobiles[0])
		}
		if dt == "COURT_LITIGATION" {
			c := courts[r.IntN(len(courts))]
			caseCode := fmt.Sprintf("(%d)%s执%d号", year, c.abbr, 100+r.IntN(5000))
			reg := fmt.Sprintf("%d/%02d/%02d", year, 1+r.IntN(12), 1+r.IntN(28))
			if e.RiskDetail == "COURT_PROMISE_BREAKING" {
				e.DishonestDetails = []map[string]string{{
					"areaName": c.area, "caseCode": caseCode, "courtName": c.court,
					"disruptTypeName": "有履行能力而拒不履行生效法律文书确定义务", "duty": "见主文",
					"entityId": pii.MaskID(p.IDNo), "entityName": per.Name, "gistId": fmt.Sprintf("(%d)民初字第%d号", year-1, 100+r.IntN(3000)),
					"gistUnit": c.court, "performance": "全部未履行", "isRemoved": "公示已下线",
					"publishDate": fmt.Sprintf("%d/%02d/%02d", year, 1+r.IntN(12), 1+r.IntN(28)), "regDate": reg,
				}}
			} else {
				e.Remarks = "执行中"
				e.RemarksDetails = []map[string]string{{
					"caseCode": caseCode, "caseState": "执行中", "courtName": c.court, "entityId": pii.MaskID(p.IDNo),
					"entityName": per.Name, "execMoney": fmt.Sprintf("%d.%02d 元", 1000+r.IntN(500000), r.IntN(100)), "regDate": reg,
				}}
			}
		}
		out = append(out, e)
	}
	return out
}

// idLocations names the county-level areas the sandbox population's ID
// numbers use.
var idLocations = map[string]string{
	"110105": "北京市-北京市-朝阳区", "310115": "上海市-上海市-浦东新区", "440305": "广东省-深圳市-南山区",
	"330106": "浙江省-杭州市-西湖区", "320102": "江苏省-南京市-玄武区", "510107": "四川省-成都市-武侯区",
	"420106": "湖北省-武汉市-武昌区", "370202": "山东省-青岛市-市南区", "330328": "浙江省-温州市-文成县",
	"500103": "重庆市-重庆市-渝中区", "610113": "陕西省-西安市-雁塔区", "350203": "福建省-厦门市-思明区",
	"430104": "湖南省-长沙市-岳麓区", "410105": "河南省-郑州市-金水区",
}

// IDLocation is the idNoLocation the simulator answers for an ID number.
func IDLocation(idNo string) string { return idLocations[idNo[:6]] }

var mobileLocations = []string{"江苏-南京市", "广东-深圳市", "浙江-杭州市", "北京-北京市", "上海-上海市", "四川-成都市", "湖北-武汉市", "山东-青岛市"}

// operatorOf names the carrier of a mobile by its prefix.
func operatorOf(m string) string {
	switch m[:3] {
	case "130", "131", "132", "145", "155", "156", "166", "175", "176", "185", "186":
		return "中国联通"
	case "133", "149", "153", "173", "177", "180", "181", "189", "191", "199":
		return "中国电信"
	}
	return "中国移动"
}

// social draws the social network figures; black and overdue contacts grow
// with the latent risk.
func social(r *rand.Rand, risk float64, p *zhicheng.Params, now time.Time) *simSocial {
	id := p.IDNo
	birth, _ := time.ParseInLocation("20060102", id[6:14], shanghai)
	now = now.In(shanghai)
	age := now.Year() - birth.Year()
	if now.YearDay() < birth.YearDay() {
		age--
	}
	gender := "女"
	if (id[16]-'0')%2 == 1 {
		gender = "男"
	}
	loc := idLocations[id[:6]]
	if loc == "" {
		loc = "未知"
	}
	first := r.IntN(80) // first-order contacts (not reported)
	bad := func(scale float64) int { return int(math.Round(risk * scale * r.Float64())) }
	sn := &simSocial{
		ActiveCallCnt: r.IntN(40), Age: age, Gender: gender, IDNoLocation: loc,
		MobileLocation: mobileLocations[r.IntN(len(mobileLocations))], MobileOperator: operatorOf(p.Mobiles[0]),
		FirstOrderBlackCnt: min(first, bad(6)), FirstOrderOverdueCnt: min(first, bad(10)),
		SecondOrderBlackCnt: bad(15), SecondOrderOverdueCnt: bad(25),
		CourtCallNum: bad(3), LawyerCallNum: bad(4),
		FictionCallCnt: r.IntN(3), MacaoCallCnt: r.IntN(2), NightCallCnt: r.IntN(15), RemoteCallCnt: r.IntN(30),
		LoanCallCnt: bad(20),
	}
	sn.ActiveCallBlackCnt = min(sn.ActiveCallCnt, sn.FirstOrderBlackCnt)
	sn.ActiveCallOverdueCnt = min(sn.ActiveCallCnt, sn.FirstOrderOverdueCnt)
	sn.FirstOrderM3Cnt = sn.FirstOrderOverdueCnt / 2
	sn.SecondOrderM3Cnt = sn.SecondOrderOverdueCnt / 2
	sn.LoanCallNum = sn.LoanCallCnt * (1 + r.IntN(4))
	sn.LoanCallSeconds = sn.LoanCallNum * (20 + r.IntN(120))
	sn.FictionCallNum = sn.FictionCallCnt * (1 + r.IntN(3))
	sn.FictionCallSeconds = sn.FictionCallNum * (10 + r.IntN(60))
	sn.MacaoCallNum = sn.MacaoCallCnt * (1 + r.IntN(2))
	sn.MacaoCallSeconds = sn.MacaoCallNum * (30 + r.IntN(200))
	sn.NightCallNum = sn.NightCallCnt * (1 + r.IntN(5))
	sn.NightCallSeconds = sn.NightCallNum * (30 + r.IntN(300))
	sn.RemoteCallNum = sn.RemoteCallCnt * (1 + r.IntN(5))
	sn.RemoteCallSeconds = sn.RemoteCallNum * (30 + r.IntN(300))
	if first < 5 {
		sn.FirstOrderBlackRate, sn.FirstOrderOverdueRate = "联系人过少不予计算", "联系人过少不予计算"
	} else {
		sn.FirstOrderBlackRate = rate(sn.FirstOrderBlackCnt, first)
		sn.FirstOrderOverdueRate = rate(sn.FirstOrderOverdueCnt, first)
	}
	return sn
}

func rate(n, of int) string {
	if n == 0 {
		return "0"
	}
	return strconv.FormatFloat(float64(n)/float64(of), 'f', 2, 64)
}

// verdict renders a table 11 code; extra is the enum value the 4xxx and
// 5xxx codes carry as their result.
func verdict(code, extra string) simVerdict {
	v := simVerdict{Code: code}
	v.Result, v.RiskLevel, v.Remark, v.Desc = zhicheng.AddrVerdict(code)
	if v.Result == "" {
		v.Result = extra
	}
	return v
}

// addrDetection verdicts one requested address type. The person's address
// on record and own mobile decide: a matching address with their mobile
// gets the favourable family of codes, anything else the risky ones;
// people unknown to Zhicheng get "evidence insufficient" everywhere.
func addrDetection(pop *sandbox.Population, idx int, per *sandbox.Person, t string, p *zhicheng.Params) simAddrDetection {
	family := t == zhicheng.Mobile1Family || t == zhicheng.Mobile2Family
	a := p.CorpAddr
	if family {
		a = p.FamilyAddr
	}
	mi := 0
	if t == zhicheng.Mobile2Family || t == zhicheng.Mobile2Corp {
		mi = 1
	}
	out := simAddrDetection{Addr: a.String(), Mobile: p.Mobiles[mi], Type: zhicheng.AddrTypeDesc(t)}
	if per == nil {
		out.AddrMobileMatching = verdict("1003", "")
		out.AddrEffective = verdict("2003", "")
		out.AddrTimeEffective = verdict("3004", "")
		out.RecentAddrTime = verdict("4005", "")
		out.EffectiveAddrNum = verdict("5004", "")
		return out
	}
	r := pop.Rand(idx, VendorName+"/addr/"+t)
	onFile := per.CorpAddr
	if family {
		onFile = per.FamilyAddr
	}
	ownMobile := out.Mobile == per.Mobile || out.Mobile == per.Mobile2
	match := ownMobile && (a.Address == onFile.Address || a.String() == onFile.String())
	periods := zhicheng.RecentPeriods()
	period := periods[r.IntN(len(periods))]
	switch {
	case r.IntN(12) == 0:
		// Now and then the vendor's own lookup fails.
		out.AddrMobileMatching = verdict("1004", "")
		out.AddrEffective = verdict("2003", "")
		out.AddrTimeEffective = verdict("3004", "")
		out.RecentAddrTime = verdict("4005", "")
		out.EffectiveAddrNum = verdict("5004", "")
	case match:
		out.AddrMobileMatching = verdict("1001", "")
		out.AddrEffective = verdict("2001", "")
		out.AddrTimeEffective = verdict([]string{"3001", "3001", "3002"}[r.IntN(3)], "")
		out.RecentAddrTime = verdict([]string{"4001", "4003"}[r.IntN(2)], period)
		out.EffectiveAddrNum = verdict("5001", zhicheng.AddrCounts()[1+r.IntN(4)])
	default:
		out.AddrMobileMatching = verdict("1002", "")
		out.AddrEffective = verdict("2002", "")
		out.AddrTimeEffective = verdict([]string{"3003", "3003", "3002"}[r.IntN(3)], "")
		out.RecentAddrTime = verdict([]string{"4002", "4004"}[r.IntN(2)], period)
		if r.IntN(2) == 0 {
			out.EffectiveAddrNum = verdict("5002", zhicheng.AddrCounts()[2+r.IntN(3)])
		} else {
			out.EffectiveAddrNum = verdict("5003", zhicheng.AddrCounts()[r.IntN(3)])
		}
	}
	return out
}

// corpDetection verdicts the company address: the person's employer on
// record matches or differs; unknown people lack evidence.
func corpDetection(pop *sandbox.Population, idx int, per *sandbox.Person, p *zhicheng.Params) *simCorp {
	c := &simCorp{CorpName: p.CorpName, CorpAddr: p.CorpAddr.String(), CorpAddrSimilarList: []map[string]string{}}
	code := "LACK_EVIDENCE"
	if per != nil {
		r := pop.Rand(idx, VendorName+"/corp")
		match := p.CorpName == per.CorpName || p.CorpAddr.Address == per.CorpAddr.Address
		switch {
		case r.IntN(15) == 0:
			code = "FAILTURE"
		case match:
			code = "NO_DIFFERENCE"
		default:
			code = "DIFFERENCE"
		}
		if code != "FAILTURE" {
			srcs := []string{"BUSINESS", "EMPLOYMENT", "YELLOW_PAGES", "NETWORK", "OTHER"}
			for k := range 1 + r.IntN(2) {
				src := srcs[(k+r.IntN(len(srcs)))%len(srcs)]
				c.CorpAddrSimilarList = append(c.CorpAddrSimilarList, map[string]string{
					"address": per.CorpAddr.String(), "effectiveCode": "NORMAL", "effectiveDesc": zhicheng.CorpEffect("NORMAL"),
					"sourceCode": src, "sourceDesc": zhicheng.CorpSource(src),
				})
			}
		}
	}
	c.ResultVerificationCode, c.ResultVerificationDesc = code, zhicheng.CorpResult(code)
	return c
}

// writeCode answers a failure the way the gateway does: HTTP 200 with
// success false and the code's wording.
func writeCode(w http.ResponseWriter, code, flow string) {
	msg := "未知错误"
	if m, ok := zhicheng.ResultMessage(code); ok {
		msg = m
	}
	writeJSON(w, simAnswer{Code: code, Msg: msg, Success: false, FlowID: flow})
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := zhicheng.MarshalJSON(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_, _ = w.Write(b)
}
