// Package td is the TrustDecision (TD, 同盾) marketing anti-fraud risk
// verification API (营销反欺诈风险验证), client and simulator side by side
// (seed 002).
//
// Rows are events, not people: one row is one decision_event by an account
// on a terminal (device fingerprint and/or IP).
package td

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // time_zone names must load on hosts without a zoneinfo database
	"unicode/utf8"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/pii"
)

// DefaultTimeZone is the zone of event times written without an offset, and
// TD's quota day.
const DefaultTimeZone = "Asia/Shanghai"

func init() {
	providers.Register(providers.Spec{
		Kind: "td",
		Doc:  "TrustDecision (同盾) marketing anti-fraud risk verification",
		Credentials: []providers.Credential{
			{Name: "partner_code", Required: true, Doc: "合作方标识, assigned by TD"},
			{Name: "partner_key", Required: true, Doc: "合作方密钥, assigned by TD (secret; travels in the query string)"},
		},
		TimeZone: DefaultTimeZone,
		Market:   providers.MarketCN,
		New:      New,
		Endpoint: "https://api.tongdun.cn/fraud/promo/v2",
		Options:  func() any { return &Options{} },
		Example:  map[string]any{"channel": "example"},
		Report: providers.ReportDefaults{
			Score: "score",
			Rules: []providers.DefaultRule{
				{Name: "TD decline", When: "result == decline", Decision: "reject", FromDocument: true, Why: tdRuleWhy},
				{Name: "TD review", When: "result == review", Decision: "review", FromDocument: true, Why: tdRuleWhy},
				{Name: "TD accept", When: "result == accept", Decision: "pass", FromDocument: true, Why: tdRuleWhy},
			},
			Bands: []providers.DefaultBand{
				{Name: "accept", When: "result == accept"},
				{Name: "review", When: "result == review"},
				{Name: "decline", When: "result == decline"},
			},
			List: "reasons",
		},
	})
}

const tdRuleWhy = "TD's own result (accept, review, decline)"

// Options are the job's options for a TD provider.
type Options struct {
	// Channel is the 渠道标识 assigned by TD (required).
	Channel string `yaml:"channel" values:"text" default:"— (required)" doc:"渠道标识 assigned by TD, sent as {channel}."`
	// DecisionEvent is the event of rows whose decision_event cell is
	// empty or absent; a cell overrides it.
	DecisionEvent string `yaml:"decision_event" values:"one of the 13 events (or its Chinese label)" default:"none" doc:"Event of rows whose {decision_event} cell is empty or absent; a cell overrides it."`
	// TimeZone is the IANA zone of event times without an offset
	// (default Asia/Shanghai).
	TimeZone string `yaml:"time_zone" values:"an IANA zone" default:"{Asia/Shanghai}" doc:"Zone of event times written without an offset, and of epoch and Excel times."`
}

// Client is the TD provider.
type Client struct {
	endpoint string
	channel  string
	event    string
	loc      *time.Location
	urls     sync.Map // partner_code "\x00" partner_key → the URL (keyURL)
	posts    sync.Map // partner_code "\x00" partner_key → *providers.Post of the key's URL (keyPost)
}

// New builds a TD provider from the job.
func New(cfg providers.Config) (providers.Provider, error) {
	o, u, err := providers.ReadConfig[Options](cfg)
	if err != nil {
		return nil, err
	}
	if u.Query().Has("partner_key") || u.Query().Has("partner_code") {
		// Credentials belong to keys (rotated, redacted), never to the endpoint.
		return nil, errors.New("endpoint must not carry partner_code/partner_key: put them in the key's credentials")
	}
	c := &Client{endpoint: cfg.Endpoint, channel: strings.TrimSpace(o.Channel)}
	if c.channel == "" {
		return nil, errors.New("options.channel is required (渠道标识, assigned by TD)")
	}
	if utf8.RuneCountInString(c.channel) > MaxLen {
		return nil, fmt.Errorf("options.channel is longer than %d characters", MaxLen)
	}
	if o.DecisionEvent != "" {
		ev, ok := canonicalEvent(o.DecisionEvent)
		if !ok {
			return nil, fmt.Errorf("options.decision_event %q: want one of %s", o.DecisionEvent, strings.Join(Events(), ", "))
		}
		c.event = ev
	}
	tz := o.TimeZone
	if tz == "" {
		tz = DefaultTimeZone
	}
	if c.loc, err = time.LoadLocation(tz); err != nil {
		return nil, fmt.Errorf("options.time_zone %q: %w", tz, err)
	}
	return c, nil
}

