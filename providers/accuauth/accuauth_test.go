package accuauth

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
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
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

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
	got := Statuses()
	slices.Sort(got)
	var want []string
	for s := range designAA {
		want = append(want, s)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("Statuses() = %v, docs/providers.md lists %v", got, want)
	}
}

// TestForcedStatuses forces every status through the simulator, by key and
// by identity, and checks the HTTP status, the body and the classification.
func TestForcedStatuses(t *testing.T) {
	names := Statuses()
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
					e.srv.Force("accuauth", key1.ID, "", st, 1)
				} else {
					e.srv.Force("accuauth", "", e.person(3).IDMobile, st, 1)
				}
				req, _ := p.Prepare(e.mobileRow(t, p, 3))
				hreq, _ := p.NewHTTPRequest(context.Background(), key1, req)
				resp, err := e.hc.Do(hreq)
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
				if res, body := e.call(t, p, key1, e.mobileRow(t, p, 3)); res.Outcome != providers.Hit && res.Outcome != providers.NoHit {
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
	e.srv.Force("accuauth", key1.ID, "", "SOMETHING_NEW", 1)
	res, body := e.call(t, p, key1, e.mobileRow(t, p, 3))
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
			e.srv.Force("accuauth", key1.ID, "", c.fault, 1)
			res, body := e.call(t, p, key1, e.mobileRow(t, p, 5))
			if res.Outcome != c.outcome || res.Code != c.code || res.RetryAfter != c.retryAfter {
				t.Fatalf("%s: got %+v, want %s %s %v (body %q)", c.fault, res, c.outcome, c.code, c.retryAfter, body)
			}
			if strings.Contains(res.Message, "sandbox-aa-secret-1") {
				t.Errorf("message leaks the secret: %s", res.Message)
			}
		})
	}
}

