package providertest

import (
	"bytes"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/riskbatch/riskbatch/providers"
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
