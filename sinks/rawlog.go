package sinks

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// RawRecord is one line of raw.jsonl: one HTTP attempt.
type RawRecord struct {
	Time       time.Time `json:"time"`
	Row        int       `json:"row"`
	Provider   string    `json:"provider"`
	Key        string    `json:"key"` // key id, never the secret
	Attempt    int       `json:"attempt"`
	HTTPStatus int       `json:"http_status,omitempty"`
	Outcome    string    `json:"outcome"`
	Code       string    `json:"code,omitempty"`
	Billed     bool      `json:"billed"`
	InDoubt    bool      `json:"in_doubt,omitempty"`
	LatencyMS  float64   `json:"latency_ms"`
	Error      string    `json:"error,omitempty"` // already redacted by the caller
	// Pass is the job's pass (1 for the first run, +1 per resume).
	Pass int `json:"pass,omitempty"`
	// Source is "vendor" or "cache" for providers with an answer cache
	// (a cache line is no HTTP attempt: attempt 0, the answer's fetch time
	// in FetchedAt); empty otherwise.
	Source    string `json:"source,omitempty"`
	FetchedAt string `json:"fetched_at,omitempty"`
	// Body is the vendor's body: embedded (compacted) as raw JSON under
	// "body" when it is valid JSON, else as a string under "body_text" when
	// it is valid UTF-8, else base64 under "body_base64" (no byte is lost).
	// Omitted when empty.
	Body []byte `json:"-"`
	// BodyValid says Body is known to be valid JSON (the provider's Parse
	// has just read it: providers.Result.BodyJSON), so it is not checked
	// again under the log's lock.
	BodyValid bool `json:"-"`
}

// rawFlushSize: buffered lines are written once they reach this size.
// Every write(2) carries whole lines only, so a crash never leaves half a
// line behind a complete one (except for a torn write at the very end).
const rawFlushSize = 64 << 10

// RawLog is raw.jsonl: an append-only audit, one JSON line per HTTP
// attempt, written as calls happen, mode 0600. It is safe for concurrent
// use; lines from different goroutines never interleave. Writes are
// buffered: call Sync at checkpoints and Close at the end.
type RawLog struct {
	mu     sync.Mutex
	f      *os.File
	path   string
	buf    bytes.Buffer // pending whole lines
	closed bool
	err    error // sticky write error
}

// OpenRawLog opens (O_APPEND|O_CREATE) raw.jsonl with mode 0600; an existing
// file is chmod'ed to 0600 too. If an earlier run crashed mid-line, a
// newline is appended first so the torn line stays isolated.
func OpenRawLog(path string) (*RawLog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sinks: open raw log: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("sinks: chmod raw log: %w", err)
	}
	l := &RawLog{f: f, path: path}
	if torn, err := endsMidLine(path); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("sinks: raw log: %w", err)
	} else if torn {
		l.buf.WriteByte('\n')
	}
	return l, nil
}

// endsMidLine reports whether the file is non-empty and does not end in '\n'.
func endsMidLine(path string) (bool, error) {
	r, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer r.Close()
	st, err := r.Stat()
	if err != nil || st.Size() == 0 {
		return false, err
	}
	var b [1]byte
	if _, err := r.ReadAt(b[:], st.Size()-1); err != nil && err != io.EOF {
		return false, err
	}
	return b[0] != '\n', nil
}

// Write appends one record as one line (buffered).
func (l *RawLog) Write(r RawRecord) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return os.ErrClosed
	}
	if l.err != nil {
		return l.err
	}
	if y := r.Time.Year(); y < 0 || y > 9999 {
		return fmt.Errorf("sinks: raw log record: time %v out of range", r.Time)
	}
	l.buf.Write(appendRawRecord(l.buf.AvailableBuffer(), &r))
	if len(r.Body) > 0 {
		l.appendBody(r.Body, r.BodyValid)
	}
	l.buf.WriteString("}\n")
	if l.buf.Len() >= rawFlushSize {
		return l.flush()
	}
	return nil
}

func (l *RawLog) appendBody(body []byte, valid bool) {
	mark := l.buf.Len()
	l.buf.WriteString(`,"body":`)
	// A valid JSON body on one line goes in as it is (vendors send compact
	// JSON; compacting it again was 3% of a run's CPU), without checking
	// it again when the caller knows it is valid. Otherwise Compact
	// validates and removes the newlines, keeping the record one line.
	if bytes.IndexByte(body, '\n') < 0 && bytes.IndexByte(body, '\r') < 0 && (valid || json.Valid(body)) {
		l.buf.Write(body)
		return
	}
	if err := json.Compact(&l.buf, body); err == nil {
		return
	}
	l.buf.Truncate(mark)
	if utf8.Valid(body) {
		l.buf.WriteString(`,"body_text":`)
		l.buf.Write(AppendJSONString(l.buf.AvailableBuffer(), string(body)))
		return
	}
	l.buf.WriteString(`,"body_base64":"`)
	n := base64.StdEncoding.EncodedLen(len(body))
	l.buf.Grow(n + 1)
	dst := l.buf.AvailableBuffer()[:n]
	base64.StdEncoding.Encode(dst, body)
	l.buf.Write(dst)
	l.buf.WriteByte('"')
}