// TestParse covers answers the simulator does not send.
func TestParse(t *testing.T) {
	p, err := New(providers.Config{Endpoint: "https://cloudapi.indonesia.accuauth.com/check/risk_report"})
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"status":"OK","result":{"past_overdue_num":1,"past_overdue_rate":0.5,"past_overdue_amount_max":3000,"past_overdue_amount_min":3000,"past_overdue_amount_avg":3000,"past_overdue_amount_total":3000,"past_overdue_days_max":21,"past_overdue_days_avg":21,"past_overdue_3days_num":1,"past_overdue_3days_rate":0.5,"past_overdue_5days_num":1,"past_overdue_5days_rate":0.5,"unsettled_overdue_num":1,"unsettled_overdue_amount_avg":3000,"unsettled_overdue_days_avg":21,"past_overdue_days_min":21,"unsettled_overdue_amount_min":3000,"unsettled_overdue_amount_max":3000,"unsettled_overdue_amount_total":3000,"unsettled_overdue_days_min":21,"unsettled_overdue_days_max":21},"request_id":"TID591cb9fb0e284cf296912a4d0ffea889"}`
	docVals := []string{"1", "0.5", "3000", "3000", "3000", "3000", "21", "21", "21", "1", "0.5", "1", "0.5",
		"1", "3000", "3000", "3000", "3000", "21", "21", "21", "TID591cb9fb0e284cf296912a4d0ffea889"}
	var asArray string
	{
		var m map[string]json.RawMessage
		_ = json.Unmarshal([]byte(doc), &m)
		asArray = `{"status":"OK","result":[` + string(m["result"]) + `],"request_id":"TID591cb9fb0e284cf296912a4d0ffea889"}`
	}
	empty := make([]string, 22)
	empty[21] = "TIDx"
	ra := http.Header{"Retry-After": []string{"7"}}
	cases := []struct {
		name    string
		status  int
		header  http.Header
		body    string
		outcome providers.Outcome
		code    string
		vals    []string
		retry   time.Duration
		unknown bool
	}{
		{"doc example (object)", 200, nil, doc, providers.Hit, "OK", docVals, 0, false},
		{"array result", 200, nil, asArray, providers.Hit, "OK", docVals, 0, false},
		{"empty array", 200, nil, `{"status":"OK","result":[],"request_id":"TIDx"}`, providers.NoHit, "OK", empty, 0, false},
		{"OK without result", 200, nil, `{"status":"OK","request_id":"TIDx"}`, providers.Transient, "OK", nil, 0, false},
		{"string figures", 200, nil, `{"status":"OK","result":{"past_overdue_num":"2"},"request_id":"TIDx"}`, providers.Hit, "OK",
			append(append([]string{"2"}, make([]string, 20)...), "TIDx"), 0, false},
		{"doc error example", 400, nil, `{"status":"INVALID_ARGUMENT","reason":"argument 'mobile': not found","request_id":"TID0bb59f6aa6454717b870b16202ccf36f"}`, providers.Invalid, "INVALID_ARGUMENT", nil, 0, false},
		{"rate limit with Retry-After", 403, ra, `{"status":"RATE_LIMIT_EXCEEDED"}`, providers.Throttled, "RATE_LIMIT_EXCEEDED", nil, 7 * time.Second, false},
		{"429 plain", 429, ra, `Too Many Requests`, providers.Throttled, "HTTP 429", nil, 7 * time.Second, false},
		{"512 html", 512, nil, `<html>busy</html>`, providers.Transient, "HTTP 512", nil, 0, false},
		{"other 5xx status", 504, nil, `{"status":"GATEWAY_TIMEOUT"}`, providers.Transient, "GATEWAY_TIMEOUT", nil, 0, false},
		{"404 html", 404, nil, `<html>not found</html>`, providers.Fatal, "HTTP 404", nil, 0, false},
		{"200 garbage", 200, nil, `{"stat`, providers.Transient, "HTTP 200", nil, 0, false},
		{"unknown 4xx status", 400, nil, `{"status":"NEW_THING"}`, providers.Transient, "NEW_THING", nil, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := p.Parse(c.status, c.header, []byte(c.body))
			if res.Outcome != c.outcome || res.Code != c.code || !slices.Equal(res.Values, c.vals) || res.RetryAfter != c.retry || res.Unknown != c.unknown {
				t.Fatalf("got %+v, want %s %s %q retry %v unknown %v", res, c.outcome, c.code, c.vals, c.retry, c.unknown)
			}
		})
	}
}

// expected renders the simulator's report the way the columns should read.
func expected(t *testing.T, rep report, rid string) []string {
	t.Helper()
	b, _ := json.Marshal(rep)
	var m map[string]float64
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, 22)
	for _, f := range reportFields {
		out = append(out, strconv.FormatFloat(m[f.name], 'f', -1, 64))
	}
	return append(out, rid)
}

func TestHitsAndNoHits(t *testing.T) {
	e := newEnv(t)
	pop := e.srv.Population()
	hit := func(i int) bool { _, h := reportFor(pop, i); return h }
	overdue := func(i int) bool { r, h := reportFor(pop, i); return h && r.UnsettledOverdueNum > 0 }
	i := firstWhere(t, 0, overdue)
	per := e.person(i)
	rep, _ := reportFor(pop, i)
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
			res, body := e.call(t, p, key1, row(t, p, c.cells))
			if res.Outcome != providers.Hit || res.Code != "OK" {
				t.Fatalf("%+v (%s)", res, body)
			}
			var a struct {
				RequestID string `json:"request_id"`
			}
			_ = json.Unmarshal(body, &a)
			if want := expected(t, rep, a.RequestID); !slices.Equal(res.Values, want) || !ridRe.MatchString(a.RequestID) {
				t.Fatalf("values\n got %q\nwant %q", res.Values, want)
			}
		})
	}

	// No record: ~20% of the population, and every outsider.
	p := e.provider(t, nil)
	for _, i := range []int{firstWhere(t, 0, func(i int) bool { return !hit(i) }), testPopulation + 3} {
		res, body := e.call(t, p, key1, e.mobileRow(t, p, i))
		if res.Outcome != providers.NoHit || res.Code != "NOT_HIT" || len(res.Values) != 22 || res.Values[0] != "" || !ridRe.MatchString(res.Values[21]) {
			t.Fatalf("no-hit %d: %+v (%s)", i, res, body)
		}
	}
	if c := e.srv.Counters("accuauth"); c.Keys["accuauth/aa-1"].Billed != 7 {
		t.Errorf("billed %+v, want the 7 OK answers only", c.Keys)
	}
}

