package juhe_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/juhe"
	"github.com/riskbatch/riskbatch/providers/juhe/juhesim"
	"github.com/riskbatch/riskbatch/providers/pii"
	"github.com/riskbatch/riskbatch/providers/providertest"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// The client against its simulator over loopback (providertest).

// key1 and key2 are the simulator's default keys.
var key1, key2 = providertest.KeyPair(juhesim.Sim{})

var shanghai = juhesim.Sim{}.Location() // Juhe's quota day

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
