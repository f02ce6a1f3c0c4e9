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
	"github.com/riskbatch/riskbatch/providers/accuauth/accuauthsim"
	"github.com/riskbatch/riskbatch/providers/providertest"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// The client against its simulator over loopback (providertest).

// key1 and key2 are the simulator's default keys.
var key1, key2 = providertest.KeyPair(&accuauthsim.Sim{})

var jakarta = (&accuauthsim.Sim{}).Location() // AccuAuth's quota day

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

var ridRe = regexp.MustCompile(`^TID[0-9a-f]{32}$`)

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

func TestCredentialsAndWire(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	rec := e.mobileRow(t, p, 3)

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
			if res := p.Parse(status, h, b); res.Outcome != outcomeOf(c.status) {
				t.Errorf("classified %+v", res)
			}
		})
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
