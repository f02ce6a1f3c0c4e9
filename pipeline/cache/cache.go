// Package cache keeps vendors' final answers across runs, so a nightly
// re-screen of the same book does not buy again an answer it bought
// yesterday (issue 13).
//
// What is kept is only what rebuilds a provider's result columns — the
// status (hit or no_hit), the vendor's code and the result column values —
// with the time the answer was fetched. Never the raw body (raw.jsonl is the
// audit), never an identity in clear: an entry's key is an HMAC-SHA256,
// under a secret of the installation (or the job's cache.secret), of the
// provider type, the endpoint, the provider's result columns and a digest
// of the normalised identity the provider prepared (providers.Request.Identity).
//
// The engine needs four things of a store (Store); SQLite in WAL mode is the
// implementation (sqlite.go): several processes can read and write one file
// at once, and a SIGKILL loses at most the entries not yet committed.
// docs/ARCHITECTURE.md gives the measurements against bbolt.
package cache

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Key identifies one lookup in the store: an HMAC, never the identity.
type Key [32]byte

// Entry is a final answer as the store keeps it.
type Entry struct {
	// Provider is the provider type ("juhe"): what purge --provider and
	// stats go by (a job's provider name is the job's own).
	Provider string
	Status   string // "hit" or "no_hit"
	Code     string // the vendor's code
	Values   []string
	Fetched  time.Time // when the vendor answered
}

// Age is how old the entry is at now.
func (e Entry) Age(now time.Time) time.Duration { return now.Sub(e.Fetched) }

// PurgeFilter selects the entries Purge deletes: fetched before OlderThan
// (zero: any age) and, when Provider is set, of that provider type only.
type PurgeFilter struct {
	OlderThan time.Time
	Provider  string
}

// Stats describes a store.
type Stats struct {
	Path      string          `json:"path"`
	Bytes     int64           `json:"bytes"` // the database file and its WAL
	Entries   int64           `json:"entries"`
	Providers []ProviderStats `json:"providers"`
}

// ProviderStats are one provider type's entries.
type ProviderStats struct {
	Provider string    `json:"provider"`
	Entries  int64     `json:"entries"`
	Hits     int64     `json:"hits"`
	NoHits   int64     `json:"no_hits"`
	Oldest   time.Time `json:"oldest"`
	Newest   time.Time `json:"newest"`
}

// Store is what the engine needs of an answer cache. Implementations are
// safe for concurrent use, and by several processes on one machine.
type Store interface {
	// Get returns the entry under k; ok is false when there is none.
	Get(ctx context.Context, k Key) (e Entry, ok bool, err error)
	// Put stores e under k, replacing an older entry. It may return before
	// the entry is durable (Flush waits); a crash loses at most the entries
	// not yet committed.
	Put(ctx context.Context, k Key, e Entry) error
	// Flush waits until every Put so far is committed and returns the first
	// write error since the last Flush.
	Flush() error
	// Purge deletes the entries f selects and says how many.
	Purge(ctx context.Context, f PurgeFilter) (int64, error)
	Stats(ctx context.Context) (Stats, error)
	Close() error
}

// ErrClosed is returned by a closed store.
var ErrClosed = errors.New("cache: store is closed")

// Keyer derives entry keys under a secret.
type Keyer struct{ secret []byte }

// NewKeyer makes a Keyer; the secret must be at least 16 bytes.
func NewKeyer(secret []byte) (*Keyer, error) {
	if len(secret) < 16 {
		return nil, fmt.Errorf("cache: the secret must be at least 16 bytes (got %d)", len(secret))
	}
	return &Keyer{secret: append([]byte(nil), secret...)}, nil
}

// Scope is the part of a key shared by every lookup of one provider in a
// job: its type, endpoint and result columns. Two jobs with the same scope
// share answers.
type Scope struct {
	Kind     string   // provider type
	Endpoint string   // what identifies the vendor's service (see pipeline: host and path)
	Columns  []string // the result columns the values line up with
}

// Key is HMAC-SHA256(secret, scope ‖ identity), each part length-prefixed.
func (k *Keyer) Key(s Scope, identity [32]byte) Key {
	m := hmac.New(sha256.New, k.secret)
	var n [8]byte
	put := func(p string) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(p)))
		m.Write(n[:])
		m.Write([]byte(p))
	}
	put("riskbatch-cache-v1")
	put(s.Kind)
	put(s.Endpoint)
	put(strings.Join(s.Columns, "\x00"))
	m.Write(identity[:])
	var out Key
	m.Sum(out[:0])
	return out
}

// Refresh reports whether a lookup is due for a rotating re-purchase on
// day: with share s, the keys fall into n = round(1/s) groups by their
// first bytes and group (day mod n) is bought again, so every lookup is
// re-checked once every n days and each night pays for about s of them.
func Refresh(k Key, share float64, day time.Time) bool {
	if share <= 0 {
		return false
	}
	if share >= 1 {
		return true
	}
	n := uint64(1/share + 0.5)
	if n < 1 {
		n = 1
	}
	d := uint64(day.UTC().Unix() / 86400)
	return (binary.BigEndian.Uint64(k[:8])+d)%n == 0
}

// SecretFile is the installation's secret beside the store, created on
// first use (mode 0600) with 32 random bytes.
const SecretFile = "cache.secret"

// LoadSecret returns the secret kept in dir/cache.secret, creating it on
// first use. Two processes creating it at once agree: the file is written
// under a temporary name and linked into place, and the loser reads the
// winner's.
func LoadSecret(dir string) ([]byte, error) {
	path := filepath.Join(dir, SecretFile)
	if b, err := readSecret(path); err == nil {
		return b, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cache secret: %w", err)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("cache secret: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".cache.secret-*")
	if err != nil {
		return nil, fmt.Errorf("cache secret: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err == nil {
		_, err = tmp.WriteString(hex.EncodeToString(raw[:]) + "\n")
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("cache secret: %w", err)
		}
	} else {
		tmp.Close()
		return nil, fmt.Errorf("cache secret: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("cache secret: %w", err)
	}
	return readSecret(path)
}

func readSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := strings.TrimSpace(string(b))
	raw, err := hex.DecodeString(s)
	if err != nil || len(raw) < 16 {
		return nil, fmt.Errorf("cache secret %s: not the hex secret riskbatch writes (delete it to make a new one; the cache's entries then no longer match)", path)
	}
	return raw, nil
}
