package accuauth_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"math"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/accuauth"
	"github.com/riskbatch/riskbatch/providers/accuauth/accuauthsim"
	"github.com/riskbatch/riskbatch/providers/providertest"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// The client against its simulator over loopback (providertest).

// key1 and key2 are the simulator's default keys.
var key1, key2 = simKey(0), simKey(1)

func simKey(i int) providers.Key { return providertest.Keys(&accuauthsim.Sim{})[i] }

var jakarta, _ = time.LoadLocation("Asia/Jakarta")

type env struct{ *providertest.Env }

func newEnv(t *testing.T) *env { return &env{providertest.NewEnv(t, sandbox.Config{})} }

func (e *env) provider(t *testing.T, opts map[string]any) providers.Provider {
	return e.Provider(t, "accuauth", accuauthsim.Path, opts)
}

// mobileRow is a row with population member i's mobile only.
func (e *env) mobileRow(t *testing.T, p providers.Provider, i int) providers.Record {
	return providertest.Row(t, p, map[string]string{"no_hp": e.Person(i).IDMobile})
}

// raw sends a request the client would never build; headers default to key1.
func (e *env) raw(t *testing.T, method, path, ctype string, body []byte, hdr map[string]string) (int, http.Header, []byte) {
	t.Helper()
	if hdr == nil {
		hdr = map[string]string{"X-DF-API-ID": "sandbox-aa-id-1", "X-DF-API-SECRET": "sandbox-aa-secret-1"}
	}
	h := http.Header{}
	for k, v := range hdr {
		h.Set(k, v)
	}
	return e.Raw(t, method, path, ctype, body, h)
}

// errAnswer is an error answer as the document shows it.
type errAnswer struct {
	Status    string `json:"status"`
	Reason    string `json:"reason"`
	RequestID string `json:"request_id"`
}

// designAA is the AccuAuth row of docs/providers.md with the document's HTTP statuses,
// written out independently of codes.go.
var designAA = map[string]struct {
	http    int
	outcome providers.Outcome
}{
	"OK":                           {200, providers.Hit},
	"NOT_HIT":                      {400, providers.NoHit},
	"INVALID_ARGUMENT":             {400, providers.Invalid},
	"ABNORMAL_BEHAVIOURS_DETECTED": {400, providers.Transient}, // a frequency condition of the lookup (IdentityBackoff)
	"INTERNAL_ERROR":               {500, providers.Transient},
	"SOURCE_SERVICE_UNAVAILABLE":   {512, providers.Transient},
	"RATE_LIMIT_EXCEEDED":          {403, providers.Throttled},
	"OUT_OF_QUOTA":                 {403, providers.Quota},
	"UNAUTHORIZED":                 {401, providers.Fatal},
	"KEY_EXPIRED":                  {401, providers.Fatal},
	"NO_PERMISSION":                {403, providers.Fatal},
	"NOT_FOUND":                    {404, providers.Fatal},
}

func TestStatusesMatchDesign(t *testing.T) {
	got := accuauth.Statuses()
	slices.Sort(got)
	var want []string
	for s := range designAA {
		want = append(want, s)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("accuauth.Statuses() = %v, docs/providers.md lists %v", got, want)
	}
}

