package juhe

import (
	"net/http"
	"strconv"
	"time"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/wire"
)

// docs are parse trees reused across answers.
// Parse implements providers.Provider, classifying on error_code (never on
// the reason text, whose wording varies).
//
// The answer is read in one pass (parseFast); anything it does not expect
// (a type other than the document's, a repeated or differently cased key,
// an escape, damage) goes to parseSlow, encoding/json's reading, so the
// result is always parseSlow's (TestParseFastMatchesSlow, FuzzParse).
func (c *Client) Parse(status int, header http.Header, body []byte) providers.Result {
	if r, done := providers.ParseHTTPStatus(status, header); done {
		return r
	}
	d := wire.GetDoc()
	r, ok := parseFast(d, body)
	wire.PutDoc(d)
	if ok {
		r.BodyJSON = true
		return r
	}
	return c.parseSlow(status, body)
}

var (
	answerKeys   = []string{"reason", "result", "error_code"}
	resultKeys   = []string{"orderid", "found", "idFound", "riskScore", "riskInfo"}
	riskInfoKeys = []string{"riskCode", "riskCodeValue"}
)

func parseFast(d *wire.Doc, body []byte) (providers.Result, bool) {
	var a [3]int32
	if !d.Parse(body) || d.Nodes[0].Kind != wire.Object || !d.Fields(0, answerKeys, a[:]) || a[2] < 0 {
		return providers.Result{}, false
	}
	reason, ok := optText(d, a[0])
	if !ok {
		return providers.Result{}, false
	}
	code, ok := d.Int(a[2])
	if !ok {
		return providers.Result{}, false
	}
	codeS := strconv.Itoa(code)
	if code != 0 {
		cl, known := errorCodes[code]
		if !known {
			return providers.Result{Outcome: providers.Transient, Code: codeS, Message: reason, Unknown: true}, true
		}
		r := providers.Result{Outcome: cl.outcome, Code: codeS, Message: reason, Scope: cl.scope, Permanent: cl.permanent}
		switch code {
		case 10011:
			r.RetryAfter = time.Minute
		case 10020:
			r.RetryAfter = time.Minute
		}
		return r, true
	}
	var f [5]int32
	if a[1] < 0 || d.Nodes[a[1]].Kind != wire.Object || !d.Fields(a[1], resultKeys, f[:]) {
		return providers.Result{}, false
	}
	var res result
	if res.OrderID, ok = optText(d, f[0]); !ok {
		return providers.Result{}, false
	}
	if res.Found, ok = optInt(d, f[1]); !ok {
		return providers.Result{}, false
	}
	if res.IDFound, ok = optInt(d, f[2]); !ok {
		return providers.Result{}, false
	}
	if f[3] >= 0 && d.Nodes[f[3]].Kind != wire.Null {
		n, ok := d.Int(f[3])
		if !ok {
			return providers.Result{}, false
		}
		res.RiskScore = &n
	}
	if f[4] >= 0 && d.Nodes[f[4]].Kind != wire.Null {
		if d.Nodes[f[4]].Kind != wire.Array {
			return providers.Result{}, false
		}
		var g [2]int32
		for e := d.Nodes[f[4]].First; e >= 0; e = d.Nodes[e].Next {
			if d.Nodes[e].Kind != wire.Object || !d.Fields(e, riskInfoKeys, g[:]) {
				return providers.Result{}, false
			}
			var ri riskInfo
			if ri.RiskCode, ok = optInt(d, g[0]); !ok {
				return providers.Result{}, false
			}
			if ri.RiskCodeValue, ok = optInt(d, g[1]); !ok {
				return providers.Result{}, false
			}
			res.RiskInfo = append(res.RiskInfo, ri)
		}
	}
	if res.Found != 1 && res.Found != -1 {
		return providers.Result{Outcome: providers.Transient, Code: codeS, Message: "unparseable result"}, true
	}
	return answerResult(codeS, reason, &res), true
}

// optText reads an optional string member (absent or null: "").
func optText(d *wire.Doc, n int32) (string, bool) {
	if n < 0 || d.Nodes[n].Kind == wire.Null {
		return "", true
	}
	return d.Text(n)
}

// optInt reads an optional int member (absent or null: 0).
func optInt(d *wire.Doc, n int32) (int, bool) {
	if n < 0 || d.Nodes[n].Kind == wire.Null {
		return 0, true
	}
	return d.Int(n)
}
