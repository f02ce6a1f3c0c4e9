// Package accuauth is AccuAuth's Indonesian risk report API
// (POST /check/risk_report: overdue history by mobile or mobile MD5),
// client and simulator side by side (seed 003).
package accuauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/pii"
)

// TimeZone is AccuAuth's quota day (Western Indonesia Time).
const TimeZone = "Asia/Jakarta"

func init() {
	providers.Register(providers.Spec{
		Kind: "accuauth",
		Doc:  "AccuAuth (Indonesia) /check/risk_report overdue history",
		Credentials: []providers.Credential{
			{Name: "api_id", Required: true, Doc: "X-DF-API-ID"},
			{Name: "api_secret", Required: true, Doc: "X-DF-API-SECRET (secret)"},
		},
		TimeZone: TimeZone,
		Market:   providers.MarketID,
		New:      New,
		Endpoint: "https://cloudapi.indonesia.accuauth.com/check/risk_report",
		Options:  func() any { return &Options{} },
		Example:  nil,
		Report: providers.ReportDefaults{
			Score: "unsettled_overdue_num",
			Rules: []providers.DefaultRule{
				{Name: "AccuAuth unsettled overdue", When: "unsettled_overdue_num > 0", Decision: "reject", Why: accuauthRuleWhy},
				{Name: "AccuAuth no unsettled overdue", Decision: "pass", Why: accuauthRuleWhy},
			},
			Bands: []providers.DefaultBand{
				{Name: "no unsettled overdue", When: "unsettled_overdue_num == 0"},
				{Name: "unsettled overdue > 0", When: "unsettled_overdue_num > 0"},
			},
		},
	})
}

const accuauthRuleWhy = "the AccuAuth document gives no decision rule"

// Options are the job's options for an AccuAuth provider.
type Options struct {
	// Body is the request body encoding: form (default) or json.
	Body string `yaml:"body" values:"{form}, {json}" default:"{form}" doc:"Body encoding: {form} ({application/x-www-form-urlencoded}) or {json} ({application/json})."`
	// MobileEncoding is plain (send mobile, default) or md5 (send mobile_md5).
	MobileEncoding string `yaml:"mobile_encoding" values:"{plain}, {md5}" default:"{plain}" doc:"{plain} sends {mobile}; {md5} sends {mobile_md5} = lowercase hex MD5 of the normalized mobile."`
	// MobileForm is the normalized form of the mobile, before any MD5:
	// local (08…, default) or country_code (628…).
	MobileForm string `yaml:"mobile_form" values:"{local}, {country_code}" default:"{local}" doc:"Normalized form of the mobile, before any MD5: {local} → {08…}, {country_code} → {628…} (no {+})."`
}

// Client is the AccuAuth provider.
type Client struct {
	endpoint string
	json     bool
	md5      bool
	form     pii.IDMobileForm
}

// New builds an AccuAuth provider from the job.
func New(cfg providers.Config) (providers.Provider, error) {
	o, _, err := providers.ReadConfig[Options](cfg)
	if err != nil {
		return nil, err
	}
	c := &Client{endpoint: cfg.Endpoint}
	switch strings.ToLower(o.Body) {
	case "", "form":
	case "json":
		c.json = true
	default:
		return nil, fmt.Errorf("options.body %q: want form or json", o.Body)
	}
	switch strings.ToLower(o.MobileEncoding) {
	case "", "plain":
	case "md5":
		c.md5 = true
	default:
		return nil, fmt.Errorf("options.mobile_encoding %q: want plain or md5", o.MobileEncoding)
	}
	switch strings.ToLower(o.MobileForm) {
	case "", "local":
		c.form = pii.IDLocal
	case "country_code":
		c.form = pii.IDCountryCode
	default:
		return nil, fmt.Errorf("options.mobile_form %q: want local (08…) or country_code (628…)", o.MobileForm)
	}
	return c, nil
}

// Inputs implements providers.Provider.
func (c *Client) Inputs() []providers.Input {
	return []providers.Input{
		{Name: "mobile", Kind: providers.PIIIDMobile, Aliases: []string{"phone", "no_hp", "nomor_hp", "no hp", "nomor hp", "手机号", "mobile_md5"}, Required: true,
			Doc:   "Indonesian mobile (08…, 62…, +62…) or its MD5 (32 hex, sent as mobile_md5)",
			Check: "required (\"Either parameter mobile or mobile_md5 must be provided\"): `pii.IndonesianMobile` (08…/62…/+62…/0062…, separators removed, Excel damage detected), or a 32-hex MD5 passed through as mobile_md5; a failure makes the row invalid"},
		{Name: "idcard", Kind: providers.PIINIK, Aliases: []string{"nik", "ktp", "no_ktp"}, Doc: "NIK (16 digits), optional",
			Check: "optional: `pii.NIK` (16 digits, province, DDMMYY with +40 for women, serial ≠ 0000); a failure leaves it out of the request with a warning"},
		{Name: "bankcard", Kind: providers.PIIBankCard, Aliases: []string{"bank_card", "银行卡号"}, Doc: "bank card number, optional",
			Check: "optional: `pii.BankCard` (full-width digits folded, spaces and dashes removed), then 1–20 digits — the one bank-card rule, Zhicheng's document's, as AccuAuth's document gives none; a failure leaves it out of the request with a warning"},
		{Name: "gaid", Aliases: []string{"idfv", "advertising_id"}, Doc: "Google Advertising ID or Apple IDFV, optional",
			Check: "optional: a UUID with or without dashes, sent as written; a failure leaves it out of the request with a warning"},
		{Name: "email", Kind: providers.PIIEmail, Aliases: []string{"e-mail", "邮箱"}, Doc: "e-mail address, optional",
			Check: "optional: `pii.Email`, lowercased; a failure leaves it out of the request with a warning"},
	}
}