// TestForcedStatuses forces every status through the simulator, by key and
// by identity, and checks the HTTP status, the body and the classification.
func TestForcedStatuses(t *testing.T) {
	names := accuauth.Statuses()
	slices.Sort(names)
	for _, st := range names {
		if st == "OK" {
			continue
		}
		for _, by := range []string{"key", "identity"} {
			t.Run(st+"/"+by, func(t *testing.T) {
				e := newEnv(t)
				p := e.provider(t, nil)
				if by == "key" {
					e.Srv.Force("accuauth", key1.ID, "", st, 1)
				} else {
					e.Srv.Force("accuauth", "", e.Person(3).IDMobile, st, 1)
				}
				req, _ := p.Prepare(e.mobileRow(t, p, 3))
				hreq, _ := p.NewHTTPRequest(context.Background(), key1, req)
				resp, err := e.HC.Do(hreq)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var body bytes.Buffer
				_, _ = body.ReadFrom(resp.Body)
				want := designAA[st]
				if resp.StatusCode != want.http {
					t.Errorf("%s: HTTP %d, want %d", st, resp.StatusCode, want.http)
				}
				var a errAnswer
				if err := json.Unmarshal(body.Bytes(), &a); err != nil || a.Status != st || a.Reason == "" || !ridRe.MatchString(a.RequestID) {
					t.Errorf("%s: body %s", st, body.Bytes())
				}
				res := p.Parse(resp.StatusCode, resp.Header, body.Bytes())
				if res.Outcome != want.outcome || res.Code != st || res.Unknown || res.Permanent {
					t.Fatalf("%s: got %+v, want %s", st, res, want.outcome)
				}
				if wantID := st == "ABNORMAL_BEHAVIOURS_DETECTED"; res.IdentityBackoff != wantID {
					t.Errorf("%s: IdentityBackoff %v, want %v", st, res.IdentityBackoff, wantID)
				}
				if st == "NOT_HIT" {
					if len(res.Values) != 22 || res.Values[0] != "" || res.Values[21] != a.RequestID {
						t.Errorf("NOT_HIT values %q", res.Values)
					}
				} else if res.Values != nil {
					t.Errorf("%s: error answer has values %q", st, res.Values)
				}
				// Served normally afterwards.
				if res, body := e.Call(t, p, key1, e.mobileRow(t, p, 3)); res.Outcome != providers.Hit && res.Outcome != providers.NoHit {
					t.Fatalf("after the forced answer: %+v (%s)", res, body)
				}
			})
		}
	}
}

var ridRe = regexp.MustCompile(`^TID[0-9a-f]{32}$`)

func TestUnknownStatus(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	e.Srv.Force("accuauth", key1.ID, "", "SOMETHING_NEW", 1)
	res, body := e.Call(t, p, key1, e.mobileRow(t, p, 3))
	if res.Outcome != providers.Transient || !res.Unknown || res.Code != "SOMETHING_NEW" {
		t.Fatalf("unknown status: %+v (%s)", res, body)
	}
}

func TestHTTPLevel(t *testing.T) {
	cases := []struct {
		fault      string
		outcome    providers.Outcome
		code       string
		retryAfter time.Duration
	}{
		{"http_500", providers.Transient, "HTTP 500", 0},
		{"http_502", providers.Transient, "HTTP 502", 0},
		{"http_503", providers.Transient, "HTTP 503", 0},
		{"malformed", providers.Transient, "HTTP 200", 0},
		{"reset", providers.Transient, "network", 0},
		{"timeout", providers.Transient, "timeout", 0},
		{"http_429", providers.Throttled, "HTTP 429", time.Second},
	}
	for _, c := range cases {
		t.Run(c.fault, func(t *testing.T) {
			e := newEnv(t)
			p := e.provider(t, nil)
			e.Srv.Force("accuauth", key1.ID, "", c.fault, 1)
			res, body := e.Call(t, p, key1, e.mobileRow(t, p, 5))
			if res.Outcome != c.outcome || res.Code != c.code || res.RetryAfter != c.retryAfter {
				t.Fatalf("%s: got %+v, want %s %s %v (body %q)", c.fault, res, c.outcome, c.code, c.retryAfter, body)
			}
			if strings.Contains(res.Message, "sandbox-aa-secret-1") {
				t.Errorf("message leaks the secret: %s", res.Message)
			}
		})
	}
}

// expected renders the simulator's report the way the columns should read.
func expected(t *testing.T, p providers.Provider, rep accuauthsim.Report, rid string) []string {
	t.Helper()
	b, _ := json.Marshal(rep)
	var m map[string]float64
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	cols := p.Columns()
	out := make([]string, 0, len(cols))
	for _, c := range cols[:len(cols)-1] { // the figures carry the document's field names; request_id last
		out = append(out, strconv.FormatFloat(m[c.Name], 'f', -1, 64))
	}
	return append(out, rid)
}

