package td

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/providers/providertest"
)

var tdStrings = []string{"", "", "a", "<&>", `"q"`, "日本", "\xff", "\u2028", "123", "-7", "007", "1234567890123456", "x y", "\t"}

func randomBody(r *rand.Rand) body {
	s := func() string { return tdStrings[r.IntN(len(tdStrings))] + tdStrings[r.IntN(len(tdStrings))] }
	b := body{Channel: s(), SessionID: s(), DecisionEvent: s(), EventTime: s(), AccountID: s(), Terminal: terminal{BlackBox: s(), IP: s()}}
	if r.IntN(2) == 0 {
		b.Ext = map[string]string{}
		for range r.IntN(4) {
			b.Ext[s()] = s()
		}
	}
	b.EventDetail = map[string]map[string]any{}
	for range 1 + r.IntN(2) {
		d := map[string]any{}
		for range r.IntN(5) {
			d[s()] = detailValue(s())
		}
		b.EventDetail[s()] = d
	}
	return b
}

// TestEncodeMatchesMarshal: the request body is json.Marshal's.
func TestEncodeMatchesMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 7))
	for range 20000 {
		b := randomBody(r)
		want, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		if got := b.encode(); string(got) != string(want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	}
}

// TestKeyURL: the URL is what NewHTTPRequest built per attempt before.
func TestKeyURL(t *testing.T) {
	for _, ep := range []string{"https://api.tongdun.cn/fraud/promo/v2", "http://127.0.0.1:8080/x?a=1&z=2", "https://h/p?b=%20x"} {
		c := &Client{endpoint: ep}
		for _, k := range [][2]string{{"sandbox", "key-1"}, {"a b", "c&d=e/f+"}, {"sandbox", "key-2"}} {
			u, _ := url.Parse(ep)
			q := u.Query()
			q.Set("partner_code", k[0])
			q.Set("partner_key", k[1])
			u.RawQuery = q.Encode()
			for range 2 { // built, then cached
				got, err := c.keyURL(k[0], k[1])
				if err != nil || got != u.String() {
					t.Fatalf("keyURL(%s, %v) = %s, %v; want %s", ep, k, got, err, u.String())
				}
			}
		}
	}
}

func sameParse(t testing.TB, c *Client, b []byte) bool {
	t.Helper()
	got := c.Parse(200, http.Header{}, b)
	fast := got.BodyJSON
	got.BodyJSON = false
	if want := c.parseSlow(200, b); !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse(%.300q)\n  fast: %+v\n  slow: %+v", b, got, want)
	}
	return fast
}

func tdCorpus(t testing.TB) [][]byte {
	out := providertest.Lines(t, "sim_answers.jsonl")
	for _, s := range []string{
		`{"code":200,"message":"ok","sequence_id":"s1","score":55,"result":"review","reasons":[{"id":"R1","reason":"多头"},{"id":"","reason":""},{"id":"R2"}]}`,
		`{"code":"200","score":"61.50","result":"accept"}`, `{"code":" 200 ","score":" "}`, `{"code":200,"score":"x"}`,
		`{"code":200,"score":1e400}`, `{"code":200,"score":-0.0}`, `{"code":200,"score":12.000}`, `{"code":200.0}`,
		`{"code":9001,"message":"缺少参数"}`, `{"code":12345}`, `{"message":"no code"}`, `{"code":null}`,
		`{"code":200,"reasons":null}`, `{"code":200,"reasons":[null]}`, `{"code":200,"reasons":{}}`, `{"code":200,"reasons":[{"id":1}]}`,
		`{"code":200,"Message":"x"}`, `{"code":200,"message":"a\"b"}`, `{"code":200,"message":null,"result":null}`,
		`{"code":200,"result":"decline","result":"accept"}`, `[]`, `null`, ``, `{}`, `{"code":200} x`,
	} {
		out = append(out, []byte(s))
	}
	return out
}

var tdKeys = []string{`"code"`, `"message"`, `"sequence_id"`, `"score"`, `"result"`, `"reasons"`, `"id"`, `"reason"`}

func TestParseFastMatchesSlow(t *testing.T) {
	c := &Client{}
	providertest.FastMatchesSlow(t, []providertest.Readers{providertest.ReadersOf(c, c.parseSlow)}, tdCorpus(t), providertest.MutateKeys(tdKeys), 8, 300, 40)
}

func FuzzParse(f *testing.F) {
	c := &Client{}
	providertest.Fuzz(f, []providertest.Readers{providertest.ReadersOf(c, c.parseSlow)}, tdCorpus(f))
}

// BenchmarkParse: the simulator's answers through Parse and parseSlow.
func BenchmarkParse(b *testing.B) {
	c := &Client{}
	providertest.BenchmarkReaders(b, providertest.ReadersOf(c, c.parseSlow), providertest.Lines(b, "sim_answers.jsonl"))
}

func TestIsIntLikeMatchesRegexp(t *testing.T) {
	re := regexp.MustCompile(`^-?(0|[1-9][0-9]{0,14})$`)
	parts := []string{"", "-", "0", "00", "1", "9", "123456789012345", "1234567890123456", "a", " ", "+", "-0", "１", "01"}
	for _, a := range parts {
		for _, b := range parts {
			if s := a + b; isIntLike(s) != re.MatchString(s) {
				t.Errorf("isIntLike(%q) = %v", s, isIntLike(s))
			}
		}
	}
}

// TestDeriveSession: the session id is what it was (SHA-256 through a
// hash object, hex, 30 digits), so re-runs dedupe against older journals.
func TestDeriveSession(t *testing.T) {
	for _, b := range []body{
		{DecisionEvent: "marketing", EventTime: "2026-10-01T09:00:00.000+08:00", AccountID: "acct1", Terminal: terminal{BlackBox: "bb", IP: "10.0.0.1"}},
		{},
		{DecisionEvent: "login", Terminal: terminal{IP: "::1"}, AccountID: strings.Repeat("长", 400)},
	} {
		h := sha256.New()
		for _, p := range []string{b.DecisionEvent, b.EventTime, b.AccountID, b.Terminal.BlackBox, b.Terminal.IP} {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
		if got, want := deriveSession(b), "rb"+hex.EncodeToString(h.Sum(nil))[:30]; got != want {
			t.Errorf("deriveSession = %s, want %s", got, want)
		}
	}
}
