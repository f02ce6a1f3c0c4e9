// Package juhe is the Juhe (聚合数据) anti-fraud vendor: the
// anti_fraud/query (社交卡查询) and anti_fraud/queryV2 (通用查询2.0) products,
// client and simulator side by side (seed 000).
package juhe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/pii"
	"github.com/riskbatch/riskbatch/providers/wire"
)

// Product names the two APIs.
const (
	ProductV1 = "query"
	ProductV2 = "queryV2"
)

// TimeZone is the vendor's quota day: China has one zone.
const TimeZone = "Asia/Shanghai"

func init() {
	providers.Register(providers.Spec{
		Kind: "juhe",
		Doc:  "Juhe anti_fraud/query and anti_fraud/queryV2",
		Credentials: []providers.Credential{
			{Name: "key", Required: true, Doc: "the appkey (个人中心 → 我的数据)"},
			{Name: "openid", Doc: "the account's OpenID; needed only with aes: true (it derives the AES key)"},
		},
		TimeZone: TimeZone,
		Market:   providers.MarketCN,
		New:      New,
		Endpoint: "http://apis.juhe.cn/anti_fraud/queryV2",
		Options:  func() any { return &Options{} },
		Example:  map[string]any{"product": "queryV2"},
		Report: providers.ReportDefaults{
			Score: "score",
			Rules: []providers.DefaultRule{
				{Name: "Juhe score > 80", When: "score > 80", Decision: "reject", FromDocument: true, Why: juheRuleWhy},
				{Name: "Juhe score 60–80", When: "score >= 60 and score <= 80", Decision: "review", FromDocument: true, Why: juheRuleWhy},
				{Name: "Juhe score < 60", When: "score < 60", Decision: "pass", FromDocument: true, Why: juheRuleWhy},
			},
			Bands: []providers.DefaultBand{
				{Name: "< 60", When: "score < 60"},
				{Name: "60–80", When: "score >= 60 and score <= 80"},
				{Name: "> 80", When: "score > 80"},
			},
			List: "risk_codes",
		},
	})
}

const juheRuleWhy = "Juhe riskScore, below 60 low risk, above 80 high risk (decline), 60–80 decide with other rules"

// Options are the job's options for a Juhe provider.
type Options struct {
	// Product is "query" or "queryV2"; empty: taken from the endpoint path.
	Product string `yaml:"product" values:"{query}, {queryV2}" default:"from the endpoint path" doc:"Which product the endpoint is, taken from the path's last element ({…/query}, {…/queryV2}). Set it when the URL does not end that way (a proxy or gateway), otherwise the job does not load."`
	// Method is GET or POST (default POST: the key stays out of URLs and logs).
	Method string `yaml:"method" values:"{GET}, {POST} (any case)" default:"{POST}" doc:"How the form is sent. With {POST} the body is {application/x-www-form-urlencoded} and the {key} stays out of URLs; {GET} puts every parameter in the query string, the appkey too. Messages and logs redact query strings either way."`
	// Realname sends the name when the file has a name column (default true).
	Realname *bool `yaml:"realname" values:"{true}, {false}" default:"{true}" doc:"Send the name ({realname}) when the file has a name column and the row's cell is not empty. The name is optional for Juhe."`
	// IDCrypto, PhoneCrypto: none|md5|sha256|sm3; NameCrypto: none|md5.
	IDCrypto    string `yaml:"id_crypto" values:"{none}, {md5}, {sha256}, {sm3}" default:"{none}" doc:"Digest applied to the ID number before sending ({idCryptoType} 0/1/2/3)."`
	PhoneCrypto string `yaml:"phone_crypto" values:"{none}, {md5}, {sha256}, {sm3}" default:"{none}" doc:"Digest applied to the mobile ({phoneCryptoType})."`
	NameCrypto  string `yaml:"name_crypto" values:"{none}, {md5}" default:"{none}" doc:"Digest applied to the name ({nameCryptoType}; Juhe accepts only MD5 for names)."`
	// AES encrypts each field (after its digest) with the key's OpenID.
	AES bool `yaml:"aes" values:"{true}, {false}" default:"{false}" doc:"Encrypt each field (after its digest) with AES-128-ECB/PKCS#5 under the key's OpenID, then standard Base64. Requires the {openid} credential on every key."`
	// Hashed64 says what a 64-hex value already in the file is: sha256 or sm3.
	Hashed64 string `yaml:"hashed_64" values:"{sha256}, {sm3}" default:"{sha256}" doc:"What a 64-hex value already in the file is. Both digests are 64 hex characters, so the job says which one."`
}

