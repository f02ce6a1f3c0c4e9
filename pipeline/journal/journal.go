// Package journal is a job's journal: the append-only file of attempt
// records that resume trusts (docs/state-and-resume.md, "Where the state lives"). It
// owns the record's on-disk form (the hand-written encoder, the checksum,
// the parser), durable appends and reading back, torn last line included;
// what the records mean to a run is the engine's (pipeline).
package journal

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/riskbatch/riskbatch/sinks"
)

// The journal is the source of truth for resume: an append-only file of
// records, one per line, each "crc32hex json\n". It holds, per attempt, an
// intent written before the request leaves and an outcome written when the
// answer (or error) arrives; an outcome that ends the (row, provider) pair
// carries the result columns.
//
// Writes go straight to the kernel (one write per record, no user-space
// buffer) so a SIGKILL loses nothing; fsync is group-committed by a
// background goroutine (every commitEvery) and on Close, which bounds what a
// power loss could cost. A torn last record (a crash mid-write) is dropped
// with a note on load; a bad record anywhere else is an error.
type Journal struct {
	path string

	mu     sync.Mutex
	f      *os.File
	off    int64
	buf    []byte // the record being written, reused
	dirty  bool
	closed bool
	err    error
	stop   chan struct{}
	done   chan struct{}
}

const commitEvery = 50 * time.Millisecond

// Record is one line of the journal. The JSON keys are one or two
// letters to keep a record per attempt short; they are the on-disk format
// and never change (a journal written by an older binary must resume), so a
// new field takes a new key. docs/state-and-resume.md lists them.
type Record struct {
	Type string `json:"t"` // TypeIntent or TypeOutcome
	Row  int    `json:"r"` // 1-based data row
	// Provider is the job's provider name.
	Provider string `json:"p"`
	// AttemptID links an outcome to its intent. It restarts at 1 in every
	// run (Run tells the runs apart); 0 on an answer from the answer cache.
	AttemptID uint64 `json:"q,omitempty"`
	KeyID     string `json:"k,omitempty"`
	// Run is the run number of an intent: 1 for the first run, 2 for the
	// first resume, ...
	Run int `json:"n,omitempty"`
	// Outcome is the attempt's outcome (an outcome record):
	// providers.Outcome, hit to fatal.
	Outcome string `json:"x,omitempty"`
	// Status is set when this outcome ends the (row, provider) pair: hit,
	// no_hit or invalid. Only such a record is reused on resume.
	Status string `json:"s,omitempty"`
	// Code is the vendor's code, or an engine code (network, timeout,
	// unreachable, ...) for an attempt without the vendor's answer.
	Code string `json:"c,omitempty"`
	// Message is the vendor's message on a final outcome, redacted.
	Message string `json:"m,omitempty"`
	// Values are the result columns of a final outcome, in the provider's
	// Columns order.
	Values []string `json:"v,omitempty"`
	Billed bool     `json:"b,omitempty"`
	// Digest is the dedupe digest of the request (hex, 16 bytes) on a final
	// outcome: a later run reuses the answer for an identical request.
	Digest string `json:"d,omitempty"`
	// Source is "cache" (pipeline.SourceCache) for an answer served from the
	// answer cache (no call; FetchedAt is when the vendor gave it, unix ms);
	// empty for a vendor's answer.
	Source    string `json:"src,omitempty"`
	FetchedAt int64  `json:"at,omitempty"`
	// InDoubt marks an outcome whose request left but whose answer never
	// came (possibly billed; the budget counts it as spent).
	InDoubt bool `json:"u,omitempty"`
}

// The record types.
const (
	TypeIntent  = "i" // written before the request leaves
	TypeOutcome = "o" // written when the answer or the error arrives
)

// appendRecord appends r as the JSON object encoding/json writes for
// Record (same keys, order and omitempty), without reflection: two
// records per HTTP attempt made the encoder a visible share of a run's CPU.
func appendRecord(b []byte, r *Record) []byte {
	b = append(b, `{"t":`...)
	b = sinks.AppendJSONString(b, r.Type)
	b = append(b, `,"r":`...)
	b = strconv.AppendInt(b, int64(r.Row), 10)
	b = append(b, `,"p":`...)
	b = sinks.AppendJSONString(b, r.Provider)
	if r.AttemptID != 0 {
		b = append(b, `,"q":`...)
		b = strconv.AppendUint(b, r.AttemptID, 10)
	}
	str := func(b []byte, key, v string) []byte {
		if v == "" {
			return b
		}
		b = append(b, ',', '"')
		b = append(b, key...)
		b = append(b, '"', ':')
		return sinks.AppendJSONString(b, v)
	}
	b = str(b, "k", r.KeyID)
	if r.Run != 0 {
		b = append(b, `,"n":`...)
		b = strconv.AppendInt(b, int64(r.Run), 10)
	}
	b = str(b, "x", r.Outcome)
	b = str(b, "s", r.Status)
	b = str(b, "c", r.Code)
	b = str(b, "m", r.Message)
	if len(r.Values) > 0 {
		b = append(b, `,"v":[`...)
		for i, v := range r.Values {
			if i > 0 {
				b = append(b, ',')
			}
			b = sinks.AppendJSONString(b, v)
		}
		b = append(b, ']')
	}
	if r.Billed {
		b = append(b, `,"b":true`...)
	}
	b = str(b, "d", r.Digest)
	b = str(b, "src", r.Source)
	if r.FetchedAt != 0 {
		b = append(b, `,"at":`...)
		b = strconv.AppendInt(b, r.FetchedAt, 10)
	}
	if r.InDoubt {
		b = append(b, `,"u":true`...)
	}
	return append(b, '}')
}

