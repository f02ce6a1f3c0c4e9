package providertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// Vendor describes one vendor to the conformance suite (Run): how to call
// it, and what its document says its answers mean. The tables are written
// in the vendor's test from the document and docs/providers.md, never read
// from the client's own tables: the simulator shares code with the client,
// so only an independent statement of the document catches a misreading.
type Vendor struct {
	Kind    string         // the provider kind, also the simulator's name
	Path    string         // the API's path on the sandbox
	Options map[string]any // provider options of the suite's calls
	Sim     sandbox.Vendor // the simulator; the suite calls with its default keys
	// Row is population member per's input row (header → value).
	Row func(per sandbox.Person) map[string]string
	// Identity is what the simulator counts and forces member per by.
	Identity func(per sandbox.Person) string
	// Hit reports whether the simulator answers member i with a billed hit;
	// the suite calls about the first such member.
	Hit func(pop *sandbox.Population, i int) bool

	// Codes is the vendor's code table. Every code but a hit's is forced
	// through the simulator, by key and by identity, and the client's
	// result checked; a hit's code forced is an ordinary answer.
	Codes []Code
	// ClientCodes is the client's own list of the codes it knows; it must
	// be exactly Codes'.
	ClientCodes []string
	// Unknown is a code the document does not list.
	Unknown string
	// Throttled is the answer to a call over the key's QPS: its code
	// ("HTTP 429" where the document defines none and the sandbox answers
	// HTTP 429) and whether it says how long to wait.
	Throttled        string
	ThrottledWaitFor bool
	// Quota is the code of a call over the key's daily quota.
	Quota string
	// BadKeys are credentials the simulator refuses, each with the
	// vendor's code for it.
	BadKeys []BadKey
	// Faults overrides the expected result of an injected HTTP fault by
	// kind (http_500, http_502, http_503, malformed, reset, timeout,
	// http_429); the others are the generic reading (faultWant).
	Faults map[string]Fault

	// Encodings are option sets (merged over Options) under which the same
	// member's answer must read the same in the Compare columns.
	Encodings []Encoding
	Compare   []string

	// DocAnswers are the document's example answers (files in testdata/)
	// and what the document says they carry; DocRequests its example
	// requests and the input row that must produce them.
	DocAnswers  []DocAnswer
	DocRequests []DocRequest
}

// Code is one row of a vendor's code table.
type Code struct {
	Code      string
	Outcome   providers.Outcome
	Scope     providers.Scope
	Permanent bool
	// Pause is the least RetryAfter the answer asks for (zero: none).
	Pause           time.Duration
	IdentityBackoff bool
	ParamsRejected  bool
	// Message is the document's wording of the code when the client shows
	// it (empty: any non-empty message).
	Message string
	// HTTP is the HTTP status the document gives the answer (0: not checked).
	HTTP int
}

// BadKey is a key the vendor refuses and the code it answers.
type BadKey struct {
	Name string
	Key  providers.Key
	Code string
}

// Fault is the expected reading of an injected fault.
type Fault struct {
	Outcome    providers.Outcome
	Code       string
	RetryAfter time.Duration
}

// Encoding is a named option set.
type Encoding struct {
	Name    string
	Options map[string]any
}

// DocAnswer is an example answer of the document.
type DocAnswer struct {
	File    string // in testdata/, as the document prints it
	Status  int    // the HTTP status the document gives it (200 when it says none)
	Outcome providers.Outcome
	Code    string
	// Values are result columns and the values the example shows for them;
	// a column not named must be empty.
	Values map[string]string
}

// DocRequest is an example request of the document.
type DocRequest struct {
	File string // in testdata/: the body, or the query string of a GET
	// Options are merged over the Vendor's; Row is the input row holding
	// the example's values; Key the key whose credentials the example shows.
	Options map[string]any
	Row     map[string]string
	Key     providers.Key
	// Decode reads the example and the client's request the same way into
	// flat fields (FormFields, JSONFields).
	Decode func(raw []byte) (map[string]string, error)
	// Differ names the fields the client sends otherwise than the example,
	// each with why; every other field of the example must be sent as shown.
	Differ map[string]string
}

