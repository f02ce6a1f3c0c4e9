package juhe

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// The sandbox's default Juhe keys (Sim.DefaultKeys).
var (
	key1 = providers.Key{ID: "juhe-1", Credentials: map[string]string{"key": "sandbox-juhe-key-1", "openid": "sandbox-openid-1"}}
	key2 = providers.Key{ID: "juhe-2", Credentials: map[string]string{"key": "sandbox-juhe-key-2", "openid": "sandbox-openid-2"}}
)

const testPopulation = 2000

// env is a sandbox served over loopback plus the HTTP client the tests call it with.
type env struct {
	srv   *sandbox.Server
	ts    *httptest.Server
	hc    *http.Client
	admin sandbox.Admin
}

func newEnv(t *testing.T) *env { return newEnvWith(t, sandbox.Config{}) }

// newEnvWith starts a sandbox (seed 1, population 2000 unless cfg says
// otherwise); it is closed when the test ends.
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
	// Generous: the first call builds the population's lookup index. The
	// timeout test swaps in a 300ms client.
	hc := &http.Client{Timeout: 20 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	return &env{srv: srv, ts: ts, hc: hc, admin: sandbox.Admin{BaseURL: ts.URL, Client: &http.Client{Timeout: 5 * time.Second}}}
}

func (e *env) endpoint(product string) string { return e.ts.URL + "/anti_fraud/" + product }

// provider builds a Juhe provider for product against the sandbox.
func (e *env) provider(t *testing.T, product string, opts map[string]any) providers.Provider {
	t.Helper()
	p, err := New(providers.Config{Name: "juhe", Endpoint: e.endpoint(product), Options: opts})
	if err != nil {
		t.Fatalf("New(%s, %v): %v", product, opts, err)
	}
	return p
}

// person returns population member i (i ≥ testPopulation: an outsider).
func (e *env) person(i int) sandbox.Person { return e.srv.Population().Person(i) }

var inputHeader = []string{"姓名", "身份证号", "手机号"}

// record is an input row with name, ID number and mobile columns.
func record(t *testing.T, p providers.Provider, name, id, mobile string) providers.Record {
	t.Helper()
	b, missing := providers.NewBinding(inputHeader, p.Inputs(), nil)
	if len(missing) > 0 {
		t.Fatalf("binding: missing %v", missing)
	}
	return providers.Record{Row: 1, Binding: b, Values: []string{name, id, mobile}}
}

// call does Prepare → NewHTTPRequest → Do → Parse, mapping a transport
// error to Transient the way the pipeline does. It returns the raw body.
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

// callPerson calls for population member i with all three fields.
func (e *env) callPerson(t *testing.T, p providers.Provider, key providers.Key, i int) (providers.Result, []byte) {
	t.Helper()
	per := e.person(i)
	return e.call(t, p, key, record(t, p, per.Name, per.IDCard, per.Mobile))
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

// isHit reports whether the simulator answers person i with a hit.
func (e *env) isHit(i int, product string) bool {
	_, _, _, hit := answerFor(e.srv.Population(), i, product)
	return hit
}
