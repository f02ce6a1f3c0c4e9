package td

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// designTD is the TD row of docs/providers.md, written out independently of codes.go.
var designTD = map[int]struct {
	outcome   providers.Outcome
	permanent bool
}{
	200:  {providers.Hit, false},
	9001: {providers.Invalid, false},
	9002: {providers.Invalid, false},
	9003: {providers.Invalid, false},
	9004: {providers.Invalid, false},
	9200: {providers.Transient, false},
	9201: {providers.Transient, false},
	305:  {providers.Quota, false},
	303:  {providers.Quota, true},
	301:  {providers.Fatal, false},
	302:  {providers.Fatal, false},
	304:  {providers.Fatal, false},
	9202: {providers.Fatal, false},
}

func TestStatusCodesMatchDesign(t *testing.T) {
	got := StatusCodes()
	slices.Sort(got)
	var want []int
	for c := range designTD {
		want = append(want, c)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("StatusCodes() = %v, docs/providers.md lists %v", got, want)
	}
}

// TestForcedCodes forces every documented error code through the simulator,
// by key and by identity, and checks the client's classification. The force
// covers one answer: the next call is served normally.
func TestForcedCodes(t *testing.T) {
	codes := StatusCodes()
	slices.Sort(codes)
	for _, code := range codes {
		if code == 200 {
			continue
		}
		for _, by := range []string{"key", "identity"} {
			t.Run(strconv.Itoa(code)+"/"+by, func(t *testing.T) {
				e := newEnv(t)
				p := e.provider(t, nil)
				per := e.person(3)
				if by == "key" {
					e.srv.Force("td", key1.ID, "", strconv.Itoa(code), 1)
				} else {
					e.srv.Force("td", "", per.AccountID, strconv.Itoa(code), 1)
				}
				res, body := e.call(t, p, key1, e.eventRow(t, p, 3))
				want := designTD[code]
				if res.Outcome != want.outcome || res.Code != strconv.Itoa(code) || res.Permanent != want.permanent || res.Unknown || res.Values != nil {
					t.Fatalf("code %d: got %+v, want %+v (body %s)", code, res, want, body)
				}
				if res.Message == "" && code != 200 {
					t.Errorf("code %d: empty message", code)
				}
				var a struct {
					SequenceID string `json:"sequence_id"`
				}
				if json.Unmarshal(body, &a) != nil || len(a.SequenceID) != 32 {
					t.Errorf("code %d: body %s lacks a 32-character sequence_id", code, body)
				}
				// Served normally afterwards.
				if res, body := e.call(t, p, key1, e.eventRow(t, p, 3)); res.Code != "200" {
					t.Fatalf("after the forced answer: %+v (%s)", res, body)
				}
			})
		}
	}
}

func TestForcedFieldMessages(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	e.srv.Force("td", key1.ID, "", "9001", 1)
	res, _ := e.call(t, p, key1, e.eventRow(t, p, 3))
	if res.Message != "session_id为空" {
		t.Errorf("forced 9001 message %q, want the document's {字段名}为空 with a field", res.Message)
	}
}

func TestUnknownCode(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	e.srv.Force("td", key1.ID, "", "9999", 1)
	res, body := e.call(t, p, key1, e.eventRow(t, p, 3))
	if res.Outcome != providers.Transient || !res.Unknown || res.Code != "9999" {
		t.Fatalf("unknown code: %+v (%s)", res, body)
	}
}

// TestHTTPLevel covers failures below the vendor's codes.
func TestHTTPLevel(t *testing.T) {
	cases := []struct {
		fault      string
		outcome    providers.Outcome
		code       string
		retryAfter time.Duration
	}{
		{"http_500", providers.Transient, "HTTP 500", 0},
		{"http_502", providers.Transient, "HTTP 502", 0},
		{"http_503", providers.Transient, "HTTP 503", 0},
		{"malformed", providers.Transient, "HTTP 200", 0},
		{"reset", providers.Transient, "network", 0},
		{"timeout", providers.Transient, "timeout", 0},
		{"http_429", providers.Throttled, "HTTP 429", time.Second},
	}
	for _, c := range cases {
		t.Run(c.fault, func(t *testing.T) {
			e := newEnv(t)
			p := e.provider(t, nil)
			e.srv.Force("td", key1.ID, "", c.fault, 1)
			res, body := e.call(t, p, key1, e.eventRow(t, p, 5))
			if res.Outcome != c.outcome || res.Code != c.code || res.RetryAfter != c.retryAfter {
				t.Fatalf("%s: got %+v, want %s %s RetryAfter %v (body %q)", c.fault, res, c.outcome, c.code, c.retryAfter, body)
			}
			if strings.Contains(res.Message, "sandbox-td-key-1") {
				t.Errorf("%s: message leaks the partner_key: %s", c.fault, res.Message)
			}
		})
	}
}

