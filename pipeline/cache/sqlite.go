package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver ("sqlite")
)

// SQLite is the answer cache in one SQLite database in WAL mode: readers
// never wait for the writer, several processes share the file (SQLite's own
// file locks; a busy writer is waited for up to busyTimeout), and a process
// killed at any moment leaves the database consistent — at most the entries
// it had not committed are lost.
//
// Puts are group-committed by one goroutine: they queue, and each commit
// takes everything queued (up to maxBatch) in one transaction, so a run
// with many workers pays one commit for many answers.
type SQLite struct {
	path string
	db   *sql.DB // readers and the writer's connection share the pool

	get *sql.Stmt

	queue  chan putItem
	done   chan struct{}
	qmu    sync.RWMutex // held (read) while sending on queue; Close takes it to close queue
	closed bool         // under qmu
	mu     sync.Mutex
	err    error // first write error since the last Flush
}

type putItem struct {
	k     Key
	e     Entry
	flush chan struct{} // a Flush marker when non-nil
}

const (
	busyTimeout = 10 * time.Second
	maxBatch    = 512
	schema      = `
CREATE TABLE IF NOT EXISTS answers (
	k        BLOB PRIMARY KEY,   -- HMAC-SHA256 of the lookup, never the identity
	provider TEXT NOT NULL,      -- provider type
	fetched  INTEGER NOT NULL,   -- unix milliseconds of the vendor's answer
	status   INTEGER NOT NULL,   -- 1 hit, 0 no_hit
	code     TEXT NOT NULL,
	vals     BLOB NOT NULL       -- result column values, a JSON array
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS answers_fetched ON answers(fetched);
`
)

// OpenSQLite opens (creating, mode 0600, in a 0700 directory when new) the
// store at path.
func OpenSQLite(path string) (*SQLite, error) {
	if path == "" {
		return nil, errors.New("cache: empty path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	// Create the file ourselves so it is 0600 whatever the umask; SQLite
	// gives its -wal and -shm files the database file's mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	_ = f.Chmod(0o600)
	f.Close()

	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)") // WAL: a crash of the process loses nothing committed
	q.Set("_txlock", "immediate")           // take the write lock at BEGIN: no deadlock upgrading a read
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	// Two processes opening a new store at once: the switch to WAL and the schema need the
	// database to themselves, and SQLite answers SQLITE_BUSY at once there rather than
	// through the busy timeout (seen in CI: "database is locked (5)" 1.7 s into a test of
	// two writers). Waited for here like a busy writer: tries until busyTimeout.
	deadline := time.Now().Add(busyTimeout)
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		s, err := openSQLite(path, dsn)
		if err == nil || !isBusy(err) || time.Now().Add(wait).After(deadline) {
			return s, err
		}
		time.Sleep(wait)
	}
}

// openSQLite opens the database, creates the schema and prepares the lookup.
func openSQLite(path, dsn string) (*SQLite, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("cache %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(0)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("cache %s: %w", path, err)
	}
	s := &SQLite{path: path, db: db, queue: make(chan putItem, 4*maxBatch), done: make(chan struct{})}
	if s.get, err = db.Prepare(`SELECT fetched, status, code, vals FROM answers WHERE k = ?`); err != nil {
		db.Close()
		return nil, fmt.Errorf("cache %s: %w", path, err)
	}
	go s.writer()
	return s, nil
}

// isBusy reports SQLITE_BUSY (5) or SQLITE_LOCKED (6), with or without an extended code.
func isBusy(err error) bool {
	var c interface{ Code() int }
	if !errors.As(err, &c) {
		return false
	}
	primary := c.Code() & 0xff
	return primary == 5 || primary == 6
}

// Path is the database file.
func (s *SQLite) Path() string { return s.path }

// Get implements Store.
func (s *SQLite) Get(ctx context.Context, k Key) (Entry, bool, error) {
	var (
		fetched int64
		status  int
		e       Entry
		vals    []byte
	)
	err := s.get.QueryRowContext(ctx, k[:]).Scan(&fetched, &status, &e.Code, &vals)
	if errors.Is(err, sql.ErrNoRows) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, fmt.Errorf("cache: read: %w", err)
	}
	if err := json.Unmarshal(vals, &e.Values); err != nil {
		return Entry{}, false, fmt.Errorf("cache: damaged entry: %w", err)
	}
	e.Status = "no_hit"
	if status == 1 {
		e.Status = "hit"
	}
	e.Fetched = time.UnixMilli(fetched)
	return e, true, nil
}