// Open opens (creating, mode 0600) the journal for appending.
func Open(path string) (*Journal, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open journal: %w", err)
	}
	j := &Journal{path: path, f: f, off: st.Size(), stop: make(chan struct{}), done: make(chan struct{})}
	go j.committer()
	return j, nil
}

func (j *Journal) committer() {
	defer close(j.done)
	t := time.NewTicker(commitEvery)
	defer t.Stop()
	for {
		select {
		case <-j.stop:
			return
		case <-t.C:
			j.Sync()
		}
	}
}

// Append writes one record and returns its offset in the file.
func (j *Journal) Append(r *Record) (int64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return 0, j.err
	}
	if j.closed {
		return 0, errors.New("journal closed")
	}
	b := append(j.buf[:0], "00000000 "...)
	b = appendRecord(b, r)
	b = append(b, '\n')
	j.buf = b
	sum := crc32.ChecksumIEEE(b[9 : len(b)-1])
	hex.Encode(b[:8], []byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
	off := j.off
	n, err := j.f.Write(b)
	j.off += int64(n)
	if err != nil {
		j.err = fmt.Errorf("journal write: %w", err)
		return 0, j.err
	}
	j.dirty = true
	return off, nil
}

// Sync fsyncs pending records.
func (j *Journal) Sync() error {
	j.mu.Lock()
	if !j.dirty || j.closed {
		err := j.err
		j.mu.Unlock()
		return err
	}
	j.dirty = false
	f := j.f
	j.mu.Unlock()
	if err := f.Sync(); err != nil {
		j.mu.Lock()
		j.err = fmt.Errorf("journal fsync: %w", err)
		j.mu.Unlock()
		return err
	}
	return nil
}

// Close syncs and closes the journal.
func (j *Journal) Close() error {
	close(j.stop)
	<-j.done
	err := j.Sync()
	j.mu.Lock()
	defer j.mu.Unlock()
	j.closed = true
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadAt reads the record at off (an offset returned by Append or Load).
func ReadAt(f *os.File, off int64) (*Record, error) {
	// Records are short; read a window and grow it if a line is longer.
	size := 4096
	for {
		buf := make([]byte, size)
		n, err := f.ReadAt(buf, off)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		buf = buf[:n]
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			rec, perr := parseRecord(buf[:i])
			return rec, perr
		}
		if n < size {
			return nil, fmt.Errorf("journal: torn record at offset %d", off)
		}
		size *= 4
	}
}

func parseRecord(line []byte) (*Record, error) {
	if len(line) < 10 || line[8] != ' ' {
		return nil, errors.New("malformed record")
	}
	var want [4]byte
	if _, err := hex.Decode(want[:], line[:8]); err != nil {
		return nil, errors.New("malformed checksum")
	}
	got := crc32.ChecksumIEEE(line[9:])
	if got != uint32(want[0])<<24|uint32(want[1])<<16|uint32(want[2])<<8|uint32(want[3]) {
		return nil, errors.New("checksum mismatch")
	}
	var r Record
	if err := json.Unmarshal(line[9:], &r); err != nil {
		return nil, fmt.Errorf("bad record: %w", err)
	}
	return &r, nil
}

// Scan reads every record of the journal at path in order, calling fn
// with each record and its offset. A torn or damaged LAST record is cut off
// the file (truncated, so appends continue cleanly) and reported in the
// returned note; damage before the end is an error naming the offset.
func Scan(path string, fn func(r *Record, off int64) error) (note string, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0o600)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read journal: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	var off int64
	line := 0
	for {
		b, rerr := br.ReadBytes('\n')
		if len(b) == 0 && errors.Is(rerr, io.EOF) {
			return note, nil
		}
		line++
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return "", fmt.Errorf("read journal %s: %w", path, rerr)
		}
		complete := len(b) > 0 && b[len(b)-1] == '\n'
		var rec *Record
		var perr error
		if complete {
			rec, perr = parseRecord(b[:len(b)-1])
		} else {
			perr = errors.New("no end of line")
		}
		if perr != nil {
			// Only the last record may be torn: peek whether anything follows.
			if _, pk := br.Peek(1); !complete || errors.Is(pk, io.EOF) {
				if terr := f.Truncate(off); terr != nil {
					return "", fmt.Errorf("journal %s: drop torn last record: %w", path, terr)
				}
				return fmt.Sprintf("journal: dropped a torn last record at line %d (%v); the call it described is treated as in doubt", line, perr), nil
			}
			return "", fmt.Errorf("journal %s is damaged at line %d (offset %d): %v; it cannot be trusted for resume (start over with --fresh)", path, line, off, perr)
		}
		if err := fn(rec, off); err != nil {
			return "", err
		}
		off += int64(len(b))
	}
}