// Run runs the conformance suite for v: the code table (forced through
// the simulator), unknown codes, refused keys, HTTP statuses and faults,
// throttling and quotas, determinism, encodings, and the document's
// examples.
func Run(t *testing.T, v Vendor) {
	t.Helper()
	t.Run("CodeTable", func(t *testing.T) { codeTable(t, v) })
	t.Run("ForcedCodes", func(t *testing.T) { forcedCodes(t, v) })
	t.Run("UnknownCode", func(t *testing.T) { unknownCode(t, v) })
	t.Run("BadKeys", func(t *testing.T) { badKeys(t, v) })
	t.Run("HTTPStatuses", func(t *testing.T) { httpStatuses(t, v) })
	t.Run("HTTPFaults", func(t *testing.T) { httpFaults(t, v) })
	t.Run("InjectedFaults", func(t *testing.T) { injectedFaults(t, v) })
	t.Run("Throttled", func(t *testing.T) { throttled(t, v) })
	t.Run("DailyQuota", func(t *testing.T) { dailyQuota(t, v) })
	t.Run("Deterministic", func(t *testing.T) { deterministic(t, v) })
	t.Run("Encodings", func(t *testing.T) { encodings(t, v) })
	t.Run("DocAnswers", func(t *testing.T) { docAnswers(t, v) })
	t.Run("DocRequests", func(t *testing.T) { docRequests(t, v) })
}

// call is the vendor's call about population member i with key k.
func (v Vendor) call(t *testing.T, e *Env, p providers.Provider, k providers.Key, i int) (providers.Result, []byte) {
	t.Helper()
	return e.Call(t, p, k, Row(t, p, v.Row(e.Person(i))))
}

func (v Vendor) provider(t *testing.T, e *Env, extra map[string]any) providers.Provider {
	t.Helper()
	opts := maps.Clone(v.Options)
	if opts == nil {
		opts = map[string]any{}
	}
	maps.Copy(opts, extra)
	return e.Provider(t, v.Kind, v.Path, opts)
}

// start is a fresh sandbox, the vendor's provider on it and the first
// member answered with a hit.
func (v Vendor) start(t *testing.T) (*Env, providers.Provider, int) {
	t.Helper()
	e := NewEnv(t, sandbox.Config{})
	return e, v.provider(t, e, nil), v.hitPerson(t, e)
}

// warm is start plus one call about the member, which builds the
// simulator's lookup index before anything is timed or limited.
func (v Vendor) warm(t *testing.T, k providers.Key) (*Env, providers.Provider, int) {
	t.Helper()
	e, p, i := v.start(t)
	if res, body := v.call(t, e, p, k, i); res.Outcome != providers.Hit {
		t.Fatalf("warm-up call: %+v (body %s)", res, body)
	}
	return e, p, i
}

// hitPerson is the first member the simulator answers with a hit.
func (v Vendor) hitPerson(t *testing.T, e *Env) int {
	t.Helper()
	return FirstWhere(t, 0, func(i int) bool { return v.Hit(e.Srv.Population(), i) })
}

// keys are the simulator's first two default keys.
func (v Vendor) keys() (providers.Key, providers.Key) { return KeyPair(v.Sim) }

func codeTable(t *testing.T, v Vendor) {
	var want []string
	for _, c := range v.Codes {
		want = append(want, c.Code)
	}
	slices.Sort(want)
	got := slices.Sorted(slices.Values(v.ClientCodes))
	if !slices.Equal(got, want) {
		t.Fatalf("the client knows codes %v; the document lists %v", got, want)
	}
}