// Put implements Store: only final answers (hit, no_hit) are accepted.
func (s *SQLite) Put(ctx context.Context, k Key, e Entry) error {
	if e.Status != "hit" && e.Status != "no_hit" {
		return fmt.Errorf("cache: only final answers are cached, not %q", e.Status)
	}
	s.qmu.RLock()
	defer s.qmu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	select {
	case s.queue <- putItem{k: k, e: e}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Flush implements Store.
func (s *SQLite) Flush() error {
	s.qmu.RLock()
	if !s.closed {
		ch := make(chan struct{})
		s.queue <- putItem{flush: ch}
		s.qmu.RUnlock()
		<-ch
	} else {
		s.qmu.RUnlock()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.err
	s.err = nil
	return err
}

func (s *SQLite) writer() {
	defer close(s.done)
	batch := make([]putItem, 0, maxBatch)
	var flushes []chan struct{}
	for it := range s.queue {
		batch, flushes = batch[:0], flushes[:0]
		add := func(it putItem) {
			if it.flush != nil {
				flushes = append(flushes, it.flush)
			} else {
				batch = append(batch, it)
			}
		}
		add(it)
	drain:
		for len(batch) < maxBatch {
			select {
			case it, ok := <-s.queue:
				if !ok {
					break drain
				}
				add(it)
			default:
				break drain
			}
		}
		if len(batch) > 0 {
			if err := s.commit(batch); err != nil {
				s.mu.Lock()
				if s.err == nil {
					s.err = err
				}
				s.mu.Unlock()
			}
		}
		for _, f := range flushes {
			close(f)
		}
	}
}

func (s *SQLite) commit(batch []putItem) error {
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("cache: write: %w", err)
	}
	stmt, err := tx.Prepare(`INSERT INTO answers (k, provider, fetched, status, code, vals) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(k) DO UPDATE SET provider = excluded.provider, fetched = excluded.fetched, status = excluded.status, code = excluded.code, vals = excluded.vals
		WHERE excluded.fetched >= answers.fetched`)
	if err != nil {
		tx.Rollback()
		return fmt.Errorf("cache: write: %w", err)
	}
	for _, it := range batch {
		vals, _ := json.Marshal(it.e.Values)
		if vals == nil || string(vals) == "null" {
			vals = []byte("[]")
		}
		st := 0
		if it.e.Status == "hit" {
			st = 1
		}
		if _, err := stmt.Exec(it.k[:], it.e.Provider, it.e.Fetched.UnixMilli(), st, it.e.Code, vals); err != nil {
			stmt.Close()
			tx.Rollback()
			return fmt.Errorf("cache: write: %w", err)
		}
	}
	stmt.Close()
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("cache: write: %w", err)
	}
	return nil
}

// Purge implements Store.
func (s *SQLite) Purge(ctx context.Context, f PurgeFilter) (int64, error) {
	if err := s.Flush(); err != nil {
		return 0, err
	}
	q, args := `DELETE FROM answers WHERE 1`, []any{}
	if !f.OlderThan.IsZero() {
		q += ` AND fetched < ?`
		args = append(args, f.OlderThan.UnixMilli())
	}
	if f.Provider != "" {
		q += ` AND provider = ?`
		args = append(args, f.Provider)
	}
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("cache: purge: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// Stats implements Store.
func (s *SQLite) Stats(ctx context.Context) (Stats, error) {
	if err := s.Flush(); err != nil {
		return Stats{}, err
	}
	st := Stats{Path: s.path}
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(s.path + suffix); err == nil {
			st.Bytes += fi.Size()
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT provider, count(*), sum(status), min(fetched), max(fetched) FROM answers GROUP BY provider ORDER BY provider`)
	if err != nil {
		return st, fmt.Errorf("cache: stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p ProviderStats
		var oldest, newest int64
		if err := rows.Scan(&p.Provider, &p.Entries, &p.Hits, &oldest, &newest); err != nil {
			return st, fmt.Errorf("cache: stats: %w", err)
		}
		p.NoHits = p.Entries - p.Hits
		p.Oldest, p.Newest = time.UnixMilli(oldest), time.UnixMilli(newest)
		st.Entries += p.Entries
		st.Providers = append(st.Providers, p)
	}
	return st, rows.Err()
}

// Close commits what is queued and closes the database.
func (s *SQLite) Close() error {
	s.qmu.Lock()
	if s.closed {
		s.qmu.Unlock()
		return nil
	}
	s.closed = true
	close(s.queue)
	s.qmu.Unlock()
	<-s.done
	s.mu.Lock()
	err := s.err
	s.mu.Unlock()
	s.get.Close()
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	return err
}

var _ Store = (*SQLite)(nil)
