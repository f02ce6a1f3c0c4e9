package zhicheng

import (
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/wire"
)

// reader is what the answer's formatters read of an object: object (a
// piece of an answer cut by splitObject, parseSlow) or node (parseFast).
type reader[O any] interface {
	str(key string) string
	sub(key string) (O, bool)
	objects(key string) []O
}

// docs are parse trees reused across answers (parseFast keeps no piece of
// one: every value it returns is a copy).
// Parse implements providers.Provider, classifying on code and success
// exactly as the Zhicheng row of docs/providers.md (never on msg).
//
// The answer is read in one pass (parseFast); whatever that pass does not
// expect — escaped keys, a key that only encoding/json's case-insensitive
// matching would take, a success that is not a boolean, data that is not
// an object, damage — goes to parseSlow, encoding/json's reading, so the
// result is always what parseSlow gives (TestParseFastMatchesSlow,
// FuzzParse).
func (c *Client) Parse(status int, header http.Header, body []byte) providers.Result {
	if r, done := providers.ParseHTTPStatus(status, header); done {
		return r
	}
	d := wire.GetDoc()
	r, ok := c.parseFast(status, d, body)
	wire.PutDoc(d)
	if ok {
		r.BodyJSON = true
		return r
	}
	return c.parseSlow(status, body)
}

// envelope keys, as answer's fields.
var envelopeKeys = []string{"code", "msg", "success", "flowId", "data"}

func (c *Client) parseFast(status int, d *wire.Doc, body []byte) (providers.Result, bool) {
	if !d.Parse(body) || d.Nodes[0].Kind != wire.Object {
		return providers.Result{}, false
	}
	plain := true // no key needs squashing (node.key)
	for i := range d.Nodes {
		nd := &d.Nodes[i]
		if nd.KeyEscaped {
			return providers.Result{}, false
		}
		if plain && nd.KeyEnd > nd.KeyStart && !plainKey(d.Src[nd.KeyStart:nd.KeyEnd]) {
			plain = false
		}
	}
	var code, msg, flow, data int32 = -1, -1, -1, -1
	success := false
	for m := d.Nodes[0].First; m >= 0; m = d.Nodes[m].Next {
		switch k := d.Key(m); string(k) {
		case "code":
			code = m
		case "msg":
			msg = m
		case "flowId":
			flow = m
		case "data":
			data = m
		case "success":
			switch d.Nodes[m].Kind {
			case wire.True:
				success = true
			case wire.False:
				success = false
			case wire.Null:
			default:
				return providers.Result{}, false
			}
		default:
			if !asciiKey(k) {
				return providers.Result{}, false
			}
			for _, e := range envelopeKeys {
				if strings.EqualFold(string(k), e) {
					return providers.Result{}, false
				}
			}
		}
	}
	raw := func(n int32) []byte {
		if n < 0 {
			return nil
		}
		return d.Raw(n)
	}
	codeS, _ := scalar(raw(code))
	codeS = strings.TrimSpace(codeS)
	msgS, _ := scalar(raw(msg))
	if codeS == "" {
		return providers.Result{Outcome: providers.Transient, Code: "HTTP " + strconv.Itoa(status), Message: "answer without a code"}, true
	}
	if codeS != CodeOK {
		cl, known := resultCodes[codeS]
		if !known {
			return providers.Result{Outcome: providers.Transient, Code: codeS, Message: msgS, Unknown: true}, true
		}
		return providers.Result{Outcome: cl.outcome, Code: codeS, Message: msgS, Permanent: cl.permanent, ParamsRejected: codeS == CodeParamsFormat}, true
	}
	if !success {
		return providers.Result{Outcome: providers.Transient, Code: codeS, Message: "code 10000 with success false", Unknown: true}, true
	}
	if data < 0 || d.Nodes[data].Kind != wire.Object {
		return providers.Result{}, false
	}
	flowS, _ := scalar(raw(flow))
	vals, hit := c.fastValues(node{d, data, plain}, flowS)
	out := providers.NoHit
	if hit {
		out = providers.Hit
	}
	return providers.Result{Outcome: out, Code: codeS, Message: msgS, Values: vals}, true
}

