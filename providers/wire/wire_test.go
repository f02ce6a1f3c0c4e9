package wire

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

var jsonCases = []string{
	``, ` `, `{}`, `[]`, `""`, `0`, `-0`, `01`, `-`, `1.`, `1.5`, `1e`, `1e+`, `1E-3`, `-12.5e10`, `.5`, `+1`,
	`true`, `false`, `null`, `tru`, `nul`, `nullx`, `truefalse`, `[1,]`, `[,1]`, `{"a":1,}`, `{"a"}`, `{"a":}`,
	`{a:1}`, `{"a":1 "b":2}`, `[1 2]`, `"\u00e9"`, `"\u00g9"`, `"\x"`, `"\/"`, `"a` + "\x01" + `"`, "\"a\tb\"",
	`"\"`, `"\\"`, "\"\xff\xfe\"", `"日本"`, ` {"a" : [ 1 , {"b":null} ] } `, `{"a":1}{}`, `[[[[[]]]]]`, `{"":""}`,
	`{"a\"b":1}`, `{"\u0061":1}`, "{\"a\":1}\n", "\t[1]\r\n", `[1e400]`, `[-]`, `["\ud800"]`, `{"a":{"b":{"c":[1,2,{"d":"e"}]}}}`,
}

func TestParseMatchesValid(t *testing.T) {
	var d Doc
	check := func(s string) {
		t.Helper()
		want := json.Valid([]byte(s))
		if got := d.Parse([]byte(s)); got != want {
			t.Fatalf("Parse(%q) = %v, json.Valid %v", s, got, want)
		}
		if want {
			if r := d.Raw(0); !bytes.Equal(r, bytes.TrimSpace([]byte(s))) {
				t.Fatalf("Parse(%q): root %q", s, r)
			}
		}
	}
	for _, c := range jsonCases {
		check(c)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := []byte(jsonCases[r.IntN(len(jsonCases))] + jsonCases[r.IntN(len(jsonCases))])
		for range r.IntN(3) {
			if len(b) > 0 {
				alpha := `{}[]",:\ 0-1e.tfnu`
				b[r.IntN(len(b))] = alpha[r.IntN(len(alpha))]
			}
		}
		check(string(b))
	}
	check(strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth))
	if d.Parse([]byte(strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1))) {
		t.Fatal("deeper than MaxDepth accepted")
	}
}

func TestParseTree(t *testing.T) {
	var d Doc
	src := ` {"a" : [ 1 , {"b":null, "b":"x\"y"} ], "k\u0065y": true, "n": -1.5e3} `
	if !d.Parse([]byte(src)) {
		t.Fatal("not parsed")
	}
	a := d.Member(0, "a")
	if a < 0 || d.Nodes[a].Kind != Array || string(d.Raw(a)) != `[ 1 , {"b":null, "b":"x\"y"} ]` {
		t.Fatalf("a: %d %q", a, d.Raw(a))
	}
	e1 := d.Nodes[a].First
	e2 := d.Nodes[e1].Next
	if string(d.Raw(e1)) != "1" || d.Nodes[e1].Kind != Number || d.Nodes[e2].Kind != Object || d.Nodes[e2].Next != -1 {
		t.Fatalf("elements %q %q", d.Raw(e1), d.Raw(e2))
	}
	b := d.Member(e2, "b")
	if !d.Nodes[b].Escaped || string(d.Str(b)) != `x\"y` {
		t.Fatalf("b (last of two) = %q", d.Raw(b))
	}
	if d.Member(0, "key") >= 0 {
		t.Fatal("an escaped key matched its unescaped form")
	}
	k := d.Nodes[d.Nodes[a].Next]
	if !k.KeyEscaped || k.Kind != True {
		t.Fatalf("escaped key member: %+v", k)
	}
	if n := d.Member(0, "n"); string(d.Raw(n)) != "-1.5e3" {
		t.Fatalf("n = %q", d.Raw(n))
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range jsonCases {
		f.Add([]byte(c))
	}
	var d Doc
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := d.Parse(b), json.Valid(b); got != want && !(want && !got && depth(b) > MaxDepth) {
			t.Fatalf("Parse(%q) = %v, json.Valid %v", b, got, want)
		}
	})
}

func depth(b []byte) int {
	n := 0
	for _, c := range b {
		if c == '[' || c == '{' {
			n++
		}
	}
	return n
}

