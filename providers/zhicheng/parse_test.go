package zhicheng

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/providertest"
)

// parseClients are the column layouts Parse fills: no address options
// (the bench's), every personal address type and the corporate verdict.
func parseClients(t testing.TB) []*Client {
	var out []*Client
	for _, opts := range []map[string]any{
		nil,
		{"addr_detection_types": []string{Mobile1Family, Mobile1Corp, Mobile2Family, Mobile2Corp}, "query_corp_addr_detection": true},
		{"addr_detection_types": []string{Mobile1Family}},
	} {
		p, err := New(providers.Config{Endpoint: "http://x/submit", Options: opts})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.(*Client))
	}
	return out
}

// readers are Parse and parseSlow of each of parseClients.
func readers(t testing.TB) []providertest.Readers {
	var out []providertest.Readers
	for _, c := range parseClients(t) {
		out = append(out, providertest.ReadersOf(c, c.parseSlow))
	}
	return out
}

func corpus(t testing.TB) [][]byte {
	var out [][]byte
	doc, err := os.ReadFile(filepath.Join("testdata", "doc_example.json"))
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, doc)
	out = append(out, providertest.Lines(t, "sim_answers.jsonl")...)
	for _, s := range []string{
		`{"code":"10000","success":true,"data":null}`,
		`{"code":"10000","success":true,"flowId":"f","data":{"fraudLevel":"0","riskResult":[]}}`,
		`{"code":"10000","success":true,"data":{"fraudScore":"12","fraudLevel":"1"}}`,
		`{"code":"77777","msg":"?","success":false}`,
		`{"code":"50107","success":false}`,
		`{"code":40006,"msg":"params 格式不对","success":false}`,
		`{"Code":"10000","success":true,"data":{}}`,
		`{"code":"10000","SUCCESS":true,"data":{}}`,
		`{"code":"10000","success":"true","data":{}}`,
		`{"code":"10000","success":true,"success":null,"data":{}}`,
		`{"code":"10000","success":true,"data":"{}"}`,
		`{"code":"10000","success":true,"data":{"fraudScore":12.50,"fraudLevel":3,"riskResult":{"a":1},"socialNetwork":[]}}`,
		`{"code":"10000","success":true,"data":{"fraudScore":" 12 ","fraudLevel":"\u0033","socialNetwork":{"age":"4\u0030","age":"41","gender":null,"gen der":"男"}}}`,
		`{"code":"10000","success":true,"data":{"risk\u0052esult":[]}}`,
		`{"code":"10000","success":true,"data":{"riskResult":[1,"x",null,{"dataType":"COURT"},[]]}}`,
		`{"code":"10000","success":true,"data":{"fraudScore":"\xff\xfe","fraudLevel":"\u00e9"}}`,
		`{"code":"10000","success":true,"data":{"fraudScore":true,"fraudLevel":[1]}}`,
		`{"code":"10000","success":true,"data":{"fraudScore":"9","fraudLevel":"1"}} x`,
		`{"code":"10000","success":true,"data":{"fraudScore":"9","fraudLevel":"1"}`,
		`[]`, `null`, `"x"`, ``, `{}`, `{"code":""}`, `{"code":null,"msg":"m"}`, `{"code":" 10000 ","success":true,"data":{}}`,
		"{\"code\":\"10000\",\"success\":true,\"data\":{\"fraud\u3000Score\":\"5\",\"fraudLevel\":\"2\"}}",
		"{\"code\":\"10000\",\"success\":true,\"data\":{\"\u017fociaLNetwork\":{}}}",
	} {
		out = append(out, []byte(s))
	}
	return out
}

func TestParseFastMatchesSlow(t *testing.T) {
	providertest.FastMatchesSlow(t, readers(t), corpus(t), mutate, 1, 60, 100)
}

