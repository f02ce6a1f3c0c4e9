package zhicheng

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// The sandbox's default Zhicheng keys (Sim.DefaultKeys).
var (
	key1 = providers.Key{ID: "zc-1", Credentials: map[string]string{"user_name": "sandbox_testusr", "sign": "sandbox-zc-sign-1"}}
	key2 = providers.Key{ID: "zc-2", Credentials: map[string]string{"user_name": "sandbox2_testusr", "sign": "sandbox-zc-sign-2"}}
)

const testPopulation = 2000

// env is a sandbox served over loopback plus the HTTP client the tests use.
type env struct {
	srv   *sandbox.Server
	ts    *httptest.Server
	hc    *http.Client
	admin sandbox.Admin
}

func newEnv(t *testing.T) *env { return newEnvWith(t, sandbox.Config{}) }

// newEnvWith starts a sandbox (seed 1, population 2000 unless cfg says
// otherwise), closed when the test ends.
func newEnvWith(t *testing.T, cfg sandbox.Config) *env {
	t.Helper()
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.Population == 0 {
		cfg.Population = testPopulation
	}
	if cfg.Hang == 0 {
		cfg.Hang = 2 * time.Second
	}
	srv := sandbox.New(cfg)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	hc := &http.Client{Timeout: 20 * time.Second} // the first call builds the lookup index
	t.Cleanup(hc.CloseIdleConnections)
	return &env{srv: srv, ts: ts, hc: hc, admin: sandbox.Admin{BaseURL: ts.URL, Client: &http.Client{Timeout: 5 * time.Second}}}
}

func (e *env) endpoint() string { return e.ts.URL + "/submit" }

func (e *env) provider(t *testing.T, opts map[string]any) *Client {
	t.Helper()
	p, err := New(providers.Config{Name: "zhicheng", Endpoint: e.endpoint(), Options: opts})
	if err != nil {
		t.Fatalf("New(%v): %v", opts, err)
	}
	return p.(*Client)
}

func (e *env) person(i int) sandbox.Person { return e.srv.Population().Person(i) }

// row is an input row as header → value.
type row map[string]string

// record binds a row to the provider's inputs through its header names.
func record(t *testing.T, p providers.Provider, r row) providers.Record {
	t.Helper()
	header := make([]string, 0, len(r))
	for h := range r {
		header = append(header, h)
	}
	slices.Sort(header)
	vals := make([]string, len(header))
	for i, h := range header {
		vals[i] = r[h]
	}
	b, missing := providers.NewBinding(header, p.Inputs(), nil)
	if len(missing) > 0 {
		t.Fatalf("binding: missing %v", missing)
	}
	return providers.Record{Row: 1, Binding: b, Values: vals}
}

// personRow is population member i with the three required columns.
func (e *env) personRow(i int) row {
	per := e.person(i)
	return row{"姓名": per.Name, "身份证号": per.IDCard, "手机号": per.Mobile}
}

// call does Prepare → NewHTTPRequest → Do → read → Parse, mapping a
// transport error to Transient as the pipeline does.
func (e *env) call(t *testing.T, p providers.Provider, key providers.Key, r row) (providers.Result, []byte) {
	t.Helper()
	req, err := p.Prepare(record(t, p, r))
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	return e.send(t, p, key, req)
}

func (e *env) send(t *testing.T, p providers.Provider, key providers.Key, req *providers.Request) (providers.Result, []byte) {
	t.Helper()
	hreq, err := p.NewHTTPRequest(context.Background(), key, req)
	if err != nil {
		t.Fatalf("NewHTTPRequest: %v", err)
	}
	resp, err := e.hc.Do(hreq)
	if err != nil {
		code := "network"
		if errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err) {
			code = "timeout"
		}
		return providers.Result{Outcome: providers.Transient, Code: code, Message: err.Error()}, nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return providers.Result{Outcome: providers.Transient, Code: "network", Message: err.Error()}, nil
	}
	return p.Parse(resp.StatusCode, resp.Header, body), body
}

// post sends a raw request to path and returns status and body.
func (e *env) post(t *testing.T, method, path, ctype, body string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// form is a complete, valid request form for person per with key k.
func form(k providers.Key, params string) url.Values {
	return url.Values{
		"user_name": {k.Credentials["user_name"]}, "sign": {k.Credentials["sign"]},
		"api_name": {APIName}, "query_reason": {"LOAN_AUDIT"}, "params": {params},
	}
}

// postForm posts a form to /submit and parses the answer with p.
func (e *env) postForm(t *testing.T, p providers.Provider, f url.Values) (providers.Result, []byte) {
	t.Helper()
	status, h, body := e.post(t, http.MethodPost, "/submit", "application/x-www-form-urlencoded", f.Encode())
	return p.Parse(status, h, body), body
}

// firstWhere returns the first population index ≥ from satisfying ok.
func (e *env) firstWhere(t *testing.T, from int, ok func(i int) bool) int {
	t.Helper()
	for i := from; i < testPopulation; i++ {
		if ok(i) {
			return i
		}
	}
	t.Fatalf("no population member from %d satisfies the condition", from)
	return -1
}

// hitPerson and noRecordPerson pick population members by their standing.
func (e *env) hitPerson(t *testing.T, from int) int {
	return e.firstWhere(t, from, func(i int) bool { _, hit := Subject(e.srv.Population(), i); return hit })
}

func (e *env) noRecordPerson(t *testing.T) int {
	return e.firstWhere(t, 0, func(i int) bool { _, hit := Subject(e.srv.Population(), i); return !hit })
}

// value returns the named column of a result.
func value(t *testing.T, p *Client, res providers.Result, col string) string {
	t.Helper()
	for i, c := range p.Columns() {
		if c.Name == col {
			if i >= len(res.Values) {
				t.Fatalf("result has %d values, column %s is #%d", len(res.Values), col, i)
			}
			return res.Values[i]
		}
	}
	t.Fatalf("no column %s", col)
	return ""
}