// Client is the Juhe provider.
type Client struct {
	endpoint                     string
	post                         *providers.Post // the endpoint and header of a POST, parsed once
	product                      string
	method                       string
	realname                     bool
	idCrypto, phCrypto, nmCrypto pii.Digest
	aes                          bool
	hashed64                     pii.Digest
}

// New builds a Juhe provider from the job.
func New(cfg providers.Config) (providers.Provider, error) {
	o, u, err := providers.ReadConfig[Options](cfg)
	if err != nil {
		return nil, err
	}
	c := &Client{endpoint: cfg.Endpoint, product: o.Product, method: strings.ToUpper(o.Method), realname: true, aes: o.AES}
	if o.Realname != nil {
		c.realname = *o.Realname
	}
	if c.product == "" {
		switch {
		case strings.HasSuffix(u.Path, "/queryV2"):
			c.product = ProductV2
		case strings.HasSuffix(u.Path, "/query"):
			c.product = ProductV1
		default:
			return nil, fmt.Errorf("cannot tell the product from endpoint path %q: set options.product to query or queryV2", u.Path)
		}
	}
	if c.product != ProductV1 && c.product != ProductV2 {
		return nil, fmt.Errorf("options.product %q: want query or queryV2", c.product)
	}
	switch c.method {
	case "":
		c.method = http.MethodPost
	case http.MethodGet, http.MethodPost:
	default:
		return nil, fmt.Errorf("options.method %q: want GET or POST", o.Method)
	}
	for _, f := range []struct {
		name string
		val  string
		dst  *pii.Digest
	}{{"id_crypto", o.IDCrypto, &c.idCrypto}, {"phone_crypto", o.PhoneCrypto, &c.phCrypto}, {"name_crypto", o.NameCrypto, &c.nmCrypto}} {
		if f.val == "" {
			continue
		}
		d, err := pii.ParseDigest(f.val)
		if err != nil {
			return nil, fmt.Errorf("options.%s: %w", f.name, err)
		}
		*f.dst = d
	}
	if c.nmCrypto != pii.None && c.nmCrypto != pii.MD5 {
		return nil, fmt.Errorf("options.name_crypto %q: Juhe takes none or md5 for names", o.NameCrypto)
	}
	c.hashed64 = pii.SHA256
	if o.Hashed64 != "" {
		d, err := pii.ParseDigest(o.Hashed64)
		if err != nil || (d != pii.SHA256 && d != pii.SM3) {
			return nil, fmt.Errorf("options.hashed_64 %q: want sha256 or sm3", o.Hashed64)
		}
		c.hashed64 = d
	}
	if c.post, err = providers.NewPost(cfg.Endpoint, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); err != nil {
		return nil, err
	}
	return c, nil
}

// Inputs implements providers.Provider.
func (c *Client) Inputs() []providers.Input {
	return []providers.Input{
		{Name: "name", Kind: providers.PIIName, Aliases: []string{"姓名", "name", "realname", "真实姓名", "客户姓名"}, Doc: "applicant name (realname)",
			Check: "optional (realname 必填 否): 2–30 characters without digits (`pii.Name`), or a 32-hex MD5 passed through; a name failing the check is left out of the request with a warning (the row is still sent)"},
		{Name: "idcard", Kind: providers.PIIIDCard, Aliases: []string{"身份证号", "身份证号码", "证件号码", "证件号", "idcard", "id_no", "id_card", "idno"}, Required: true, Doc: "Chinese resident ID (18 digits), or its MD5/SHA-256/SM3 digest",
			Check: "required (必填 是): 18 characters with a valid GB 11643 check digit (`pii.ChineseID`; a 15-digit number is upgraded, Excel damage detected), or a 32/64-hex digest passed through; a failure makes the row invalid"},
		{Name: "mobile", Kind: providers.PIIMobile, Aliases: []string{"手机号", "手机号码", "mobile", "phone", "手机"}, Required: true, Doc: "Chinese mobile (11 digits), or its digest",
			Check: "required (必填 是): 11-digit mainland mobile 1[3-9]… after removing spaces, dashes and a +86/0086/86 prefix (`pii.ChineseMobile`), or a digest passed through; a failure makes the row invalid"},
	}
}

