// Package providertest is the test kit of the vendors' packages: a sandbox
// served over loopback with the HTTP client the tests call it with (Env),
// input rows bound through a provider's inputs (Row), and the conformance
// suite every vendor runs in one call from its external test package (Run).
// The caller imports the vendor's simulator (providers/<vendor>/<vendor>sim)
// so the sandbox serves it.
package providertest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// Population is the sandbox population of an Env unless its config says
// otherwise: small enough that the first call's lookup index is quick.
const Population = 2000

// Env is a sandbox served over loopback plus the HTTP client the tests call
// it with.
type Env struct {
	Srv   *sandbox.Server
	URL   string // the sandbox's base URL
	HC    *http.Client
	Admin sandbox.Admin
}

// NewEnv starts a sandbox (seed 1, population 2000, a "timeout" fault held
// 10s, unless cfg says otherwise); it is closed when the test ends. The
// client's 5s timeout is generous for -race on a loaded machine and well
// under the hang, so a "timeout" fault still ends in a client timeout.
func NewEnv(t testing.TB, cfg sandbox.Config) *Env {
	t.Helper()
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.Population == 0 {
		cfg.Population = Population
	}
	if cfg.Hang == 0 {
		cfg.Hang = 10 * time.Second
	}
	srv := sandbox.New(cfg)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	hc := &http.Client{Timeout: 5 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	return &Env{Srv: srv, URL: ts.URL, HC: hc, Admin: sandbox.Admin{BaseURL: ts.URL, Client: &http.Client{Timeout: 5 * time.Second}}}
}

// Person is population member i (i ≥ the population size: an outsider).
func (e *Env) Person(i int) sandbox.Person { return e.Srv.Population().Person(i) }

// Provider builds a provider of kind at path on the sandbox with opts.
func (e *Env) Provider(t testing.TB, kind, path string, opts map[string]any) providers.Provider {
	t.Helper()
	spec, ok := providers.Lookup(kind)
	if !ok {
		t.Fatalf("provider kind %q is not registered", kind)
	}
	p, err := spec.New(providers.Config{Name: kind, Endpoint: e.URL + path, Options: opts})
	if err != nil {
		t.Fatalf("New(%s, %v): %v", kind, opts, err)
	}
	return p
}

// FirstWhere returns the first population index ≥ from (below Population)
// satisfying ok.
func FirstWhere(t testing.TB, from int, ok func(i int) bool) int {
	t.Helper()
	for i := from; i < Population; i++ {
		if ok(i) {
			return i
		}
	}
	t.Fatalf("no population member from %d satisfies the condition", from)
	return -1
}

// Row binds cells (header → value) to p's inputs, columns in sorted header
// order. A required input without a column is left for Prepare to report.
func Row(t testing.TB, p providers.Provider, cells map[string]string) providers.Record {
	t.Helper()
	header := make([]string, 0, len(cells))
	for h := range cells {
		header = append(header, h)
	}
	slices.Sort(header)
	vals := make([]string, len(header))
	for i, h := range header {
		vals[i] = cells[h]
	}
	b, _ := providers.NewBinding(header, p.Inputs(), nil)
	return providers.Record{Row: 1, Binding: b, Values: vals}
}

// Call does Prepare → NewHTTPRequest → Do → read → Parse on rec and returns
// the result and the raw body.
func (e *Env) Call(t testing.TB, p providers.Provider, key providers.Key, rec providers.Record) (providers.Result, []byte) {
	t.Helper()
	req, err := p.Prepare(rec)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	return e.Send(t, p, key, req)
}

// Send sends a prepared request and parses the answer. A transport error
// becomes a Transient "timeout" or "network" result with the URL redacted
// (it may hold credentials), the way the pipeline maps and redacts it.
func (e *Env) Send(t testing.TB, p providers.Provider, key providers.Key, req *providers.Request) (providers.Result, []byte) {
	t.Helper()
	res, _, body := e.exchange(t, p, key, req)
	return res, body
}

// exchange is Send that also returns the answer's HTTP status (0 when
// there was none).
func (e *Env) exchange(t testing.TB, p providers.Provider, key providers.Key, req *providers.Request) (providers.Result, int, []byte) {
	t.Helper()
	hreq, err := p.NewHTTPRequest(context.Background(), key, req)
	if err != nil {
		t.Fatalf("NewHTTPRequest: %v", err)
	}
	resp, err := e.HC.Do(hreq)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = "[redacted]"
		}
		code := "network"
		if errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err) {
			code = "timeout"
		}
		return providers.Result{Outcome: providers.Transient, Code: code, Message: err.Error()}, 0, nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return providers.Result{Outcome: providers.Transient, Code: "network", Message: err.Error()}, resp.StatusCode, nil
	}
	return p.Parse(resp.StatusCode, resp.Header, body), resp.StatusCode, body
}

// Raw sends a request the client would never build (path may carry a
// query) and returns the answer's status, header and body.
func (e *Env) Raw(t testing.TB, method, path, ctype string, body []byte, header http.Header) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := e.HC.Do(req)
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

// Value returns the named result column of res.
func Value(t testing.TB, p providers.Provider, res providers.Result, col string) string {
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

// KeyPair is the first two of Keys, the two keys a vendor's tests call with.
func KeyPair(v sandbox.Vendor) (providers.Key, providers.Key) {
	ks := Keys(v)
	return ks[0], ks[1]
}

// Keys are the keys a simulator accepts by default, as the client takes them.
func Keys(v sandbox.Vendor) []providers.Key {
	var out []providers.Key
	for _, k := range v.DefaultKeys() {
		out = append(out, providers.Key{ID: k.ID, Credentials: k.Credentials})
	}
	return out
}
