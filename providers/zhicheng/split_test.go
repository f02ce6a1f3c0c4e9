package zhicheng

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// referenceObject is how objects were decoded before splitObject: the
// answer Parse reads must not change with the faster path.
func referenceObject(r json.RawMessage) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r, &m); err != nil || m == nil {
		return nil, false
	}
	o := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		o[squash(k)] = v
	}
	return o, true
}

// asMap is what get reads from an object: every key, the last value of a
// repeated one.
func asMap(o object) map[string]json.RawMessage {
	if o == nil {
		return nil
	}
	m := make(map[string]json.RawMessage, len(o))
	for _, mb := range o {
		m[string(mb.key)] = o.get(string(mb.key))
	}
	return m
}

func sameObject(a object, b map[string]json.RawMessage) bool {
	return maps.EqualFunc(asMap(a), b, func(x, y json.RawMessage) bool { return string(x) == string(y) })
}

func TestDecodeObjectMatchesEncodingJSON(t *testing.T) {
	docs := []string{
		`{}`, ` { } `, `{"a":1}`, `{"gender ":"男"," query_corp_addr_detection ":"1"}`,
		`{"a":"x,y}]","b":[1,{"c":"]"}],"d":{"e":[]},"f":null,"g":true,"h":-1.5e3}`,
		"{\n  \"code\" : \"10000\" ,\n  \"data\" : { \"fraudScore\" : \"76\" }\n}\n",
		`{"esc\"aped":1,"b":2}`, `{"uni\u00e9":"v"}`, `{"s":"tab\tin \"quotes\" \\ back"}`,
		`{"a":1,"a":2}`, `[1,2]`, `"text"`, `null`, `{"a":}`, `{"a":1,}`, `{"a" 1}`, `{"a":1`, `{"a":1}x`,
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 500 {
		b, err := json.Marshal(randomObject(r, 3))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, spaced(r, string(b)))
	}
	for _, d := range docs {
		got, gotOK := decodeObject(json.RawMessage(d))
		want, wantOK := referenceObject(json.RawMessage(d))
		if gotOK != wantOK || !sameObject(got, want) {
			t.Fatalf("decodeObject(%s) = %v, %v; encoding/json gives %v, %v", d, got, gotOK, want, wantOK)
		}
		o := object{{key: []byte("list"), val: json.RawMessage(`[` + d + `, ` + d + `]`)}}
		if !json.Valid(o.get("list")) {
			continue
		}
		gotList := o.objects("list")
		var raw []json.RawMessage
		_ = json.Unmarshal(o.get("list"), &raw)
		var wantList []map[string]json.RawMessage
		for _, e := range raw {
			if m, ok := referenceObject(e); ok {
				wantList = append(wantList, m)
			}
		}
		if !slices.EqualFunc(gotList, wantList, sameObject) {
			t.Fatalf("objects([%s, …]) = %v; encoding/json gives %v", d, gotList, wantList)
		}
	}
}

// randomObject builds a JSON-able value with distinct keys.
func randomObject(r *rand.Rand, depth int) map[string]any {
	m := map[string]any{}
	for i := range r.IntN(6) {
		key := fmt.Sprintf("k%d_%s", i, []string{"", "名", "x y", "q\"", "a\\b"}[r.IntN(5)])
		m[key] = randomValue(r, depth-1)
	}
	return m
}

func randomValue(r *rand.Rand, depth int) any {
	switch k := r.IntN(7); {
	case k == 0 && depth > 0:
		return randomObject(r, depth)
	case k == 1 && depth > 0:
		n := r.IntN(4)
		out := make([]any, n)
		for i := range out {
			out[i] = randomValue(r, depth-1)
		}
		return out
	case k == 2:
		return r.NormFloat64() * 1000
	case k == 3:
		return r.IntN(2) == 0
	case k == 4:
		return nil
	default:
		return []string{"", "76", "法院-失信", `with "quotes", {braces} and [brackets]`, "tab\t\u2028"}[r.IntN(5)]
	}
}

// spaced inserts JSON whitespace around structural characters outside strings.
func spaced(r *rand.Rand, s string) string {
	var b strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		b.WriteByte(c)
		switch {
		case in && c == '\\':
			i++
			b.WriteByte(s[i])
		case c == '"':
			in = !in
		case !in && strings.IndexByte("{}[],:", c) >= 0 && r.IntN(3) == 0:
			b.WriteString([]string{" ", "\n", "\t ", "\r\n"}[r.IntN(4)])
		}
	}
	return b.String()
}

// scalar's fast paths read what encoding/json reads.
func TestScalarMatchesEncodingJSON(t *testing.T) {
	reference := func(r json.RawMessage) (string, bool) {
		if len(r) == 0 || string(r) == "null" {
			return "", true
		}
		var s string
		if json.Unmarshal(r, &s) == nil {
			return s, true
		}
		var n json.Number
		if json.Unmarshal(r, &n) == nil {
			return n.String(), true
		}
		return "", false
	}
	for _, c := range []string{`""`, `"76"`, `"法院-失信"`, `"a\"b"`, `"a\\b"`, `"\u00e9"`, "\"tab\tin\"", "\"bad \xff\"", `"x"y"`,
		`0`, `-0`, `12`, `-1.5e3`, `1E+2`, `01`, `1.`, `.5`, `-`, `1e`, `true`, `null`, `{}`, `[1]`, ``} {
		gs, gok := scalar(json.RawMessage(c))
		ws, wok := reference(json.RawMessage(c))
		if gs != ws || gok != wok {
			t.Errorf("scalar(%s) = %q, %v; encoding/json gives %q, %v", c, gs, gok, ws, wok)
		}
	}
}
