package accuauth

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/providertest"
)

// TestParse covers answers the simulator does not send (the HTTP statuses
// every client reads alike are in the conformance suite).
func TestParse(t *testing.T) {
	p, err := New(providers.Config{Endpoint: "https://cloudapi.indonesia.accuauth.com/check/risk_report"})
	if err != nil {
		t.Fatal(err)
	}
	// The document's example answer (conformance_test.go checks its reading)
	// with the report in an array, as public clients report it.
	doc, err := os.ReadFile(filepath.Join("testdata", "doc_risk_report.json"))
	if err != nil {
		t.Fatal(err)
	}
	docVals := []string{"1", "0.5", "3000", "3000", "3000", "3000", "21", "21", "21", "1", "0.5", "1", "0.5",
		"1", "3000", "3000", "3000", "3000", "21", "21", "21", "TID591cb9fb0e284cf296912a4d0ffea889"}
	var asArray string
	{
		var m map[string]json.RawMessage
		_ = json.Unmarshal(doc, &m)
		asArray = `{"status":"OK","result":[` + string(m["result"]) + `],"request_id":"TID591cb9fb0e284cf296912a4d0ffea889"}`
	}
	empty := make([]string, 22)
	empty[21] = "TIDx"
	ra := http.Header{"Retry-After": []string{"7"}}
	providertest.CheckParse(t, p, []providertest.ParseCase{
		{Name: "array result", Status: 200, Body: asArray, Outcome: providers.Hit, Code: "OK", Values: docVals},
		{Name: "empty array", Status: 200, Body: `{"status":"OK","result":[],"request_id":"TIDx"}`, Outcome: providers.NoHit, Code: "OK", Values: empty},
		{Name: "OK without result", Status: 200, Body: `{"status":"OK","request_id":"TIDx"}`, Outcome: providers.Transient, Code: "OK"},
		{Name: "string figures", Status: 200, Body: `{"status":"OK","result":{"past_overdue_num":"2"},"request_id":"TIDx"}`, Outcome: providers.Hit, Code: "OK",
			Values: append(append([]string{"2"}, make([]string, 20)...), "TIDx")},
		{Name: "rate limit with Retry-After", Status: 403, Header: ra, Body: `{"status":"RATE_LIMIT_EXCEEDED"}`, Outcome: providers.Throttled, Code: "RATE_LIMIT_EXCEEDED", RetryAfter: 7 * time.Second},
		{Name: "512 html", Status: 512, Body: `<html>busy</html>`, Outcome: providers.Transient, Code: "HTTP 512"},
		{Name: "other 5xx status", Status: 504, Body: `{"status":"GATEWAY_TIMEOUT"}`, Outcome: providers.Transient, Code: "GATEWAY_TIMEOUT"},
		{Name: "unknown 4xx status", Status: 400, Body: `{"status":"NEW_THING"}`, Outcome: providers.Transient, Code: "NEW_THING", Unknown: true},
	})
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
			_, err := p.Prepare(providertest.Row(t, p, c.cells))
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
		{"21-digit bankcard", "bankcard", "6222 0000 1111 2222 33333", "bankcard", "bankcard_format", ""}, // pii.BankCard: at most 20
		{"bad gaid", "gaid", "not-a-uuid", "gaid", "gaid_format", ""},
		{"bad email", "e-mail", "budi@localhost", "email", "email_format", "b***@localhost"},
	}
	body := func(cells map[string]string) (*providers.Request, string) {
		t.Helper()
		req, err := p.Prepare(providertest.Row(t, p, cells))
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
		req, err := p.Prepare(providertest.Row(t, p, cells))
		if err != nil {
			t.Fatalf("%v: %v", c.opts, err)
		}
		hreq, err := p.NewHTTPRequest(context.Background(), providers.Key{ID: "k", Credentials: map[string]string{"api_id": "id", "api_secret": "secret"}}, req)
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
	req, err := p.Prepare(providertest.Row(t, p, map[string]string{"mobile": strings.ToUpper(md5CC)}))
	if err != nil {
		t.Fatal(err)
	}
	if got := req.Payload.(payload).params; len(got) != 1 || got[0] != (param{"mobile_md5", md5CC}) {
		t.Errorf("pre-hashed mobile sent as %v", got)
	}
	// The same number written two ways is one lookup.
	r1, _ := p.Prepare(providertest.Row(t, p, map[string]string{"mobile": "+62 812-3456-7890"}))
	r2, _ := p.Prepare(providertest.Row(t, p, map[string]string{"mobile": "081234567890"}))
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
