package sinks

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// stdJSON is what encoding/json writes for v with HTML escaping off, the
// reference the hand-written appenders must match byte for byte.
func stdJSON(t *testing.T, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	cases := []string{
		"", "plain", "张三 王五", `quote " and backslash \`, "tab\tnewline\ncr\r", "\b\f\x00\x01\x1f\x7f",
		"<html>&amp;</html>", "line\u2028sep\u2029para", "bad utf-8 \xff\xfe end", "\xe4\xb8", "emoji 😀",
		"https://apis.juhe.cn/anti_fraud/query?key=[redacted]",
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, r.IntN(24))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		got := string(AppendJSONString(nil, s))
		if want := stdJSON(t, s); got != want {
			t.Fatalf("AppendJSONString(%q) = %s, encoding/json writes %s", s, got, want)
		}
	}
}

func TestAppendJSONFloatMatchesEncodingJSON(t *testing.T) {
	cases := []float64{0, 1, -1, 0.5, 3.388, 926.904, 1e-6, 9.99e-7, 1e-7, 1.5e-9, 1e20, 1e21, 1.2345e22, -2.5e-8, math.MaxFloat64, math.SmallestNonzeroFloat64}
	r := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		cases = append(cases, r.NormFloat64()*math.Pow(10, float64(r.IntN(40)-20)))
	}
	for _, f := range cases {
		got := string(AppendJSONFloat(nil, f))
		if want := stdJSON(t, f); got != want {
			t.Fatalf("AppendJSONFloat(%v) = %s, encoding/json writes %s", f, got, want)
		}
	}
}

// TestAppendMillisMatchesAppendJSONFloat: raw.jsonl's latency as the
// engine computes it (whole microseconds ÷ 1000) at every magnitude up to
// 10⁹ ms, the boundaries around it, and floats that are not whole
// microseconds (which take the general path), each as AppendJSONFloat.
func TestAppendMillisMatchesAppendJSONFloat(t *testing.T) {
	cases := []float64{0, math.Copysign(0, -1), -1, 0.001, 0.01, 0.1, 0.999, 1, 1.5, 3.388, 10, 999999999.999, 1e9, 1e9 + 0.001, 1e12, 0.0005, 1e-7, 3.3885, math.Inf(1), math.NaN(), math.MaxFloat64}
	r := rand.New(rand.NewPCG(18, 5))
	for range 200000 {
		us := r.Int64N(int64(math.Pow(10, float64(1+r.IntN(12)))))
		cases = append(cases, float64(us)/1000, float64(time.Duration(us)*time.Microsecond/time.Microsecond)/1000)
	}
	for range 2000 {
		cases = append(cases, r.Float64()*math.Pow(10, float64(r.IntN(12))))
	}
	for _, f := range cases {
		if got, want := string(appendMillis(nil, f)), string(AppendJSONFloat(nil, f)); got != want {
			t.Fatalf("appendMillis(%v) = %s, AppendJSONFloat %s", f, got, want)
		}
	}
}

// A raw.jsonl line without a body is exactly what encoding/json writes for
// the RawRecord, in every combination of the omitempty fields.
func TestRawRecordLineMatchesEncodingJSON(t *testing.T) {
	base := RawRecord{
		Time: time.Date(2026, 11, 25, 14, 6, 55, 970702431, time.FixedZone("CST", 8*3600)),
		Row:  23, Provider: "zhicheng", Key: "zc-1", Attempt: 1, Outcome: "hit", LatencyMS: 3.388,
	}
	for mask := range 32 {
		r := base
		if mask&1 != 0 {
			r.HTTPStatus = 200
		}
		if mask&2 != 0 {
			r.Code = "10000"
		}
		if mask&4 != 0 {
			r.InDoubt, r.Billed = true, true
		}
		if mask&8 != 0 {
			r.Error = "Post \"http://127.0.0.1/submit\": EOF \"quoted\"\n"
			r.Time = r.Time.UTC()
		}
		if mask&16 != 0 {
			r.Pass, r.Source, r.FetchedAt = 2, "cache", "2026-11-20T01:02:03Z"
		}
		got := string(appendRawRecord(nil, &r)) + "}"
		if want := stdJSON(t, r); got != want {
			t.Fatalf("record %+v:\n got %s\nwant %s", r, got, want)
		}
	}
}
