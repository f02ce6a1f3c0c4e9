package journal_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/pipeline/journal"
)

// writeRecords appends recs to a new journal at path and returns its bytes
// and each record's offset.
func writeRecords(t *testing.T, path string, recs []journal.Record) ([]byte, []int64) {
	t.Helper()
	j, err := journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var offs []int64
	for i := range recs {
		off, err := j.Append(&recs[i])
		if err != nil {
			t.Fatal(err)
		}
		offs = append(offs, off)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b, offs
}

func threeRecords() []journal.Record {
	return []journal.Record{
		{Type: journal.TypeIntent, Row: 1, Provider: "juhe", AttemptID: 1, KeyID: "k1", Run: 1},
		{Type: journal.TypeOutcome, Row: 1, Provider: "juhe", AttemptID: 1, KeyID: "k1", Outcome: "hit", Status: "hit", Code: "0",
			Values: []string{"6", "张三"}, Billed: true, Digest: "9cdd464b8022c9d36b9d4bea341276d3"},
		{Type: journal.TypeIntent, Row: 2, Provider: "juhe", AttemptID: 2, KeyID: "k2", Run: 1},
	}
}

// TestScanDamage: a torn or damaged LAST record is cut off the file with a
// note naming its line (the records before it are read, and an append
// continues on a clean line); damage before the end is an error naming
// line and offset that points at --fresh, and leaves the file as it was.
func TestScanDamage(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(b []byte) []byte
		read    int      // records handed to fn
		note    string   // in the note; empty: no note
		wantErr []string // in the error; empty: no error
	}{
		{
			name:   "intact",
			damage: func(b []byte) []byte { return b },
			read:   3,
		},
		{
			name: "torn last record, no newline",
			damage: func(b []byte) []byte {
				last := bytes.LastIndexByte(b[:len(b)-1], '\n') + 1
				return b[:last+(len(b)-last)/2]
			},
			read: 2,
			note: "dropped a torn last record at line 3 (no end of line)",
		},
		{
			name: "last record with a bad checksum",
			damage: func(b []byte) []byte {
				last := bytes.LastIndexByte(b[:len(b)-1], '\n') + 1
				b[last+12] ^= 0x01
				return b
			},
			read: 2,
			note: "dropped a torn last record at line 3 (checksum mismatch)",
		},
		{
			name: "garbage line in the middle",
			damage: func(b []byte) []byte {
				first := bytes.IndexByte(b, '\n') + 1
				return append(append(append([]byte(nil), b[:first]...), "garbage\n"...), b[first:]...)
			},
			read:    1,
			wantErr: []string{"damaged at line 2", "malformed record", "--fresh"},
		},
		{
			name: "second record changed",
			damage: func(b []byte) []byte {
				first := bytes.IndexByte(b, '\n') + 1
				b[first+12] ^= 0x01
				return b
			},
			read:    1,
			wantErr: []string{"damaged at line 2", "checksum mismatch"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal.log")
			recs := threeRecords()
			whole, _ := writeRecords(t, path, recs)
			damaged := tc.damage(append([]byte(nil), whole...))
			if err := os.WriteFile(path, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			var got []string
			note, err := journal.Scan(path, func(r *journal.Record, _ int64) error {
				got = append(got, r.Type+r.Provider+r.KeyID)
				return nil
			})
			if len(got) != tc.read {
				t.Errorf("read %d records (%q), want %d", len(got), got, tc.read)
			}
			after, rerr := os.ReadFile(path)
			if rerr != nil {
				t.Fatal(rerr)
			}
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("Scan of a damaged journal succeeded (note %q)", note)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error does not say %q: %v", w, err)
					}
				}
				if !bytes.Equal(after, damaged) {
					t.Errorf("Scan changed a journal it refused")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.note == "" && note != "" || !strings.Contains(note, tc.note) {
				t.Errorf("note %q, want one saying %q", note, tc.note)
			}
			// The file now ends after the last good record, so an append
			// starts on a line of its own and a second Scan reads it.
			end := 0
			for range tc.read {
				end += bytes.IndexByte(whole[end:], '\n') + 1
			}
			if !bytes.Equal(after, whole[:end]) {
				t.Fatalf("journal after Scan is\n%s\nwant\n%s", after, whole[:end])
			}
			j, err := journal.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := j.Append(&recs[2]); err != nil {
				t.Fatal(err)
			}
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			n := 0
			if note, err := journal.Scan(path, func(*journal.Record, int64) error { n++; return nil }); err != nil || note != "" {
				t.Fatalf("second Scan: note %q, error %v", note, err)
			}
			if n != tc.read+1 {
				t.Errorf("second Scan read %d records, want %d", n, tc.read+1)
			}
		})
	}
}

// TestScanMissing: no journal yet is an empty one.
func TestScanMissing(t *testing.T) {
	note, err := journal.Scan(filepath.Join(t.TempDir(), "journal.log"), func(*journal.Record, int64) error {
		t.Error("fn called for a journal that does not exist")
		return nil
	})
	if note != "" || err != nil {
		t.Errorf("Scan of a missing journal: note %q, error %v", note, err)
	}
}

// TestReadAt: the offsets Append and Scan give read back their records,
// a record longer than ReadAt's first window included.
func TestReadAt(t *testing.T) {
	recs := threeRecords()
	recs[1].Values = append(recs[1].Values, strings.Repeat("风险", 3000)) // ~18 KB: past the 4 KiB window
	path := filepath.Join(t.TempDir(), "journal.log")
	_, offs := writeRecords(t, path, recs)
	var scanned []int64
	if _, err := journal.Scan(path, func(_ *journal.Record, off int64) error {
		scanned = append(scanned, off)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i, off := range offs {
		if scanned[i] != off {
			t.Errorf("record %d: Scan says offset %d, Append said %d", i, scanned[i], off)
		}
		r, err := journal.ReadAt(f, off)
		if err != nil {
			t.Fatalf("ReadAt(%d): %v", off, err)
		}
		if r.Type != recs[i].Type || r.Row != recs[i].Row || strings.Join(r.Values, "|") != strings.Join(recs[i].Values, "|") {
			t.Errorf("ReadAt(%d) = %+v, want %+v", off, r, recs[i])
		}
	}
	// An offset in the middle of a record is not a record.
	if _, err := journal.ReadAt(f, offs[1]+3); err == nil {
		t.Error("ReadAt in the middle of a record succeeded")
	}
}