func forcedCodes(t *testing.T, v Vendor) {
	k1, _ := v.keys()
	for _, c := range v.Codes {
		for _, by := range []string{"key", "identity"} {
			t.Run(c.Code+"/"+by, func(t *testing.T) {
				// A sandbox each: a vendor may refuse the same lookup
				// repeated too often, and the counters start at zero.
				e, p, i := v.start(t)
				if by == "key" {
					e.Srv.Force(v.Kind, k1.ID, "", c.Code, 1)
				} else {
					e.Srv.Force(v.Kind, "", v.Identity(e.Person(i)), c.Code, 1)
				}
				req, err := p.Prepare(Row(t, p, v.Row(e.Person(i))))
				if err != nil {
					t.Fatalf("Prepare: %v", err)
				}
				res, status, body := e.exchange(t, p, k1, req)
				if c.HTTP != 0 && status != c.HTTP {
					t.Errorf("forced %s: HTTP %d, the document says %d", c.Code, status, c.HTTP)
				}
				if c.Outcome == providers.Hit {
					// The success code forced is an ordinary answer.
					if res.Outcome != providers.Hit || res.Code != c.Code {
						t.Fatalf("forced %s: %+v (body %s), want an ordinary hit", c.Code, res, body)
					}
					return
				}
				checkCode(t, p, c, res, body)
				// The force was for one answer: the next is served, and
				// only it is billed.
				if res, body := v.call(t, e, p, k1, i); res.Outcome != providers.Hit {
					t.Fatalf("after the forced answer: %+v (body %s), want a hit", res, body)
				}
				got := e.Srv.Counters(v.Kind).Keys[v.Kind+"/"+k1.ID]
				if got.Calls != 2 || got.Billed != 1 {
					t.Errorf("counters %+v: want 2 calls, 1 billed (a %s answer is not billed)", got, c.Code)
				}
			})
		}
	}
}

// checkCode checks a result against its row of the code table.
func checkCode(t *testing.T, p providers.Provider, c Code, res providers.Result, body []byte) {
	t.Helper()
	if res.Outcome != c.Outcome || res.Code != c.Code || res.Scope != c.Scope || res.Permanent != c.Permanent || res.Unknown ||
		res.IdentityBackoff != c.IdentityBackoff || res.ParamsRejected != c.ParamsRejected {
		t.Fatalf("code %s: got %+v, want %+v (body %s)", c.Code, res, c, body)
	}
	switch {
	case c.Pause > 0 && res.RetryAfter < c.Pause:
		t.Errorf("code %s: RetryAfter %v, want at least %v", c.Code, res.RetryAfter, c.Pause)
	case c.Pause == 0 && res.RetryAfter != 0:
		t.Errorf("code %s: RetryAfter %v, want none", c.Code, res.RetryAfter)
	}
	if c.Outcome == providers.NoHit {
		if len(res.Values) != len(p.Columns()) {
			t.Errorf("code %s: %d values for %d columns", c.Code, len(res.Values), len(p.Columns()))
		}
	} else if res.Values != nil {
		t.Errorf("code %s: an error answer has values %q", c.Code, res.Values)
	}
	if res.Message == "" || c.Message != "" && res.Message != c.Message {
		t.Errorf("code %s: message %q, want %q", c.Code, res.Message, c.Message)
	}
}

func unknownCode(t *testing.T, v Vendor) {
	k1, _ := v.keys()
	e, p, a := v.start(t)
	b := FirstWhere(t, a+1, func(i int) bool { return v.Hit(e.Srv.Population(), i) })
	e.Srv.Force(v.Kind, k1.ID, "", v.Unknown, 1)
	res, body := v.call(t, e, p, k1, a)
	if res.Outcome != providers.Transient || !res.Unknown || res.Code != v.Unknown {
		t.Fatalf("undocumented code %s: %+v (body %s), want transient, unknown", v.Unknown, res, body)
	}
	// Forced by identity until reset (count 0): that identity only.
	e.Srv.Force(v.Kind, "", v.Identity(e.Person(a)), v.Unknown, 0)
	if res, body := v.call(t, e, p, k1, b); res.Outcome != providers.Hit {
		t.Fatalf("another identity: %+v (body %s), want its hit", res, body)
	}
	for range 2 {
		if res, body := v.call(t, e, p, k1, a); res.Code != v.Unknown {
			t.Fatalf("the forced identity: %+v (body %s), want %s again", res, body, v.Unknown)
		}
	}
}

