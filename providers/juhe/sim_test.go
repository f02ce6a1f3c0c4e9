package juhe_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/juhe"
	"github.com/riskbatch/riskbatch/providers/juhe/juhesim"
	"github.com/riskbatch/riskbatch/providers/pii"
	"github.com/riskbatch/riskbatch/providers/providertest"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// The client against its simulator over loopback (providertest).

// key1 and key2 are the simulator's default keys.
var key1, key2 = simKey(0), simKey(1)

func simKey(i int) providers.Key { return providertest.Keys(juhesim.Sim{})[i] }

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

type env struct{ *providertest.Env }

func newEnv(t *testing.T) *env { return newEnvWith(t, sandbox.Config{}) }

func newEnvWith(t *testing.T, cfg sandbox.Config) *env { return &env{providertest.NewEnv(t, cfg)} }

func (e *env) endpoint(product string) string { return e.URL + "/anti_fraud/" + product }

// provider builds a Juhe provider for product against the sandbox.
func (e *env) provider(t *testing.T, product string, opts map[string]any) providers.Provider {
	return e.Provider(t, "juhe", "/anti_fraud/"+product, opts)
}

// record is an input row with name, ID number and mobile columns.
func record(t *testing.T, p providers.Provider, name, id, mobile string) providers.Record {
	return providertest.Row(t, p, map[string]string{"姓名": name, "身份证号": id, "手机号": mobile})
}

// callPerson calls for population member i with all three fields.
func (e *env) callPerson(t *testing.T, p providers.Provider, key providers.Key, i int) (providers.Result, []byte) {
	t.Helper()
	per := e.Person(i)
	return e.Call(t, p, key, record(t, p, per.Name, per.IDCard, per.Mobile))
}

// isHit reports whether the simulator answers person i with a hit.
func (e *env) isHit(i int, product string) bool {
	_, _, _, hit := juhesim.AnswerFor(e.Srv.Population(), i, product)
	return hit
}

// Column indexes of Result.Values.
const (
	colScore = iota
	colFound
	colIDFound
	colRisk
	colOrderID
)

var (
	riskV1Re  = regexp.MustCompile(`^\d{4} \p{Han}+\((高|中|低)\)(; \d{4} \p{Han}+\((高|中|低)\))*$`)
	riskV2Re  = regexp.MustCompile(`^\d{5} \p{Han}+\((高|中|低)\)(; \d{5} \p{Han}+\((高|中|低)\))*$`)
	orderIDRe = regexp.MustCompile(`^J\d{21}$`)
)

func TestPopulationHits(t *testing.T) {
	e := newEnv(t)
	pop := e.Srv.Population()
	for _, product := range []string{juhe.ProductV1, juhe.ProductV2} {
		t.Run(product, func(t *testing.T) {
			p := e.provider(t, product, nil)
			re := riskV1Re
			if product == juhe.ProductV2 {
				re = riskV2Re
			}
			var hits, noHits, withCodes int
			for i := range 40 {
				res, body := e.callPerson(t, p, key1, i)
				score, codes, _, hit := juhesim.AnswerFor(pop, i, product)
				if len(res.Values) != len(p.Columns()) {
					t.Fatalf("person %d: %+v", i, res)
				}
				if !orderIDRe.MatchString(res.Values[colOrderID]) {
					t.Errorf("person %d: orderid %q", i, res.Values[colOrderID])
				}
				if res.Values[colIDFound] != "1" {
					t.Errorf("person %d: idFound %q for a known ID", i, res.Values[colIDFound])
				}
				if !hit {
					noHits++
					if res.Outcome != providers.NoHit || res.Values[colScore] != "" || res.Values[colFound] != "-1" || res.Values[colRisk] != "" {
						t.Errorf("person %d (no record): %+v", i, res)
					}
					continue
				}
				hits++
				if res.Outcome != providers.Hit || res.Values[colFound] != "1" {
					t.Fatalf("person %d: %+v (body %s)", i, res, body)
				}
				n, err := strconv.Atoi(res.Values[colScore])
				if err != nil || n < 0 || n > 100 || n != score {
					t.Errorf("person %d: score %q, want %d in 0..100", i, res.Values[colScore], score)
				}
				risk := res.Values[colRisk]
				switch {
				case n >= 40:
					withCodes++
					if !re.MatchString(risk) || strings.Count(risk, "; ")+1 != len(codes) {
						t.Errorf("person %d (score %d): risk_codes %q, want %d codes like %s", i, n, risk, len(codes), re)
					}
				case risk != "":
					t.Errorf("person %d (score %d): risk_codes %q, want none below 40", i, n, risk)
				}
			}
			if hits == 0 || noHits == 0 || withCodes == 0 {
				t.Errorf("40 people: %d hits (%d with risk codes), %d no-hits: the sample should show all three", hits, withCodes, noHits)
			}
		})
	}
}