// Columns implements providers.Provider.
func (c *Client) Columns() []providers.Column {
	return []providers.Column{
		{Name: "score", Numeric: true, Doc: "riskScore 0–100, higher is riskier; empty on a no-hit (never the 99 / -1 placeholder)"},
		{Name: "found", Numeric: true, Doc: "1 found, -1 not found"},
		{Name: "id_found", Numeric: true, Doc: "idFound: 1 the ID number is known, -1 not"},
		{Name: "risk_codes", Doc: "riskInfo as `code 描述(级别)` joined with `; `"},
		{Name: "orderid", Doc: "Juhe's order id"},
	}
}

// DefaultBilled implements providers.Provider: error_code 0 is billed.
func (c *Client) DefaultBilled() []string { return []string{"0"} }

type payload struct {
	idcard, mobile, name      string
	idType, phoneType, nmType pii.Digest
}

// Prepare validates and encodes the row's fields; AES (key-dependent) is
// applied when the request is built.
func (c *Client) Prepare(rec providers.Record) (*providers.Request, error) {
	p := payload{idType: c.idCrypto, phoneType: c.phCrypto, nmType: c.nmCrypto}
	var notes []string
	var ident [3]string // normalised plaintext (or the digest passed through): Request.Identity

	raw := rec.Get("idcard")
	if raw == "" {
		return nil, rec.Invalid("idcard", "id_missing", "ID number is empty", "")
	}
	if h, d, ok := pii.DetectHashed(raw, c.hashed64); ok {
		// Already hashed upstream: pass through with the matching crypto type.
		p.idcard, p.idType = h, d
		ident[0] = d.String() + ":" + h
	} else {
		norm, note, err := pii.ChineseID(raw)
		if err != nil {
			return nil, invalid(rec, "idcard", err, pii.MaskID(raw))
		}
		if note != "" {
			notes = append(notes, note)
		}
		p.idcard = pii.Hash(p.idType, norm)
		ident[0] = norm
	}

	raw = rec.Get("mobile")
	if raw == "" {
		return nil, rec.Invalid("mobile", "mobile_missing", "mobile is empty", "")
	}
	if h, d, ok := pii.DetectHashed(raw, c.hashed64); ok {
		p.mobile, p.phoneType = h, d
		ident[1] = d.String() + ":" + h
	} else {
		norm, err := pii.ChineseMobile(raw)
		if err != nil {
			return nil, invalid(rec, "mobile", err, pii.MaskMobile(raw))
		}
		p.mobile = pii.Hash(p.phoneType, norm)
		ident[1] = norm
	}

	// The name is optional (realname 必填 否): one that fails its check is
	// left out with a warning, never a reason not to send the row.
	var warnings []*providers.RowError
	if c.realname {
		if raw = rec.Get("name"); raw != "" {
			if h, d, ok := pii.DetectHashed(raw, c.hashed64); ok && d == pii.MD5 {
				p.name, p.nmType = h, d
				ident[2] = d.String() + ":" + h
			} else if norm, err := pii.Name(raw); err != nil {
				warnings = append(warnings, warning(rec, "name", err, pii.MaskName(raw)))
			} else {
				p.name = pii.Hash(p.nmType, norm)
				ident[2] = norm
			}
		}
	}
	if p.idType == pii.None && len(p.idcard) == 64 || p.phoneType == pii.None && len(p.mobile) == 64 {
		return nil, rec.Invalid("idcard", "hash_kind_unknown", "a 64-hex digest needs options.hashed_64 (sha256 or sm3)", "")
	}
	return &providers.Request{
		Dedupe: providers.DedupeKey("juhe", c.product, p.idcard, p.mobile, p.name,
			p.idType.String(), p.phoneType.String(), p.nmType.String(), strconv.FormatBool(c.aes)),
		Identity: providers.DedupeKey("juhe", c.product, ident[0], ident[1], ident[2]),
		Payload:  p,
		Notes:    notes,
		Warnings: warnings,
	}, nil
}