// mutate damages or reshapes an answer the ways vendors and networks do:
// a byte changed, cut or doubled, a key's case or spacing, a value's type.
func mutate(r *rand.Rand, b []byte) []byte {
	b = append([]byte(nil), b...)
	switch r.IntN(8) {
	case 0:
		if len(b) > 0 {
			b[r.IntN(len(b))] = `{}[]",:\ 0-1e.tfnuAz`[r.IntN(20)]
		}
	case 1:
		if len(b) > 0 {
			b = b[:r.IntN(len(b))]
		}
	case 2: // a key in another case
		if i := bytes.IndexByte(b[min(r.IntN(len(b)+1), len(b)):], '"'); i >= 0 {
			j := len(b) - len(b[min(r.IntN(len(b)+1), len(b)):]) + i + 1
			if j < len(b) && b[j] >= 'a' && b[j] <= 'z' {
				b[j] -= 'a' - 'A'
			}
		}
	case 3: // a space inside a key
		keys := []string{`"fraudScore"`, `"fraudLevel"`, `"age"`, `"socialNetwork"`, `"riskResult"`, `"type"`, `"code"`, `"dataType"`}
		k := keys[r.IntN(len(keys))]
		b = bytes.Replace(b, []byte(k), []byte(k[:2]+" "+k[2:]), 1)
	case 4: // numbers as strings and strings as numbers
		b = bytes.Replace(b, []byte(`"fraudScore":"`), []byte(`"fraudScore":`), 1)
		b = bytes.Replace(b, []byte(`"age":`), []byte(`"age":"`), 1)
	case 5: // null, object or array in place of a value
		vals := []string{`null`, `{}`, `[]`, `"x"`, `1.5e2`, `true`}
		keys := []string{`"data":`, `"socialNetwork":`, `"riskResult":`, `"success":`, `"flowId":`, `"msg":`, `"addrDetectionList":`, `"corpAddrDetectionResult":`}
		k := keys[r.IntN(len(keys))]
		if i := bytes.Index(b, []byte(k)); i >= 0 {
			b = append(b[:i+len(k)], append([]byte(vals[r.IntN(len(vals))]+","+k), b[i+len(k):]...)...)
		}
	case 6: // an escape in a string or a key
		b = bytes.Replace(b, []byte(`"10000"`), []byte(`"1\u00300000"`), 1)
		if r.IntN(2) == 0 {
			b = bytes.Replace(b, []byte(`"gender"`), []byte(`"gend\u0065r"`), 1)
		}
	case 7: // whitespace around everything
		b = bytes.ReplaceAll(b, []byte(`,"`), []byte(" ,\n\t\""))
		b = bytes.ReplaceAll(b, []byte(`:`), []byte(" : "))
	}
	return b
}

func FuzzParse(f *testing.F) {
	providertest.Fuzz(f, readers(f), corpus(f))
}

// TestParseFastMatchesSlowOnRawLog compares the two on every Zhicheng body
// of a run's raw.jsonl (RISKBATCH_RAW_JSONL=path; e.g. a bench run's).
func TestParseFastMatchesSlowOnRawLog(t *testing.T) {
	path := os.Getenv("RISKBATCH_RAW_JSONL")
	if path == "" {
		t.Skip("RISKBATCH_RAW_JSONL not set")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rs := readers(t)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	n := 0
	for sc.Scan() {
		l := sc.Text()
		if !strings.Contains(l, `"provider":"zhicheng"`) {
			continue
		}
		i := strings.Index(l, `,"body":`)
		if i < 0 {
			continue
		}
		body := []byte(l[i+len(`,"body":`) : len(l)-1])
		for _, r := range rs {
			r.Same(t, body)
		}
		n++
	}
	t.Logf("%d answers", n)
}

// BenchmarkParse: fifty answers of the simulator's corpus through Parse
// and parseSlow.
func BenchmarkParse(b *testing.B) {
	c := parseClients(b)[0]
	providertest.BenchmarkReaders(b, providertest.ReadersOf(c, c.parseSlow), corpus(b)[1:51])
}