// TestSimulatorStatistics checks the simulated database's shape: about 85%
// of the population is on record, and the score follows the latent risk.
func TestSimulatorStatistics(t *testing.T) {
	pop := sandbox.NewPopulation(1, providertest.Population)
	var hits int
	var lowSum, highSum, lowN, highN float64
	for i := range providertest.Population {
		score, codes, levels, hit := juhesim.AnswerFor(pop, i, juhe.ProductV2)
		if hit {
			hits++
		}
		if score < 0 || score > 100 {
			t.Fatalf("person %d: score %d", i, score)
		}
		if (score >= 40) != (len(codes) > 0) || len(codes) > 3 || len(levels) != len(codes) {
			t.Fatalf("person %d: score %d with codes %v levels %v", i, score, codes, levels)
		}
		for _, c := range codes {
			if !slices.Contains(juhe.RiskCodes(juhe.ProductV2), c) {
				t.Fatalf("person %d: queryV2 answer carries risk code %d", i, c)
			}
		}
		switch r := pop.Risk(i); {
		case r < 0.1:
			lowSum += float64(score)
			lowN++
		case r > 0.6:
			highSum += float64(score)
			highN++
		}
	}
	if rate := float64(hits) / providertest.Population; rate < 0.80 || rate > 0.90 {
		t.Errorf("hit rate %.3f, want about 0.85", rate)
	}
	if low, high := lowSum/lowN, highSum/highN; high-low < 30 {
		t.Errorf("mean score %.1f for low risk vs %.1f for high risk: the score should follow the latent risk", low, high)
	}
}

func TestOutsiders(t *testing.T) {
	e := newEnv(t)
	out := e.Person(providertest.Population + 5)
	in := providertest.FirstWhere(t, 0, func(i int) bool { return e.isHit(i, juhe.ProductV2) })
	for _, product := range []string{juhe.ProductV1, juhe.ProductV2} {
		p := e.provider(t, product, nil)
		t.Run(product+"/outsider", func(t *testing.T) {
			res, body := e.Call(t, p, key1, record(t, p, out.Name, out.IDCard, out.Mobile))
			if res.Outcome != providers.NoHit || res.Values[colScore] != "" || res.Values[colFound] != "-1" || res.Values[colIDFound] != "-1" || res.Values[colRisk] != "" {
				t.Fatalf("outsider: %+v", res)
			}
			// The wire carries the placeholder score; the result never does.
			var a struct {
				Result struct {
					RiskScore int `json:"riskScore"`
				} `json:"result"`
			}
			if err := json.Unmarshal(body, &a); err != nil {
				t.Fatal(err)
			}
			want := map[string]int{juhe.ProductV1: 99, juhe.ProductV2: -1}[product]
			if a.Result.RiskScore != want {
				t.Errorf("simulator no-hit riskScore %d, the document says %d", a.Result.RiskScore, want)
			}
		})
		t.Run(product+"/outsider_id_known_mobile", func(t *testing.T) {
			per := e.Person(in)
			res, _ := e.Call(t, p, key1, record(t, p, per.Name, out.IDCard, per.Mobile))
			if res.Values[colIDFound] != "-1" {
				t.Fatalf("outsider ID: idFound %q, want -1 (%+v)", res.Values[colIDFound], res)
			}
			if product == juhe.ProductV2 && (res.Outcome != providers.Hit || res.Values[colFound] != "1") {
				t.Errorf("known mobile: %+v, want a hit found by the mobile", res)
			}
		})
	}
}

// encodingCases are job options that must all yield the same answer.
var encodingCases = []struct {
	name string
	opts map[string]any
}{
	{"plain", nil},
	{"md5", map[string]any{"id_crypto": "md5", "phone_crypto": "md5"}},
	{"sha256", map[string]any{"id_crypto": "sha256", "phone_crypto": "sha256"}},
	{"sm3", map[string]any{"id_crypto": "sm3", "phone_crypto": "sm3"}},
	{"mixed", map[string]any{"id_crypto": "sm3", "phone_crypto": "md5", "name_crypto": "md5"}},
	{"name_md5", map[string]any{"name_crypto": "md5"}},
	{"no_name", map[string]any{"realname": false}},
	{"aes", map[string]any{"aes": true}},
	{"aes_md5", map[string]any{"aes": true, "id_crypto": "md5", "phone_crypto": "md5", "name_crypto": "md5"}},
	{"aes_sha256", map[string]any{"aes": true, "id_crypto": "sha256", "phone_crypto": "sha256"}},
	{"aes_sm3", map[string]any{"aes": true, "id_crypto": "sm3", "phone_crypto": "sm3"}},
}