// TestReportConsistency checks every report of the population.
func TestReportConsistency(t *testing.T) {
	pop := sandbox.NewPopulation(1, testPopulation)
	var hits, clean, unsettled int
	for i := 0; i < testPopulation; i++ {
		r, ok := reportFor(pop, i)
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
	share := float64(hits) / testPopulation
	if share < 0.75 || share > 0.85 || clean == 0 || unsettled == 0 || clean == hits {
		t.Errorf("hits %d (%.2f), clean %d, unsettled %d", hits, share, clean, unsettled)
	}
}

func TestDeterminism(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	rec := e.mobileRow(t, p, 9)
	_, b1 := e.call(t, p, key1, rec)
	_, b2 := e.call(t, p, key2, rec)
	e2 := newEnv(t)
	_, b3 := e2.call(t, e2.provider(t, nil), key1, rec)
	if !bytes.Equal(b1, b2) || !bytes.Equal(b1, b3) {
		t.Fatalf("same request, different answers:\n%s\n%s\n%s", b1, b2, b3)
	}
	// Form and JSON bodies are the same lookup for the vendor.
	_, b4 := e.call(t, e.provider(t, map[string]any{"body": "json"}), key1, rec)
	if !bytes.Equal(b1, b4) {
		t.Fatalf("form and JSON answers differ:\n%s\n%s", b1, b4)
	}
}

func TestCredentialsAndWire(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	rec := e.mobileRow(t, p, 3)

	bad := providers.Key{ID: "bad", Credentials: map[string]string{"api_id": "sandbox-aa-id-1", "api_secret": "wrong-secret"}}
	res, _ := e.call(t, p, bad, rec)
	if res.Outcome != providers.Fatal || res.Code != "UNAUTHORIZED" || strings.Contains(res.Message, "wrong-secret") {
		t.Errorf("wrong secret: %+v", res)
	}
	// A valid id with the other key's secret is no key either.
	mixed := providers.Key{ID: "mixed", Credentials: map[string]string{"api_id": "sandbox-aa-id-1", "api_secret": "sandbox-aa-secret-2"}}
	if res, _ := e.call(t, p, mixed, rec); res.Code != "UNAUTHORIZED" {
		t.Errorf("mixed credentials: %+v", res)
	}
	if c := e.srv.Counters("accuauth"); len(c.Keys) != 0 {
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

	mob := e.person(3).IDMobile
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
		{"no headers", "POST", Path, "application/x-www-form-urlencoded", "mobile=" + mob, map[string]string{}, 401, "UNAUTHORIZED", ""},
		{"wrong path", "POST", "/check/risk_reports", "application/x-www-form-urlencoded", "mobile=" + mob, nil, 404, "NOT_FOUND", ""},
		{"GET", "GET", Path, "", "", nil, 404, "NOT_FOUND", ""},
		{"no content type", "POST", Path, "", "mobile=" + mob, nil, 400, "INVALID_ARGUMENT", "argument 'mobile': not found"},
		{"text/plain", "POST", Path, "text/plain", "mobile=" + mob, nil, 400, "INVALID_ARGUMENT", "argument 'mobile': not found"},
		{"empty form", "POST", Path, "application/x-www-form-urlencoded", "", nil, 400, "INVALID_ARGUMENT", "argument 'mobile': not found"},
		{"json number", "POST", Path, "application/json", `{"mobile":` + mob[1:] + `}`, nil, 400, "INVALID_ARGUMENT", "argument 'mobile': must be a string"},
		{"json broken", "POST", Path, "application/json", `{"mobile":`, nil, 400, "INVALID_ARGUMENT", "request body is not a valid JSON object"},
		{"json charset", "POST", Path, "application/json; charset=utf-8", `{"mobile":"` + mob + `"}`, nil, 200, "OK", ""},
		{"multipart", "POST", Path, mw.FormDataContentType(), mp.String(), nil, 200, "OK", ""},
		{"country code", "POST", Path, "application/x-www-form-urlencoded", "mobile=62" + mob[1:], nil, 200, "OK", ""},
		{"plus sign", "POST", Path, "application/x-www-form-urlencoded", "mobile=%2B62" + mob[1:], nil, 400, "INVALID_ARGUMENT", "argument 'mobile': invalid format"},
		{"lost zero", "POST", Path, "application/x-www-form-urlencoded", "mobile=" + mob[1:], nil, 400, "INVALID_ARGUMENT", "argument 'mobile': invalid format"},
		{"bad md5", "POST", Path, "application/x-www-form-urlencoded", "mobile_md5=abc", nil, 400, "INVALID_ARGUMENT", "argument 'mobile_md5': invalid format"},
		{"bad nik", "POST", Path, "application/x-www-form-urlencoded", "mobile=" + mob + "&idcard=123", nil, 400, "INVALID_ARGUMENT", "argument 'idcard': invalid format"},
		{"bad email", "POST", Path, "application/x-www-form-urlencoded", "mobile=" + mob + "&email=nope", nil, 400, "INVALID_ARGUMENT", "argument 'email': invalid format"},
		{"bad gaid", "POST", Path, "application/x-www-form-urlencoded", "mobile=" + mob + "&gaid=xyz", nil, 400, "INVALID_ARGUMENT", "argument 'gaid': invalid format"},
		{"bad bankcard", "POST", Path, "application/x-www-form-urlencoded", "mobile=" + mob + "&bankcard=12ab", nil, 400, "INVALID_ARGUMENT", "argument 'bankcard': invalid format"},
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
	e.srv.SetLimits("accuauth", sandbox.Limits{QPS: 1, Burst: 2})
	var throttled, served int
	for i := 0; i < 6; i++ {
		res, body := e.call(t, p, key1, e.mobileRow(t, p, i))
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
	e.srv.SetLimits("accuauth", sandbox.Limits{DailyQuota: 3})
	if err := e.admin.SetClock(ctx, time.Date(2025, 3, 1, 9, 0, 0, 0, jakarta)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if res, body := e.call(t, p, key1, e.mobileRow(t, p, i)); res.Outcome != providers.Hit && res.Outcome != providers.NoHit {
			t.Fatalf("call %d within quota: %+v (%s)", i, res, body)
		}
	}
	res, body := e.call(t, p, key1, e.mobileRow(t, p, 3))
	if res.Outcome != providers.Quota || res.Code != "OUT_OF_QUOTA" || res.Permanent {
		t.Fatalf("4th call: %+v (%s)", res, body)
	}
	// Another key has its own quota.
	if res, _ := e.call(t, p, key2, e.mobileRow(t, p, 3)); res.Outcome == providers.Quota {
		t.Errorf("aa-2 out of quota after aa-1's calls")
	}
	// 23:30 in Jakarta is still the same day (16:30 UTC); 00:00:30 is the next.
	if err := e.admin.SetClock(ctx, time.Date(2025, 3, 1, 23, 30, 0, 0, jakarta)); err != nil {
		t.Fatal(err)
	}
	if res, _ := e.call(t, p, key1, e.mobileRow(t, p, 3)); res.Code != "OUT_OF_QUOTA" {
		t.Fatalf("same Jakarta day: %+v", res)
	}
	if err := e.admin.SetClock(ctx, time.Date(2025, 3, 2, 0, 0, 30, 0, jakarta)); err != nil {
		t.Fatal(err)
	}
	if res, body := e.call(t, p, key1, e.mobileRow(t, p, 3)); res.Outcome == providers.Quota {
		t.Fatalf("next day: %+v (%s)", res, body)
	}
}

func TestAbnormalBehaviour(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	ctx := context.Background()
	start := time.Date(2025, 3, 1, 9, 0, 0, 0, jakarta)
	if err := e.admin.SetClock(ctx, start); err != nil {
		t.Fatal(err)
	}
	rec := e.mobileRow(t, p, 4)
	for n := 1; n <= AbnormalLimit; n++ {
		if res, body := e.call(t, p, key1, rec); res.Outcome != providers.Hit && res.Outcome != providers.NoHit {
			t.Fatalf("repeat %d: %+v (%s)", n, res, body)
		}
	}
	res, body := e.call(t, p, key2, rec) // the count is per parameters, not per key
	// A frequency condition of this lookup: retried later, never final.
	if res.Outcome != providers.Transient || !res.IdentityBackoff || res.Outcome.Final() || res.Code != "ABNORMAL_BEHAVIOURS_DETECTED" {
		t.Fatalf("repeat %d: %+v (%s)", AbnormalLimit+1, res, body)
	}
	// Other parameters are unaffected.
	if res, _ := e.call(t, p, key1, e.mobileRow(t, p, 5)); res.Code == "ABNORMAL_BEHAVIOURS_DETECTED" {
		t.Errorf("other mobile refused: %+v", res)
	}
	// Once the window has passed, the lookup is served again.
	if err := e.admin.SetClock(ctx, start.Add(AbnormalWindow+2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if res, body := e.call(t, p, key1, rec); res.Outcome != providers.Hit && res.Outcome != providers.NoHit {
		t.Fatalf("after the window: %+v (%s)", res, body)
	}
}

func TestPrepareValidation(t *testing.T) {
	p, err := New(providers.Config{Endpoint: "https://cloudapi.indonesia.accuauth.com/check/risk_report"})
	if err != nil {
		t.Fatal(err)
	}
	sha := strings.Repeat("ab", 32)
	cases := []struct {
		name   string
		cells  map[string]string
		field  string
		code   string
		masked string
		raw    string
	}{
		{"empty mobile", map[string]string{"mobile": " "}, "mobile", "empty", "", ""},
		{"lost leading zero", map[string]string{"mobile": "81234567890"}, "mobile", "mobile_leading_zero", "812****7890", "81234567890"},
		{"other country", map[string]string{"mobile": "+8613800138000"}, "mobile", "mobile_country", "+861******8000", "+8613800138000"},
		{"sci notation", map[string]string{"mobile": "6.28123E+12"}, "mobile", "mobile_sci_notation", "", ""},
		{"sha256 mobile", map[string]string{"mobile": sha}, "mobile", "mobile_hash_kind", "ababab…", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := p.Prepare(row(t, p, c.cells))
			var re *providers.RowError
			if !errors.As(err, &re) {
				t.Fatalf("Prepare: %v, want a RowError", err)
			}
			if re.Field != c.field || re.Code != c.code || (c.masked != "" && re.Masked != c.masked) {
				t.Fatalf("got %+v, want field %s code %s masked %q", re, c.field, c.code, c.masked)
			}
			if c.raw != "" && strings.Contains(re.Error(), c.raw) {
				t.Errorf("error shows the raw value: %s", re)
			}
		})
	}
}

// TestPrepareOptionalFieldWarns: idcard, bankcard, gaid and email are
// optional ("Either parameter mobile or mobile_md5 must be provided"), so a
// bad one is left out of the request with a warning and the row is sent —
// the same lookup as the row without that field.
func TestPrepareOptionalFieldWarns(t *testing.T) {
	p, err := New(providers.Config{Endpoint: "https://cloudapi.indonesia.accuauth.com/check/risk_report"})
	if err != nil {
		t.Fatal(err)
	}
	key := providers.Key{ID: "k", Credentials: map[string]string{"api_id": "id", "api_secret": "secret"}}
	good := map[string]string{"mobile": "081234567890", "email": "budi@example.co.id"}
	cases := []struct {
		name        string
		header, raw string
		field, code string
		masked      string
	}{
		{"bad nik", "nik", "3171014101900000", "idcard", "nik_serial", "317101******0000"},
		{"12-digit nik", "ktp", "330114120694", "idcard", "nik_length", ""},
		{"bad bankcard", "bankcard", "6222-XXXX-1111", "bankcard", "bankcard_format", ""},
		{"bad gaid", "gaid", "not-a-uuid", "gaid", "gaid_format", ""},
		{"bad email", "e-mail", "budi@localhost", "email", "email_format", "b***@localhost"},
	}
	body := func(cells map[string]string) (*providers.Request, string) {
		t.Helper()
		req, err := p.Prepare(row(t, p, cells))
		if err != nil {
			t.Fatalf("Prepare: %v, want the row sent", err)
		}
		hr, err := p.NewHTTPRequest(context.Background(), key, req)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(hr.Body)
		return req, b.String()
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			without := map[string]string{}
			for k, v := range good {
				without[k] = v
			}
			if c.field == "email" {
				delete(without, "email")
			}
			with := map[string]string{c.header: c.raw}
			for k, v := range without {
				with[k] = v
			}
			req, got := body(with)
			if len(req.Warnings) != 1 {
				t.Fatalf("warnings %v, want one", req.Warnings)
			}
			w := req.Warnings[0]
			if w.Field != c.field || w.Column != c.header || w.Code != c.code || (c.masked != "" && w.Masked != c.masked) {
				t.Errorf("warning %+v, want field %s column %s code %s masked %q", w, c.field, c.header, c.code, c.masked)
			}
			if strings.Contains(w.Error(), c.raw) {
				t.Errorf("warning shows the raw value: %s", w)
			}
			ref, want := body(without)
			if got != want || req.Dedupe != ref.Dedupe {
				t.Errorf("body %q, want %q (the row without the bad field)", got, want)
			}
		})
	}
}

func TestPrepareBody(t *testing.T) {
	mk := func(opts map[string]any) providers.Provider {
		p, err := New(providers.Config{Endpoint: "https://cloudapi.indonesia.accuauth.com/check/risk_report", Options: opts})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	sum := md5.Sum([]byte("081234567890"))
	md5Local := hex.EncodeToString(sum[:])
	sum = md5.Sum([]byte("6281234567890"))
	md5CC := hex.EncodeToString(sum[:])
	cells := map[string]string{"手机号": "0812-3456-7890", "NIK": "3171014101900001", "bankcard": "6222 0000 1111 2222",
		"gaid": "38400000-8cf0-11bd-b23e-10b96e40000d", "email": "Budi@Example.co.id"}
	cases := []struct {
		opts  map[string]any
		ctype string
		body  string
	}{
		{nil, "application/x-www-form-urlencoded",
			"mobile=081234567890&idcard=3171014101900001&bankcard=6222000011112222&gaid=38400000-8cf0-11bd-b23e-10b96e40000d&email=budi%40example.co.id"},
		{map[string]any{"body": "json", "mobile_form": "country_code"}, "application/json",
			`{"mobile":"6281234567890","idcard":"3171014101900001","bankcard":"6222000011112222","gaid":"38400000-8cf0-11bd-b23e-10b96e40000d","email":"budi@example.co.id"}`},
		{map[string]any{"mobile_encoding": "md5"}, "application/x-www-form-urlencoded",
			"mobile_md5=" + md5Local + "&idcard=3171014101900001&bankcard=6222000011112222&gaid=38400000-8cf0-11bd-b23e-10b96e40000d&email=budi%40example.co.id"},
		{map[string]any{"mobile_encoding": "MD5", "mobile_form": "country_code", "body": "JSON"}, "application/json",
			`{"mobile_md5":"` + md5CC + `","idcard":"3171014101900001","bankcard":"6222000011112222","gaid":"38400000-8cf0-11bd-b23e-10b96e40000d","email":"budi@example.co.id"}`},
	}
	var keys [][32]byte
	for _, c := range cases {
		p := mk(c.opts)
		req, err := p.Prepare(row(t, p, cells))
		if err != nil {
			t.Fatalf("%v: %v", c.opts, err)
		}
		hreq, err := p.NewHTTPRequest(context.Background(), key1, req)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(hreq.Body)
		if hreq.Header.Get("Content-Type") != c.ctype || b.String() != c.body {
			t.Errorf("%v: %s\n%s\nwant %s\n%s", c.opts, hreq.Header.Get("Content-Type"), b.String(), c.ctype, c.body)
		}
		keys = append(keys, req.Dedupe)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[i] == keys[j] {
				t.Errorf("cases %d and %d share a dedupe key", i, j)
			}
		}
	}
	// Already hashed: sent as mobile_md5 (lowercased) whatever the options.
	p := mk(nil)
	req, err := p.Prepare(row(t, p, map[string]string{"mobile": strings.ToUpper(md5CC)}))
	if err != nil {
		t.Fatal(err)
	}
	if got := req.Payload.(payload).params; len(got) != 1 || got[0] != (param{"mobile_md5", md5CC}) {
		t.Errorf("pre-hashed mobile sent as %v", got)
	}
	// The same number written two ways is one lookup.
	r1, _ := p.Prepare(row(t, p, map[string]string{"mobile": "+62 812-3456-7890"}))
	r2, _ := p.Prepare(row(t, p, map[string]string{"mobile": "081234567890"}))
	if r1.Dedupe != r2.Dedupe {
		t.Errorf("equal numbers, different dedupe keys")
	}
}

func TestNewOptions(t *testing.T) {
	cases := []struct {
		opts    map[string]any
		wantErr string
	}{
		{nil, ""},
		{map[string]any{"body": "form", "mobile_encoding": "plain", "mobile_form": "local"}, ""},
		{map[string]any{"body": "xml"}, "body"},
		{map[string]any{"mobile_encoding": "sha256"}, "mobile_encoding"},
		{map[string]any{"mobile_form": "e164"}, "mobile_form"},
		{map[string]any{"mobile_crypto": "md5"}, "mobile_crypto"},
	}
	for _, c := range cases {
		_, err := New(providers.Config{Endpoint: "https://cloudapi.indonesia.accuauth.com/check/risk_report", Options: c.opts})
		if (err == nil) != (c.wantErr == "") || (err != nil && !strings.Contains(err.Error(), c.wantErr)) {
			t.Errorf("%v: err %v, want %q", c.opts, err, c.wantErr)
		}
	}
	spec, ok := providers.Lookup("accuauth")
	if !ok || spec.TimeZone != "Asia/Jakarta" || len(spec.Credentials) != 2 {
		t.Errorf("registration %+v", spec)
	}
	p, _ := New(providers.Config{Endpoint: "https://x.example/check/risk_report"})
	cols := p.Columns()
	if len(cols) != 22 || cols[21].Name != "request_id" || cols[21].Numeric || !cols[0].Numeric {
		t.Errorf("columns %+v", cols)
	}
	if got := p.DefaultBilled(); !slices.Equal(got, []string{"OK"}) {
		t.Errorf("DefaultBilled %v", got)
	}
}
