package sinks

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

type rawLine struct {
	RawRecord
	Body       json.RawMessage `json:"body"`
	BodyText   *string         `json:"body_text"`
	BodyBase64 *string         `json:"body_base64"`
}

func readRawLines(t *testing.T, path string) []rawLine {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []rawLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var l rawLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d not valid JSON: %v: %q", n, err, sc.Bytes())
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var rawBodies = []struct {
	name string
	body []byte
	kind string // "json", "text", "base64", ""
}{
	{"json", []byte(`{"error_code":0,"result":{"found":1,"riskScore":85,"姓名":"张三"}}`), "json"},
	{"json-multiline", []byte("{\n  \"code\": \"10000\",\n  \"data\": [1, 2]\n}\n"), "json"},
	{"html", []byte("<html>502 Bad Gateway\n</html>"), "text"},
	{"truncated-json", []byte(`{"code":200,"data":`), "text"},
	{"gbk", []byte{0xd5, 0xc5, 0xc8, 0xfd}, "base64"}, // 张三 in GBK
	{"empty", nil, ""},
}

func TestRawLogConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "raw.jsonl")
	l, err := OpenRawLog(path)
	if err != nil {
		t.Fatal(err)
	}
	const goroutines, per = 8, 400 // > rawFlushSize in total, so flushes interleave with writes
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 6, time.FixedZone("CST", 8*3600))
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				b := rawBodies[(g+i)%len(rawBodies)]
				r := RawRecord{
					Time: t0, Row: g*per + i + 1, Provider: "juhe", Key: fmt.Sprintf("k%d", g),
					Attempt: i%3 + 1, HTTPStatus: 200, Outcome: b.name, Billed: i%2 == 0,
					InDoubt: i%5 == 0, LatencyMS: 12.5, Body: b.body,
				}
				if err := l.Write(r); err != nil {
					t.Error(err)
					return
				}
				if i%97 == 0 {
					if err := l.Sync(); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := l.Write(RawRecord{}); err == nil {
		t.Error("Write after Close accepted")
	}
	if m := fileMode(t, path); m != 0o600 {
		t.Errorf("mode %v, want 0600", m)
	}
	lines := readRawLines(t, path)
	if len(lines) != goroutines*per {
		t.Fatalf("%d lines, want %d", len(lines), goroutines*per)
	}
	seen := make(map[int]bool)
	for _, ln := range lines {
		if seen[ln.Row] {
			t.Fatalf("row %d twice", ln.Row)
		}
		seen[ln.Row] = true
		if !ln.Time.Equal(t0) {
			t.Errorf("time %v, want %v", ln.Time, t0)
		}
		var want []byte
		var kind string
		for _, b := range rawBodies {
			if b.name == ln.Outcome {
				want, kind = b.body, b.kind
			}
		}
		switch kind {
		case "json":
			var a, b any
			if err := json.Unmarshal(ln.Body, &a); err != nil {
				t.Fatalf("row %d body: %v", ln.Row, err)
			}
			_ = json.Unmarshal(want, &b)
			if fmt.Sprint(a) != fmt.Sprint(b) || ln.BodyText != nil {
				t.Errorf("row %d body = %s, want %s embedded", ln.Row, ln.Body, want)
			}
		case "text":
			if ln.BodyText == nil || *ln.BodyText != string(want) || ln.Body != nil {
				t.Errorf("row %d body_text = %v, want %q", ln.Row, ln.BodyText, want)
			}
		case "base64":
			if ln.BodyBase64 == nil || *ln.BodyBase64 != base64.StdEncoding.EncodeToString(want) {
				t.Errorf("row %d body_base64 = %v", ln.Row, ln.BodyBase64)
			}
		case "":
			if ln.Body != nil || ln.BodyText != nil || ln.BodyBase64 != nil {
				t.Errorf("row %d: empty body written", ln.Row)
			}
		}
	}
}

func TestRawLogLineFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "raw.jsonl")
	l, err := OpenRawLog(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		rec  RawRecord
		want string
	}{
		{RawRecord{Time: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Row: 7, Provider: "td", Key: "td-1", Attempt: 2,
			HTTPStatus: 200, Outcome: "hit", Code: "200", Billed: true, LatencyMS: 31.25,
			Body: []byte("{ \"code\" : 200,\n \"msg\":\"<ok>&\" }")},
			`{"time":"2025-01-02T03:04:05Z","row":7,"provider":"td","key":"td-1","attempt":2,"http_status":200,"outcome":"hit","code":"200","billed":true,"latency_ms":31.25,"body":{"code":200,"msg":"<ok>&"}}`},
		{RawRecord{Time: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Row: 8, Provider: "juhe", Key: "j", Attempt: 1,
			Outcome: "transient", InDoubt: true, Error: "read tcp: connection reset", Body: []byte("oops\n")},
			`{"time":"2025-01-02T03:04:05Z","row":8,"provider":"juhe","key":"j","attempt":1,"outcome":"transient","billed":false,"in_doubt":true,"latency_ms":0,"error":"read tcp: connection reset","body_text":"oops\n"}`},
	}
	for _, tc := range tests {
		if err := l.Write(tc.rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	if len(lines) != len(tests) {
		t.Fatalf("%d lines: %q", len(lines), data)
	}
	for i, tc := range tests {
		if string(lines[i]) != tc.want {
			t.Errorf("line %d\n got %s\nwant %s", i+1, lines[i], tc.want)
		}
	}
}

// An existing log is appended to (never truncated), chmod'ed to 0600, and a
// line torn by a crash is isolated from the next record.
func TestRawLogAppendExisting(t *testing.T) {
	tests := []struct {
		name     string
		existing string
		wantPre  int // complete lines kept before ours
	}{
		{"clean", `{"row":1}` + "\n", 1},
		{"torn", `{"row":1}` + "\n" + `{"row":2,"prov`, 2},
		{"empty", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "raw.jsonl")
			if err := os.WriteFile(path, []byte(tc.existing), 0o644); err != nil {
				t.Fatal(err)
			}
			l, err := OpenRawLog(path)
			if err != nil {
				t.Fatal(err)
			}
			if m := fileMode(t, path); m != 0o600 {
				t.Errorf("mode after open %v, want 0600", m)
			}
			if err := l.Write(RawRecord{Row: 42, Outcome: "hit"}); err != nil {
				t.Fatal(err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(path)
			if !bytes.HasPrefix(data, []byte(tc.existing)) {
				t.Fatalf("existing content not kept: %q", data)
			}
			lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
			if len(lines) != tc.wantPre+1 {
				t.Fatalf("%d lines, want %d: %q", len(lines), tc.wantPre+1, data)
			}
			var last RawRecord
			if err := json.Unmarshal(lines[len(lines)-1], &last); err != nil || last.Row != 42 {
				t.Errorf("last line %q: %v", lines[len(lines)-1], err)
			}
		})
	}
}

// TestRawLogBodyValid: a body the caller marks valid JSON is written
// exactly as an unmarked one is (only the check is skipped), and a body
// with a newline is still compacted onto one line.
func TestRawLogBodyValid(t *testing.T) {
	bodies := []string{`{"code":"10000","data":{"a":[1,2,{"b":"日本"}]}}`, "{\n  \"a\": 1\n}", `{"a": "x y"}`, `[ 1 , 2 ]`}
	var files [2]string
	for i, valid := range []bool{false, true} {
		files[i] = filepath.Join(t.TempDir(), "raw.jsonl")
		l, err := OpenRawLog(files[i])
		if err != nil {
			t.Fatal(err)
		}
		for n, b := range bodies {
			if err := l.Write(RawRecord{Time: time.Unix(1700000000, 0).UTC(), Row: n, Provider: "p", Key: "k", Attempt: 1, Outcome: "hit", Body: []byte(b), BodyValid: valid}); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := os.ReadFile(files[0])
	b, _ := os.ReadFile(files[1])
	if !bytes.Equal(a, b) {
		t.Fatalf("marked valid:\n%s\nunmarked:\n%s", b, a)
	}
	if lines := readRawLines(t, files[1]); len(lines) != len(bodies) || string(lines[1].Body) != `{"a":1}` {
		t.Fatalf("lines: %+v", lines)
	}
}

func TestAppendRFC3339NanoMatchesFormat(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("CST", 8*3600), time.FixedZone("X", -3*3600-30*60), time.FixedZone("Z0", 0), time.Local}
	r := rand.New(rand.NewPCG(18, 9))
	for i := range 20000 {
		sec := r.Int64N(253402300799) // 0001-01-01 .. 9999-12-31 from 1970, both sides
		if i%2 == 0 {
			sec = -sec / 40
		}
		ns := r.Int64N(1e9)
		switch i % 5 {
		case 0:
			ns = 0
		case 1:
			ns = ns / 1000 * 1000
		case 2:
			ns = 100000000
		}
		tm := time.Unix(sec, ns).In(zones[i%len(zones)])
		if y := tm.Year(); y < 0 || y > 9999 {
			continue
		}
		if got, want := string(appendRFC3339Nano(nil, tm)), tm.Format(time.RFC3339Nano); got != want {
			t.Fatalf("appendRFC3339Nano(%v) = %s, want %s", tm, got, want)
		}
	}
	now := time.Now()
	if got, want := string(appendRFC3339Nano(nil, now)), now.Format(time.RFC3339Nano); got != want {
		t.Fatalf("now: %s, want %s", got, want)
	}
}
