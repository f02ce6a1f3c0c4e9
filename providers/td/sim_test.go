package td_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/providertest"
	"github.com/riskbatch/riskbatch/providers/sandbox"
	"github.com/riskbatch/riskbatch/providers/td/tdsim"
)

// The client against its simulator over loopback (providertest).

// key1 and key2 are the simulator's default keys.
var key1, key2 = providertest.KeyPair(tdsim.Sim{})

var shanghai = tdsim.Sim{}.Location() // TD's quota day, and the zone of event times without an offset

type env struct{ *providertest.Env }

func newEnv(t *testing.T) *env { return &env{providertest.NewEnv(t, sandbox.Config{})} }

// provider builds a TD provider against the sandbox; opts default to
// channel "test" and event marketing.
func (e *env) provider(t *testing.T, opts map[string]any) providers.Provider {
	if opts == nil {
		opts = map[string]any{"channel": "test", "decision_event": "marketing"}
	}
	return e.Provider(t, "td", tdsim.Path, opts)
}

// eventRow is a marketing event of population member i (account, IP, device).
func (e *env) eventRow(t *testing.T, p providers.Provider, i int) providers.Record {
	per := e.Person(i)
	return providertest.Row(t, p, map[string]string{
		"account_id": per.AccountID, "ip": per.IP, "black_box": per.BlackBox,
		"event_time": "2024-05-06 07:08:09", "session_id": "s-1",
	})
}

// raw posts body to the simulator with a content type and query, for wire
// checks the client never produces.
func (e *env) raw(t *testing.T, method, path, query, ctype string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	return e.Raw(t, method, path+"?"+query, ctype, body, nil)
}

const goodQuery = "partner_code=sandbox&partner_key=sandbox-td-key-1"

// resultDesc is the document's wording of the result enum (决策结果).
var resultDesc = map[string]string{"decline": "拒绝", "review": "核验", "accept": "通过"}

// formatReasons is the reasons column as users see it: "id reason" joined by "; ".
func formatReasons(rs []tdsim.Reason) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.ID + " " + r.Reason
	}
	return strings.Join(parts, "; ")
}

func TestHitsAndNoHits(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	pop := e.Srv.Population()
	hit := func(i int) bool { _, _, h := tdsim.AnswerFor(pop, i); return h }
	score := func(i int) int { s, _, _ := tdsim.AnswerFor(pop, i); return s }

	// A hit in each band, with its reasons.
	for _, band := range []struct {
		result string
		in     func(int) bool
	}{
		{"accept", func(s int) bool { return s < 40 }},
		{"review", func(s int) bool { return s >= 40 && s < 80 }},
		{"decline", func(s int) bool { return s >= 80 }},
	} {
		i := providertest.FirstWhere(t, 0, func(i int) bool { return hit(i) && band.in(score(i)) })
		res, body := e.Call(t, p, key1, e.eventRow(t, p, i))
		s, reasons, _ := tdsim.AnswerFor(pop, i)
		if res.Outcome != providers.Hit || res.Code != "200" {
			t.Fatalf("%s person %d: %+v (%s)", band.result, i, res, body)
		}
		want := []string{strconv.Itoa(s), band.result, resultDesc[band.result], formatReasons(reasons), res.Values[4]}
		if !slices.Equal(res.Values, want) {
			t.Errorf("%s person %d: values %q, want %q", band.result, i, res.Values, want)
		}
		if band.result != "accept" && res.Values[3] == "" {
			t.Errorf("%s person %d: no reasons", band.result, i)
		}
		// The sequence id starts with the event time in epoch ms (Shanghai).
		et := time.Date(2024, 5, 6, 7, 8, 9, 0, shanghai).UnixMilli()
		if sid := res.Values[4]; len(sid) != 32 || !strings.HasPrefix(sid, strconv.FormatInt(et, 10)) {
			t.Errorf("sequence_id %q", sid)
		}
	}

	// A population member without a TD record, and an outsider: code 200
	// without a score.
	for _, i := range []int{providertest.FirstWhere(t, 0, func(i int) bool { return !hit(i) }), providertest.Population + 7} {
		res, body := e.Call(t, p, key1, e.eventRow(t, p, i))
		if res.Outcome != providers.NoHit || res.Code != "200" || res.Values[0] != "" || res.Values[1] != "" || res.Values[4] == "" {
			t.Fatalf("no-hit person %d: %+v (%s)", i, res, body)
		}
	}

	// The person is found through any of the event's identities.
	i := providertest.FirstWhere(t, 0, hit)
	per := e.Person(i)
	want, _ := e.Call(t, p, key1, e.eventRow(t, p, i))
	for _, cells := range []map[string]string{
		{"ip": per.IP},
		{"black_box": per.BlackBox},
		{"account_id": "unknown-account", "black_box": per.BlackBox},
	} {
		cells["event_time"] = "2024-05-06 07:08:09"
		res, body := e.Call(t, p, key1, providertest.Row(t, p, cells))
		if res.Outcome != providers.Hit || res.Values[0] != want.Values[0] {
			t.Errorf("resolve via %v: %+v, want score %s (%s)", cells, res, want.Values[0], body)
		}
	}
}

