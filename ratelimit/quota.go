package ratelimit

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/riskbatch/riskbatch/ratelimit/filelock"
)

// ErrStoreClosed is returned by QuotaStore methods after Close.
var ErrStoreClosed = errors.New("ratelimit: quota store closed")

// maxQuota bounds a daily limit so that a counter always fits the fixed-width record.
const maxQuota = 999_999_999

// QuotaStore holds persistent per-key daily call counters, shared by every job and every
// process that uses the key. One small file per key fingerprint lives in the store's
// directory; each operation takes an exclusive flock(2) on that file, reads the single
// fixed-width record, updates it in place and unlocks, so concurrent processes (and several
// stores opened on the same directory inside one process) never grant more than the limit.
//
// The record is written with pwrite and not fsynced per call: a crash of the process keeps
// the page cache, so the count survives; Close fsyncs every file it touched.
//
// A QuotaStore is safe for concurrent use.
type QuotaStore struct {
	dir string

	mu     sync.Mutex
	files  map[string]*quotaFile
	closed bool
}

type quotaFile struct {
	mu   sync.Mutex // serialises goroutines of this process; the file lock serialises processes
	f    *os.File
	path string
}

// quotaRecord is the content of one key's file: the counter for one quota day.
type quotaRecord struct {
	day       string // "2006-01-02" in the pool's Location; "" for a new file
	used      int
	limit     int  // last limit seen by Reserve (0 = unknown)
	exhausted bool // the vendor said this key's quota for day is spent
}

const recordFormat = "riskbatch-quota v1 day=%s used=%010d limit=%010d exhausted=%d\n"

var recordLen = len(fmt.Sprintf(recordFormat, "2006-01-02", 0, 0, 0))

// DefaultStateDir returns the per-user directory for quota state:
// $RISKBATCH_STATE_DIR, else $XDG_STATE_HOME/riskbatch, else ~/.local/state/riskbatch.
func DefaultStateDir() (string, error) {
	if d := os.Getenv("RISKBATCH_STATE_DIR"); d != "" {
		return d, nil
	}
	// The XDG spec says relative paths are invalid and must be ignored.
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "riskbatch"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("ratelimit: no state directory: set RISKBATCH_STATE_DIR: %w", err)
	}
	return filepath.Join(home, ".local", "state", "riskbatch"), nil
}