// Inputs implements providers.Provider. Columns named ext_* and detail_*
// are read by prefix (see Prepare), not declared here.
func (c *Client) Inputs() []providers.Input {
	return []providers.Input{
		{Name: "session_id", Aliases: []string{"会话ID", "sessionid"}, Doc: "会话 ID; derived from the event when absent",
			Check: "required by the document (必须), derived from the event when the column or cell is empty; at most 1024 characters, a longer one makes the row invalid (9003)"},
		{Name: "decision_event", Aliases: []string{"业务事件", "事件类型", "decisionevent"}, Doc: "one of the 13 decision events (or its Chinese label); overrides options.decision_event",
			Check: "required by the document (必须): the column or options.decision_event; one of the 13 events or its Chinese label; a failure makes the row invalid (9001, 9002)"},
		{Name: "event_time", Aliases: []string{"事件时间", "时间", "eventtime"}, Required: true, Doc: "when the event happened: ISO 8601, `2006-01-02 15:04:05`, an Excel date-time or epoch ms/s",
			Check: "required (必须): parsed and sent as YYYY-MM-DDTHH:mm:ss.sss±hh:mm; a failure makes the row invalid (9001, 9002)"},
		{Name: "account_id", Aliases: []string{"账户ID", "用户ID", "accountid"}, Doc: "account ID (omit when the account does not exist yet)",
			Check: "conditionally required (条件必须: once the account exists): at most 1024 characters, a longer one makes the row invalid (9003)"},
		{Name: "black_box", Aliases: []string{"blackbox", "设备指纹"}, Doc: "device fingerprint (black_box); black_box or ip is required",
			Check: "terminal is required (必须): black_box or ip; at most 1024 characters, a longer one makes the row invalid (9003)"},
		{Name: "ip", Aliases: []string{"IP地址"}, Doc: "client IP (v4 or v6); black_box or ip is required",
			Check: "terminal is required (必须): black_box or ip; an IPv4 or IPv6 address; a bad ip is left out with a warning when black_box is given, otherwise the row is invalid (9002)"},
	}
}

// Columns implements providers.Provider.
func (c *Client) Columns() []providers.Column {
	return []providers.Column{
		{Name: "score", Numeric: true, Doc: "risk score 0–100, higher is riskier; empty on a no-hit"},
		{Name: "result", Doc: "decision: accept, review or decline"},
		{Name: "result_desc", Doc: "decision in Chinese: 通过, 核验, 拒绝"},
		{Name: "reasons", Doc: "decision reasons as `id reason` joined with `; `"},
		{Name: "sequence_id", Doc: "TD's unique id of the answer"},
	}
}

// DefaultBilled implements providers.Provider: code 200 is billed.
func (c *Client) DefaultBilled() []string { return []string{"200"} }

// body is the request body, in the document's field order.
type body struct {
	Channel       string                    `json:"channel"`
	SessionID     string                    `json:"session_id"`
	DecisionEvent string                    `json:"decision_event"`
	EventTime     string                    `json:"event_time"`
	AccountID     string                    `json:"account_id,omitempty"`
	Terminal      terminal                  `json:"terminal"`
	Ext           map[string]string         `json:"ext,omitempty"`
	EventDetail   map[string]map[string]any `json:"event_detail"`
}

type terminal struct {
	BlackBox string `json:"black_box,omitempty"`
	IP       string `json:"ip,omitempty"`
}

// payload is the prepared body, independent of the key.
type payload struct{ body []byte }

