package juhe

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// wantClass is the Juhe row of docs/providers.md (classification by vendor), written out independently of codes.go.
type wantClass struct {
	outcome   providers.Outcome
	scope     providers.Scope
	permanent bool
}

var designJuhe = map[int]wantClass{
	237001: {providers.Invalid, providers.ScopeKey, false},
	237002: {providers.Transient, providers.ScopeKey, false},
	237003: {providers.Transient, providers.ScopeKey, false},
	10014:  {providers.Transient, providers.ScopeKey, false},
	10020:  {providers.Transient, providers.ScopeKey, false},  // long pause: RetryAfter set
	10011:  {providers.Quota, providers.ScopeProvider, false}, // per IP: the whole provider
	10012:  {providers.Quota, providers.ScopeKey, false},
	10013:  {providers.Quota, providers.ScopeKey, false},
	10001:  {providers.Fatal, providers.ScopeKey, false},
	10002:  {providers.Fatal, providers.ScopeKey, false},
	10003:  {providers.Fatal, providers.ScopeKey, false},
	10004:  {providers.Fatal, providers.ScopeKey, false},
	10005:  {providers.Fatal, providers.ScopeKey, false},
	10007:  {providers.Fatal, providers.ScopeKey, false},
	10008:  {providers.Fatal, providers.ScopeKey, false},
	10009:  {providers.Fatal, providers.ScopeKey, false},
	10021:  {providers.Fatal, providers.ScopeKey, false},
}

func TestErrorCodesMatchDesign(t *testing.T) {
	got := ErrorCodes()
	slices.Sort(got)
	var want []int
	for c := range designJuhe {
		want = append(want, c)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("ErrorCodes() = %v, docs/providers.md lists %v", got, want)
	}
}

// TestForcedCodes forces every documented error_code through the simulator,
// once by key and once by identity, and checks the classification. The
// force is for one answer: the next call is served normally.
func TestForcedCodes(t *testing.T) {
	codes := ErrorCodes()
	slices.Sort(codes)
	e := newEnv(t) // shared: each force is consumed by its own subtest
	p := e.provider(t, ProductV2, nil)
	per := e.person(3)
	for _, code := range codes {
		for _, by := range []string{"key", "identity"} {
			t.Run(strconv.Itoa(code)+"/"+by, func(t *testing.T) {
				before := e.srv.Counters("juhe").Keys["juhe/juhe-1"]
				switch by {
				case "key":
					e.srv.Force("juhe", key1.ID, "", strconv.Itoa(code), 1)
				case "identity":
					e.srv.Force("juhe", "", per.IDCard, strconv.Itoa(code), 1)
				}
				res, body := e.callPerson(t, p, key1, 3)
				want := designJuhe[code]
				if res.Outcome != want.outcome || res.Code != strconv.Itoa(code) || res.Scope != want.scope || res.Permanent != want.permanent || res.Unknown {
					t.Fatalf("code %d: got %+v, want %+v (body %s)", code, res, want, body)
				}
				if res.Values != nil {
					t.Errorf("code %d: error answer has values %v", code, res.Values)
				}
				switch code {
				case 10011, 10020:
					if res.RetryAfter < time.Minute {
						t.Errorf("code %d: RetryAfter %v, want a long pause (≥ 1m)", code, res.RetryAfter)
					}
				default:
					if res.RetryAfter != 0 {
						t.Errorf("code %d: RetryAfter %v, want 0", code, res.RetryAfter)
					}
				}
				// The force was for one answer.
				if res, _ := e.callPerson(t, p, key1, 3); !res.Outcome.Final() {
					t.Fatalf("after the forced answer: %+v", res)
				}
				c := e.srv.Counters("juhe")
				if got := c.Keys["juhe/juhe-1"]; got.Calls-before.Calls != 2 || got.Billed-before.Billed != 1 {
					t.Errorf("counters %+v → %+v: want 2 calls, 1 billed (errors are not billed)", before, got)
				}
			})
		}
	}
}

