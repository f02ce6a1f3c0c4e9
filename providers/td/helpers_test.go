package td

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

// The sandbox's default TD keys (Sim.DefaultKeys).
var (
	key1 = providers.Key{ID: "td-1", Credentials: map[string]string{"partner_code": "sandbox", "partner_key": "sandbox-td-key-1"}}
	key2 = providers.Key{ID: "td-2", Credentials: map[string]string{"partner_code": "sandbox", "partner_key": "sandbox-td-key-2"}}
)

const testPopulation = 2000

// env is a sandbox served over loopback plus the HTTP client the tests use.
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

// provider builds a TD provider against the sandbox; opts default to
// channel "test" and event marketing.
func (e *env) provider(t *testing.T, opts map[string]any) providers.Provider {
	t.Helper()
	if opts == nil {
		opts = map[string]any{"channel": "test", "decision_event": "marketing"}
	}
	p, err := New(providers.Config{Name: "td", Endpoint: e.endpoint(), Options: opts})
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

// eventRow is a marketing event of population member i (account, IP, device).
func (e *env) eventRow(t *testing.T, p providers.Provider, i int) providers.Record {
	per := e.person(i)
	return row(t, p, map[string]string{
		"account_id": per.AccountID, "ip": per.IP, "black_box": per.BlackBox,
		"event_time": "2024-05-06 07:08:09", "session_id": "s-1",
	})
}

// call does Prepare → NewHTTPRequest → Do → read body → Parse, mapping a
// transport error to Transient the way the pipeline does.
func (e *env) call(t *testing.T, p providers.Provider, key providers.Key, rec providers.Record) (providers.Result, []byte) {
	t.Helper()
	req, err := p.Prepare(rec)
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
		// The pipeline redacts transport errors (Go's *url.Error prints the
		// URL, which holds partner_key); do the same here.
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

// raw posts body to the simulator with a content type and query, for wire
// checks the client never produces.
func (e *env) raw(t *testing.T, method, path, query, ctype string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path+"?"+query, bytes.NewReader(body))
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
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

const goodQuery = "partner_code=sandbox&partner_key=sandbox-td-key-1"

// firstWhere returns the first population index ≥ from satisfying ok.
func firstWhere(t *testing.T, pop *sandbox.Population, from int, ok func(i int) bool) int {
	t.Helper()
	for i := from; i < testPopulation; i++ {
		if ok(i) {
			return i
		}
	}
	t.Fatalf("no population member from %d satisfies the condition", from)
	return -1
}