// warning is the RowError of an optional field left out of the request.
func warning(rec providers.Record, field string, err error, masked string) *providers.RowError {
	var pr *pii.Problem
	if errors.As(err, &pr) {
		return rec.Warning(field, pr.Code, pr.Reason, masked)
	}
	return rec.Warning(field, "invalid", err.Error(), masked)
}

func invalid(rec providers.Record, field string, err error, masked string) error {
	var pr *pii.Problem
	if errors.As(err, &pr) {
		return rec.Invalid(field, pr.Code, pr.Reason, masked)
	}
	return rec.Invalid(field, "invalid", err.Error(), masked)
}

// Form returns the request parameters (without the key) for a prepared
// request; exported for the simulator's tests and `riskbatch hash`.
func (c *Client) form(key providers.Key, p payload) (url.Values, error) {
	v := url.Values{}
	v.Set("key", key.Credentials["key"])
	idc, mob, name, err := c.encrypt(key, p)
	if err != nil {
		return nil, err
	}
	if c.aes {
		// The document names the flag ency for query and encyr for queryV2;
		// which one queryV2 really reads is unsettled, so send both there.
		v.Set("ency", "1")
		if c.product == ProductV2 {
			v.Set("encyr", "1")
		}
	}
	v.Set("idcard", idc)
	v.Set("mobile", mob)
	if name != "" {
		v.Set("realname", name)
		if p.nmType != pii.None {
			v.Set("nameCryptoType", strconv.Itoa(int(p.nmType)))
		}
	}
	if p.idType != pii.None {
		v.Set("idCryptoType", strconv.Itoa(int(p.idType)))
	}
	if p.phoneType != pii.None {
		v.Set("phoneCryptoType", strconv.Itoa(int(p.phoneType)))
	}
	return v, nil
}

// encrypt returns the idcard, mobile and realname values: AES-encrypted
// with the key's OpenID when the job asks for it.
func (c *Client) encrypt(key providers.Key, p payload) (idc, mob, name string, err error) {
	idc, mob, name = p.idcard, p.mobile, p.name
	if !c.aes {
		return idc, mob, name, nil
	}
	openid := key.Credentials["openid"]
	if openid == "" {
		return "", "", "", fmt.Errorf("key %s: aes: true needs the openid credential", key.ID)
	}
	k := AESKey(openid)
	if idc, err = pii.AESECBEncrypt(k, idc); err != nil {
		return "", "", "", err
	}
	if mob, err = pii.AESECBEncrypt(k, mob); err != nil {
		return "", "", "", err
	}
	if name != "" {
		if name, err = pii.AESECBEncrypt(k, name); err != nil {
			return "", "", "", err
		}
	}
	return idc, mob, name, nil
}

// encodedForm is form(key, p).Encode() appended directly, keys in
// url.Values.Encode's (sorted) order, without the map and the sort
// (issue 18; TestEncodedFormMatchesValues).
func (c *Client) encodedForm(key providers.Key, p payload) ([]byte, error) {
	idc, mob, name, err := c.encrypt(key, p)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 64+len(idc)+len(mob)+len(name)+len(key.Credentials["key"]))
	pair := func(k, v string) {
		if len(b) > 0 {
			b = append(b, '&')
		}
		b = append(b, k...)
		b = append(b, '=')
		b = wire.AppendQueryEscape(b, v)
	}
	if c.aes {
		pair("ency", "1")
		if c.product == ProductV2 {
			pair("encyr", "1")
		}
	}
	if p.idType != pii.None {
		pair("idCryptoType", strconv.Itoa(int(p.idType)))
	}
	pair("idcard", idc)
	pair("key", key.Credentials["key"])
	pair("mobile", mob)
	if name != "" && p.nmType != pii.None {
		pair("nameCryptoType", strconv.Itoa(int(p.nmType)))
	}
	if p.phoneType != pii.None {
		pair("phoneCryptoType", strconv.Itoa(int(p.phoneType)))
	}
	if name != "" {
		pair("realname", name)
	}
	return b, nil
}