// Prepare validates the row with the document's rules (9001–9004) and
// encodes the body. Credentials are added by NewHTTPRequest.
func (c *Client) Prepare(rec providers.Record) (*providers.Request, error) {
	b := body{Channel: c.channel, EventDetail: map[string]map[string]any{}}
	var notes []string

	// decision_event: the cell overrides the job's default.
	raw := rec.Get("decision_event")
	switch {
	case raw != "":
		ev, ok := canonicalEvent(raw)
		if !ok {
			return nil, invalid(rec, "decision_event", "9002", "is not one of the 13 decision events", maskEvent(raw))
		}
		b.DecisionEvent = ev
	case c.event != "":
		b.DecisionEvent = c.event
	default:
		return nil, invalid(rec, "decision_event", "9001", "is empty and options.decision_event is not set", "")
	}

	raw = rec.Get("event_time")
	if raw == "" {
		return nil, invalid(rec, "event_time", "9001", "is empty", "")
	}
	et, why := NormalizeEventTime(raw, c.loc)
	if why != "" {
		return nil, invalid(rec, "event_time", "9002", why, pii.MaskGeneric(raw))
	}
	b.EventTime = et

	b.AccountID = rec.Get("account_id")
	b.Terminal.BlackBox = rec.Get("black_box")
	var warns []*providers.RowError
	if raw = rec.Get("ip"); raw != "" {
		ip, err := netip.ParseAddr(raw)
		switch {
		case err != nil && b.Terminal.BlackBox != "":
			// The terminal needs black_box or ip: with black_box, ip is optional.
			warns = append(warns, rec.Warning("ip", "9002", "is not an IPv4 or IPv6 address", pii.MaskGeneric(raw)))
		case err != nil:
			return nil, invalid(rec, "ip", "9002", "is not an IPv4 or IPv6 address", pii.MaskGeneric(raw))
		default:
			b.Terminal.IP = ip.Unmap().String()
		}
	}
	if b.Terminal.BlackBox == "" && b.Terminal.IP == "" {
		return nil, invalid(rec, "black_box", "9004", "black_box or ip is required (both are empty)", "")
	}
	for _, f := range []struct{ field, v string }{{"account_id", b.AccountID}, {"black_box", b.Terminal.BlackBox}} {
		if utf8.RuneCountInString(f.v) > MaxLen {
			return nil, invalid(rec, f.field, "9003", fmt.Sprintf("is longer than %d characters", MaxLen), pii.MaskGeneric(f.v))
		}
	}

	// ext_* columns go as strings: the document's ext is agreed with TD
	// field by field, and a string never loses digits.
	var rerr error
	rec.WithPrefix("ext_", func(h, v string) {
		h, v = providers.TrimSpace(h), providers.TrimSpace(v)
		if rerr != nil || v == "" {
			return
		}
		if utf8.RuneCountInString(v) > MaxLen {
			rerr = &providers.RowError{Column: h, Code: "9003", Reason: fmt.Sprintf("is longer than %d characters", MaxLen), Masked: pii.MaskGeneric(v)}
			return
		}
		if b.Ext == nil {
			b.Ext = map[string]string{}
		}
		b.Ext[h] = v
	})
	// detail_<field> columns become event_detail[event][field].
	detail := map[string]any{}
	rec.WithPrefix("detail_", func(h, v string) {
		h, v = providers.TrimSpace(h), providers.TrimSpace(v)
		field := h[len("detail_"):]
		if rerr != nil || v == "" || field == "" {
			return
		}
		if utf8.RuneCountInString(v) > MaxLen {
			rerr = &providers.RowError{Column: h, Code: "9003", Reason: fmt.Sprintf("is longer than %d characters", MaxLen), Masked: pii.MaskGeneric(v)}
			return
		}
		detail[field] = detailValue(v)
	})
	if rerr != nil {
		return nil, rerr
	}
	b.EventDetail[b.DecisionEvent] = detail

	b.SessionID = rec.Get("session_id")
	if b.SessionID == "" {
		b.SessionID = deriveSession(b)
		notes = append(notes, "session_id derived from the event (no session_id column or value)")
	} else if utf8.RuneCountInString(b.SessionID) > MaxLen {
		return nil, invalid(rec, "session_id", "9003", fmt.Sprintf("is longer than %d characters", MaxLen), pii.MaskGeneric(b.SessionID))
	}

	// json.Marshal's bytes (keys of maps sorted, so equal rows encode to
	// equal bytes), appended without reflection (fast.go).
	enc := b.encode()
	// The body is plaintext (no per-key encoding): its digest is also the
	// lookup's identity (Request.Identity).
	d := providers.DedupeKey("td", string(enc))
	return &providers.Request{Dedupe: d, Identity: d, Payload: payload{body: enc}, Notes: notes, Warnings: warns}, nil
}

func invalid(rec providers.Record, field, code, reason, masked string) error {
	return rec.Invalid(field, code, reason, masked)
}

var eventLike = regexp.MustCompile(`^[A-Za-z_]{1,32}$`)

// maskEvent shows a rejected decision_event when it looks like an enum (a
// typo the user must see); anything else may be a mis-mapped PII column.
func maskEvent(v string) string {
	if eventLike.MatchString(v) {
		return v
	}
	return pii.MaskGeneric(v)
}