// badKeys: a refused key is fatal, its answer and message show none of its
// credentials, and the sandbox counts no call (the vendor did not serve it).
func badKeys(t *testing.T, v Vendor) {
	e, p, i := v.start(t)
	for _, b := range v.BadKeys {
		t.Run(b.Name, func(t *testing.T) {
			res, body := v.call(t, e, p, b.Key, i)
			if res.Outcome != providers.Fatal || res.Code != b.Code {
				t.Fatalf("got %+v (body %s), want fatal %s", res, body, b.Code)
			}
			for _, secret := range b.Key.Credentials {
				if strings.Contains(res.Message, secret) || bytes.Contains(body, []byte(secret)) {
					t.Errorf("a credential shows: message %q, body %s", res.Message, body)
				}
			}
		})
	}
	if c := e.Srv.Counters(v.Kind); len(c.Keys) != 0 {
		t.Errorf("refused calls were counted: %+v", c.Keys)
	}
}

// faultWant is how the client must read each injected fault unless the
// vendor says otherwise: server errors and transport failures are
// transient, HTTP 429 is throttling with the sandbox's Retry-After: 1.
func faultWant(kind string) Fault {
	switch kind {
	case "http_500", "http_502", "http_503":
		return Fault{providers.Transient, "HTTP " + strings.TrimPrefix(kind, "http_"), 0}
	case "malformed":
		return Fault{providers.Transient, "HTTP 200", 0}
	case "reset":
		return Fault{providers.Transient, "network", 0}
	case "timeout":
		return Fault{providers.Transient, "timeout", 0}
	case "http_429":
		return Fault{providers.Throttled, "HTTP 429", time.Second}
	}
	panic("providertest: unknown fault " + kind)
}

func httpFaults(t *testing.T, v Vendor) {
	k1, _ := v.keys()
	e, p, i := v.warm(t, k1)
	for _, kind := range []string{"http_500", "http_502", "http_503", "malformed", "reset", "timeout", "http_429"} {
		t.Run(kind, func(t *testing.T) {
			want, ok := v.Faults[kind]
			if !ok {
				want = faultWant(kind)
			}
			ce := e
			if kind == "timeout" {
				// The client gives up long before the sandbox's 10s hang.
				short := *e
				short.HC = &http.Client{Timeout: time.Second}
				t.Cleanup(short.HC.CloseIdleConnections)
				ce = &short
			}
			e.Srv.Force(v.Kind, k1.ID, "", kind, 1)
			res, body := v.call(t, ce, p, k1, i)
			if res.Outcome != want.Outcome || res.Code != want.Code || res.RetryAfter != want.RetryAfter || res.Unknown {
				t.Fatalf("%s: got %+v (body %q), want %+v", kind, res, body, want)
			}
			for _, secret := range k1.Credentials {
				if strings.Contains(res.Message, secret) {
					t.Errorf("%s: the message shows a credential: %s", kind, res.Message)
				}
			}
		})
	}
}

func injectedFaults(t *testing.T, v Vendor) {
	k1, _ := v.keys()
	e := NewEnv(t, sandbox.Config{Faults: sandbox.Faults{Rate: 1, Kinds: []string{"http_500", "http_503", "malformed"}}})
	p := v.provider(t, e, nil)
	for i := range 6 {
		if res, body := v.call(t, e, p, k1, i); res.Outcome != providers.Transient {
			t.Fatalf("call %d with every answer faulty: %+v (body %q), want transient", i, res, body)
		}
	}
}

func throttled(t *testing.T, v Vendor) {
	k1, k2 := v.keys()
	e, p, i := v.warm(t, k1)
	e.Srv.SetLimits(v.Kind, sandbox.Limits{QPS: 0.01, Burst: 1})
	if res, body := v.call(t, e, p, k1, i); res.Outcome != providers.Hit {
		t.Fatalf("first call within the limit: %+v (body %s)", res, body)
	}
	res, body := v.call(t, e, p, k1, i)
	if res.Outcome != providers.Throttled || res.Code != v.Throttled || (res.RetryAfter >= time.Second) != v.ThrottledWaitFor {
		t.Fatalf("second call over 0.01 QPS: %+v (body %s), want throttled %s (a wait given: %v)", res, body, v.Throttled, v.ThrottledWaitFor)
	}
	if res, body := v.call(t, e, p, k2, i); res.Outcome != providers.Hit {
		t.Fatalf("the other key has its own limit: %+v (body %s)", res, body)
	}
}