func withOpts(base map[string]any, kv ...any) map[string]any {
	m := map[string]any{}
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func TestEncodingsEquivalent(t *testing.T) {
	e := newEnv(t)
	pop := e.Srv.Population()
	// A hit with risk codes under both products, a plain no-record member and an outsider.
	rich := providertest.FirstWhere(t, 0, func(i int) bool {
		s1, _, _, h1 := juhesim.AnswerFor(pop, i, juhe.ProductV1)
		s2, _, _, h2 := juhesim.AnswerFor(pop, i, juhe.ProductV2)
		return h1 && h2 && s1 >= 40 && s2 >= 40
	})
	miss := providertest.FirstWhere(t, 0, func(i int) bool { return !e.isHit(i, juhe.ProductV1) })
	for _, who := range []int{rich, miss, providertest.Population + 7} {
		per := e.Person(who)
		for _, product := range []string{juhe.ProductV1, juhe.ProductV2} {
			base, _ := e.callPerson(t, e.provider(t, product, nil), key1, who)
			if len(base.Values) == 0 {
				t.Fatalf("person %d %s: baseline %+v", who, product, base)
			}
			for _, method := range []string{"GET", "POST"} {
				for _, ec := range encodingCases {
					t.Run(fmt.Sprintf("%d/%s/%s/%s", who, product, method, ec.name), func(t *testing.T) {
						p := e.provider(t, product, withOpts(ec.opts, "method", method))
						rec := record(t, p, per.Name, per.IDCard, per.Mobile)
						res, body := e.Call(t, p, key1, rec)
						if res.Outcome != base.Outcome || !slices.Equal(res.Values[:colOrderID], base.Values[:colOrderID]) {
							t.Fatalf("got %s %q, plaintext POST gave %s %q (body %s)", res.Outcome, res.Values, base.Outcome, base.Values, body)
						}
						// orderid follows the request as sent: stable for an identical request.
						again, body2 := e.Call(t, p, key1, rec)
						if again.Values[colOrderID] != res.Values[colOrderID] || !bytes.Equal(body, body2) {
							t.Errorf("identical request: orderid %q then %q", res.Values[colOrderID], again.Values[colOrderID])
						}
					})
				}
			}
		}
	}
}

// TestLowercaseX: a trailing x is upper-cased before hashing, as the vendor
// expects, so a lower-case x finds the person under every digest.
func TestLowercaseX(t *testing.T) {
	e := newEnv(t)
	i := providertest.FirstWhere(t, 0, func(i int) bool { return strings.HasSuffix(e.Person(i).IDCard, "X") })
	per := e.Person(i)
	lower := strings.TrimSuffix(per.IDCard, "X") + "x"
	for _, d := range []string{"none", "md5", "sha256", "sm3"} {
		p := e.provider(t, juhe.ProductV2, map[string]any{"id_crypto": d})
		res, _ := e.Call(t, p, key1, record(t, p, per.Name, lower, per.Mobile))
		if res.Values[colIDFound] != "1" {
			t.Errorf("%s: lower-case x: %+v, want idFound 1", d, res)
		}
	}
}

// TestPreHashedInput: digests already in the file are passed through with
// the matching crypto type and find the same person.
func TestPreHashedInput(t *testing.T) {
	e := newEnv(t)
	i := providertest.FirstWhere(t, 0, func(i int) bool { return e.isHit(i, juhe.ProductV1) })
	per := e.Person(i)
	p := e.provider(t, juhe.ProductV1, nil)
	base, _ := e.callPerson(t, p, key1, i)
	for _, tc := range []struct {
		hashed64 string
		d        pii.Digest
	}{{"sha256", pii.MD5}, {"sha256", pii.SHA256}, {"sm3", pii.SM3}} {
		p := e.provider(t, juhe.ProductV1, map[string]any{"hashed_64": tc.hashed64})
		rec := record(t, p, pii.Hash(pii.MD5, per.Name), strings.ToUpper(pii.Hash(tc.d, per.IDCard)), pii.Hash(tc.d, per.Mobile))
		res, body := e.Call(t, p, key1, rec)
		if res.Outcome != base.Outcome || !slices.Equal(res.Values[:colOrderID], base.Values[:colOrderID]) {
			t.Errorf("pre-hashed %s: %+v, want %q (body %s)", tc.d, res, base.Values, body)
		}
	}
}

func TestCredentials(t *testing.T) {
	e := newEnvWith(t, sandbox.Config{Keys: map[string][]sandbox.KeySpec{"juhe": {
		{ID: "juhe-1", Credentials: key1.Credentials},
		{ID: "no-openid", Credentials: map[string]string{"key": "key-without-openid"}},
	}}})
	tests := []struct {
		name    string
		product string
		opts    map[string]any
		key     providers.Key
		outcome providers.Outcome
		code    string
	}{
		{"wrong key", juhe.ProductV1, nil, providers.Key{ID: "x", Credentials: map[string]string{"key": "not-a-key"}}, providers.Fatal, "10001"},
		{"wrong key GET", juhe.ProductV2, map[string]any{"method": "GET"}, providers.Key{ID: "x", Credentials: map[string]string{"key": "not-a-key"}}, providers.Fatal, "10001"},
		{"key not configured in this sandbox", juhe.ProductV2, nil, key2, providers.Fatal, "10001"},
		{"aes, simulator key without openid", juhe.ProductV2, map[string]any{"aes": true}, providers.Key{ID: "no-openid", Credentials: map[string]string{"key": "key-without-openid", "openid": "some-openid"}}, providers.Fatal, "10004"},
		{"aes, wrong openid", juhe.ProductV1, map[string]any{"aes": true}, providers.Key{ID: "juhe-1", Credentials: map[string]string{"key": key1.Credentials["key"], "openid": "sandbox-openid-2"}}, providers.Invalid, "237001"},
		{"aes, wrong openid, md5", juhe.ProductV2, map[string]any{"aes": true, "id_crypto": "md5", "phone_crypto": "md5"}, providers.Key{ID: "juhe-1", Credentials: map[string]string{"key": key1.Credentials["key"], "openid": "sandbox-openid-2"}}, providers.Invalid, "237001"},
		{"no aes, key without openid", juhe.ProductV1, nil, providers.Key{ID: "no-openid", Credentials: map[string]string{"key": "key-without-openid"}}, providers.Hit, "0"},
	}
	i := providertest.FirstWhere(t, 0, func(i int) bool { return e.isHit(i, juhe.ProductV1) })
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := e.provider(t, tc.product, tc.opts)
			res, body := e.callPerson(t, p, tc.key, i)
			if res.Outcome != tc.outcome || res.Code != tc.code {
				t.Fatalf("got %+v (body %s), want %s %s", res, body, tc.outcome, tc.code)
			}
		})
	}
	t.Run("aes without openid credential is not sent", func(t *testing.T) {
		p := e.provider(t, juhe.ProductV2, map[string]any{"aes": true})
		per := e.Person(i)
		req, err := p.Prepare(record(t, p, per.Name, per.IDCard, per.Mobile))
		if err != nil {
			t.Fatal(err)
		}
		k := providers.Key{ID: "juhe-1", Credentials: map[string]string{"key": "secret-appkey"}}
		_, err = p.NewHTTPRequest(t.Context(), k, req)
		if err == nil || !strings.Contains(err.Error(), "openid") || strings.Contains(err.Error(), "secret-appkey") {
			t.Fatalf("err = %v, want an openid error that does not echo the key", err)
		}
	})
}

