package providertest

import (
	"bytes"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/sandbox"
	"github.com/riskbatch/riskbatch/providers/wire/wiretest"
)

// Readers are a vendor's two readings of an HTTP 200 answer: Parse (its
// one-pass reader, which leaves what it does not read exactly to
// encoding/json) and the encoding/json reading alone, the reference.
type Readers struct {
	Parse func(body []byte) providers.Result
	Slow  func(body []byte) providers.Result
}

// Same fails the test when Parse's result differs from Slow's (BodyJSON
// aside) and reports whether Parse read body in one pass.
func (r Readers) Same(t testing.TB, body []byte) bool {
	t.Helper()
	got := r.Parse(body)
	fast := got.BodyJSON
	got.BodyJSON = false
	if want := r.Slow(body); !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse(%.300q)\n  fast: %+v\n  slow: %+v", body, got, want)
	}
	return fast
}

// FastMatchesSlow reads every answer of corpus, and n mutations of each
// (mutate, drawing from a generator seeded with seed), both ways with every
// reader; at least minFast of the corpus's readings must take the one pass.
func FastMatchesSlow(t *testing.T, rs []Readers, corpus [][]byte, mutate func(*rand.Rand, []byte) []byte, seed uint64, n, minFast int) {
	t.Helper()
	r := rand.New(rand.NewPCG(18, seed))
	fast := 0
	for _, body := range corpus {
		for _, rd := range rs {
			if rd.Same(t, body) {
				fast++
			}
			for range n {
				rd.Same(t, mutate(r, body))
			}
		}
	}
	if fast < minFast {
		t.Errorf("only %d answers took the fast path, want %d", fast, minFast)
	}
}

// Fuzz fuzzes the readers' agreement from corpus.
func Fuzz(f *testing.F, rs []Readers, corpus [][]byte) {
	for _, b := range corpus {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, rd := range rs {
			rd.Same(t, b)
		}
	})
}

// BenchmarkReaders reads one of bodies per op, through Parse ("fast") and
// through encoding/json ("encoding-json"; GOEXPERIMENT=jsonv2 runs it on
// the v2 implementation).
func BenchmarkReaders(b *testing.B, r Readers, bodies [][]byte) {
	for _, m := range []struct {
		name string
		f    func([]byte) providers.Result
	}{{"fast", r.Parse}, {"encoding-json", r.Slow}} {
		b.Run(m.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				m.f(bodies[i%len(bodies)])
			}
		})
	}
}

// ReadersOf is p's Parse of an HTTP 200 answer against slow, its
// encoding/json reading (the client's parseSlow).
func ReadersOf(p providers.Provider, slow func(status int, body []byte) providers.Result) Readers {
	return Readers{
		Parse: func(b []byte) providers.Result { return p.Parse(200, http.Header{}, b) },
		Slow:  func(b []byte) providers.Result { return slow(200, b) },
	}
}

// MutateKeys is wiretest.Mutate reshaping the given keys of an answer.
func MutateKeys(keys []string) func(*rand.Rand, []byte) []byte {
	return func(r *rand.Rand, b []byte) []byte { return wiretest.Mutate(r, b, keys) }
}

// Lines are the lines of testdata/name (a recorded answer a line, such as
// the simulator's sim_answers.jsonl).
func Lines(t testing.TB, name string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimSpace(b), []byte("\n"))
}

// ParseCase is an answer and how the client must read it.
type ParseCase struct {
	Name   string
	Status int
	Header http.Header
	Body   string
	File   string // testdata/File, read when Body is empty
	// Outcome, Code, Unknown and RetryAfter are compared exactly.
	Outcome    providers.Outcome
	Code       string
	Unknown    bool
	RetryAfter time.Duration
	// Values are compared when set; when nil, a hit or no-hit must fill
	// every column and any other outcome none.
	Values []string
}

// CheckParse reads each case's answer with p.
func CheckParse(t *testing.T, p providers.Provider, cases []ParseCase) {
	t.Helper()
	for _, c := range cases {
		name := c.Name
		if name == "" {
			name = c.File + "/" + strconv.Itoa(c.Status)
		}
		t.Run(name, func(t *testing.T) {
			body := []byte(c.Body)
			if c.Body == "" && c.File != "" {
				var err error
				if body, err = os.ReadFile(filepath.Join("testdata", c.File)); err != nil {
					t.Fatal(err)
				}
			}
			h := c.Header
			if h == nil {
				h = http.Header{}
			}
			res := p.Parse(c.Status, h, body)
			if res.Outcome != c.Outcome || res.Code != c.Code || res.Unknown != c.Unknown || res.RetryAfter != c.RetryAfter {
				t.Fatalf("got %+v, want %s %q unknown=%v RetryAfter %v", res, c.Outcome, c.Code, c.Unknown, c.RetryAfter)
			}
			switch {
			case c.Values != nil:
				if !slices.Equal(res.Values, c.Values) {
					t.Errorf("values %q, want %q", res.Values, c.Values)
				}
			case res.Outcome == providers.Hit || res.Outcome == providers.NoHit:
				if len(res.Values) != len(p.Columns()) {
					t.Errorf("%d values for %d columns", len(res.Values), len(p.Columns()))
				}
			case res.Values != nil:
				t.Errorf("values %q on a %s answer", res.Values, res.Outcome)
			}
		})
	}
}

// httpStatuses: answers below the vendor's codes, read alike by every
// client (providers.ParseHTTPStatus): server errors transient, HTTP 429
// throttled with its Retry-After in either form, 404 fatal, a body that is
// not the vendor's JSON transient.
func httpStatuses(t *testing.T, v Vendor) {
	e := NewEnv(t, sandbox.Config{})
	p := v.provider(t, e, nil)
	CheckParse(t, p, []ParseCase{
		{Name: "500", Status: 500, Body: "oops", Outcome: providers.Transient, Code: "HTTP 500"},
		{Name: "502 html", Status: 502, Body: "<html>bad gateway</html>", Outcome: providers.Transient, Code: "HTTP 502"},
		{Name: "503 empty", Status: 503, Outcome: providers.Transient, Code: "HTTP 503"},
		{Name: "429 seconds", Status: 429, Header: http.Header{"Retry-After": {"7"}}, Body: "Too Many Requests", Outcome: providers.Throttled, Code: "HTTP 429", RetryAfter: 7 * time.Second},
		{Name: "404 html", Status: 404, Body: "<html>not found</html>", Outcome: providers.Fatal, Code: "HTTP 404"},
		{Name: "200 html", Status: 200, Body: "<html>gateway</html>", Outcome: providers.Transient, Code: "HTTP 200"},
		{Name: "200 truncated", Status: 200, Body: `{"`, Outcome: providers.Transient, Code: "HTTP 200"},
	})
	// An HTTP-date Retry-After is a wait until then (whole seconds, so
	// up to a second short).
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	res := p.Parse(429, http.Header{"Retry-After": {date}}, nil)
	if res.Outcome != providers.Throttled || res.Code != "HTTP 429" || res.RetryAfter < 80*time.Second || res.RetryAfter > 91*time.Second {
		t.Errorf("429 with an HTTP-date 90s ahead: %+v", res)
	}
}
