// Package accuauthsim simulates AccuAuth's POST /check/risk_report for the
// sandbox (docs/sandbox.md). It shares with the client the document's status
// table and the gaid shape; its parameter checks are its own, stricter than
// the client's normalisers.
package accuauthsim

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/accuauth"
	"github.com/riskbatch/riskbatch/providers/pii"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

func init() {
	sandbox.RegisterVendor(func() sandbox.Vendor { return &Sim{} })
	sandbox.RegisterGenColumns(sandbox.GenColumns{Market: "id", Order: 10, Names: []string{"email", "gaid", "bankcard"}, Cells: genCells})
}

// genCells fills the columns `riskbatch gen` adds for AccuAuth's optional
// parameters after the person's name, NIK and mobile.
func genCells(_ *sandbox.Population, _, _ int, per *sandbox.Person, c []string) {
	c[0] = strings.ToLower(strings.ReplaceAll(per.IDName, " ", ".")) + "@mail.co.id"
	c[1] = per.GAID
	c[2] = per.BankNo[:16]
}

// Path is the API's path.
const Path = "/check/risk_report"

// Abnormal-behaviour detection: the same parameters more than
// AbnormalLimit times within AbnormalWindow are refused with
// ABNORMAL_BEHAVIOURS_DETECTED. The pipeline sends a lookup once (dedupe)
// and retries it a handful of times at most, so only a runaway loop or a
// file of duplicates without dedupe trips it.
const (
	AbnormalLimit  = 20
	AbnormalWindow = time.Minute
)

// Sim simulates the risk report API. It keeps the recent-parameters window
// of the abnormal-behaviour check; everything else is in the shared server.
type Sim struct {
	mu     sync.Mutex
	recent map[string][]time.Time // parameters digest → call times within the window
}

var jakarta = providers.Zone(accuauth.TimeZone) // the client's registered zone

// Name implements sandbox.Vendor.
func (*Sim) Name() string { return "accuauth" }

// Paths implements sandbox.Vendor: the API, plus the /check/ tree so other
// paths under it get the vendor's own NOT_FOUND answer.
func (*Sim) Paths() []string { return []string{Path, "/check/"} }

// Location implements sandbox.Vendor.
func (*Sim) Location() *time.Location { return jakarta }

// DefaultKeys implements sandbox.Vendor.
func (*Sim) DefaultKeys() []sandbox.KeySpec {
	return []sandbox.KeySpec{
		{ID: "aa-1", Credentials: map[string]string{"api_id": "sandbox-aa-id-1", "api_secret": "sandbox-aa-secret-1"}},
		{ID: "aa-2", Credentials: map[string]string{"api_id": "sandbox-aa-id-2", "api_secret": "sandbox-aa-secret-2"}},
	}
}

// paramNames are the documented body fields.
var paramNames = []string{"mobile", "mobile_md5", "idcard", "bankcard", "gaid", "email"}

// Serve implements sandbox.Vendor: path and method (404 NOT_FOUND),
// headers (401 UNAUTHORIZED), the body as form or JSON, the shared
// admission (forced statuses, faults, QPS → 403 RATE_LIMIT_EXCEEDED, daily
// quota → 403 OUT_OF_QUOTA), validation (400 INVALID_ARGUMENT), repeated
// parameters (400 ABNORMAL_BEHAVIOURS_DETECTED), then the person's report
// or 400 NOT_HIT.
func (sim *Sim) Serve(s *sandbox.Server, w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return // connection gone
	}
	fallbackID := requestID(map[string]string{"path": r.URL.Path, "body": string(raw)})
	if r.URL.Path != Path || r.Method != http.MethodPost {
		// The gateway routes on method and path: anything else is an API
		// that does not exist.
		writeStatus(w, "NOT_FOUND", "", fallbackID)
		return
	}
	id, secret := r.Header.Get("X-DF-API-ID"), r.Header.Get("X-DF-API-SECRET")
	keyID, ok := s.FindKey("accuauth", func(c map[string]string) bool {
		return id != "" && secret != "" && c["api_id"] == id && c["api_secret"] == secret
	})
	if !ok {
		writeStatus(w, "UNAUTHORIZED", "invalid X-DF-API-ID or X-DF-API-SECRET", fallbackID)
		return
	}

	params, perr := readParams(r.Header.Get("Content-Type"), raw)
	rid := requestID(params)
	pop := s.Population()
	who, identity := resolve(pop, params)

	v := s.Admit(w, r, "accuauth", keyID, identity)
	switch {
	case v.Handled:
		return
	case v.Forced != "" && v.Forced != "OK":
		writeStatus(w, v.Forced, "", rid)
		return
	case v.Throttled:
		// The vendor's own throttling answer; the document mentions no
		// Retry-After, so none is sent.
		writeStatus(w, "RATE_LIMIT_EXCEEDED", "", rid)
		return
	case v.OverQuota:
		writeStatus(w, "OUT_OF_QUOTA", "", rid)
		return
	}
	if perr != "" {
		writeStatus(w, "INVALID_ARGUMENT", perr, rid)
		return
	}
	if reason := validate(params); reason != "" {
		writeStatus(w, "INVALID_ARGUMENT", reason, rid)
		return
	}
	if sim.abnormal(params, s.Now()) {
		writeStatus(w, "ABNORMAL_BEHAVIOURS_DETECTED", "", rid)
		return
	}
	rep, hit := ReportFor(pop, who)
	if !hit {
		writeStatus(w, "NOT_HIT", "", rid)
		return
	}
	s.Bill("accuauth", keyID)
	writeJSON(w, http.StatusOK, okAnswer{Status: "OK", Result: rep, RequestID: rid})
}