func TestCredentialsAndWire(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	rec := e.eventRow(t, p, 3)

	req, err := p.Prepare(rec)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.NewHTTPRequest(context.Background(), providers.Key{ID: "half", Credentials: map[string]string{"partner_key": "s3cret"}}, req)
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("missing partner_code: err %v", err)
	}
	hreq, err := p.NewHTTPRequest(context.Background(), key1, req)
	if err != nil {
		t.Fatal(err)
	}
	if hreq.Method != http.MethodPost || hreq.URL.Path != tdsim.Path || hreq.URL.Query().Get("partner_key") != "sandbox-td-key-1" ||
		!strings.HasPrefix(hreq.Header.Get("Content-Type"), "application/json") {
		t.Errorf("request shape: %s %s %v", hreq.Method, hreq.URL.Path, hreq.Header)
	}

	body, err := io.ReadAll(hreq.Body)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name         string
		method, path string
		ctype        string
		status       int
		code         int
		outcome      providers.Outcome
	}{
		{"text/plain", "POST", tdsim.Path, "text/plain", 200, 9202, providers.Fatal},
		{"form", "POST", tdsim.Path, "application/x-www-form-urlencoded", 200, 9202, providers.Fatal},
		{"no content type", "POST", tdsim.Path, "", 200, 9202, providers.Fatal},
		{"GET", "GET", tdsim.Path, "application/json", 405, 0, providers.Fatal},
		{"wrong path", "POST", "/fraud/promo/v1", "application/json", 404, 0, providers.Fatal},
		{"json charset", "POST", tdsim.Path, "application/json; charset=utf-8", 200, 200, providers.Hit},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, h, b := e.raw(t, c.method, c.path, goodQuery, c.ctype, body)
			if status != c.status {
				t.Fatalf("status %d, want %d (%s)", status, c.status, b)
			}
			res := p.Parse(status, h, b)
			if res.Outcome != c.outcome || (c.code != 0 && res.Code != strconv.Itoa(c.code)) {
				t.Fatalf("got %+v, want %s %d (%s)", res, c.outcome, c.code, b)
			}
		})
	}
	// Credentials are checked after the content type, before anything else.
	if _, _, b := e.raw(t, "POST", tdsim.Path, "partner_code=sandbox", "application/json", body); !strings.Contains(string(b), `"code":301`) {
		t.Errorf("missing partner_key: %s", b)
	}
}

