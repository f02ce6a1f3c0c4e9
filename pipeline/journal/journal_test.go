package journal

// The encoder against encoding/json, and the journal's benchmarks
// (BENCHMARKS.md):
//
//	go test ./pipeline/journal -run '^$' -bench . -benchmem

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// benchRecord is a final outcome as the engine journals it.
func benchRecord(i int) *Record {
	return &Record{Type: TypeOutcome, Row: i, Provider: "juhe", AttemptID: uint64(i), KeyID: "juhe-1", Outcome: "hit", Status: "hit", Code: "0",
		Values: []string{"76", "1", "1", "R001 多头借贷(中); R017 法院失信(高)", "J482590142762941976510"}, Billed: true,
		Digest: "802f707b02320cb69e84b104dd111a18"}
}

// BenchmarkJournalAppend is one outcome record: encoding, checksum and the
// write(2) that makes it survive a SIGKILL.
func BenchmarkJournalAppend(b *testing.B) {
	j, err := Open(filepath.Join(b.TempDir(), "journal.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	rec := benchRecord(1)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		rec.Row, rec.AttemptID = i+1, uint64(i+1)
		if _, err := j.Append(rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJournalEncode is the encoding alone (no system call).
func BenchmarkJournalEncode(b *testing.B) {
	rec := benchRecord(1)
	var buf []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = appendRecord(buf[:0], rec)
	}
}

// The hand-written journal encoding is what encoding/json writes, and
// reads back through the journal's own parser.
func TestRecordMatchesEncodingJSON(t *testing.T) {
	recs := []*Record{
		{Type: TypeIntent, Row: 1, Provider: "juhe", AttemptID: 1, KeyID: "juhe-1", Run: 1},
		{Type: TypeOutcome, Row: 2, Provider: "td", AttemptID: 9, KeyID: "td-1", Outcome: "transient", Code: "network"},
		{Type: TypeOutcome, Row: 3, Provider: "zhicheng", Outcome: "invalid", Status: "invalid", Code: "44005", Message: "vendor said \"no\"\n\t<bad>", Values: []string{}},
		{Type: TypeOutcome, Row: 0, Provider: "", Values: []string{"", "张三", "a\x00b", "\u2028"}, Billed: true, Digest: "00"},
		benchRecord(123456),
	}
	for _, r := range recs {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
		got := appendRecord(nil, r)
		if string(got) != strings.TrimSuffix(want.String(), "\n") {
			t.Errorf("journal record %+v:\n got %s\nwant %s", r, got, want.String())
		}
	}
	// Round trip through Append and ScanJournal.
	path := filepath.Join(t.TempDir(), "journal.log")
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if _, err := j.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	n := 0
	if _, err := Scan(path, func(r *Record, off int64) error {
		want, _ := json.Marshal(recs[n])
		got, _ := json.Marshal(r)
		if !bytes.Equal(got, want) {
			t.Errorf("record %d read back as %s, want %s", n, got, want)
		}
		n++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != len(recs) {
		t.Errorf("read back %d records, want %d", n, len(recs))
	}
}