// readParams reads the body as a form (urlencoded or multipart) or as JSON,
// by content type. Any other content type carries no parameters the API can
// read, which validation then reports as a missing mobile. The second
// result is an INVALID_ARGUMENT reason.
func readParams(ctype string, raw []byte) (map[string]string, string) {
	params := map[string]string{}
	mt, mp, _ := mime.ParseMediaType(ctype)
	switch mt {
	case "application/x-www-form-urlencoded":
		f, err := url.ParseQuery(string(raw))
		if err != nil {
			return params, "request body is not a valid form"
		}
		for _, n := range paramNames {
			if f.Has(n) {
				params[n] = f.Get(n)
			}
		}
	case "multipart/form-data":
		req, _ := http.NewRequest(http.MethodPost, "/", bytes.NewReader(raw))
		req.Header.Set("Content-Type", ctype)
		if mp["boundary"] == "" || req.ParseMultipartForm(1<<20) != nil {
			return params, "request body is not a valid form"
		}
		for _, n := range paramNames {
			if vs := req.MultipartForm.Value[n]; len(vs) > 0 {
				params[n] = vs[0]
			}
		}
	case "application/json":
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil || m == nil {
			return params, "request body is not a valid JSON object"
		}
		for _, n := range paramNames {
			v, ok := m[n]
			if !ok || string(v) == "null" {
				continue
			}
			var s string
			if json.Unmarshal(v, &s) != nil {
				return params, "argument '" + n + "': must be a string"
			}
			params[n] = s
		}
	}
	return params, ""
}

// validate checks the parameters the way the example's reason reads:
// "argument 'mobile': not found".
func validate(p map[string]string) string {
	mob, md := p["mobile"], p["mobile_md5"]
	if mob == "" && md == "" {
		return "argument 'mobile': not found"
	}
	if mob != "" {
		if _, ok := normalizeMobile(mob); !ok {
			return "argument 'mobile': invalid format"
		}
	} else if len(md) != 32 || !pii.IsHex(md) {
		return "argument 'mobile_md5': invalid format"
	}
	if v := p["idcard"]; v != "" {
		if n, err := pii.NIK(v); err != nil || n != v {
			return "argument 'idcard': invalid format"
		}
	}
	if v := p["bankcard"]; v != "" && !pii.IsBankCard(v) {
		return "argument 'bankcard': invalid format"
	}
	if v := p["gaid"]; v != "" && !accuauth.ValidGAID(v) {
		return "argument 'gaid': invalid format"
	}
	if v := p["email"]; v != "" {
		if _, err := pii.Email(v); err != nil {
			return "argument 'email': invalid format"
		}
	}
	return ""
}

// normalizeMobile accepts digits only (08…, 62…), stricter than the
// client's normalizer, so a request the simulator takes is plainly well
// formed; it returns the local form 08….
func normalizeMobile(v string) (string, bool) {
	if !allDigits(v) {
		return "", false
	}
	local, err := pii.IndonesianMobile(v, pii.IDLocal)
	return local, err == nil
}