func TestForcedOtherIdentityUnaffected(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, ProductV1, nil)
	e.srv.Force("juhe", "", e.person(3).IDCard, "10014", 0)
	if res, _ := e.callPerson(t, p, key1, 4); !res.Outcome.Final() {
		t.Fatalf("another identity got %+v", res)
	}
	for range 2 { // count 0: until reset
		if res, _ := e.callPerson(t, p, key1, 3); res.Code != "10014" {
			t.Fatalf("forced identity got %+v", res)
		}
	}
}

func TestUnknownCode(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, ProductV1, nil)
	e.srv.Force("juhe", key1.ID, "", "99999", 1)
	res, body := e.callPerson(t, p, key1, 3)
	if res.Outcome != providers.Transient || !res.Unknown || res.Code != "99999" {
		t.Fatalf("unknown code: got %+v (body %s)", res, body)
	}
}

func TestThrottled(t *testing.T) {
	e := newEnv(t)
	e.srv.SetLimits("juhe", sandbox.Limits{QPS: 1, Burst: 1})
	p := e.provider(t, ProductV2, nil)
	if res, _ := e.callPerson(t, p, key1, 3); !res.Outcome.Final() {
		t.Fatalf("first call: %+v", res)
	}
	res, _ := e.callPerson(t, p, key1, 4)
	if res.Outcome != providers.Throttled || res.Code != "HTTP 429" || res.RetryAfter < time.Second {
		t.Fatalf("second quick call: got %+v, want throttled with Retry-After ≥ 1s", res)
	}
	// The other key has its own bucket.
	if res, _ := e.callPerson(t, p, key2, 4); !res.Outcome.Final() {
		t.Fatalf("other key: %+v", res)
	}
}

func TestHTTPFaults(t *testing.T) {
	for _, fault := range []string{"http_500", "http_502", "http_503", "malformed", "reset", "timeout", "http_429"} {
		t.Run(fault, func(t *testing.T) {
			e := newEnvWith(t, sandbox.Config{Hang: time.Second})
			p := e.provider(t, ProductV1, map[string]any{"method": "GET"})
			if res, _ := e.callPerson(t, p, key1, 3); !res.Outcome.Final() { // warm the lookup index
				t.Fatalf("warm-up call: %+v", res)
			}
			e.hc = &http.Client{Timeout: 300 * time.Millisecond}
			e.srv.Force("juhe", key1.ID, "", fault, 0)
			start := time.Now()
			res, body := e.callPerson(t, p, key1, 3)
			want := providers.Transient
			if fault == "http_429" {
				want = providers.Throttled
			}
			if res.Outcome != want || res.Unknown {
				t.Fatalf("%s: got %+v (body %q), want %s", fault, res, body, want)
			}
			if fault == "timeout" {
				if res.Code != "timeout" {
					t.Errorf("timeout: code %q", res.Code)
				}
				if d := time.Since(start); d > 900*time.Millisecond {
					t.Errorf("timeout took %v: the client timeout (300ms) should end it", d)
				}
			}
		})
	}
}

// TestInjectedFaultRate: every injected fault kind is transient, never a
// hit with wrong data.
func TestInjectedFaultRate(t *testing.T) {
	e := newEnvWith(t, sandbox.Config{Faults: sandbox.Faults{Rate: 1, Kinds: []string{"http_500", "http_503", "malformed"}}})
	p := e.provider(t, ProductV2, nil)
	for i := range 6 {
		if res, _ := e.callPerson(t, p, key1, i); res.Outcome != providers.Transient {
			t.Fatalf("call %d under faults: %+v", i, res)
		}
	}
}