func TestHitsAndNoHits(t *testing.T) {
	e := newEnv(t)
	pop := e.Srv.Population()
	hit := func(i int) bool { _, h := accuauthsim.ReportFor(pop, i); return h }
	overdue := func(i int) bool { r, h := accuauthsim.ReportFor(pop, i); return h && r.UnsettledOverdueNum > 0 }
	i := providertest.FirstWhere(t, 0, overdue)
	per := e.Person(i)
	rep, _ := accuauthsim.ReportFor(pop, i)
	sum := md5.Sum([]byte(per.IDMobile))
	hashedLocal := hex.EncodeToString(sum[:])

	// The same person through every encoding and body form.
	for _, c := range []struct {
		name  string
		opts  map[string]any
		cells map[string]string
	}{
		{"form local", nil, map[string]string{"mobile": per.IDMobile}},
		{"json local", map[string]any{"body": "json"}, map[string]string{"mobile": per.IDMobile}},
		{"country code", map[string]any{"mobile_form": "country_code"}, map[string]string{"phone": "+62 " + per.IDMobile[1:]}},
		{"md5 local", map[string]any{"mobile_encoding": "md5"}, map[string]string{"nomor_hp": per.IDMobile}},
		{"md5 country code json", map[string]any{"mobile_encoding": "md5", "mobile_form": "country_code", "body": "json"}, map[string]string{"mobile": per.IDMobile}},
		{"pre-hashed", nil, map[string]string{"mobile_md5": strings.ToUpper(hashedLocal)}},
		{"all fields", nil, map[string]string{"mobile": per.IDMobile, "nik": per.NIK, "bankcard": "6222 0000 1111 2222", "gaid": per.GAID, "email": " User@Example.COM "}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := e.provider(t, c.opts)
			res, body := e.Call(t, p, key1, providertest.Row(t, p, c.cells))
			if res.Outcome != providers.Hit || res.Code != "OK" {
				t.Fatalf("%+v (%s)", res, body)
			}
			var a struct {
				RequestID string `json:"request_id"`
			}
			_ = json.Unmarshal(body, &a)
			if want := expected(t, p, rep, a.RequestID); !slices.Equal(res.Values, want) || !ridRe.MatchString(a.RequestID) {
				t.Fatalf("values\n got %q\nwant %q", res.Values, want)
			}
		})
	}

	// No record: ~20% of the population, and every outsider.
	p := e.provider(t, nil)
	for _, i := range []int{providertest.FirstWhere(t, 0, func(i int) bool { return !hit(i) }), providertest.Population + 3} {
		res, body := e.Call(t, p, key1, e.mobileRow(t, p, i))
		if res.Outcome != providers.NoHit || res.Code != "NOT_HIT" || len(res.Values) != 22 || res.Values[0] != "" || !ridRe.MatchString(res.Values[21]) {
			t.Fatalf("no-hit %d: %+v (%s)", i, res, body)
		}
	}
	if c := e.Srv.Counters("accuauth"); c.Keys["accuauth/aa-1"].Billed != 7 {
		t.Errorf("billed %+v, want the 7 OK answers only", c.Keys)
	}
}

// TestReportConsistency checks every report of the population.
func TestReportConsistency(t *testing.T) {
	pop := sandbox.NewPopulation(1, providertest.Population)
	var hits, clean, unsettled int
	for i := 0; i < providertest.Population; i++ {
		r, ok := accuauthsim.ReportFor(pop, i)
		if !ok {
			continue
		}
		hits++
		if r.PastOverdueNum == 0 {
			clean++
		}
		if r.UnsettledOverdueNum > 0 {
			unsettled++
		}
		bad := r.PastOverdueNum < r.PastOverdue3DaysNum || r.PastOverdue3DaysNum < r.PastOverdue5DaysNum ||
			r.PastOverdueAmountMin > r.PastOverdueAmountAvg || r.PastOverdueAmountAvg > r.PastOverdueAmountMax ||
			r.PastOverdueDaysMin > r.PastOverdueDaysAvg || r.PastOverdueDaysAvg > r.PastOverdueDaysMax ||
			math.Abs(r.PastOverdueAmountAvg*float64(r.PastOverdueNum)-r.PastOverdueAmountTotal) > 0.01*float64(r.PastOverdueNum)+0.001 ||
			r.PastOverdueRate < 0 || r.PastOverdueRate > 1 || r.PastOverdue3DaysRate > r.PastOverdueRate || r.PastOverdue5DaysRate > r.PastOverdue3DaysRate ||
			r.UnsettledOverdueNum > r.PastOverdueNum || r.UnsettledOverdueAmountTotal > int(r.PastOverdueAmountTotal) ||
			float64(r.UnsettledOverdueAmountMin) > r.UnsettledOverdueAmountAvg || r.UnsettledOverdueAmountAvg > float64(r.UnsettledOverdueAmountMax) ||
			r.UnsettledOverdueDaysMin > r.UnsettledOverdueDaysAvg || r.UnsettledOverdueDaysAvg > r.UnsettledOverdueDaysMax ||
			r.UnsettledOverdueDaysMax > r.PastOverdueDaysMax
		if bad {
			t.Fatalf("person %d: inconsistent report %+v", i, r)
		}
	}
	share := float64(hits) / providertest.Population
	if share < 0.75 || share > 0.85 || clean == 0 || unsettled == 0 || clean == hits {
		t.Errorf("hits %d (%.2f), clean %d, unsettled %d", hits, share, clean, unsettled)
	}
}