// isIntLike: an integer without leading zeros of at most 15 digits
// (^-?(0|[1-9][0-9]{0,14})$, checked without a regexp per value): exact
// in a double, so no JSON parser on TD's side can round it. Longer digit
// strings (ids) and zero-padded codes stay strings.
func isIntLike(v string) bool {
	if len(v) > 0 && v[0] == '-' {
		v = v[1:]
	}
	if v == "0" {
		return true
	}
	if len(v) < 1 || len(v) > 15 || v[0] == '0' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

func detailValue(v string) any {
	if isIntLike(v) {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	return v
}

// deriveSession makes a stable session_id from the event's identity, so a
// re-run sends the same request (and dedupes) instead of a random id.
func deriveSession(b body) string {
	// SHA-256 over each part followed by a zero byte, in one buffer (no
	// hash object per row); "rb" and the first 30 hex digits.
	var buf [512]byte
	m := buf[:0]
	for _, p := range [...]string{b.DecisionEvent, b.EventTime, b.AccountID, b.Terminal.BlackBox, b.Terminal.IP} {
		m = append(append(m, p...), 0)
	}
	sum := sha256.Sum256(m)
	var out [32]byte
	out[0], out[1] = 'r', 'b'
	hex.Encode(out[2:], sum[:15])
	return string(out[:])
}

// eventTimeLayout is the document's format: milliseconds and a numeric
// offset, as in its example 2021-10-12T14:20:50.521+07:00.
const eventTimeLayout = "2006-01-02T15:04:05.000-07:00"

var zonedLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05Z0700",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 -07:00",
}

// Layouts without an offset are read in the job's time zone. A fractional
// second after the seconds is accepted by time.Parse without a layout element.
var localLayouts = []string{
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006/01/02 15:04:05",
	"2006/01/02 15:04",
	"2006/1/2 15:04:05",
	"2006/1/2 15:04",
	"2006-1-2 15:04:05",
	"2006-1-2 15:04",
	"2006.01.02 15:04:05",
	"2006年1月2日 15:04:05",
	"2006年1月2日 15:04",
	"2006年01月02日 15时04分05秒",
	"20060102150405",
}

var (
	digitsOnly  = regexp.MustCompile(`^[0-9]+$`)
	excelSerial = regexp.MustCompile(`^[0-9]{1,7}(\.[0-9]+)?$`)
	dateOnly    = regexp.MustCompile(`^[0-9]{4}([-/.])[0-9]{1,2}([-/.])[0-9]{1,2}$|^[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日$|^[0-9]{8}$`)
)

// excelEpoch is day 0 of Excel's 1900 date system (serial 1 is 1900-01-01;
// counting from 1899-12-30 absorbs Excel's fictitious 1900-02-29).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// NormalizeEventTime turns a spreadsheet event time into the document's
// format. It returns a reason (never the value) when it cannot.
//
// Accepted: ISO 8601 / RFC 3339 with an offset (kept); date-times without
// an offset in loc; epoch milliseconds (13 digits) and seconds (10 digits);
// Excel date-time serials (what an XLSX date cell holds when read raw).
// A date without a time of day is rejected: a risk engine reads event
// times for velocity, and midnight would be a made-up value.
func NormalizeEventTime(raw string, loc *time.Location) (string, string) {
	s := providers.TrimSpace(raw)
	var t time.Time
	var ok bool
	// Every zoned layout needs at least 20 characters ("…05Z"): skip them
	// for shorter values such as the usual 2021-10-12 14:20:50, since each
	// failed parse builds an error (a visible per-row cost).
	for _, l := range zonedLayouts {
		if len(s) < 20 {
			break
		}
		if v, err := time.Parse(l, s); err == nil {
			t, ok = v, true
			break
		}
	}
	for _, l := range localLayouts {
		if ok {
			break
		}
		if v, err := time.ParseInLocation(l, s, loc); err == nil {
			t, ok = v, true
		}
	}
	if !ok {
		switch {
		case dateOnly.MatchString(s):
			return "", "has no time of day"
		case digitsOnly.MatchString(s) && len(s) == 13:
			ms, _ := strconv.ParseInt(s, 10, 64)
			t, ok = time.UnixMilli(ms).In(loc), true
		case digitsOnly.MatchString(s) && len(s) == 10:
			sec, _ := strconv.ParseInt(s, 10, 64)
			t, ok = time.Unix(sec, 0).In(loc), true
		case excelSerial.MatchString(s):
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || f < 1 {
				break
			}
			if f == math.Trunc(f) {
				return "", "is an Excel date without a time of day"
			}
			days := math.Floor(f)
			ms := math.Round((f - days) * 86400e3)
			d := excelEpoch.AddDate(0, 0, int(days)).Add(time.Duration(ms) * time.Millisecond)
			// The cell holds wall-clock time in loc, not UTC.
			t = time.Date(d.Year(), d.Month(), d.Day(), d.Hour(), d.Minute(), d.Second(), d.Nanosecond(), loc)
			ok = true
		}
	}
	if !ok {
		return "", "is not a date-time (want ISO 8601 such as 2021-10-12T14:20:50.521+07:00, or 2021-10-12 14:20:50)"
	}
	if y := t.Year(); y < 2000 || y > 2100 {
		return "", "is outside the years 2000–2100"
	}
	return t.Format(eventTimeLayout), ""
}

// NewHTTPRequest implements providers.Provider: partner_code and
// partner_key go in the query string, as the document requires. The URL
// therefore holds a secret: errors built here never include it.
func (c *Client) NewHTTPRequest(ctx context.Context, key providers.Key, req *providers.Request) (*http.Request, error) {
	p, ok := req.Payload.(payload)
	if !ok {
		return nil, fmt.Errorf("td: foreign request payload %T", req.Payload)
	}
	code, secret := key.Credentials["partner_code"], key.Credentials["partner_key"]
	if code == "" || secret == "" {
		return nil, fmt.Errorf("td: key %s needs both partner_code and partner_key", key.ID)
	}
	post, err := c.keyPost(code, secret)
	if err != nil {
		return nil, err
	}
	r, err := post.Request(ctx, p.body)
	if err != nil {
		return nil, errors.New("td: cannot build the request") // err would print the URL
	}
	return r, nil
}

// answer is the response body. code is read as a number or a numeric
// string; score is absent on riskbatch's no-hit.
type answer struct {
	Code       json.RawMessage `json:"code"`
	Message    string          `json:"message"`
	SequenceID string          `json:"sequence_id"`
	Score      json.RawMessage `json:"score"`
	Result     string          `json:"result"`
	Reasons    []reason        `json:"reasons"`
}

type reason struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// parseSlow is Parse through encoding/json: the reference for the one-pass
// reading (fast.go) and what reads every answer that leaves to it.
func (c *Client) parseSlow(status int, raw []byte) providers.Result {
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		return providers.Result{Outcome: providers.Transient, Code: fmt.Sprintf("HTTP %d", status), Message: "unparseable body"}
	}
	return classify(status, &a)
}