// TestParse covers answers the simulator does not produce.
func TestParse(t *testing.T) {
	p, err := New(providers.Config{Endpoint: "https://api.example.com/x", Options: map[string]any{"channel": "c"}})
	if err != nil {
		t.Fatal(err)
	}
	date := http.Header{"Retry-After": []string{time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)}}
	cases := []struct {
		name    string
		status  int
		header  http.Header
		body    string
		outcome providers.Outcome
		code    string
		vals    []string
	}{
		{"429 date", 429, date, "", providers.Throttled, "HTTP 429", nil},
		{"404", 404, nil, "not found", providers.Fatal, "HTTP 404", nil},
		{"no code", 200, nil, `{"message":"x"}`, providers.Transient, "HTTP 200", nil},
		{"html", 200, nil, `<html>`, providers.Transient, "HTTP 200", nil},
		{"string code", 200, nil, `{"code":"200","sequence_id":"S","score":"12","result":"accept","reasons":[]}`, providers.Hit, "200", []string{"12", "accept", "通过", "", "S"}},
		{"null score", 200, nil, `{"code":200,"sequence_id":"S","score":null}`, providers.NoHit, "200", []string{"", "", "", "", "S"}},
		{"doc example", 200, nil, `{"code":200,"message":"","sequence_id":"1648777165770866F82AC7F326307055","score":90,"result":"decline","reasons":[{"id":"IDRBVBBY","reason":"短时间内操作频率异常"}]}`,
			providers.Hit, "200", []string{"90", "decline", "拒绝", "IDRBVBBY 短时间内操作频率异常", "1648777165770866F82AC7F326307055"}},
		{"bad score", 200, nil, `{"code":200,"score":"high"}`, providers.Transient, "200", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := p.Parse(c.status, c.header, []byte(c.body))
			if res.Outcome != c.outcome || res.Code != c.code || !slices.Equal(res.Values, c.vals) {
				t.Fatalf("got %+v, want %s %s %q", res, c.outcome, c.code, c.vals)
			}
			if c.name == "429 date" && (res.RetryAfter < 80*time.Second || res.RetryAfter > 91*time.Second) {
				t.Errorf("Retry-After HTTP-date: %v", res.RetryAfter)
			}
		})
	}
}