// resolve finds the person behind the mobile (plain in either form, or the
// MD5 of either form) and the identity the shared machinery counts and
// forces by: the person's local mobile, else the mobile as normalized or
// the MD5 as sent.
func resolve(pop *sandbox.Population, p map[string]string) (int, string) {
	if mob := p["mobile"]; mob != "" {
		local, ok := normalizeMobile(mob)
		if !ok {
			return -1, mob
		}
		if i, ok := pop.Lookup(sandbox.FieldIDMobile, sandbox.Plain, local); ok {
			return i, local
		}
		return -1, local
	}
	md := strings.ToLower(p["mobile_md5"])
	if md == "" {
		return -1, ""
	}
	for _, f := range []sandbox.Field{sandbox.FieldIDMobile, sandbox.FieldIDMobile62} {
		if i, ok := pop.Lookup(f, sandbox.MD5, md); ok {
			return i, pop.Person(i).IDMobile
		}
	}
	return -1, md
}

// abnormal records a call with these parameters at now and reports whether
// there were more than AbnormalLimit of them within AbnormalWindow.
func (sim *Sim) abnormal(p map[string]string, now time.Time) bool {
	parts := make([]string, 0, 2*len(paramNames))
	for _, n := range paramNames {
		parts = append(parts, n, p[n])
	}
	k := sandbox.DeriveHex(32, parts...)
	sim.mu.Lock()
	defer sim.mu.Unlock()
	if sim.recent == nil || len(sim.recent) > 100_000 {
		sim.recent = map[string][]time.Time{}
	}
	kept := sim.recent[k][:0]
	for _, t := range sim.recent[k] {
		if now.Sub(t) < AbnormalWindow && !t.After(now) {
			kept = append(kept, t)
		}
	}
	kept = append(kept, now)
	sim.recent[k] = kept
	return len(kept) > AbnormalLimit
}

// Report is the risk report in the document's example field order.
type Report struct {
	PastOverdueNum              int     `json:"past_overdue_num"`
	PastOverdueRate             float64 `json:"past_overdue_rate"`
	PastOverdueAmountMax        float64 `json:"past_overdue_amount_max"`
	PastOverdueAmountMin        float64 `json:"past_overdue_amount_min"`
	PastOverdueAmountAvg        float64 `json:"past_overdue_amount_avg"`
	PastOverdueAmountTotal      float64 `json:"past_overdue_amount_total"`
	PastOverdueDaysMax          int     `json:"past_overdue_days_max"`
	PastOverdueDaysAvg          int     `json:"past_overdue_days_avg"`
	PastOverdue3DaysNum         int     `json:"past_overdue_3days_num"`
	PastOverdue3DaysRate        float64 `json:"past_overdue_3days_rate"`
	PastOverdue5DaysNum         int     `json:"past_overdue_5days_num"`
	PastOverdue5DaysRate        float64 `json:"past_overdue_5days_rate"`
	UnsettledOverdueNum         int     `json:"unsettled_overdue_num"`
	UnsettledOverdueAmountAvg   float64 `json:"unsettled_overdue_amount_avg"`
	UnsettledOverdueDaysAvg     int     `json:"unsettled_overdue_days_avg"`
	PastOverdueDaysMin          int     `json:"past_overdue_days_min"`
	UnsettledOverdueAmountMin   int     `json:"unsettled_overdue_amount_min"`
	UnsettledOverdueAmountMax   int     `json:"unsettled_overdue_amount_max"`
	UnsettledOverdueAmountTotal int     `json:"unsettled_overdue_amount_total"`
	UnsettledOverdueDaysMin     int     `json:"unsettled_overdue_days_min"`
	UnsettledOverdueDaysMax     int     `json:"unsettled_overdue_days_max"`
}