// classify is the result of a decoded answer.
func classify(status int, a *answer) providers.Result {
	code, ok := parseCode(a.Code)
	if !ok {
		return providers.Result{Outcome: providers.Transient, Code: fmt.Sprintf("HTTP %d", status), Message: "body has no code"}
	}
	codeS := strconv.Itoa(code)
	cl, known := statusCodes[code]
	if !known {
		return providers.Result{Outcome: providers.Transient, Code: codeS, Message: a.Message, Unknown: true}
	}
	if code != 200 {
		return providers.Result{Outcome: cl.outcome, Code: codeS, Message: a.Message, Permanent: cl.permanent}
	}
	vals := []string{"", a.Result, resultDesc[a.Result], formatReasons(a.Reasons), a.SequenceID}
	score, has, okScore := parseScore(a.Score)
	if !okScore {
		return providers.Result{Outcome: providers.Transient, Code: codeS, Message: "unparseable score"}
	}
	if !has {
		// Code 200 without a score: TD knows nothing of this event's
		// identities (riskbatch's no-hit, see the docs).
		return providers.Result{Outcome: providers.NoHit, Code: codeS, Message: a.Message, Values: vals}
	}
	vals[0] = score
	return providers.Result{Outcome: providers.Hit, Code: codeS, Message: a.Message, Values: vals}
}

func parseCode(raw json.RawMessage) (int, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	if plainInt(raw) { // what encoding/json does for an int, without it
		if n, err := strconv.Atoi(string(raw)); err == nil {
			return n, true
		}
	}
	var n int
	if err := json.Unmarshal(raw, &n); err == nil {
		return n, true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
			return n, true
		}
	}
	return 0, false
}

// parseScore returns the score as text; has is false for an absent or null
// score, ok false for a score that is not a number.
func parseScore(raw json.RawMessage) (text string, has, ok bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, true
	}
	if c := raw[0]; c == '-' || c >= '0' && c <= '9' { // a JSON number: encoding/json's ParseFloat
		if f, err := strconv.ParseFloat(string(raw), 64); err == nil {
			return strconv.FormatFloat(f, 'f', -1, 64), true, true
		}
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false, false
		}
		if s = providers.TrimSpace(s); s == "" {
			return "", false, true
		}
		if f, err = strconv.ParseFloat(s, 64); err != nil {
			return "", false, false
		}
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true, true
}

// plainInt: an optional '-' and digits only.
func plainInt(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func formatReasons(rs []reason) string {
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		p := providers.TrimSpace(r.ID + " " + r.Reason)
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "; ")
}