func TestHitsAndNoHits(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	pop := e.srv.Population()
	hit := func(i int) bool { _, _, h := answerFor(pop, i); return h }
	score := func(i int) int { s, _, _ := answerFor(pop, i); return s }

	// A hit in each band, with its reasons.
	for _, band := range []struct {
		result string
		in     func(int) bool
	}{
		{"accept", func(s int) bool { return s < 40 }},
		{"review", func(s int) bool { return s >= 40 && s < 80 }},
		{"decline", func(s int) bool { return s >= 80 }},
	} {
		i := firstWhere(t, pop, 0, func(i int) bool { return hit(i) && band.in(score(i)) })
		res, body := e.call(t, p, key1, e.eventRow(t, p, i))
		s, reasons, _ := answerFor(pop, i)
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
	for _, i := range []int{firstWhere(t, pop, 0, func(i int) bool { return !hit(i) }), testPopulation + 7} {
		res, body := e.call(t, p, key1, e.eventRow(t, p, i))
		if res.Outcome != providers.NoHit || res.Code != "200" || res.Values[0] != "" || res.Values[1] != "" || res.Values[4] == "" {
			t.Fatalf("no-hit person %d: %+v (%s)", i, res, body)
		}
	}

	// The person is found through any of the event's identities.
	i := firstWhere(t, pop, 0, hit)
	per := e.person(i)
	want, _ := e.call(t, p, key1, e.eventRow(t, p, i))
	for _, cells := range []map[string]string{
		{"ip": per.IP},
		{"black_box": per.BlackBox},
		{"account_id": "unknown-account", "black_box": per.BlackBox},
	} {
		cells["event_time"] = "2024-05-06 07:08:09"
		res, body := e.call(t, p, key1, row(t, p, cells))
		if res.Outcome != providers.Hit || res.Values[0] != want.Values[0] {
			t.Errorf("resolve via %v: %+v, want score %s (%s)", cells, res, want.Values[0], body)
		}
	}
}

func TestDeterminism(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	rec := e.eventRow(t, p, 11)
	_, b1 := e.call(t, p, key1, rec)
	_, b2 := e.call(t, p, key2, rec)
	if string(b1) != string(b2) {
		t.Fatalf("same request, different answers:\n%s\n%s", b1, b2)
	}
	// A fresh sandbox with the same seed answers the same.
	e2 := newEnv(t)
	_, b3 := e2.call(t, e2.provider(t, nil), key1, rec)
	if string(b1) != string(b3) {
		t.Fatalf("same seed, different answers:\n%s\n%s", b1, b3)
	}
	// Billing: every code-200 answer is billed.
	if c := e.srv.Counters("td"); c.Keys["td/td-1"].Billed != 1 || c.Keys["td/td-2"].Billed != 1 {
		t.Errorf("billing counters %+v", c.Keys)
	}
}

func TestCredentialsAndWire(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	rec := e.eventRow(t, p, 3)

	bad := providers.Key{ID: "bad", Credentials: map[string]string{"partner_code": "sandbox", "partner_key": "wrong-secret"}}
	res, _ := e.call(t, p, bad, rec)
	if res.Outcome != providers.Fatal || res.Code != "301" || strings.Contains(res.Message, "wrong-secret") {
		t.Errorf("wrong partner_key: %+v", res)
	}
	if c := e.srv.Counters("td"); len(c.Keys) != 0 {
		t.Errorf("an unauthenticated call was counted: %+v", c.Keys)
	}

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
	if hreq.Method != http.MethodPost || hreq.URL.Path != Path || hreq.URL.Query().Get("partner_key") != "sandbox-td-key-1" ||
		!strings.HasPrefix(hreq.Header.Get("Content-Type"), "application/json") {
		t.Errorf("request shape: %s %s %v", hreq.Method, hreq.URL.Path, hreq.Header)
	}

	body := req.Payload.(payload).body
	cases := []struct {
		name         string
		method, path string
		ctype        string
		status       int
		code         int
		outcome      providers.Outcome
	}{
		{"text/plain", "POST", Path, "text/plain", 200, 9202, providers.Fatal},
		{"form", "POST", Path, "application/x-www-form-urlencoded", 200, 9202, providers.Fatal},
		{"no content type", "POST", Path, "", 200, 9202, providers.Fatal},
		{"GET", "GET", Path, "application/json", 405, 0, providers.Fatal},
		{"wrong path", "POST", "/fraud/promo/v1", "application/json", 404, 0, providers.Fatal},
		{"json charset", "POST", Path, "application/json; charset=utf-8", 200, 200, providers.Hit},
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
	if _, _, b := e.raw(t, "POST", Path, "partner_code=sandbox", "application/json", body); !strings.Contains(string(b), `"code":301`) {
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
			status, _, out := e.raw(t, "POST", Path, goodQuery, "application/json", b)
			var a simAnswer
			if err := json.Unmarshal(out, &a); err != nil || status != 200 {
				t.Fatalf("status %d body %s", status, out)
			}
			if a.Code != c.code || (c.code != 200 && a.Message != c.message) {
				t.Fatalf("got %d %q, want %d %q", a.Code, a.Message, c.code, c.message)
			}
		})
	}
	status, _, out := e.raw(t, "POST", Path, goodQuery, "application/json", []byte(`{"channel":`))
	if status != 200 || !strings.Contains(string(out), `"code":9002`) {
		t.Errorf("broken JSON: %d %s", status, out)
	}
}

func TestQPSLimit(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	e.srv.SetLimits("td", sandbox.Limits{QPS: 1, Burst: 2})
	var throttled, ok int
	for i := 0; i < 6; i++ {
		res, body := e.call(t, p, key1, e.eventRow(t, p, i))
		switch res.Outcome {
		case providers.Throttled:
			throttled++
			if res.RetryAfter < time.Second || res.Code != "HTTP 429" {
				t.Errorf("throttled answer %+v (%s)", res, body)
			}
		case providers.Hit, providers.NoHit:
			ok++
		default:
			t.Errorf("call %d: %+v", i, res)
		}
	}
	if ok < 2 || throttled == 0 {
		t.Fatalf("burst of 6 at 1 QPS (burst 2): %d served, %d throttled", ok, throttled)
	}
	// Another key has its own bucket.
	if res, _ := e.call(t, p, key2, e.eventRow(t, p, 1)); res.Outcome == providers.Throttled {
		t.Errorf("key td-2 throttled by td-1's traffic")
	}
}