func asciiKey(k []byte) bool {
	for _, b := range k {
		if b >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// socialIndex maps a socialNetwork key to its column's place in
// socialColumns.
var socialIndex = func() map[string]int {
	m := make(map[string]int, len(socialColumns))
	for i, s := range socialColumns {
		m[s.key] = i
	}
	return m
}()

// Column positions (buildColumns): five score and list columns, the
// social figures, the personal address verdicts asked for, the corporate
// pair when asked for, flow_id last.
const socialBase = 5

// fastValues is values over a parsed data object.
func (c *Client) fastValues(d node, flow string) (vals []string, hit bool) {
	vals = make([]string, len(c.columns))
	score, level := d.str("fraudScore"), d.str("fraudLevel")
	hit = score != "" && level != "0"
	if hit {
		vals[0] = score
	}
	vals[1] = level
	if level != "" {
		vals[2] = describe(fraudLevels, level)
	}
	risks := d.objects("riskResult")
	vals[3] = formatRisks(risks)
	vals[4] = strconv.Itoa(len(risks))
	if sn, ok := d.sub("socialNetwork"); ok {
		// One pass over the members; a repeated key gives the last, as get.
		for m := sn.d.Nodes[sn.n].First; m >= 0; m = sn.d.Nodes[m].Next {
			if i, ok := socialIndex[sn.key(m)]; ok {
				vals[socialBase+i] = sn.text(m)
			}
		}
	}
	addrBase := socialBase + len(socialColumns)
	if len(c.addrTypes) > 0 {
		for _, e := range d.objects("addrDetectionList") {
			t, ok := addrTypeOf(e.str("type"))
			if !ok {
				continue
			}
			for i, want := range c.addrTypes {
				if want == t {
					vals[addrBase+i] = formatAddrVerdict(e)
					break
				}
			}
		}
	}
	if c.corp {
		if co, ok := d.sub("corpAddrDetectionResult"); ok {
			i := addrBase + len(c.addrTypes)
			vals[i], vals[i+1] = formatCorp(co)
		}
	}
	vals[len(vals)-1] = flow
	return vals, hit
}

// node is an object of a parsed answer (parseFast: no escaped keys).
type node struct {
	d *wire.Doc
	n int32
	// plain: no key of the answer holds a space or a byte outside ASCII,
	// so no key needs squashing.
	plain bool
}

// plainKey: only ASCII and no space character (unicode.IsSpace's ASCII
// ones; bytes outside ASCII may be spaces too).
func plainKey(k []byte) bool {
	for _, b := range k {
		if b >= utf8.RuneSelf || b == ' ' || b == '\t' || b == '\n' || b == '\v' || b == '\f' || b == '\r' {
			return false
		}
	}
	return true
}

// key is member m's key with spaces squashed, as splitObject keys it.
func (o node) key(m int32) string {
	k := o.d.Key(m)
	if o.plain || plainKey(k) {
		return unsafeString(k)
	}
	return squashBytes(k)
}

// text is o.str for member m: scalar's text, trimmed. A string without
// escapes and a number are taken as they are (the document is valid JSON:
// no control character or quote inside the string, a number of JSON's
// grammar, which is isPlainNumber's); anything else goes through scalar.
func (o node) text(m int32) string {
	nd := &o.d.Nodes[m]
	switch {
	case nd.Kind == wire.String && !nd.Escaped:
		if s := o.d.Str(m); utf8.Valid(s) {
			return strings.TrimSpace(string(s))
		}
	case nd.Kind == wire.Number:
		return string(o.d.Raw(m))
	case nd.Kind == wire.Null:
		return ""
	}
	s, _ := scalar(o.d.Raw(m))
	return strings.TrimSpace(s)
}

func squashBytes(k []byte) string {
	s := string(k)
	if strings.ContainsFunc(s, unicode.IsSpace) {
		return squash(s)
	}
	return s
}

// get returns the last member keyed key, or -1.
func (o node) get(key string) int32 {
	found := int32(-1)
	for m := o.d.Nodes[o.n].First; m >= 0; m = o.d.Nodes[m].Next {
		if o.key(m) == key {
			found = m
		}
	}
	return found
}

func (o node) str(key string) string {
	m := o.get(key)
	if m < 0 {
		return ""
	}
	return o.text(m)
}

func (o node) sub(key string) (node, bool) {
	m := o.get(key)
	if m < 0 || o.d.Nodes[m].Kind != wire.Object {
		return node{}, false
	}
	return node{o.d, m, o.plain}, true
}

func (o node) objects(key string) []node {
	m := o.get(key)
	if m < 0 || o.d.Nodes[m].Kind != wire.Array {
		return nil
	}
	var out []node
	for e := o.d.Nodes[m].First; e >= 0; e = o.d.Nodes[e].Next {
		if o.d.Nodes[e].Kind == wire.Object {
			out = append(out, node{o.d, e, o.plain})
		}
	}
	return out
}

// unsafeString views b as a string for a lookup; the string must not
// outlive b's document.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