func dailyQuota(t *testing.T, v Vendor) {
	k1, k2 := v.keys()
	e, p, i := v.start(t)
	ctx := context.Background()
	loc := v.Sim.Location()
	day := time.Date(2025, 3, 1, 10, 0, 0, 0, loc)
	clock := func(now time.Time) {
		t.Helper()
		if err := e.Admin.SetClock(ctx, now); err != nil {
			t.Fatal(err)
		}
	}
	clock(day)
	e.Srv.SetLimits(v.Kind, sandbox.Limits{DailyQuota: 2})
	for n := range 2 {
		if res, body := v.call(t, e, p, k1, i); res.Outcome != providers.Hit {
			t.Fatalf("call %d within the quota: %+v (body %s)", n+1, res, body)
		}
	}
	over := func(when string) {
		t.Helper()
		res, body := v.call(t, e, p, k1, i)
		if res.Outcome != providers.Quota || res.Code != v.Quota || res.Permanent || res.Scope != providers.ScopeKey {
			t.Fatalf("%s: %+v (body %s), want the key's daily quota %s", when, res, body, v.Quota)
		}
	}
	over("third call")
	if res, body := v.call(t, e, p, k2, i); res.Outcome != providers.Hit {
		t.Fatalf("the other key's quota is its own: %+v (body %s)", res, body)
	}
	// The quota day is the vendor's (Sim.Location).
	clock(time.Date(2025, 3, 1, 23, 59, 30, 0, loc))
	over("23:59:30 the same day, " + loc.String())
	clock(time.Date(2025, 3, 2, 0, 0, 30, 0, loc))
	if res, body := v.call(t, e, p, k1, i); res.Outcome != providers.Hit {
		t.Fatalf("after midnight %s: %+v (body %s), want served again", loc, res, body)
	}
}

// deterministic: the same request gets the same answer, byte for byte,
// again and from a second sandbox with the same seed, under every encoding.
func deterministic(t *testing.T, v Vendor) {
	k1, _ := v.keys()
	e1, e2 := NewEnv(t, sandbox.Config{}), NewEnv(t, sandbox.Config{})
	for _, enc := range append([]Encoding{{Name: "plain"}}, v.Encodings...) {
		p1, p2 := v.provider(t, e1, enc.Options), v.provider(t, e2, enc.Options)
		for _, i := range []int{v.hitPerson(t, e1), 1, 17, Population + 1} {
			r1, b1 := v.call(t, e1, p1, k1, i)
			r2, b2 := v.call(t, e1, p1, k1, i)
			r3, b3 := v.call(t, e2, p2, k1, i)
			if !bytes.Equal(b1, b2) || !bytes.Equal(b1, b3) || !slices.Equal(r1.Values, r2.Values) || !slices.Equal(r1.Values, r3.Values) {
				t.Errorf("%s, member %d: the same request answered differently:\n%s\n%s\n%s", enc.Name, i, b1, b2, b3)
			}
		}
	}
}

func encodings(t *testing.T, v Vendor) {
	if len(v.Encodings) == 0 {
		return
	}
	k1, _ := v.keys()
	e := NewEnv(t, sandbox.Config{})
	base := v.provider(t, e, nil)
	for _, i := range []int{v.hitPerson(t, e), FirstWhere(t, 0, func(i int) bool { return !v.Hit(e.Srv.Population(), i) }), Population + 7} {
		want, _ := v.call(t, e, base, k1, i)
		for _, enc := range v.Encodings {
			t.Run(fmt.Sprintf("%d/%s", i, enc.Name), func(t *testing.T) {
				p := v.provider(t, e, enc.Options)
				got, body := v.call(t, e, p, k1, i)
				if got.Outcome != want.Outcome {
					t.Fatalf("%s, the plain request %s (body %s)", got.Outcome, want.Outcome, body)
				}
				for _, col := range v.Compare {
					if g, w := Value(t, p, got, col), Value(t, base, want, col); g != w {
						t.Errorf("%s %q, the plain request %q", col, g, w)
					}
				}
			})
		}
	}
}

