// Package tdsim simulates TD's marketing anti-fraud risk verification API
// for the sandbox (docs/sandbox.md). It shares with the client only what the
// document fixes: the decision_event enums, the status codes' messages and
// the 1024-character limit.
package tdsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/sandbox"
	"github.com/riskbatch/riskbatch/providers/td"
)

func init() {
	sandbox.RegisterVendor(func() sandbox.Vendor { return Sim{} })
	sandbox.RegisterGenColumns(sandbox.GenColumns{Market: "cn", Order: 20, Names: genNames, Cells: genCells})
}

// genNames are the columns `riskbatch gen` adds for TD: the event's
// identities, time and decision event, an ext_ and a detail_ field.
var genNames = []string{"account_id", "ip", "black_box", "event_time", "decision_event", "ext_channel_id", "detail_marketing_id"}

var (
	genEvents = []string{"marketing", "get_coupon", "withdraw", "invite", "activate", "marketing_exchange"}
	genStart  = time.Date(2026, 10, 1, 9, 0, 0, 0, shanghai)
)

// genCells fills genNames for row n about person i: one event every 37
// seconds from genStart.
func genCells(_ *sandbox.Population, n, i int, per *sandbox.Person, c []string) {
	ev := genStart.Add(time.Duration(n) * 37 * time.Second)
	copy(c, []string{per.AccountID, per.IP, per.BlackBox, ev.Format("2006-01-02 15:04:05"), genEvents[i%len(genEvents)],
		fmt.Sprintf("ch%02d", i%7), fmt.Sprintf("M%05d", i%10000)})
}

// Sim simulates TD's risk verification API at its public URL shape.
type Sim struct{}

// Path is where the simulator serves the API.
const Path = "/fraud/promo/v2"

var shanghai = providers.Zone(td.DefaultTimeZone) // the client's registered zone

// Name implements sandbox.Vendor.
func (Sim) Name() string { return "td" }

// Paths implements sandbox.Vendor.
func (Sim) Paths() []string { return []string{Path} }

// Location implements sandbox.Vendor: TD's day is Beijing time.
func (Sim) Location() *time.Location { return shanghai }

// DefaultKeys implements sandbox.Vendor.
func (Sim) DefaultKeys() []sandbox.KeySpec {
	return []sandbox.KeySpec{
		{ID: "td-1", Credentials: map[string]string{"partner_code": "sandbox", "partner_key": "sandbox-td-key-1"}},
		{ID: "td-2", Credentials: map[string]string{"partner_code": "sandbox", "partner_key": "sandbox-td-key-2"}},
	}
}

// Reason is a decision reason as the document's answer carries it.
type Reason struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// reasonList is the simulator's catalogue of decision reasons. The first
// is the document's example; the others are plausible marketing-fraud
// reasons in the same shape (8-letter id, Chinese text).
var reasonList = []Reason{
	{"IDRBVBBY", "短时间内操作频率异常"},
	{"DVCEMULT", "设备疑似模拟器"},
	{"DVCROOTJ", "设备存在Root或越狱环境"},
	{"DVCMANYA", "设备关联账户数过多"},
	{"ACCMANYD", "账户关联设备数过多"},
	{"IPPROXYS", "IP疑似代理或秒拨"},
	{"IPGEOMIS", "IP地理位置与常用地不符"},
	{"BLKDEVIC", "设备命中营销黑名单"},
	{"BLKACCNT", "账户命中营销黑名单"},
	{"GRPBATCH", "疑似批量注册账户"},
	{"COUPONHF", "短时间内领券次数过多"},
	{"WOOLPART", "疑似羊毛党团伙"},
	{"NEWACCNT", "新注册账户参与营销活动"},
	{"NIGHTOPS", "凌晨时段集中操作"},
}

// Score bands of the result (the document defines none; these are the
// simulator's, documented in docs/providers-td.md).
const (
	reviewFrom  = 40
	declineFrom = 80
)

func resultFor(score int) string {
	switch {
	case score >= declineFrom:
		return "decline"
	case score >= reviewFrom:
		return "review"
	}
	return "accept"
}

// AnswerFor is person i's deterministic TD answer: whether TD has a record
// (~83% of the population), the score (a noisy function of the latent
// risk) and 0–3 reasons growing with the score.
func AnswerFor(pop *sandbox.Population, i int) (score int, reasons []Reason, hit bool) {
	if i < 0 {
		return 0, nil, false
	}
	r := pop.Rand(i, "td")
	hit = r.Float64() >= 0.17
	score = int(math.Round(pop.Risk(i)*100 + r.NormFloat64()*12))
	score = max(0, min(100, score))
	n := 0
	switch {
	case score >= declineFrom:
		n = 2 + r.IntN(2)
	case score >= reviewFrom:
		n = 1 + r.IntN(2)
	}
	seen := map[int]bool{}
	for len(reasons) < n {
		k := r.IntN(len(reasonList))
		if seen[k] {
			continue
		}
		seen[k] = true
		reasons = append(reasons, reasonList[k])
	}
	return score, reasons, hit
}