func TestDailyQuota(t *testing.T) {
	e := newEnv(t)
	p := e.provider(t, nil)
	ctx := context.Background()
	e.srv.SetLimits("td", sandbox.Limits{DailyQuota: 3})
	day := time.Date(2025, 3, 1, 10, 0, 0, 0, shanghai)
	if err := e.admin.SetClock(ctx, day); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if res, body := e.call(t, p, key1, e.eventRow(t, p, i)); res.Code != "200" {
			t.Fatalf("call %d within quota: %+v (%s)", i, res, body)
		}
	}
	res, body := e.call(t, p, key1, e.eventRow(t, p, 3))
	if res.Outcome != providers.Quota || res.Code != "305" || res.Permanent {
		t.Fatalf("4th call: %+v (%s)", res, body)
	}
	// 23:59 in Beijing is still the same TD day (15:59 UTC).
	if err := e.admin.SetClock(ctx, time.Date(2025, 3, 1, 23, 59, 0, 0, shanghai)); err != nil {
		t.Fatal(err)
	}
	if res, _ := e.call(t, p, key1, e.eventRow(t, p, 3)); res.Code != "305" {
		t.Fatalf("same Beijing day: %+v", res)
	}
	if err := e.admin.SetClock(ctx, time.Date(2025, 3, 2, 0, 0, 30, 0, shanghai)); err != nil {
		t.Fatal(err)
	}
	if res, body := e.call(t, p, key1, e.eventRow(t, p, 3)); res.Code != "200" {
		t.Fatalf("next day: %+v (%s)", res, body)
	}
}