func TestDeterminism(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	rec := e.mobileRow(t, p, 9)
	_, b1 := e.Call(t, p, key1, rec)
	_, b2 := e.Call(t, p, key2, rec)
	e2 := newEnv(t)
	_, b3 := e2.Call(t, e2.provider(t, nil), key1, rec)
	if !bytes.Equal(b1, b2) || !bytes.Equal(b1, b3) {
		t.Fatalf("same request, different answers:\n%s\n%s\n%s", b1, b2, b3)
	}
	// Form and JSON bodies are the same lookup for the vendor.
	_, b4 := e.Call(t, e.provider(t, map[string]any{"body": "json"}), key1, rec)
	if !bytes.Equal(b1, b4) {
		t.Fatalf("form and JSON answers differ:\n%s\n%s", b1, b4)
	}
}

func TestCredentialsAndWire(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	rec := e.mobileRow(t, p, 3)

	bad := providers.Key{ID: "bad", Credentials: map[string]string{"api_id": "sandbox-aa-id-1", "api_secret": "wrong-secret"}}
	res, _ := e.Call(t, p, bad, rec)
	if res.Outcome != providers.Fatal || res.Code != "UNAUTHORIZED" || strings.Contains(res.Message, "wrong-secret") {
		t.Errorf("wrong secret: %+v", res)
	}
	// A valid id with the other key's secret is no key either.
	mixed := providers.Key{ID: "mixed", Credentials: map[string]string{"api_id": "sandbox-aa-id-1", "api_secret": "sandbox-aa-secret-2"}}
	if res, _ := e.Call(t, p, mixed, rec); res.Code != "UNAUTHORIZED" {
		t.Errorf("mixed credentials: %+v", res)
	}
	if c := e.Srv.Counters("accuauth"); len(c.Keys) != 0 {
		t.Errorf("unauthenticated calls were counted: %+v", c.Keys)
	}
	req, _ := p.Prepare(rec)
	if _, err := p.NewHTTPRequest(context.Background(), providers.Key{ID: "half", Credentials: map[string]string{"api_secret": "s3cret"}}, req); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("missing api_id: %v", err)
	}
	hreq, _ := p.NewHTTPRequest(context.Background(), key1, req)
	if hreq.Method != http.MethodPost || hreq.Header.Get("X-DF-API-ID") != "sandbox-aa-id-1" || hreq.Header.Get("X-DF-API-SECRET") != "sandbox-aa-secret-1" ||
		hreq.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || hreq.URL.RawQuery != "" {
		t.Errorf("request shape: %s %s %v", hreq.Method, hreq.URL, hreq.Header)
	}

	mob := e.Person(3).IDMobile
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	_ = mw.WriteField("mobile", mob)
	_ = mw.Close()
	cases := []struct {
		name         string
		method, path string
		ctype        string
		body         string
		hdr          map[string]string
		http         int
		status       string
		reason       string
	}{
		{"no headers", "POST", accuauthsim.Path, "application/x-www-form-urlencoded", "mobile=" + mob, map[string]string{}, 401, "UNAUTHORIZED", ""},
		{"wrong path", "POST", "/check/risk_reports", "application/x-www-form-urlencoded", "mobile=" + mob, nil, 404, "NOT_FOUND", ""},
		{"GET", "GET", accuauthsim.Path, "", "", nil, 404, "NOT_FOUND", ""},
		{"no content type", "POST", accuauthsim.Path, "", "mobile=" + mob, nil, 400, "INVALID_ARGUMENT", "argument 'mobile': not found"},
		{"text/plain", "POST", accuauthsim.Path, "text/plain", "mobile=" + mob, nil, 400, "INVALID_ARGUMENT", "argument 'mobile': not found"},
		{"empty form", "POST", accuauthsim.Path, "application/x-www-form-urlencoded", "", nil, 400, "INVALID_ARGUMENT", "argument 'mobile': not found"},
		{"json number", "POST", accuauthsim.Path, "application/json", `{"mobile":` + mob[1:] + `}`, nil, 400, "INVALID_ARGUMENT", "argument 'mobile': must be a string"},
		{"json broken", "POST", accuauthsim.Path, "application/json", `{"mobile":`, nil, 400, "INVALID_ARGUMENT", "request body is not a valid JSON object"},
		{"json charset", "POST", accuauthsim.Path, "application/json; charset=utf-8", `{"mobile":"` + mob + `"}`, nil, 200, "OK", ""},
		{"multipart", "POST", accuauthsim.Path, mw.FormDataContentType(), mp.String(), nil, 200, "OK", ""},
		{"country code", "POST", accuauthsim.Path, "application/x-www-form-urlencoded", "mobile=62" + mob[1:], nil, 200, "OK", ""},
		{"plus sign", "POST", accuauthsim.Path, "application/x-www-form-urlencoded", "mobile=%2B62" + mob[1:], nil, 400, "INVALID_ARGUMENT", "argument 'mobile': invalid format"},
		{"lost zero", "POST", accuauthsim.Path, "application/x-www-form-urlencoded", "mobile=" + mob[1:], nil, 400, "INVALID_ARGUMENT", "argument 'mobile': invalid format"},
		{"bad md5", "POST", accuauthsim.Path, "application/x-www-form-urlencoded", "mobile_md5=abc", nil, 400, "INVALID_ARGUMENT", "argument 'mobile_md5': invalid format"},
		{"bad nik", "POST", accuauthsim.Path, "application/x-www-form-urlencoded", "mobile=" + mob + "&idcard=123", nil, 400, "INVALID_ARGUMENT", "argument 'idcard': invalid format"},
		{"bad email", "POST", accuauthsim.Path, "application/x-www-form-urlencoded", "mobile=" + mob + "&email=nope", nil, 400, "INVALID_ARGUMENT", "argument 'email': invalid format"},
		{"bad gaid", "POST", accuauthsim.Path, "application/x-www-form-urlencoded", "mobile=" + mob + "&gaid=xyz", nil, 400, "INVALID_ARGUMENT", "argument 'gaid': invalid format"},
		{"bad bankcard", "POST", accuauthsim.Path, "application/x-www-form-urlencoded", "mobile=" + mob + "&bankcard=12ab", nil, 400, "INVALID_ARGUMENT", "argument 'bankcard': invalid format"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, h, b := e.raw(t, c.method, c.path, c.ctype, []byte(c.body), c.hdr)
			var a errAnswer
			if err := json.Unmarshal(b, &a); err != nil || status != c.http || a.Status != c.status || (c.reason != "" && a.Reason != c.reason) || !ridRe.MatchString(a.RequestID) {
				t.Fatalf("HTTP %d %s, want %d %s %q", status, b, c.http, c.status, c.reason)
			}
			if res := p.Parse(status, h, b); res.Outcome != designAA[c.status].outcome {
				t.Errorf("classified %+v", res)
			}
		})
	}
}