func TestDailyQuota(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	day := time.Date(2025, 3, 14, 23, 59, 30, 0, shanghai)
	if err := e.Admin.SetClock(ctx, day); err != nil {
		t.Fatal(err)
	}
	if err := e.Admin.SetLimits(ctx, "juhe", sandbox.Limits{DailyQuota: 3}); err != nil {
		t.Fatal(err)
	}
	p := e.provider(t, juhe.ProductV2, nil)
	for n := range 3 {
		if res, _ := e.callPerson(t, p, key1, n); !res.Outcome.Final() {
			t.Fatalf("call %d within the quota: %+v", n+1, res)
		}
	}
	res, _ := e.callPerson(t, p, key1, 3)
	if res.Outcome != providers.Quota || res.Code != "10012" || res.Scope != providers.ScopeKey || res.Permanent {
		t.Fatalf("4th call: %+v, want quota 10012 for the key, not permanent", res)
	}
	if res, _ := e.callPerson(t, p, key2, 3); !res.Outcome.Final() {
		t.Fatalf("the other key's quota is its own: %+v", res)
	}
	if err := e.Admin.SetClock(ctx, time.Date(2025, 3, 15, 0, 0, 1, 0, shanghai)); err != nil {
		t.Fatal(err)
	}
	if res, _ := e.callPerson(t, p, key1, 3); !res.Outcome.Final() {
		t.Fatalf("after midnight Asia/Shanghai: %+v, want served again", res)
	}
	c, err := e.Admin.Counters(ctx, "juhe")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Keys["juhe/juhe-1"]; got.Calls != 5 || got.Billed != 4 {
		t.Errorf("counters %+v: want 5 calls, 4 billed", got)
	}
}

