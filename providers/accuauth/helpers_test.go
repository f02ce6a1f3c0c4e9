package accuauth

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// The sandbox's default AccuAuth keys (Sim.DefaultKeys).
var (
	key1 = providers.Key{ID: "aa-1", Credentials: map[string]string{"api_id": "sandbox-aa-id-1", "api_secret": "sandbox-aa-secret-1"}}
	key2 = providers.Key{ID: "aa-2", Credentials: map[string]string{"api_id": "sandbox-aa-id-2", "api_secret": "sandbox-aa-secret-2"}}
)

const testPopulation = 2000

type env struct {
	srv   *sandbox.Server
	ts    *httptest.Server
	hc    *http.Client
	admin sandbox.Admin
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv := sandbox.New(sandbox.Config{Seed: 1, Population: testPopulation, Hang: 10 * time.Second})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	// Generous enough for -race on a loaded 2-core machine, well under Hang so
	// a "timeout" fault still ends in a client timeout.
	hc := &http.Client{Timeout: 2 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	return &env{srv: srv, ts: ts, hc: hc, admin: sandbox.Admin{BaseURL: ts.URL, Client: &http.Client{Timeout: 5 * time.Second}}}
}

func (e *env) endpoint() string { return e.ts.URL + Path }

func (e *env) provider(t *testing.T, opts map[string]any) providers.Provider {
	t.Helper()
	p, err := New(providers.Config{Name: "accuauth", Endpoint: e.endpoint(), Options: opts})
	if err != nil {
		t.Fatalf("New(%v): %v", opts, err)
	}
	return p
}

func (e *env) person(i int) sandbox.Person { return e.srv.Population().Person(i) }

// row builds a record from header → value (columns in sorted header order).
func row(t *testing.T, p providers.Provider, cells map[string]string) providers.Record {
	t.Helper()
	header := make([]string, 0, len(cells))
	for h := range cells {
		header = append(header, h)
	}
	sort.Strings(header)
	vals := make([]string, len(header))
	for i, h := range header {
		vals[i] = cells[h]
	}
	b, _ := providers.NewBinding(header, p.Inputs(), nil)
	return providers.Record{Row: 1, Binding: b, Values: vals}
}

// mobileRow is a row with population member i's mobile only.
func (e *env) mobileRow(t *testing.T, p providers.Provider, i int) providers.Record {
	return row(t, p, map[string]string{"no_hp": e.person(i).IDMobile})
}

// call does Prepare → NewHTTPRequest → Do → read body → Parse, mapping a
// transport error to Transient the way the pipeline does (with the URL
// redacted, as the pipeline's redactor does).
func (e *env) call(t *testing.T, p providers.Provider, key providers.Key, rec providers.Record) (providers.Result, []byte) {
	t.Helper()
	req, err := p.Prepare(rec)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	hreq, err := p.NewHTTPRequest(context.Background(), key, req)
	if err != nil {
		t.Fatalf("NewHTTPRequest: %v", err)
	}
	resp, err := e.hc.Do(hreq)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = "[redacted]"
		}
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

// raw sends a request the client would never build; headers default to key1.
func (e *env) raw(t *testing.T, method, path, ctype string, body []byte, hdr map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if hdr == nil {
		hdr = map[string]string{"X-DF-API-ID": "sandbox-aa-id-1", "X-DF-API-SECRET": "sandbox-aa-secret-1"}
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func firstWhere(t *testing.T, from int, ok func(i int) bool) int {
	t.Helper()
	for i := from; i < testPopulation; i++ {
		if ok(i) {
			return i
		}
	}
	t.Fatalf("no population member from %d satisfies the condition", from)
	return -1
}