// Columns implements providers.Provider: the 21 figures of the report and
// the request id.
func (c *Client) Columns() []providers.Column {
	cols := make([]providers.Column, 0, len(reportFields)+1)
	for _, f := range reportFields {
		cols = append(cols, providers.Column{Name: f.name, Numeric: true, Doc: f.doc + "; empty on a no-hit"})
	}
	return append(cols, providers.Column{Name: "request_id", Doc: "AccuAuth's request id (TID…)"})
}

// DefaultBilled implements providers.Provider: status OK is billed.
func (c *Client) DefaultBilled() []string { return []string{"OK"} }

// param is one body field; order is kept so the body is byte-stable.
type param struct{ name, value string }

type payload struct{ params []param }

var (
	gaidRe = regexp.MustCompile(`^[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}$`)
)

// Prepare validates and encodes one row. A 32-hex mobile is taken as an
// MD5 already computed upstream and sent as mobile_md5.
func (c *Client) Prepare(rec providers.Record) (*providers.Request, error) {
	var ps []param
	plainMobile := "" // the normalised mobile before mobile_encoding: Request.Identity
	raw := rec.Get("mobile")
	if h, d, ok := pii.DetectHashed(raw, pii.None); ok {
		if d != pii.MD5 {
			return nil, rec.Invalid("mobile", "mobile_hash_kind", "is a 64-hex digest: AccuAuth takes plain mobiles or their MD5 only", pii.MaskMobile(raw))
		}
		ps = append(ps, param{"mobile_md5", h})
	} else {
		norm, err := pii.IndonesianMobile(raw, c.form)
		if err != nil {
			return nil, invalid(rec, "mobile", err, pii.MaskMobile(raw))
		}
		plainMobile = norm
		if c.md5 {
			ps = append(ps, param{"mobile_md5", pii.Hash(pii.MD5, norm)})
		} else {
			ps = append(ps, param{"mobile", norm})
		}
	}
	// Every other field is optional ("Either parameter mobile or mobile_md5
	// must be provided"): a value failing its check is left out of the
	// request with a warning, never a reason not to send the row.
	var warns []*providers.RowError
	if raw = rec.Get("idcard"); raw != "" {
		if nik, err := pii.NIK(raw); err != nil {
			warns = append(warns, problem(rec, "idcard", err, pii.MaskID(raw)))
		} else {
			ps = append(ps, param{"idcard", nik})
		}
	}
	if raw = rec.Get("bankcard"); raw != "" {
		if card, err := pii.BankCard(raw); err != nil {
			warns = append(warns, rec.Warning("bankcard", "bankcard_format", "is not a bank card number of at most 20 digits (spaces and dashes allowed)", pii.MaskID(raw)))
		} else {
			ps = append(ps, param{"bankcard", card})
		}
	}
	if raw = rec.Get("gaid"); raw != "" {
		// Kept as written (GAIDs are lower case, IDFVs upper case).
		if !gaidRe.MatchString(raw) {
			warns = append(warns, rec.Warning("gaid", "gaid_format", "is not a GAID/IDFV (a UUID)", pii.MaskGeneric(raw)))
		} else {
			ps = append(ps, param{"gaid", raw})
		}
	}
	if raw = rec.Get("email"); raw != "" {
		if em, err := pii.Email(raw); err != nil {
			warns = append(warns, problem(rec, "email", err, pii.MaskEmail(raw)))
		} else {
			ps = append(ps, param{"email", em})
		}
	}
	parts := []string{"accuauth", c.encoding()}
	for _, p := range ps {
		parts = append(parts, p.name, p.value)
	}
	ident := []string{"accuauth"}
	for _, p := range ps {
		if p.name == "mobile_md5" && plainMobile != "" {
			p = param{"mobile", plainMobile}
		}
		ident = append(ident, p.name, p.value)
	}
	return &providers.Request{Dedupe: providers.DedupeKey(parts...), Identity: providers.DedupeKey(ident...), Payload: payload{params: ps}, Warnings: warns}, nil
}

func (c *Client) encoding() string {
	if c.json {
		return "json"
	}
	return "form"
}