func TestDeterministic(t *testing.T) {
	for _, product := range []string{juhe.ProductV1, juhe.ProductV2} {
		for _, opts := range []map[string]any{nil, {"method": "GET", "aes": true, "id_crypto": "sm3"}} {
			e1, e2 := newEnv(t), newEnv(t) // a second sandbox with the same seed answers the same
			for _, i := range []int{0, 1, 2, 17, providertest.Population + 1} {
				r1, b1 := e1.callPerson(t, e1.provider(t, product, opts), key1, i)
				r2, b2 := e1.callPerson(t, e1.provider(t, product, opts), key1, i)
				r3, b3 := e2.callPerson(t, e2.provider(t, product, opts), key1, i)
				if !bytes.Equal(b1, b2) || !bytes.Equal(b1, b3) || !slices.Equal(r1.Values, r2.Values) || !slices.Equal(r1.Values, r3.Values) {
					t.Errorf("%s %v person %d: bodies differ:\n%s\n%s\n%s", product, opts, i, b1, b2, b3)
				}
			}
		}
	}
}

// TestSimRawRequests sends hand-made requests to check the simulator's own
// parameter validation, which a client bug would meet at the real service.
func TestSimRawRequests(t *testing.T) {
	e := newEnv(t)
	per := e.Person(3)
	k := key1.Credentials["key"]
	aesKey := juhe.AESKey(key1.Credentials["openid"])
	enc := func(s string) string {
		out, err := pii.AESECBEncrypt(aesKey, s)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	form := func(kv ...string) url.Values {
		v := url.Values{"key": {k}, "idcard": {per.IDCard}, "mobile": {per.Mobile}}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return v
	}
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		form        url.Values
		status      int
		code        int // error_code when status is 200
	}{
		{"plain ok", "POST", "query", "", form(), 200, 0},
		{"GET ok", "GET", "queryV2", "", form(), 200, 0},
		{"missing mobile", "POST", "query", "", form("mobile", ""), 200, 237001},
		{"missing idcard", "POST", "queryV2", "", form("idcard", ""), 200, 237001},
		{"missing key", "POST", "query", "", form("key", ""), 200, 10001},
		{"idCryptoType out of range", "POST", "query", "", form("idCryptoType", "4"), 200, 237001},
		{"nameCryptoType sha256 (md5 only)", "POST", "query", "", form("realname", pii.Hash(pii.SHA256, per.Name), "nameCryptoType", "2"), 200, 237001},
		{"md5 type, plaintext value", "POST", "query", "", form("idCryptoType", "1"), 200, 237001},
		{"md5 name, not hex", "POST", "query", "", form("realname", per.Name, "nameCryptoType", "1"), 200, 237001},
		{"md5 values, upper-case hex", "POST", "query", "", form("idcard", strings.ToUpper(pii.Hash(pii.MD5, per.IDCard)), "idCryptoType", "1"), 200, 0},
		{"aes ok via ency on query", "POST", "query", "", form("idcard", enc(per.IDCard), "mobile", enc(per.Mobile), "ency", "1"), 200, 0},
		{"aes ok via encyr on queryV2", "POST", "queryV2", "", form("idcard", enc(per.IDCard), "mobile", enc(per.Mobile), "encyr", "1"), 200, 0},
		{"encyr is not read by query", "POST", "query", "", form("idcard", enc(per.IDCard), "mobile", enc(per.Mobile), "encyr", "1"), 200, 237001},
		{"aes, not base64", "POST", "queryV2", "", form("idcard", "%%%", "ency", "1"), 200, 237001},
		{"aes flag, plaintext values", "POST", "queryV2", "", form("ency", "1"), 200, 237001},
		{"JSON body loses the form", "POST", "query", "application/json", form(), 200, 10001},
		{"PUT", "PUT", "query", "", form(), 405, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := e.endpoint(tc.path)
			var body io.Reader
			if tc.method == "GET" {
				u += "?" + tc.form.Encode()
			} else {
				body = strings.NewReader(tc.form.Encode())
			}
			req, err := http.NewRequestWithContext(t.Context(), tc.method, u, body)
			if err != nil {
				t.Fatal(err)
			}
			ct := tc.contentType
			if ct == "" {
				ct = "application/x-www-form-urlencoded"
			}
			if body != nil {
				req.Header.Set("Content-Type", ct)
			}
			resp, err := e.HC.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("HTTP %d, want %d (%s)", resp.StatusCode, tc.status, b)
			}
			if tc.status != 200 {
				return
			}
			var a struct {
				ErrorCode *int            `json:"error_code"`
				Result    json.RawMessage `json:"result"`
			}
			if err := json.Unmarshal(b, &a); err != nil || a.ErrorCode == nil {
				t.Fatalf("body %s: %v", b, err)
			}
			if *a.ErrorCode != tc.code {
				t.Fatalf("error_code %d, want %d (%s)", *a.ErrorCode, tc.code, b)
			}
			if tc.code != 0 && string(a.Result) != "null" {
				t.Errorf("error answer result %s, want null", a.Result)
			}
		})
	}
}

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
	got := juhe.ErrorCodes()
	slices.Sort(got)
	var want []int
	for c := range designJuhe {
		want = append(want, c)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("juhe.ErrorCodes() = %v, docs/providers.md lists %v", got, want)
	}
}