// TestSimValidation sends bodies the client would refuse to build.
func TestSimValidation(t *testing.T) {
	e := newEnv(t)
	base := func() map[string]any {
		return map[string]any{
			"channel": "test", "session_id": "s1", "decision_event": "get_coupon",
			"event_time": "2021-10-12T14:20:50.521+07:00", "account_id": "123456789",
			"terminal":     map[string]any{"black_box": "aGPH1658920283672ropYaFxT7", "ip": "210.20.10.33"},
			"ext":          map[string]any{"ext_book_id": "LFOUHOFHOHFNOUH", "ext_book_num": 10},
			"event_detail": map[string]any{"get_coupon": map[string]any{"coupon_id": "X1", "amount": 5}},
		}
	}
	long := strings.Repeat("长", 1025)
	cases := []struct {
		name    string
		edit    func(m map[string]any)
		code    int
		message string
	}{
		{"ok", func(m map[string]any) {}, 200, ""},
		{"no channel", func(m map[string]any) { delete(m, "channel") }, 9001, "channel为空"},
		{"empty session", func(m map[string]any) { m["session_id"] = "" }, 9001, "session_id为空"},
		{"numeric channel", func(m map[string]any) { m["channel"] = 7 }, 9002, "channel参数校验错误"},
		{"unknown event", func(m map[string]any) { m["decision_event"] = "lottery" }, 9002, "decision_event参数校验错误"},
		{"upper-case event", func(m map[string]any) { m["decision_event"] = "GET_COUPON" }, 9002, "decision_event参数校验错误"},
		{"event time without ms", func(m map[string]any) { m["event_time"] = "2021-10-12T14:20:50+07:00" }, 9002, "event_time参数校验错误"},
		{"event time without zone", func(m map[string]any) { m["event_time"] = "2021-10-12 14:20:50" }, 9002, "event_time参数校验错误"},
		{"event time impossible", func(m map[string]any) { m["event_time"] = "2021-13-12T14:20:50.521+07:00" }, 9002, "event_time参数校验错误"},
		{"long account", func(m map[string]any) { m["account_id"] = long }, 9003, "account_id参数长度或者大小超过1024"},
		{"no terminal", func(m map[string]any) { delete(m, "terminal") }, 9001, "terminal为空"},
		{"empty terminal", func(m map[string]any) { m["terminal"] = map[string]any{} }, 9004, "black_box或ip至少存在一个"},
		{"bad ip", func(m map[string]any) { m["terminal"] = map[string]any{"ip": "300.1.1.1"} }, 9002, "ip参数校验错误"},
		{"ipv6 only", func(m map[string]any) { m["terminal"] = map[string]any{"ip": "2001:db8::1"} }, 200, ""},
		{"long ext", func(m map[string]any) { m["ext"] = map[string]any{"ext_a": long} }, 9003, "ext.ext_a参数长度或者大小超过1024"},
		{"no event_detail", func(m map[string]any) { delete(m, "event_detail") }, 9001, "event_detail为空"},
		{"two events", func(m map[string]any) {
			m["event_detail"] = map[string]any{"get_coupon": map[string]any{}, "withdraw": map[string]any{}}
		}, 9002, "event_detail参数校验错误"},
		{"other event", func(m map[string]any) { m["event_detail"] = map[string]any{"withdraw": map[string]any{}} }, 9002, "event_detail参数校验错误"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := base()
			c.edit(m)
			b, _ := json.Marshal(m)
			status, _, out := e.raw(t, "POST", tdsim.Path, goodQuery, "application/json", b)
			var a tdsim.Answer
			if err := json.Unmarshal(out, &a); err != nil || status != 200 {
				t.Fatalf("status %d body %s", status, out)
			}
			if a.Code != c.code || (c.code != 200 && a.Message != c.message) {
				t.Fatalf("got %d %q, want %d %q", a.Code, a.Message, c.code, c.message)
			}
		})
	}
	status, _, out := e.raw(t, "POST", tdsim.Path, goodQuery, "application/json", []byte(`{"channel":`))
	if status != 200 || !strings.Contains(string(out), `"code":9002`) {
		t.Errorf("broken JSON: %d %s", status, out)
	}
	// The document's own example request, as printed, is one the simulator
	// takes.
	doc, err := os.ReadFile(filepath.Join("testdata", "doc_request_example.json"))
	if err != nil {
		t.Fatal(err)
	}
	if status, _, out := e.raw(t, "POST", tdsim.Path, goodQuery, "application/json", doc); status != 200 || !strings.Contains(string(out), `"code":200`) {
		t.Errorf("the document's example request: %d %s", status, out)
	}
}