// TestParseFixtures parses recorded bodies: the document's examples and the
// shapes public clients report (result null, a string or an object on
// errors; reason wording varying).
func TestParseFixtures(t *testing.T) {
	c := &Client{product: ProductV2}
	tests := []struct {
		file    string
		status  int
		outcome providers.Outcome
		code    string
		values  []string
	}{
		{"doc_query_example.json", 200, providers.Hit, "0", []string{"20", "1", "1", "", "J370202203211536501431"}},
		{"doc_queryV2_example.json", 200, providers.Hit, "0", []string{"63", "1", "-1", "", "J370202302281430184742"}},
		{"hit_risk_info.json", 200, providers.Hit, "0", []string{"87", "1", "1", "21001 疑似恶意借贷(高); 12002 疑似黑产账号(中); 11003 疑似营销欺诈(低)", "J100000000000000000001"}},
		{"hit_unknown_risk_code.json", 200, providers.Hit, "0", []string{"45", "1", "1", "99999 未知风险码(中)", "J100000000000000000002"}},
		{"nohit_query_99.json", 200, providers.NoHit, "0", []string{"", "-1", "-1", "", "J100000000000000000003"}},
		{"nohit_queryV2_minus1.json", 200, providers.NoHit, "0", []string{"", "-1", "1", "", "J100000000000000000004"}},
		{"error_result_null.json", 200, providers.Quota, "10012", nil},
		{"error_result_string.json", 200, providers.Invalid, "237001", nil},
		{"error_result_object.json", 200, providers.Fatal, "10001", nil},
		{"error_reason_english.json", 200, providers.Quota, "10013", nil},
		{"error_reason_misleading.json", 200, providers.Transient, "237002", nil},
		{"ok_result_null.json", 200, providers.Transient, "0", nil},
		{"ok_found_missing.json", 200, providers.Transient, "0", nil},
		{"no_error_code.json", 200, providers.Transient, "HTTP 200", nil},
		{"html_gateway.html", 200, providers.Transient, "HTTP 200", nil},
		{"html_gateway.html", 502, providers.Transient, "HTTP 502", nil},
		{"error_result_null.json", 429, providers.Throttled, "HTTP 429", nil},
		{"html_gateway.html", 404, providers.Fatal, "HTTP 404", nil},
	}
	for _, tc := range tests {
		t.Run(tc.file+"/"+strconv.Itoa(tc.status), func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			res := c.Parse(tc.status, http.Header{}, body)
			if res.Outcome != tc.outcome || res.Code != tc.code {
				t.Fatalf("got %s %q (%s), want %s %q", res.Outcome, res.Code, res.Message, tc.outcome, tc.code)
			}
			if !slices.Equal(res.Values, tc.values) {
				t.Errorf("values %q, want %q", res.Values, tc.values)
			}
			if len(res.Values) > 0 && len(res.Values) != len(c.Columns()) {
				t.Errorf("%d values for %d columns", len(res.Values), len(c.Columns()))
			}
		})
	}
}

func TestFormatRisk(t *testing.T) {
	tests := []struct {
		in   []riskInfo
		want string
	}{
		{nil, ""},
		{[]riskInfo{{21001, 3}}, "21001 疑似恶意借贷(高)"},
		{[]riskInfo{{11002, 1}, {21002, 2}, {21001, 3}}, "21001 疑似恶意借贷(高); 21002 疑似职业撸口子(中); 11002 疑似网络投机(低)"},
		{[]riskInfo{{1101, 2}, {3202, 2}}, "1101 疑似资料伪造包装(中); 3202 疑似账号被盗风险(中)"}, // stable within a level
		{[]riskInfo{{12001, 5}}, "12001 疑似黑产设备(5)"},
		{[]riskInfo{{4242, 1}}, "4242 未知风险码(低)"},
	}
	for _, tc := range tests {
		if got := formatRisk(tc.in); got != tc.want {
			t.Errorf("formatRisk(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// Every documented code has its description.
	for _, c := range append(append([]int(nil), v1Codes...), v2Codes...) {
		if riskCodes[c] == "" {
			t.Errorf("risk code %d has no description", c)
		}
	}
}