// appendRawRecord appends the record's JSON object without its closing
// brace (the body goes last), field for field what encoding/json writes
// for RawRecord: one line per attempt made encoding/json's reflection a
// visible share of a run's CPU.
func appendRawRecord(b []byte, r *RawRecord) []byte {
	b = append(b, `{"time":"`...)
	b = appendRFC3339Nano(b, r.Time)
	b = append(b, `","row":`...)
	b = strconv.AppendInt(b, int64(r.Row), 10)
	b = append(b, `,"provider":`...)
	b = AppendJSONString(b, r.Provider)
	b = append(b, `,"key":`...)
	b = AppendJSONString(b, r.Key)
	b = append(b, `,"attempt":`...)
	b = strconv.AppendInt(b, int64(r.Attempt), 10)
	if r.HTTPStatus != 0 {
		b = append(b, `,"http_status":`...)
		b = strconv.AppendInt(b, int64(r.HTTPStatus), 10)
	}
	b = append(b, `,"outcome":`...)
	b = AppendJSONString(b, r.Outcome)
	if r.Code != "" {
		b = append(b, `,"code":`...)
		b = AppendJSONString(b, r.Code)
	}
	b = append(b, `,"billed":`...)
	b = strconv.AppendBool(b, r.Billed)
	if r.InDoubt {
		b = append(b, `,"in_doubt":true`...)
	}
	b = append(b, `,"latency_ms":`...)
	b = appendMillis(b, r.LatencyMS)
	if r.Error != "" {
		b = append(b, `,"error":`...)
		b = AppendJSONString(b, r.Error)
	}
	if r.Pass != 0 {
		b = append(b, `,"pass":`...)
		b = strconv.AppendInt(b, int64(r.Pass), 10)
	}
	if r.Source != "" {
		b = append(b, `,"source":`...)
		b = AppendJSONString(b, r.Source)
	}
	if r.FetchedAt != "" {
		b = append(b, `,"fetched_at":`...)
		b = AppendJSONString(b, r.FetchedAt)
	}
	return b
}

// appendMillis is AppendJSONFloat(b, ms), written directly when ms is a
// whole number of microseconds below 10⁹ ms (the engine's latencies): the
// shortest form of such a float is that decimal, three fraction digits at
// most with trailing zeros dropped, since any other decimal of as few
// digits is at least 0.001 away and a float64 below 10⁹ is far finer.
// strconv's shortest-float search was a visible part of every raw.jsonl
// line (issue 18; TestAppendMillisMatchesAppendJSONFloat).
func appendMillis(b []byte, ms float64) []byte {
	if !(ms > 0 && ms < 1e9) {
		return AppendJSONFloat(b, ms)
	}
	us := math.Round(ms * 1000)
	if us/1000 != ms {
		return AppendJSONFloat(b, ms)
	}
	n := int64(us)
	b = strconv.AppendInt(b, n/1000, 10)
	frac := n % 1000
	if frac == 0 {
		return b
	}
	digits := [3]byte{byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
	end := 3
	for digits[end-1] == '0' {
		end--
	}
	b = append(b, '.')
	return append(b, digits[:end]...)
}

// appendRFC3339Nano is t.AppendFormat(b, time.RFC3339Nano), written
// directly for a UTC offset of zero (the usual case, once per attempt);
// other offsets go through AppendFormat. Years are 0–9999 (Write checks).
func appendRFC3339Nano(b []byte, t time.Time) []byte {
	if _, off := t.Zone(); off != 0 {
		return t.AppendFormat(b, time.RFC3339Nano)
	}
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-', byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+minute/10), byte('0'+minute%10), ':', byte('0'+sec/10), byte('0'+sec%10))
	if ns := t.Nanosecond(); ns != 0 {
		var f [10]byte
		f[0] = '.'
		for i := 9; i >= 1; i-- {
			f[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for f[n-1] == '0' {
			n--
		}
		b = append(b, f[:n]...)
	}
	return append(b, 'Z')
}

// flush writes the pending whole lines in one write call. Caller holds mu.
func (l *RawLog) flush() error {
	if l.err != nil {
		return l.err
	}
	if l.buf.Len() == 0 {
		return nil
	}
	if _, err := l.f.Write(l.buf.Bytes()); err != nil {
		l.err = fmt.Errorf("sinks: write raw log: %w", err)
		return l.err
	}
	l.buf.Reset()
	return nil
}

// Sync flushes buffered lines and fsyncs the file.
func (l *RawLog) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return os.ErrClosed
	}
	if err := l.flush(); err != nil {
		return err
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("sinks: fsync raw log: %w", err)
	}
	return nil
}

// Close flushes, fsyncs and closes the file. A second Close returns nil.
func (l *RawLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	err := l.flush()
	if err == nil {
		if serr := l.f.Sync(); serr != nil {
			err = fmt.Errorf("sinks: fsync raw log: %w", serr)
		}
	}
	if cerr := l.f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("sinks: close raw log: %w", cerr)
	}
	return err
}