func docAnswers(t *testing.T, v Vendor) {
	e := NewEnv(t, sandbox.Config{})
	p := v.provider(t, e, nil)
	for _, d := range v.DocAnswers {
		t.Run(d.File, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", d.File))
			if err != nil {
				t.Fatal(err)
			}
			res := p.Parse(d.Status, nil, body)
			if res.Outcome != d.Outcome || res.Code != d.Code {
				t.Fatalf("got %s %q (%s), the document says %s %q", res.Outcome, res.Code, res.Message, d.Outcome, d.Code)
			}
			if d.Values == nil {
				if res.Values != nil {
					t.Errorf("values %q, want none", res.Values)
				}
				return
			}
			for _, c := range p.Columns() {
				if got, want := Value(t, p, res, c.Name), d.Values[c.Name]; got != want {
					t.Errorf("column %s = %q, the example shows %q", c.Name, got, want)
				}
			}
			for col := range d.Values {
				Value(t, p, res, col) // a column the test names must exist
			}
		})
	}
}

func docRequests(t *testing.T, v Vendor) {
	e := NewEnv(t, sandbox.Config{})
	for _, d := range v.DocRequests {
		t.Run(d.File, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", d.File))
			if err != nil {
				t.Fatal(err)
			}
			want, err := d.Decode(bytes.TrimSpace(raw))
			if err != nil {
				t.Fatalf("the example: %v", err)
			}
			p := v.provider(t, e, d.Options)
			req, err := p.Prepare(Row(t, p, d.Row))
			if err != nil {
				t.Fatalf("Prepare: %v", err)
			}
			hreq, err := p.NewHTTPRequest(context.Background(), d.Key, req)
			if err != nil {
				t.Fatalf("NewHTTPRequest: %v", err)
			}
			sent := []byte(hreq.URL.RawQuery)
			if hreq.Body != nil {
				if sent, err = io.ReadAll(hreq.Body); err != nil {
					t.Fatal(err)
				}
			}
			got, err := d.Decode(sent)
			if err != nil {
				t.Fatalf("the client's request %s: %v", sent, err)
			}
			for _, f := range slices.Sorted(maps.Keys(want)) {
				if why, ok := d.Differ[f]; ok {
					if got[f] == want[f] {
						t.Errorf("field %s is sent as the example shows (%s); Differ says otherwise (%s)", f, got[f], why)
					}
					continue
				}
				if g, ok := got[f]; !ok || g != want[f] {
					t.Errorf("field %s: sent %q (present: %v), the example shows %q", f, g, ok, want[f])
				}
			}
		})
	}
}

// FormFields reads a form or query string into its fields.
func FormFields(raw []byte) (map[string]string, error) {
	q, err := url.ParseQuery(string(raw))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, vs := range q {
		out[k] = strings.Join(vs, ",")
	}
	return out, nil
}

// JSONFields reads a JSON object into its leaves, nested objects' keys
// joined with dots ("terminal.ip"), each value as canonical JSON text (an
// array's objects with sorted keys), so a number and a string holding it
// differ but key order does not matter.
func JSONFields(raw []byte) (map[string]string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	out := map[string]string{}
	var walk func(prefix string, m map[string]json.RawMessage) error
	walk = func(prefix string, m map[string]json.RawMessage) error {
		for k, v := range m {
			var sub map[string]json.RawMessage
			if len(v) > 0 && v[0] == '{' && json.Unmarshal(v, &sub) == nil {
				if err := walk(prefix+k+".", sub); err != nil {
					return err
				}
				continue
			}
			dec := json.NewDecoder(bytes.NewReader(v))
			dec.UseNumber()
			var x any
			if err := dec.Decode(&x); err != nil {
				return fmt.Errorf("%s%s: %w", prefix, k, err)
			}
			c, err := json.Marshal(x)
			if err != nil {
				return err
			}
			out[prefix+k] = string(c)
		}
		return nil
	}
	return out, walk("", m)
}