// Answer is the response body in the document's field order.
type Answer struct {
	Code       int      `json:"code"`
	Message    string   `json:"message"`
	SequenceID string   `json:"sequence_id"`
	Score      *int     `json:"score,omitempty"`
	Result     string   `json:"result,omitempty"`
	Reasons    []Reason `json:"reasons,omitempty"`
}

// wireEventTime is the document's event_time format, checked strictly so a
// request the simulator accepts is one TD is documented to accept.
var wireEventTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$`)

// Serve implements sandbox.Vendor: method, content type (9202), partner
// credentials (301), the shared admission (forced codes, faults, QPS →
// HTTP 429, daily quota → 305), field validation (9001–9004), then the
// deterministic answer of the person behind the event's identities.
func (Sim) Serve(s *sandbox.Server, w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		// The document defines no code for a wrong method; answer as an
		// HTTP server does (the client reads 405 as fatal).
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return // connection gone
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeCode(w, 9202, "", sequenceID(request{}, raw))
		return
	}
	q := r.URL.Query()
	pc, pk := q.Get("partner_code"), q.Get("partner_key")
	keyID, ok := s.FindKey("td", func(c map[string]string) bool {
		return pc != "" && pk != "" && c["partner_code"] == pc && c["partner_key"] == pk
	})
	if !ok {
		// The document has no "wrong key" code: an unknown partner has
		// bought no service (301).
		writeCode(w, 301, "", sequenceID(request{}, raw))
		return
	}

	req, bodyOK := decodeBody(raw)
	identity := ""
	for _, f := range []string{"account_id", "ip", "black_box"} {
		if v := req.str(f); v != "" {
			identity = v
			break
		}
	}
	seq := sequenceID(req, raw)

	v := s.Admit(w, r, "td", keyID, identity)
	switch {
	case v.Handled:
		return
	case v.Forced != "" && v.Forced != "200":
		code, err := strconv.Atoi(v.Forced)
		if err != nil {
			code = 9201
		}
		writeCode(w, code, "session_id", seq)
		return
	case v.Throttled:
		sandbox.WriteThrottled(w, v.RetryAfter) // the document has no rate-limit code
		return
	case v.OverQuota:
		writeCode(w, 305, "", seq)
		return
	}

	if !bodyOK {
		writeCode(w, 9002, "body", seq)
		return
	}
	if code, field := validate(req); code != 0 {
		writeCode(w, code, field, seq)
		return
	}

	pop := s.Population()
	who := -1
	for _, c := range []struct {
		f sandbox.Field
		v string
	}{{sandbox.FieldAccount, req.str("account_id")}, {sandbox.FieldIP, req.str("ip")}, {sandbox.FieldBlackBox, req.str("black_box")}} {
		if c.v == "" {
			continue
		}
		if i, ok := pop.Lookup(c.f, sandbox.Plain, c.v); ok {
			who = i
			break
		}
	}
	ans := Answer{Code: 200, Message: "", SequenceID: seq, Reasons: []Reason{}}
	if score, reasons, hit := AnswerFor(pop, who); hit {
		ans.Score = &score
		ans.Result = resultFor(score)
		if len(reasons) > 0 {
			ans.Reasons = reasons
		}
	}
	s.Bill("td", keyID)
	writeJSON(w, ans)
}

// request is a decoded body: top-level fields plus the terminal's.
type request struct {
	top      map[string]json.RawMessage
	terminal map[string]json.RawMessage
}

func decodeBody(raw []byte) (request, bool) {
	var req request
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&req.top); err != nil || req.top == nil {
		return request{}, false
	}
	if t, ok := req.top["terminal"]; ok {
		_ = json.Unmarshal(t, &req.terminal) // a non-object terminal is reported by validate
	}
	return req, true
}

// str returns a string field ("" when absent or not a string); black_box and
// ip are read from terminal.
func (q request) str(name string) string {
	m := q.top
	if name == "black_box" || name == "ip" {
		m = q.terminal
	}
	var s string
	if raw, ok := m[name]; ok && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
}

// checkString checks one string field: 9001 absent/empty, 9002 not a string,
// 9003 too long.
func checkString(m map[string]json.RawMessage, name string, required bool) (string, int) {
	raw, ok := m[name]
	if !ok || string(raw) == "null" {
		if required {
			return "", 9001
		}
		return "", 0
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", 9002
	}
	if s == "" && required {
		return "", 9001
	}
	if utf8.RuneCountInString(s) > td.MaxLen {
		return "", 9003
	}
	return s, 0
}

// validate applies the document's parameter rules in its table's order and
// returns the first failing code and the field it names.
func validate(q request) (int, string) {
	for _, f := range []string{"channel", "session_id", "decision_event", "event_time"} {
		v, code := checkString(q.top, f, true)
		if code != 0 {
			return code, f
		}
		switch f {
		case "decision_event":
			if !isEnum(v) { // the wire takes the enum exactly
				return 9002, f
			}
		case "event_time":
			if !wireEventTime.MatchString(v) {
				return 9002, f
			}
			if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
				return 9002, f
			}
		}
	}
	if _, code := checkString(q.top, "account_id", false); code != 0 {
		return code, "account_id"
	}
	raw, ok := q.top["terminal"]
	if !ok || string(raw) == "null" {
		return 9001, "terminal"
	}
	if q.terminal == nil {
		return 9002, "terminal"
	}
	bb, code := checkString(q.terminal, "black_box", false)
	if code != 0 {
		return code, "black_box"
	}
	ip, code := checkString(q.terminal, "ip", false)
	if code != 0 {
		return code, "ip"
	}
	if bb == "" && ip == "" {
		return 9004, "terminal"
	}
	if ip != "" {
		if _, err := netip.ParseAddr(ip); err != nil {
			return 9002, "ip"
		}
	}
	if raw, ok := q.top["ext"]; ok && string(raw) != "null" {
		var ext map[string]json.RawMessage
		if json.Unmarshal(raw, &ext) != nil {
			return 9002, "ext"
		}
		if code, f := checkValues(ext, "ext"); code != 0 {
			return code, f
		}
	}
	raw, ok = q.top["event_detail"]
	if !ok || string(raw) == "null" {
		return 9001, "event_detail"
	}
	var detail map[string]json.RawMessage
	if json.Unmarshal(raw, &detail) != nil {
		return 9002, "event_detail"
	}
	// One request, one business event: event_detail holds exactly the
	// object of decision_event.
	ev := q.str("decision_event")
	obj, ok := detail[ev]
	if len(detail) != 1 || !ok {
		return 9002, "event_detail"
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(obj, &fields) != nil || fields == nil {
		return 9002, "event_detail"
	}
	return checkValues(fields, "event_detail")
}

// checkValues checks the scalar values of ext or event_detail: strings up
// to 1024 characters, numbers, booleans.
func checkValues(m map[string]json.RawMessage, name string) (int, string) {
	for k, raw := range m {
		if utf8.RuneCountInString(k) > td.MaxLen {
			return 9003, name
		}
		if len(raw) > 0 && raw[0] == '"' {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return 9002, name + "." + k
			}
			if utf8.RuneCountInString(s) > td.MaxLen {
				return 9003, name + "." + k
			}
		} else if len(raw) > td.MaxLen {
			return 9003, name + "." + k
		}
	}
	return 0, ""
}

func isEnum(v string) bool { return slices.Contains(td.Events(), v) }

// sequenceID is derived from the request so a re-sent call gets the same
// answer: the event time in epoch milliseconds (the example's id starts
// with a 13-digit timestamp) and 19 uppercase hex digits of a hash of the
// event's identity fields. Without a usable body, both parts come from the
// raw bytes.
func sequenceID(q request, raw []byte) string {
	prefix := ""
	if t, err := time.Parse(time.RFC3339Nano, q.str("event_time")); err == nil && t.UnixMilli() > 0 && t.UnixMilli() < 1e13 {
		prefix = fmt.Sprintf("%013d", t.UnixMilli())
	}
	var suffix string
	if prefix == "" || q.top == nil {
		prefix = sandbox.DeriveDigits(13, "td/seq", string(raw))
		suffix = sandbox.DeriveHex(19, "td/seq", string(raw))
	} else {
		suffix = sandbox.DeriveHex(19, "td/seq", q.str("channel"), q.str("session_id"), q.str("decision_event"),
			q.str("event_time"), q.str("account_id"), q.str("ip"), q.str("black_box"))
	}
	return prefix + strings.ToUpper(suffix)
}

func writeCode(w http.ResponseWriter, code int, field, seq string) {
	writeJSON(w, Answer{Code: code, Message: td.CodeMessage(code, field), SequenceID: seq})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	b, _ := json.Marshal(v)
	_, _ = w.Write(b)
}
