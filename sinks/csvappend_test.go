package sinks

import (
	"bytes"
	"encoding/csv"
	"math/rand/v2"
	"strings"
	"testing"
)

// csvWriterLine is what encoding/csv's Writer (comma, "\n") writes for
// record: the reference appendCSVRecord must match byte for byte.
func csvWriterLine(t testing.TB, record []string) string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(record); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	return b.String()
}

// csvPieces: the bytes and runes that decide quoting (comma, quote, CR,
// LF, `\.`, white space of every kind at the start: ASCII, U+0085, U+00A0,
// U+1680, U+2000, U+2028, U+3000), text around them, invalid UTF-8.
var csvPieces = []string{"", "a", "张三", ",", "\"", "\"\"", "\r", "\n", "\r\n", `\.`, `\`, ".", " ", "\t", "\v", "\f",
	"\u0085", "\u00a0", "\u1680", "\u2000", "\u2028", "\u3000", "\xff", "\xc2", "x y", "13800138000", "高风险；多头"}

func TestAppendCSVRecordMatchesWriter(t *testing.T) {
	var records [][]string
	for _, p := range csvPieces {
		records = append(records, []string{p}, []string{p, p}, []string{"", p, ""})
	}
	r := rand.New(rand.NewPCG(18, 7))
	for range 20000 {
		rec := make([]string, 1+r.IntN(6))
		for i := range rec {
			var b strings.Builder
			for range r.IntN(4) {
				b.WriteString(csvPieces[r.IntN(len(csvPieces))])
			}
			rec[i] = b.String()
		}
		records = append(records, rec)
	}
	for _, rec := range records {
		if got, want := string(appendCSVRecord(nil, rec)), csvWriterLine(t, rec); got != want {
			t.Fatalf("appendCSVRecord(%q) = %q, encoding/csv writes %q", rec, got, want)
		}
	}
}

func FuzzAppendCSVRecord(f *testing.F) {
	for _, p := range csvPieces {
		f.Add(p, "x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, rec := range [][]string{{a}, {a, b}, {b, a, ""}} {
			if got, want := string(appendCSVRecord(nil, rec)), csvWriterLine(t, rec); got != want {
				t.Fatalf("appendCSVRecord(%q) = %q, encoding/csv writes %q", rec, got, want)
			}
		}
	})
}