// ReportFor is person i's deterministic report: ~20% of the population
// (and every outsider) is not hit; the others have 1–10 past orders, each
// overdue with a probability growing with the latent risk, overdue amounts
// of 500–10,000 and days skewed by risk, and some of the overdue orders
// still unsettled. Every figure is computed from that order list, so the
// report is consistent (num ≥ 3days_num ≥ 5days_num, min ≤ avg ≤ max,
// total = sum, rates in 0..1, unsettled ⊆ past).
func ReportFor(pop *sandbox.Population, i int) (Report, bool) {
	if i < 0 {
		return Report{}, false
	}
	r := pop.Rand(i, "accuauth")
	if r.Float64() < 0.20 {
		return Report{}, false
	}
	risk := pop.Risk(i)
	orders := 1 + r.IntN(10)
	pOverdue := 0.05 + 0.85*risk
	type order struct{ amount, days int }
	var past, unsettled []order
	for k := 0; k < orders; k++ {
		if r.Float64() >= pOverdue {
			continue
		}
		o := order{amount: (5 + r.IntN(96)) * 100, days: 1 + min(179, int(r.ExpFloat64()*(3+40*risk)))}
		past = append(past, o)
		if r.Float64() < 0.2+0.6*risk {
			unsettled = append(unsettled, o)
		}
	}
	stats := func(os []order) (n, amin, amax, atotal, dmin, dmax, dtotal, over3, over5 int) {
		for j, o := range os {
			if j == 0 || o.amount < amin {
				amin = o.amount
			}
			if j == 0 || o.days < dmin {
				dmin = o.days
			}
			amax, dmax = max(amax, o.amount), max(dmax, o.days)
			atotal += o.amount
			dtotal += o.days
			if o.days > 3 {
				over3++
			}
			if o.days > 5 {
				over5++
			}
		}
		return len(os), amin, amax, atotal, dmin, dmax, dtotal, over3, over5
	}
	var rep Report
	n, amin, amax, atotal, dmin, dmax, dtotal, over3, over5 := stats(past)
	rep.PastOverdueNum = n
	rep.PastOverdueRate = round(float64(n)/float64(orders), 4)
	rep.PastOverdue3DaysNum, rep.PastOverdue5DaysNum = over3, over5
	rep.PastOverdue3DaysRate = round(float64(over3)/float64(orders), 4)
	rep.PastOverdue5DaysRate = round(float64(over5)/float64(orders), 4)
	if n > 0 {
		rep.PastOverdueAmountMin, rep.PastOverdueAmountMax = float64(amin), float64(amax)
		rep.PastOverdueAmountTotal = float64(atotal)
		rep.PastOverdueAmountAvg = round(float64(atotal)/float64(n), 2)
		rep.PastOverdueDaysMin, rep.PastOverdueDaysMax = dmin, dmax
		rep.PastOverdueDaysAvg = int(math.Round(float64(dtotal) / float64(n)))
	}
	n, amin, amax, atotal, dmin, dmax, dtotal, _, _ = stats(unsettled)
	rep.UnsettledOverdueNum = n
	if n > 0 {
		rep.UnsettledOverdueAmountMin, rep.UnsettledOverdueAmountMax, rep.UnsettledOverdueAmountTotal = amin, amax, atotal
		rep.UnsettledOverdueAmountAvg = round(float64(atotal)/float64(n), 2)
		rep.UnsettledOverdueDaysMin, rep.UnsettledOverdueDaysMax = dmin, dmax
		rep.UnsettledOverdueDaysAvg = int(math.Round(float64(dtotal) / float64(n)))
	}
	return rep, true
}

func round(f float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(f*p) / p
}

// requestID is "TID" + 32 hex derived from the parameters, so a re-sent
// request gets the same id (the example's ids have this shape).
func requestID(p map[string]string) string {
	parts := []string{"accuauth"}
	for _, n := range paramNames {
		parts = append(parts, n, p[n])
	}
	parts = append(parts, "path", p["path"], "body", p["body"])
	return "TID" + sandbox.DeriveHex(32, parts...)
}

type okAnswer struct {
	Status    string `json:"status"`
	Result    Report `json:"result"`
	RequestID string `json:"request_id"`
}

type errAnswer struct {
	Status    string `json:"status"`
	Reason    string `json:"reason"`
	RequestID string `json:"request_id"`
}

// writeStatus answers a status with its documented HTTP status and a
// reason (the document's description when none is given). An unknown
// status (forced by a test) goes out as HTTP 400.
func writeStatus(w http.ResponseWriter, status, reason, rid string) {
	code := http.StatusBadRequest
	if httpStatus, desc, ok := accuauth.StatusHTTP(status); ok {
		code = httpStatus
		if reason == "" {
			reason = desc
		}
	}
	writeJSON(w, code, errAnswer{Status: status, Reason: reason, RequestID: rid})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	b, _ := json.Marshal(v)
	_, _ = w.Write(b)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