// TestForcedCodes forces every documented error_code through the simulator,
// once by key and once by identity, and checks the classification. The
// force is for one answer: the next call is served normally.
func TestForcedCodes(t *testing.T) {
	codes := juhe.ErrorCodes()
	slices.Sort(codes)
	e := newEnv(t) // shared: each force is consumed by its own subtest
	p := e.provider(t, juhe.ProductV2, nil)
	per := e.Person(3)
	for _, code := range codes {
		for _, by := range []string{"key", "identity"} {
			t.Run(strconv.Itoa(code)+"/"+by, func(t *testing.T) {
				before := e.Srv.Counters("juhe").Keys["juhe/juhe-1"]
				switch by {
				case "key":
					e.Srv.Force("juhe", key1.ID, "", strconv.Itoa(code), 1)
				case "identity":
					e.Srv.Force("juhe", "", per.IDCard, strconv.Itoa(code), 1)
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
				c := e.Srv.Counters("juhe")
				if got := c.Keys["juhe/juhe-1"]; got.Calls-before.Calls != 2 || got.Billed-before.Billed != 1 {
					t.Errorf("counters %+v → %+v: want 2 calls, 1 billed (errors are not billed)", before, got)
				}
			})
		}
	}
}

func TestForcedOtherIdentityUnaffected(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, juhe.ProductV1, nil)
	e.Srv.Force("juhe", "", e.Person(3).IDCard, "10014", 0)
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
	p := e.provider(t, juhe.ProductV1, nil)
	e.Srv.Force("juhe", key1.ID, "", "99999", 1)
	res, body := e.callPerson(t, p, key1, 3)
	if res.Outcome != providers.Transient || !res.Unknown || res.Code != "99999" {
		t.Fatalf("unknown code: got %+v (body %s)", res, body)
	}
}

func TestThrottled(t *testing.T) {
	e := newEnv(t)
	e.Srv.SetLimits("juhe", sandbox.Limits{QPS: 1, Burst: 1})
	p := e.provider(t, juhe.ProductV2, nil)
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
			p := e.provider(t, juhe.ProductV1, map[string]any{"method": "GET"})
			if res, _ := e.callPerson(t, p, key1, 3); !res.Outcome.Final() { // warm the lookup index
				t.Fatalf("warm-up call: %+v", res)
			}
			e.HC = &http.Client{Timeout: 300 * time.Millisecond}
			e.Srv.Force("juhe", key1.ID, "", fault, 0)
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
	p := e.provider(t, juhe.ProductV2, nil)
	for i := range 6 {
		if res, _ := e.callPerson(t, p, key1, i); res.Outcome != providers.Transient {
			t.Fatalf("call %d under faults: %+v", i, res)
		}
	}
}