func stdString(s string) string {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	_ = e.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

var stringCases = []string{"", "abc", `a"b\c`, "<&>", "\x00\x01\x1f\x7f", "\n\r\t\b\f", "\u2028\u2029", "日本語", "\xff\xfeok", "é\xc3", " 1+1=2 & 3/4?#%"}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cases := append([]string(nil), stringCases...)
	for range 5000 {
		var b []byte
		for range r.IntN(12) {
			if r.IntN(2) == 0 {
				b = append(b, byte(r.IntN(256)))
			} else {
				b = append(b, stringCases[r.IntN(len(stringCases))]...)
			}
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		if got, want := string(AppendString(nil, s)), stdString(s); got != want {
			t.Fatalf("AppendString(%q) = %s, encoding/json %s", s, got, want)
		}
		if got, want := string(AppendQueryEscape(nil, s)), url.QueryEscape(s); got != want {
			t.Fatalf("AppendQueryEscape(%q) = %s, url.QueryEscape %s", s, got, want)
		}
		if got, want := string(AppendStringHTML(nil, s)), marshalString(s); got != want {
			t.Fatalf("AppendStringHTML(%q) = %s, json.Marshal %s", s, got, want)
		}
	}
}

// TestAppendStringThreeByteForms: every lead byte of a three-byte
// character with continuation bytes at and beyond the edges of their valid
// ranges (overlong E0, surrogate ED, U+2028/U+2029 under E2), cut short at
// the end of the string, and between ASCII and CJK text.
func TestAppendStringThreeByteForms(t *testing.T) {
	seconds := []byte{0x00, 0x7f, 0x80, 0x9f, 0xa0, 0xa8, 0xa9, 0xbf, 0xc0, 0xff}
	thirds := []byte{0x22, 0x7f, 0x80, 0xa8, 0xa9, 0xbf, 0xc0}
	var cases []string
	for lead := 0xe0; lead <= 0xef; lead++ {
		for _, c1 := range seconds {
			cases = append(cases, string([]byte{byte(lead)}), string([]byte{byte(lead), c1}), "x"+string([]byte{byte(lead), c1}))
			for _, c2 := range thirds {
				seq := string([]byte{byte(lead), c1, c2})
				cases = append(cases, seq, "a"+seq+"b", "中"+seq+"文", seq+seq, seq[:2]+`\`+seq)
			}
		}
	}
	for _, s := range cases {
		if got, want := string(AppendString(nil, s)), stdString(s); got != want {
			t.Fatalf("AppendString(%q) = %s, encoding/json %s", s, got, want)
		}
		if got, want := string(AppendStringHTML(nil, s)), marshalString(s); got != want {
			t.Fatalf("AppendStringHTML(%q) = %s, json.Marshal %s", s, got, want)
		}
	}
}

func marshalString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func FuzzAppend(f *testing.F) {
	for _, c := range stringCases {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(AppendString(nil, s)), stdString(s); got != want {
			t.Fatalf("AppendString(%q) = %s, encoding/json %s", s, got, want)
		}
		if got, want := string(AppendQueryEscape(nil, s)), url.QueryEscape(s); got != want {
			t.Fatalf("AppendQueryEscape(%q) = %s, url.QueryEscape %s", s, got, want)
		}
		if got, want := string(AppendStringHTML(nil, s)), marshalString(s); got != want {
			t.Fatalf("AppendStringHTML(%q) = %s, json.Marshal %s", s, got, want)
		}
	})
}

func TestAppendFloat(t *testing.T) {
	for _, f := range []float64{0, 1, -1.5, 0.001, 1e-7, 123456789.125, 1e21, 1e20, 3.14159} {
		want, _ := json.Marshal(f)
		if got := AppendFloat(nil, f); string(got) != string(want) {
			t.Errorf("AppendFloat(%v) = %s, encoding/json %s", f, got, want)
		}
	}
}

func TestFieldsTextInt(t *testing.T) {
	names := []string{"code", "flowId", "n"}
	out := make([]int32, len(names))
	for _, c := range []struct {
		src string
		ok  bool
	}{
		{`{"code":1,"flowId":"x","other":2,"n":-3}`, true},
		{`{}`, true},
		{`{"code":1,"code":2}`, false},
		{`{"Code":1}`, false},
		{`{"FLOWID":1}`, false},
		{`{"c\u006fde":1}`, false},
		{`{"flowİd":1}`, false},
		{`{"codes":1,"flow":2}`, true},
	} {
		var d Doc
		if !d.Parse([]byte(c.src)) {
			t.Fatalf("%s not parsed", c.src)
		}
		if got := d.Fields(0, names, out); got != c.ok {
			t.Errorf("Fields(%s) = %v, want %v", c.src, got, c.ok)
		}
	}
	var d Doc
	if !d.Parse([]byte(`["a\"b","日本","` + "\xff" + `",1,-0,1.5,1e2,9223372036854775807,9223372036854775808,"x",true]`)) {
		t.Fatal("not parsed")
	}
	var ns []int32
	for e := d.Nodes[0].First; e >= 0; e = d.Nodes[e].Next {
		ns = append(ns, e)
	}
	for i, want := range []struct {
		s  string
		ok bool
	}{{"", false}, {"日本", true}, {"", false}, {"", false}, {"", false}, {"", false}, {"", false}, {"", false}, {"", false}, {"x", true}, {"", false}} {
		if s, ok := d.Text(ns[i]); s != want.s || ok != want.ok {
			t.Errorf("Text(%s) = %q, %v", d.Raw(ns[i]), s, ok)
		}
	}
	for i, want := range []struct {
		n  int
		ok bool
	}{{0, false}, {0, false}, {0, false}, {1, true}, {0, true}, {0, false}, {0, false}, {9223372036854775807, true}, {0, false}, {0, false}, {0, false}} {
		var x int
		if n, ok := d.Int(ns[i]); n != want.n || ok != want.ok {
			t.Errorf("Int(%s) = %d, %v", d.Raw(ns[i]), n, ok)
		} else if ok && json.Unmarshal(d.Raw(ns[i]), &x) != nil {
			t.Errorf("Int(%s) ok where encoding/json fails", d.Raw(ns[i]))
		}
	}
}
