package td

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/wire"
)

// The per-call paths without encoding/json's reflection (issue 18): the
// body appended field by field, the answer read in one pass, the URL with
// credentials built once per key. Each is held to the encoding/json or
// net/url result it replaces by td's tests.

// encode is json.Marshal(b): the document's field order, ext and each
// event_detail map in sorted key order, HTML-escaped strings.
func (b *body) encode() []byte {
	out := make([]byte, 0, b.sizeHint())
	out = append(out, `{"channel":`...)
	out = wire.AppendStringHTML(out, b.Channel)
	out = append(out, `,"session_id":`...)
	out = wire.AppendStringHTML(out, b.SessionID)
	out = append(out, `,"decision_event":`...)
	out = wire.AppendStringHTML(out, b.DecisionEvent)
	out = append(out, `,"event_time":`...)
	out = wire.AppendStringHTML(out, b.EventTime)
	if b.AccountID != "" {
		out = append(out, `,"account_id":`...)
		out = wire.AppendStringHTML(out, b.AccountID)
	}
	out = append(out, `,"terminal":{`...)
	if b.Terminal.BlackBox != "" {
		out = append(out, `"black_box":`...)
		out = wire.AppendStringHTML(out, b.Terminal.BlackBox)
	}
	if b.Terminal.IP != "" {
		if b.Terminal.BlackBox != "" {
			out = append(out, ',')
		}
		out = append(out, `"ip":`...)
		out = wire.AppendStringHTML(out, b.Terminal.IP)
	}
	out = append(out, '}')
	if len(b.Ext) > 0 {
		out = append(out, `,"ext":{`...)
		for i, k := range sortedKeys(b.Ext) {
			if i > 0 {
				out = append(out, ',')
			}
			out = wire.AppendStringHTML(out, k)
			out = append(out, ':')
			out = wire.AppendStringHTML(out, b.Ext[k])
		}
		out = append(out, '}')
	}
	out = append(out, `,"event_detail":`...)
	if b.EventDetail == nil {
		out = append(out, "null"...)
	} else {
		out = append(out, '{')
		for i, ev := range sortedKeys(b.EventDetail) {
			if i > 0 {
				out = append(out, ',')
			}
			out = wire.AppendStringHTML(out, ev)
			out = append(out, ':')
			out = appendDetail(out, b.EventDetail[ev])
		}
		out = append(out, '}')
	}
	return append(out, '}')
}

// sizeHint is about what encode writes, so its buffer is allocated once.
func (b *body) sizeHint() int {
	n := 160 + len(b.Channel) + len(b.SessionID) + len(b.DecisionEvent) + len(b.EventTime) + len(b.AccountID) + len(b.Terminal.BlackBox) + len(b.Terminal.IP)
	for k, v := range b.Ext {
		n += 6 + len(k) + len(v)
	}
	for ev, d := range b.EventDetail {
		n += 6 + len(ev)
		for k, v := range d {
			n += 6 + len(k)
			if s, ok := v.(string); ok {
				n += len(s)
			} else {
				n += 20
			}
		}
	}
	return n + n/4
}

func sortedKeys[V any](m map[string]V) []string {
	if len(m) == 1 {
		for k := range m {
			return []string{k}
		}
	}
	return slices.Sorted(maps.Keys(m))
}

// appendDetail writes one event's fields: the values detailValue makes
// (int64 or string); anything else through encoding/json's rules is not
// needed and never built.
func appendDetail(out []byte, d map[string]any) []byte {
	if d == nil {
		return append(out, "null"...)
	}
	out = append(out, '{')
	for i, k := range sortedKeys(d) {
		if i > 0 {
			out = append(out, ',')
		}
		out = wire.AppendStringHTML(out, k)
		out = append(out, ':')
		switch v := d[k].(type) {
		case int64:
			out = strconv.AppendInt(out, v, 10)
		case string:
			out = wire.AppendStringHTML(out, v)
		default:
			panic("td: event_detail value of an unexpected type")
		}
	}
	return append(out, '}')
}