func TestPrepareValidation(t *testing.T) {
	p, err := New(providers.Config{Endpoint: "https://api.example.com/fraud", Options: map[string]any{"channel": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	okCells := func() map[string]string {
		return map[string]string{"decision_event": "get_coupon", "event_time": "2024-05-06 07:08:09", "ip": "10.0.0.1"}
	}
	long := strings.Repeat("x", 1025)
	cases := []struct {
		name   string
		edit   func(m map[string]string)
		code   string
		field  string
		column string
		masked string
	}{
		{"no event and no default", func(m map[string]string) { delete(m, "decision_event") }, "9001", "decision_event", "", ""},
		{"unknown event", func(m map[string]string) { m["decision_event"] = "lottery" }, "9002", "decision_event", "decision_event", "lottery"},
		{"event not enum-like is masked", func(m map[string]string) { m["decision_event"] = "330328199001016789" }, "9002", "decision_event", "decision_event", "3****************9"},
		{"no event time", func(m map[string]string) { m["event_time"] = " " }, "9001", "event_time", "event_time", ""},
		{"bad event time", func(m map[string]string) { m["event_time"] = "yesterday" }, "9002", "event_time", "event_time", "y*******y"},
		{"date only", func(m map[string]string) { m["event_time"] = "2024-05-06" }, "9002", "event_time", "event_time", "2********6"},
		{"bad ip", func(m map[string]string) { m["ip"] = "10.0.0.256" }, "9002", "ip", "ip", "1********6"},
		{"no terminal", func(m map[string]string) { delete(m, "ip") }, "9004", "black_box", "", ""},
		{"blank terminal", func(m map[string]string) { m["ip"] = ""; m["blackbox"] = "  " }, "9004", "black_box", "blackbox", ""},
		{"long account", func(m map[string]string) { m["用户ID"] = long }, "9003", "account_id", "用户ID", ""},
		{"long session", func(m map[string]string) { m["会话ID"] = long }, "9003", "session_id", "会话ID", ""},
		{"long ext", func(m map[string]string) { m["ext_note"] = long }, "9003", "", "ext_note", ""},
		{"long detail", func(m map[string]string) { m["detail_note"] = long }, "9003", "", "detail_note", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cells := okCells()
			c.edit(cells)
			_, err := p.Prepare(row(t, p, cells))
			var re *providers.RowError
			if !errors.As(err, &re) {
				t.Fatalf("Prepare: %v, want a RowError", err)
			}
			if re.Code != c.code || re.Field != c.field || re.Column != c.column || (c.masked != "" && re.Masked != c.masked) {
				t.Fatalf("got %+v, want code %s field %q column %q masked %q", re, c.code, c.field, c.column, c.masked)
			}
			if strings.Contains(re.Error(), "10.0.0.256") || strings.Contains(re.Error(), "330328199001016789") {
				t.Errorf("error shows the raw value: %s", re)
			}
		})
	}
}

// TestPrepareBadIPWithBlackBox: the terminal needs black_box or ip, so with
// a black_box a bad ip is optional: left out with a warning, the row is
// sent — the same lookup as without the ip. Without a black_box it stays
// invalid (TestPrepareValidation's "bad ip").
func TestPrepareBadIPWithBlackBox(t *testing.T) {
	p, err := New(providers.Config{Endpoint: "https://api.example.com/fraud", Options: map[string]any{"channel": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	cells := map[string]string{"decision_event": "get_coupon", "event_time": "2024-05-06 07:08:09", "black_box": "aGPH1658920283672ropYaFxT7", "ip": "10.0.0.256"}
	req, err := p.Prepare(row(t, p, cells))
	if err != nil {
		t.Fatalf("Prepare: %v, want the row sent without the ip", err)
	}
	if len(req.Warnings) != 1 || req.Warnings[0].Code != "9002" || req.Warnings[0].Column != "ip" || req.Warnings[0].Masked != "1********6" {
		t.Fatalf("warnings %v, want one 9002 on column ip, masked", req.Warnings)
	}
	if strings.Contains(req.Warnings[0].Error(), "10.0.0.256") {
		t.Errorf("warning shows the raw value: %s", req.Warnings[0])
	}
	delete(cells, "ip")
	ref, err := p.Prepare(row(t, p, cells))
	if err != nil {
		t.Fatal(err)
	}
	if req.Dedupe != ref.Dedupe {
		t.Error("the row without its bad ip is not the same lookup as the row without an ip")
	}
}

func TestPrepareBody(t *testing.T) {
	p, err := New(providers.Config{Endpoint: "https://api.example.com/fraud", Options: map[string]any{"channel": "test", "decision_event": "marketing", "time_zone": "Asia/Jakarta"}})
	if err != nil {
		t.Fatal(err)
	}
	cells := map[string]string{
		"时间": "2021-10-12 14:20:50.521", "账户ID": "123456789", "设备指纹": "aGPH1658920283672ropYaFxT7", "IP地址": " 210.20.10.33 ",
		"ext_book_id": "LFOUHOFHOHFNOUH", "ext_book_num": "10", "ext_empty": "",
		"detail_marketing_id": "X08938", "detail_begin_time": "1596358039000", "detail_code": "007",
		"detail_long_id": "3303281990010167890", "detail_neg": "-5", "detail_ratio": "1.5",
	}
	req, err := p.Prepare(row(t, p, cells))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(req.Payload.(payload).body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"channel": "test", "decision_event": "marketing", "event_time": "2021-10-12T14:20:50.521+07:00",
		"account_id": "123456789",
		"terminal":   map[string]any{"black_box": "aGPH1658920283672ropYaFxT7", "ip": "210.20.10.33"},
		"ext":        map[string]any{"ext_book_id": "LFOUHOFHOHFNOUH", "ext_book_num": "10"},
		"event_detail": map[string]any{"marketing": map[string]any{
			"marketing_id": "X08938", "begin_time": float64(1596358039000), "code": "007",
			"long_id": "3303281990010167890", "neg": float64(-5), "ratio": "1.5",
		}},
	}
	sid, _ := got["session_id"].(string)
	delete(got, "session_id")
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if string(gb) != string(wb) {
		t.Fatalf("body\n got %s\nwant %s", gb, wb)
	}
	if len(sid) != 32 || !strings.HasPrefix(sid, "rb") || len(req.Notes) != 1 {
		t.Errorf("derived session_id %q, notes %v", sid, req.Notes)
	}
	// Same row again: same session, same body, same dedupe key.
	req2, _ := p.Prepare(row(t, p, cells))
	if req2.Dedupe != req.Dedupe {
		t.Errorf("dedupe key not stable")
	}
	// A different event time is a different lookup.
	cells["时间"] = "2021-10-12 14:20:51"
	req3, _ := p.Prepare(row(t, p, cells))
	if req3.Dedupe == req.Dedupe {
		t.Errorf("different events share a dedupe key")
	}
	// The cell's event (here a Chinese label) overrides the default, and an
	// empty event_detail object is still sent.
	req4, err := p.Prepare(row(t, p, map[string]string{"decision_event": "领券", "event_time": "2021-10-12T14:20:50Z", "ip": "::ffff:10.1.2.3", "session_id": "abc"}))
	if err != nil {
		t.Fatal(err)
	}
	if b := string(req4.Payload.(payload).body); !strings.Contains(b, `"decision_event":"get_coupon"`) ||
		!strings.Contains(b, `"event_detail":{"get_coupon":{}}`) || !strings.Contains(b, `"ip":"10.1.2.3"`) ||
		!strings.Contains(b, `"event_time":"2021-10-12T14:20:50.000+00:00"`) || !strings.Contains(b, `"session_id":"abc"`) || strings.Contains(b, `"ext"`) {
		t.Errorf("body %s", b)
	}
}

func TestNormalizeEventTime(t *testing.T) {
	sh := shanghai
	cases := []struct{ in, want string }{
		{"2021-10-12T14:20:50.521+07:00", "2021-10-12T14:20:50.521+07:00"},
		{"2021-10-12T14:20:50+08:00", "2021-10-12T14:20:50.000+08:00"},
		{"2021-10-12T06:20:50.5Z", "2021-10-12T06:20:50.500+00:00"},
		{"2021-10-12T14:20:50.521+0700", "2021-10-12T14:20:50.521+07:00"},
		{"2021-10-12 14:20:50", "2021-10-12T14:20:50.000+08:00"},
		{"2021-10-12 14:20:50.123456", "2021-10-12T14:20:50.123+08:00"},
		{"2021-10-12T14:20:50", "2021-10-12T14:20:50.000+08:00"},
		{"2021-10-12 14:20", "2021-10-12T14:20:00.000+08:00"},
		{"2021/10/12 14:20:50", "2021-10-12T14:20:50.000+08:00"},
		{"2021/1/2 4:05", "2021-01-02T04:05:00.000+08:00"},
		{"2021/1/2 14:05", "2021-01-02T14:05:00.000+08:00"},
		{"2021年10月12日 14:20:50", "2021-10-12T14:20:50.000+08:00"},
		{"20211012142050", "2021-10-12T14:20:50.000+08:00"},
		{"1634019650521", "2021-10-12T14:20:50.521+08:00"},
		{"1634019650", "2021-10-12T14:20:50.000+08:00"},
		{"44481.5978009259", "2021-10-12T14:20:50.000+08:00"}, // Excel serial
		{"44481", ""},      // Excel date without time
		{"2021-10-12", ""}, // date only
		{"20211012", ""},   // date only
		{"1999-12-31 23:59:59", ""},
		{"tomorrow", ""},
		{"2021-02-30 10:00:00", ""},
	}
	for _, c := range cases {
		got, why := NormalizeEventTime(c.in, sh)
		if got != c.want || (c.want == "" && why == "") {
			t.Errorf("NormalizeEventTime(%q) = %q, %q; want %q", c.in, got, why, c.want)
		}
		if why != "" && strings.Contains(why, c.in) {
			t.Errorf("reason echoes the value: %q", why)
		}
	}
}

func TestNewOptions(t *testing.T) {
	cases := []struct {
		name     string
		endpoint string
		opts     map[string]any
		wantErr  string
	}{
		{"ok", "https://a.example/fraud", map[string]any{"channel": "c"}, ""},
		{"no channel", "https://a.example/fraud", map[string]any{}, "channel"},
		{"bad event", "https://a.example/fraud", map[string]any{"channel": "c", "decision_event": "lottery"}, "decision_event"},
		{"bad zone", "https://a.example/fraud", map[string]any{"channel": "c", "time_zone": "Mars/Olympus"}, "time_zone"},
		{"unknown option", "https://a.example/fraud", map[string]any{"channel": "c", "chanel": "x"}, "chanel"},
		{"relative endpoint", "/fraud", map[string]any{"channel": "c"}, "absolute"},
		{"key in endpoint", "https://a.example/fraud?partner_key=s3cret", map[string]any{"channel": "c"}, "partner_key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(providers.Config{Endpoint: c.endpoint, Options: c.opts})
			if (err == nil) != (c.wantErr == "") || (err != nil && !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("err %v, want %q", err, c.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
	spec, ok := providers.Lookup("td")
	if !ok || spec.TimeZone != "Asia/Shanghai" || len(spec.Credentials) != 2 {
		t.Errorf("registration %+v", spec)
	}
}
