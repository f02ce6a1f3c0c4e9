package td

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/providertest"
)

// TestParse covers answers the simulator does not produce (the HTTP
// statuses every client reads alike are in the conformance suite).
func TestParse(t *testing.T) {
	p, err := New(providers.Config{Endpoint: "https://api.example.com/x", Options: map[string]any{"channel": "c"}})
	if err != nil {
		t.Fatal(err)
	}
	providertest.CheckParse(t, p, []providertest.ParseCase{
		{Name: "no code", Status: 200, Body: `{"message":"x"}`, Outcome: providers.Transient, Code: "HTTP 200"},
		{Name: "string code", Status: 200, Body: `{"code":"200","sequence_id":"S","score":"12","result":"accept","reasons":[]}`,
			Outcome: providers.Hit, Code: "200", Values: []string{"12", "accept", "通过", "", "S"}},
		{Name: "null score", Status: 200, Body: `{"code":200,"sequence_id":"S","score":null}`, Outcome: providers.NoHit, Code: "200", Values: []string{"", "", "", "", "S"}},
		{Name: "bad score", Status: 200, Body: `{"code":200,"score":"high"}`, Outcome: providers.Transient, Code: "200"},
	})
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
			_, err := p.Prepare(providertest.Row(t, p, cells))
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
	req, err := p.Prepare(providertest.Row(t, p, cells))
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
	ref, err := p.Prepare(providertest.Row(t, p, cells))
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
	req, err := p.Prepare(providertest.Row(t, p, cells))
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
	req2, _ := p.Prepare(providertest.Row(t, p, cells))
	if req2.Dedupe != req.Dedupe {
		t.Errorf("dedupe key not stable")
	}
	// A different event time is a different lookup.
	cells["时间"] = "2021-10-12 14:20:51"
	req3, _ := p.Prepare(providertest.Row(t, p, cells))
	if req3.Dedupe == req.Dedupe {
		t.Errorf("different events share a dedupe key")
	}
	// The cell's event (here a Chinese label) overrides the default, and an
	// empty event_detail object is still sent.
	req4, err := p.Prepare(providertest.Row(t, p, map[string]string{"decision_event": "领券", "event_time": "2021-10-12T14:20:50Z", "ip": "::ffff:10.1.2.3", "session_id": "abc"}))
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
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
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