func TestRateLimitAndQuota(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	e.Srv.SetLimits("accuauth", sandbox.Limits{QPS: 1, Burst: 2})
	var throttled, served int
	for i := 0; i < 6; i++ {
		res, body := e.Call(t, p, key1, e.mobileRow(t, p, i))
		switch res.Outcome {
		case providers.Throttled:
			throttled++
			if res.Code != "RATE_LIMIT_EXCEEDED" {
				t.Errorf("throttling form %+v (%s)", res, body)
			}
		case providers.Hit, providers.NoHit:
			served++
		default:
			t.Errorf("call %d: %+v", i, res)
		}
	}
	if served < 2 || throttled == 0 {
		t.Fatalf("burst of 6 at 1 QPS (burst 2): %d served, %d throttled", served, throttled)
	}

	ctx := context.Background()
	e.Srv.SetLimits("accuauth", sandbox.Limits{DailyQuota: 3})
	if err := e.Admin.SetClock(ctx, time.Date(2025, 3, 1, 9, 0, 0, 0, jakarta)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if res, body := e.Call(t, p, key1, e.mobileRow(t, p, i)); res.Outcome != providers.Hit && res.Outcome != providers.NoHit {
			t.Fatalf("call %d within quota: %+v (%s)", i, res, body)
		}
	}
	res, body := e.Call(t, p, key1, e.mobileRow(t, p, 3))
	if res.Outcome != providers.Quota || res.Code != "OUT_OF_QUOTA" || res.Permanent {
		t.Fatalf("4th call: %+v (%s)", res, body)
	}
	// Another key has its own quota.
	if res, _ := e.Call(t, p, key2, e.mobileRow(t, p, 3)); res.Outcome == providers.Quota {
		t.Errorf("aa-2 out of quota after aa-1's calls")
	}
	// 23:30 in Jakarta is still the same day (16:30 UTC); 00:00:30 is the next.
	if err := e.Admin.SetClock(ctx, time.Date(2025, 3, 1, 23, 30, 0, 0, jakarta)); err != nil {
		t.Fatal(err)
	}
	if res, _ := e.Call(t, p, key1, e.mobileRow(t, p, 3)); res.Code != "OUT_OF_QUOTA" {
		t.Fatalf("same Jakarta day: %+v", res)
	}
	if err := e.Admin.SetClock(ctx, time.Date(2025, 3, 2, 0, 0, 30, 0, jakarta)); err != nil {
		t.Fatal(err)
	}
	if res, body := e.Call(t, p, key1, e.mobileRow(t, p, 3)); res.Outcome == providers.Quota {
		t.Fatalf("next day: %+v (%s)", res, body)
	}
}