// keyURL is the endpoint with the key's partner_code and partner_key in
// its query string, built once per key (it was url.Parse, Query and
// Encode for every attempt).
func (c *Client) keyURL(code, secret string) (string, error) {
	ck := code + "\x00" + secret
	if u, ok := c.urls.Load(ck); ok {
		return u.(string), nil
	}
	u, err := url.Parse(c.endpoint)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("partner_code", code)
	q.Set("partner_key", secret)
	u.RawQuery = q.Encode()
	s := u.String()
	c.urls.Store(ck, s)
	return s, nil
}

// keyPost is the key's URL and the request headers, parsed once per key
// (providers.Post), with NewHTTPRequest's errors.
func (c *Client) keyPost(code, secret string) (*providers.Post, error) {
	ck := code + "\x00" + secret
	if p, ok := c.posts.Load(ck); ok {
		return p.(*providers.Post), nil
	}
	u, err := c.keyURL(code, secret)
	if err != nil {
		return nil, errors.New("td: endpoint is not a URL")
	}
	p, err := providers.NewPost(u, map[string]string{"Content-Type": "application/json;charset=UTF-8", "Accept": "application/json"})
	if err != nil {
		return nil, errors.New("td: cannot build the request") // err would print the URL
	}
	c.posts.Store(ck, p)
	return p, nil
}

// Parse implements providers.Provider. TD sends errors with HTTP 200 and
// the code in the body, so the HTTP status only decides transport-level
// failures.
//
// The answer is read in one pass (parseFast); anything it does not expect
// (a type other than the document's, a repeated or differently cased key,
// an escape, damage) goes to parseSlow, encoding/json's reading, so the
// result is always parseSlow's (TestParseFastMatchesSlow, FuzzParse).
func (c *Client) Parse(status int, header http.Header, raw []byte) providers.Result {
	if r, done := providers.ParseHTTPStatus(status, header); done {
		return r
	}
	d := wire.GetDoc()
	a, ok := readAnswer(d, raw)
	wire.PutDoc(d)
	if !ok {
		return c.parseSlow(status, raw)
	}
	r := classify(status, &a)
	r.BodyJSON = true
	return r
}

var (
	answerKeys = []string{"code", "message", "sequence_id", "score", "result", "reasons"}
	reasonKeys = []string{"id", "reason"}
)

// readAnswer is json.Unmarshal(raw, &a) for the answers it is sure to
// read the same way; ok is false for the others.
func readAnswer(d *wire.Doc, raw []byte) (a answer, ok bool) {
	var f [6]int32
	if !d.Parse(raw) || d.Nodes[0].Kind != wire.Object || !d.Fields(0, answerKeys, f[:]) {
		return a, false
	}
	if f[0] >= 0 {
		a.Code = d.Raw(f[0])
	}
	if f[3] >= 0 {
		a.Score = d.Raw(f[3])
	}
	if a.Message, ok = optText(d, f[1]); !ok {
		return a, false
	}
	if a.SequenceID, ok = optText(d, f[2]); !ok {
		return a, false
	}
	if a.Result, ok = optText(d, f[4]); !ok {
		return a, false
	}
	if n := f[5]; n >= 0 && d.Nodes[n].Kind != wire.Null {
		if d.Nodes[n].Kind != wire.Array {
			return a, false
		}
		var g [2]int32
		for e := d.Nodes[n].First; e >= 0; e = d.Nodes[e].Next {
			if d.Nodes[e].Kind != wire.Object || !d.Fields(e, reasonKeys, g[:]) {
				return a, false
			}
			var r reason
			if r.ID, ok = optText(d, g[0]); !ok {
				return a, false
			}
			if r.Reason, ok = optText(d, g[1]); !ok {
				return a, false
			}
			a.Reasons = append(a.Reasons, r)
		}
	}
	return a, true
}

// optText reads an optional string member (absent or null: "").
func optText(d *wire.Doc, n int32) (string, bool) {
	if n < 0 || d.Nodes[n].Kind == wire.Null {
		return "", true
	}
	return d.Text(n)
}