// OpenQuotaStore opens (creating with mode 0700 if needed) the quota state directory dir.
// Files are created with mode 0600. An existing directory's mode is left alone.
func OpenQuotaStore(dir string) (*QuotaStore, error) {
	if dir == "" {
		return nil, errors.New("ratelimit: empty quota state directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("ratelimit: quota state directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("ratelimit: quota state directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("ratelimit: quota state directory %s is not a directory", dir)
	}
	return &QuotaStore{dir: dir, files: make(map[string]*quotaFile)}, nil
}

// Dir returns the store's directory.
func (s *QuotaStore) Dir() string { return s.dir }

// Reserve atomically takes one unit of fingerprint's quota for day: if fewer than limit units
// are used (and the vendor has not declared the day spent), the count is incremented and
// persisted before Reserve returns, and ok is true. used is the count after the operation.
// A file still holding an earlier day starts the new day at zero.
func (s *QuotaStore) Reserve(fingerprint string, day string, limit int) (used int, ok bool, err error) {
	if limit <= 0 || limit > maxQuota {
		return 0, false, fmt.Errorf("ratelimit: quota limit %d out of range 1..%d", limit, maxQuota)
	}
	err = s.update(fingerprint, day, func(r *quotaRecord) (bool, error) {
		switch {
		case r.day == "" || r.day < day:
			*r = quotaRecord{day: day}
		case r.day > day:
			return false, fmt.Errorf("ratelimit: quota file for this key is already at day %s, later than %s (clock or time zone mismatch between jobs?)", r.day, day)
		}
		changed := r.limit != limit
		r.limit = limit
		used = r.used
		if r.exhausted || r.used >= limit {
			return changed, nil
		}
		r.used++
		used, ok = r.used, true
		return true, nil
	})
	if err != nil {
		return 0, false, err
	}
	return used, ok, nil
}

// Refund gives back one unit reserved for day (a call that never left). Refunds for a day
// the file has already moved past are ignored.
func (s *QuotaStore) Refund(fingerprint, day string) error {
	return s.update(fingerprint, day, func(r *quotaRecord) (bool, error) {
		if r.day != day || r.used == 0 {
			return false, nil
		}
		r.used--
		return true, nil
	})
}

// Used returns the units used for day (0 if the file holds another day or does not exist).
func (s *QuotaStore) Used(fingerprint, day string) (int, error) {
	var used int
	err := s.update(fingerprint, day, func(r *quotaRecord) (bool, error) {
		if r.day == day {
			used = r.used
		}
		return false, nil
	})
	return used, err
}

// Status returns the units used for day and whether the vendor declared the
// day spent, without creating anything: a key never used has no file.
func (s *QuotaStore) Status(fingerprint, day string) (used int, exhausted bool, err error) {
	name, err := quotaFileName(fingerprint)
	if err != nil {
		return 0, false, err
	}
	if _, err := os.Stat(filepath.Join(s.dir, name)); errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	err = s.update(fingerprint, day, func(r *quotaRecord) (bool, error) {
		if r.day == day {
			used, exhausted = r.used, r.exhausted
		}
		return false, nil
	})
	return used, exhausted, err
}

// Reset sets the key's count for day back to zero and forgets the vendor's
// "spent" for that day (`riskbatch quota --reset`: the vendor raised or
// reset the quota by hand). It returns the count it replaced.
func (s *QuotaStore) Reset(fingerprint, day string) (was int, err error) {
	err = s.update(fingerprint, day, func(r *quotaRecord) (bool, error) {
		if r.day != day {
			return false, nil
		}
		was = r.used
		r.used, r.exhausted = 0, false
		return true, nil
	})
	return was, err
}

// MarkExhausted records that the vendor declared fingerprint's quota for day spent: the
// vendor's view wins, so the count becomes the limit (the last one Reserve saw) and every
// later Reserve for that day fails, in every process.
func (s *QuotaStore) MarkExhausted(fingerprint, day string) error {
	return s.update(fingerprint, day, func(r *quotaRecord) (bool, error) {
		switch {
		case r.day == "" || r.day < day:
			*r = quotaRecord{day: day}
		case r.day > day:
			return false, nil // stale news about a past day
		}
		r.exhausted = true
		if r.limit > r.used {
			r.used = r.limit
		}
		return true, nil
	})
}

// Close fsyncs and closes every file the store opened. Later calls fail with ErrStoreClosed.
func (s *QuotaStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	for _, qf := range s.files {
		qf.mu.Lock()
		if qf.f != nil {
			if err := qf.f.Sync(); err != nil {
				errs = append(errs, fmt.Errorf("ratelimit: sync %s: %w", qf.path, err))
			}
			if err := qf.f.Close(); err != nil {
				errs = append(errs, fmt.Errorf("ratelimit: close %s: %w", qf.path, err))
			}
			qf.f = nil
		}
		qf.mu.Unlock()
	}
	return errors.Join(errs...)
}

// quotaFileName derives the file name from the fingerprint. A hex fingerprint (the caller's
// hash) is used as is; anything else is hashed, so a name can never carry a credential.
func quotaFileName(fingerprint string) (string, error) {
	if fingerprint == "" {
		return "", errors.New("ratelimit: empty key fingerprint")
	}
	if n := len(fingerprint); n >= 8 && n <= 128 && strings.Trim(fingerprint, "0123456789abcdefABCDEF") == "" {
		return strings.ToLower(fingerprint) + ".quota", nil
	}
	sum := sha256.Sum256([]byte(fingerprint))
	return "h-" + hex.EncodeToString(sum[:]) + ".quota", nil
}

func (s *QuotaStore) file(fingerprint string) (*quotaFile, error) {
	name, err := quotaFileName(fingerprint)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrStoreClosed
	}
	if qf, ok := s.files[name]; ok {
		return qf, nil
	}
	path := filepath.Join(s.dir, name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("ratelimit: open quota file: %w", err)
	}
	qf := &quotaFile{f: f, path: path}
	s.files[name] = qf
	return qf, nil
}

// update runs fn on the key's record under the in-process mutex and an exclusive flock,
// writing the record back in place when fn reports a change.
func (s *QuotaStore) update(fingerprint, day string, fn func(*quotaRecord) (bool, error)) error {
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return fmt.Errorf("ratelimit: bad quota day %q (want 2006-01-02)", day)
	}
	qf, err := s.file(fingerprint)
	if err != nil {
		return err
	}
	qf.mu.Lock()
	defer qf.mu.Unlock()
	if qf.f == nil {
		return ErrStoreClosed
	}
	if err := filelock.Lock(qf.f); err != nil {
		return fmt.Errorf("ratelimit: lock %s: %w", qf.path, err)
	}
	defer filelock.Unlock(qf.f)
	rec, err := readRecord(qf.f)
	if err != nil {
		return fmt.Errorf("ratelimit: %s: %w", qf.path, err)
	}
	write, err := fn(&rec)
	if err != nil || !write {
		return err
	}
	ex := 0
	if rec.exhausted {
		ex = 1
	}
	buf := fmt.Sprintf(recordFormat, rec.day, rec.used, rec.limit, ex)
	if _, err := qf.f.WriteAt([]byte(buf), 0); err != nil {
		return fmt.Errorf("ratelimit: write %s: %w", qf.path, err)
	}
	return nil
}

func readRecord(f *os.File) (quotaRecord, error) {
	buf := make([]byte, 2*recordLen)
	n, err := f.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return quotaRecord{}, err
	}
	if n == 0 {
		return quotaRecord{}, nil
	}
	if n != recordLen || buf[n-1] != '\n' {
		return quotaRecord{}, fmt.Errorf("corrupt quota record (%d bytes); refusing to guess the count", n)
	}
	var rec quotaRecord
	var ex int
	if _, err := fmt.Sscanf(string(buf[:n]), recordFormat, &rec.day, &rec.used, &rec.limit, &ex); err != nil {
		return quotaRecord{}, fmt.Errorf("corrupt quota record: %v", err)
	}
	if _, err := time.Parse(time.DateOnly, rec.day); err != nil || rec.used < 0 || rec.limit < 0 || ex > 1 || ex < 0 {
		return quotaRecord{}, fmt.Errorf("corrupt quota record %q", strings.TrimSpace(string(buf[:n])))
	}
	rec.exhausted = ex == 1
	return rec, nil
}