// NewHTTPRequest implements providers.Provider.
func (c *Client) NewHTTPRequest(ctx context.Context, key providers.Key, req *providers.Request) (*http.Request, error) {
	p, ok := req.Payload.(payload)
	if !ok {
		return nil, fmt.Errorf("juhe: foreign request payload %T", req.Payload)
	}
	form, err := c.encodedForm(key, p)
	if err != nil {
		return nil, err
	}
	if c.method == http.MethodGet {
		u := c.endpoint
		if strings.Contains(u, "?") {
			u += "&" + string(form)
		} else {
			u += "?" + string(form)
		}
		return http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	}
	return c.post.Request(ctx, form)
}

// answer is the wire shape; result may be null, a string or an object when
// error_code != 0, so it is decoded lazily.
type answer struct {
	Reason    string          `json:"reason"`
	Result    json.RawMessage `json:"result"`
	ErrorCode *int            `json:"error_code"`
}

type result struct {
	OrderID   string     `json:"orderid"`
	Found     int        `json:"found"`
	IDFound   int        `json:"idFound"`
	RiskScore *int       `json:"riskScore"`
	RiskInfo  []riskInfo `json:"riskInfo"`
}

type riskInfo struct {
	RiskCode      int `json:"riskCode"`
	RiskCodeValue int `json:"riskCodeValue"`
}

// parseSlow is Parse through encoding/json: the reference for parseFast
// (parse.go) and what reads every answer parseFast leaves to it.
func (c *Client) parseSlow(status int, body []byte) providers.Result {
	var a answer
	if err := json.Unmarshal(body, &a); err != nil || a.ErrorCode == nil {
		return providers.Result{Outcome: providers.Transient, Code: fmt.Sprintf("HTTP %d", status), Message: "unparseable body"}
	}
	code := *a.ErrorCode
	codeS := strconv.Itoa(code)
	if code != 0 {
		cl, known := errorCodes[code]
		if !known {
			return providers.Result{Outcome: providers.Transient, Code: codeS, Message: a.Reason, Unknown: true}
		}
		r := providers.Result{Outcome: cl.outcome, Code: codeS, Message: a.Reason, Scope: cl.scope, Permanent: cl.permanent}
		switch code {
		case 10011:
			r.RetryAfter = time.Minute // per-IP limit: pause the provider
		case 10020:
			r.RetryAfter = time.Minute // maintenance: a long pause, not a quick retry
		}
		return r
	}
	var res result
	if err := json.Unmarshal(a.Result, &res); err != nil || (res.Found != 1 && res.Found != -1) {
		// A success without a result object (null, or found missing) is not
		// an answer: never report it as a no-hit.
		return providers.Result{Outcome: providers.Transient, Code: codeS, Message: "unparseable result"}
	}
	return answerResult(codeS, a.Reason, &res)
}

// answerResult is the hit or no-hit of a success with its result read.
func answerResult(codeS, reason string, res *result) providers.Result {
	vals := []string{"", strconv.Itoa(res.Found), strconv.Itoa(res.IDFound), "", res.OrderID}
	if res.Found != 1 {
		// No-hit: riskScore is a placeholder (99 in query, -1 in queryV2).
		return providers.Result{Outcome: providers.NoHit, Code: codeS, Message: reason, Values: vals}
	}
	if res.RiskScore != nil {
		vals[0] = strconv.Itoa(*res.RiskScore)
	}
	vals[3] = formatRisk(res.RiskInfo)
	return providers.Result{Outcome: providers.Hit, Code: codeS, Message: reason, Values: vals}
}

func formatRisk(info []riskInfo) string {
	if len(info) == 0 {
		return ""
	}
	sorted := append([]riskInfo(nil), info...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].RiskCodeValue > sorted[j].RiskCodeValue })
	parts := make([]string, len(sorted))
	for i, ri := range sorted {
		desc := riskCodes[ri.RiskCode]
		if desc == "" {
			desc = "未知风险码"
		}
		lvl := levelName[ri.RiskCodeValue]
		if lvl == "" {
			lvl = strconv.Itoa(ri.RiskCodeValue)
		}
		parts[i] = fmt.Sprintf("%d %s(%s)", ri.RiskCode, desc, lvl)
	}
	return strings.Join(parts, "; ")
}
