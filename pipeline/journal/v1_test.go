package journal_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/pipeline/journal"
)

// journalV1 is the journal of the engine's journal_v1 fixture
// (pipeline/testdata/journal_v1, see its README.md): written before the
// record's fields had real names, ending in a torn record. The fixture is a
// whole job state that pipeline's TestResumeJournalV1 resumes, so it lives
// with the engine's testdata; this test reads only its journal.
const journalV1 = "../testdata/journal_v1/journal.log"

// TestJournalV1Bytes: the fixture's records, read and appended again,
// are the fixture's bytes (the parser and the hand-written encoder keep
// the on-disk form), and records built with the fields' names are the
// fixture's lines.
func TestJournalV1Bytes(t *testing.T) {
	fixture, err := os.ReadFile(journalV1)
	if err != nil {
		t.Fatal(err)
	}
	whole := fixture[:bytes.LastIndexByte(fixture, '\n')+1] // without the torn last line
	lines := strings.SplitAfter(string(whole), "\n")
	lines = lines[:len(lines)-1]

	// Scan cuts the torn line off the file it reads: read a copy.
	dir := t.TempDir()
	path := filepath.Join(dir, "journal.log")
	if err := os.WriteFile(path, fixture, 0o600); err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(dir, "again.log")
	j, err := journal.Open(again)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	note, err := journal.Scan(path, func(r *journal.Record, _ int64) error {
		n++
		_, err := j.Append(r)
		return err
	})
	if cerr := j.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if n != len(lines) {
		t.Errorf("records read: %d, want %d", n, len(lines))
	}
	if !strings.Contains(note, "torn last record at line 32") {
		t.Errorf("note %q does not name the torn line 32", note)
	}
	got, err := os.ReadFile(again)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, whole) {
		gl := strings.SplitAfter(string(got), "\n")
		for i := range min(len(gl), len(lines)) {
			if gl[i] != lines[i] {
				t.Fatalf("line %d written again as\n%s want\n%s", i+1, gl[i], lines[i])
			}
		}
		t.Fatalf("journal written again has %d bytes, the fixture %d", len(got), len(whole))
	}

	tests := []struct {
		line int // in the fixture, 1-based
		rec  journal.Record
	}{
		{1, journal.Record{Type: journal.TypeIntent, Row: 1, Provider: "juhe", AttemptID: 1, KeyID: "k1", Run: 1}},
		{2, journal.Record{Type: journal.TypeOutcome, Row: 1, Provider: "juhe", AttemptID: 1, KeyID: "k1", Outcome: "hit", Status: "hit", Code: "0", Message: "成功",
			Values: []string{"6", "1", "1", "", "J847520797344712543241"}, Billed: true, Digest: "9cdd464b8022c9d36b9d4bea341276d3"}},
		{4, journal.Record{Type: journal.TypeOutcome, Row: 2, Provider: "juhe", AttemptID: 2, KeyID: "k2", Outcome: "transient", Code: "network", InDoubt: true}},
		{8, journal.Record{Type: journal.TypeOutcome, Row: 3, Provider: "juhe", AttemptID: 4, KeyID: "k2", Outcome: "throttled", Code: "HTTP 429"}},
		{12, journal.Record{Type: journal.TypeOutcome, Row: 4, Provider: "juhe", AttemptID: 6, KeyID: "k1", Outcome: "invalid", Status: "invalid", Code: "237001", Message: "参数错误",
			Digest: "aa5fc2815ffc5e4093f442ac0a6522c0"}},
		{24, journal.Record{Type: journal.TypeOutcome, Row: 9, Provider: "juhe", AttemptID: 12, KeyID: "k1", Outcome: "quota", Code: "10012"}},
		{31, journal.Record{Type: journal.TypeIntent, Row: 11, Provider: "juhe", AttemptID: 3, KeyID: "k1", Run: 2}},
	}
	path = filepath.Join(dir, "named.log")
	j, err = journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, tc := range tests {
		if _, err := j.Append(&tc.rec); err != nil {
			t.Fatal(err)
		}
		want.WriteString(lines[tc.line-1])
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	got, err = os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	gl, wl := strings.SplitAfter(string(got), "\n"), strings.SplitAfter(want.String(), "\n")
	for i, tc := range tests {
		if gl[i] != wl[i] {
			t.Errorf("%+v written as\n%s fixture line %d is\n%s", tc.rec, gl[i], tc.line, wl[i])
		}
	}
}