func TestAbnormalBehaviour(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	ctx := context.Background()
	start := time.Date(2025, 3, 1, 9, 0, 0, 0, jakarta)
	if err := e.Admin.SetClock(ctx, start); err != nil {
		t.Fatal(err)
	}
	rec := e.mobileRow(t, p, 4)
	for n := 1; n <= accuauthsim.AbnormalLimit; n++ {
		if res, body := e.Call(t, p, key1, rec); res.Outcome != providers.Hit && res.Outcome != providers.NoHit {
			t.Fatalf("repeat %d: %+v (%s)", n, res, body)
		}
	}
	res, body := e.Call(t, p, key2, rec) // the count is per parameters, not per key
	// A frequency condition of this lookup: retried later, never final.
	if res.Outcome != providers.Transient || !res.IdentityBackoff || res.Outcome.Final() || res.Code != "ABNORMAL_BEHAVIOURS_DETECTED" {
		t.Fatalf("repeat %d: %+v (%s)", accuauthsim.AbnormalLimit+1, res, body)
	}
	// Other parameters are unaffected.
	if res, _ := e.Call(t, p, key1, e.mobileRow(t, p, 5)); res.Code == "ABNORMAL_BEHAVIOURS_DETECTED" {
		t.Errorf("other mobile refused: %+v", res)
	}
	// Once the window has passed, the lookup is served again.
	if err := e.Admin.SetClock(ctx, start.Add(accuauthsim.AbnormalWindow+2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if res, body := e.Call(t, p, key1, rec); res.Outcome != providers.Hit && res.Outcome != providers.NoHit {
		t.Fatalf("after the window: %+v (%s)", res, body)
	}
}