func invalid(rec providers.Record, field string, err error, masked string) error {
	return problem(rec, field, err, masked)
}

// problem is the RowError of a field failing its check, with the pii code.
func problem(rec providers.Record, field string, err error, masked string) *providers.RowError {
	var pr *pii.Problem
	if errors.As(err, &pr) {
		return rec.Invalid(field, pr.Code, pr.Reason, masked)
	}
	return rec.Invalid(field, "invalid", err.Error(), masked)
}

// NewHTTPRequest implements providers.Provider: credentials in the
// X-DF-API-ID / X-DF-API-SECRET headers, no signing.
func (c *Client) NewHTTPRequest(ctx context.Context, key providers.Key, req *providers.Request) (*http.Request, error) {
	p, ok := req.Payload.(payload)
	if !ok {
		return nil, fmt.Errorf("accuauth: foreign request payload %T", req.Payload)
	}
	id, secret := key.Credentials["api_id"], key.Credentials["api_secret"]
	if id == "" || secret == "" {
		return nil, fmt.Errorf("accuauth: key %s needs both api_id and api_secret", key.ID)
	}
	var body []byte
	var ctype string
	if c.json {
		// A struct-free encoding in the prepared order; every value is a
		// string, as the document's table types them.
		var b bytes.Buffer
		b.WriteByte('{')
		for i, f := range p.params {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(f.name)
			v, _ := json.Marshal(f.value)
			b.Write(k)
			b.WriteByte(':')
			b.Write(v)
		}
		b.WriteByte('}')
		body, ctype = b.Bytes(), "application/json"
	} else {
		var b strings.Builder
		for i, f := range p.params {
			if i > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(f.name) + "=" + url.QueryEscape(f.value))
		}
		body, ctype = []byte(b.String()), "application/x-www-form-urlencoded"
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("accuauth: build request: %w", err)
	}
	r.Header.Set("Content-Type", ctype)
	r.Header.Set("Accept", "application/json")
	r.Header.Set("X-DF-API-ID", id)
	r.Header.Set("X-DF-API-SECRET", secret)
	return r, nil
}

// answer is the response body; result is an object in the document's
// example and an "array" in its table, so it is decoded lazily.
type answer struct {
	Status    string          `json:"status"`
	Reason    string          `json:"reason"`
	RequestID string          `json:"request_id"`
	Result    json.RawMessage `json:"result"`
}

// Parse implements providers.Provider, classifying on the status string
// (the HTTP status only when the body carries none).
func (c *Client) Parse(status int, header http.Header, body []byte) providers.Result {
	var a answer
	if err := json.Unmarshal(body, &a); err != nil || a.Status == "" {
		if r, done := providers.ParseHTTPStatus(status, header); done {
			return r
		}
		return providers.Result{Outcome: providers.Transient, Code: fmt.Sprintf("HTTP %d", status), Message: "unparseable body"}
	}
	cl, known := statuses[a.Status]
	if !known {
		// "Other 5xx" and 429 are classified by HTTP status; any other
		// unknown status is transient once, then reported.
		r, done := providers.ParseHTTPStatus(status, header)
		if !done || (status < 500 && status != http.StatusTooManyRequests) {
			r = providers.Result{Outcome: providers.Transient, Unknown: true}
		}
		r.Code, r.Message = a.Status, a.Reason
		return r
	}
	res := providers.Result{Outcome: cl.outcome, Code: a.Status, Message: a.Reason, IdentityBackoff: cl.identity}
	switch cl.outcome {
	case providers.Throttled:
		res.RetryAfter = providers.RetryAfter(header, time.Now())
	case providers.NoHit:
		res.Values = make([]string, len(reportFields)+1)
		res.Values[len(reportFields)] = a.RequestID
	case providers.Hit:
		vals, found, err := reportValues(a.Result)
		if err != nil {
			return providers.Result{Outcome: providers.Transient, Code: a.Status, Message: "unparseable result: " + err.Error()}
		}
		if !found {
			// OK with an empty array: the vendor has no report to give.
			res.Outcome = providers.NoHit
		}
		res.Values = append(vals, a.RequestID)
	}
	return res
}

// reportValues reads the figures from result: an object, or an array whose
// first element is the report (the table's "array"). found is false for an
// empty array.
func reportValues(raw json.RawMessage) (vals []string, found bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, false, errors.New("OK without a result")
	}
	if raw[0] == '[' {
		var arr []json.RawMessage
		if err := json.Unmarshal(raw, &arr); err != nil {
			return nil, false, err
		}
		if len(arr) == 0 {
			return make([]string, len(reportFields)), false, nil
		}
		raw = arr[0]
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep the vendor's digits as sent
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, false, errors.New("result is not an object")
	}
	vals = make([]string, len(reportFields))
	for i, f := range reportFields {
		switch v := m[f.name].(type) {
		case json.Number:
			vals[i] = v.String()
		case string:
			vals[i] = strings.TrimSpace(v)
		}
	}
	return vals, true, nil
}
