package cache

// The store's measurements (docs/ARCHITECTURE.md, BENCHMARKS.md): SQLite in
// WAL mode against bbolt on the cache's workload — a night's inserts in
// group commits, then point lookups by a 32-byte key — with the figures a
// choice needs: lookups and inserts per second, bytes per entry on disk and
// the process's anonymous RSS (file-backed mappings excluded: bbolt maps its
// file, which RSS would otherwise count).
//
// bbolt takes an exclusive flock on its file for as long as it is open, so
// two nightly jobs can only share one by opening it for every operation
// ("bbolt-per-op"); "bbolt-once" keeps it open (one process only) for
// reference. Run one store per process so RSS is its own:
//
//	go test ./pipeline/cache -run '^$' -bench 'Store/sqlite$' -benchtime 200000x
//	go test ./pipeline/cache -run '^$' -bench 'Store/bbolt-per-op$' -benchtime 20000x
//	go test ./pipeline/cache -run '^$' -bench 'Store/bbolt-once$' -benchtime 200000x
//
// RISKBATCH_CACHE_BENCH_N sets the entries loaded first (default 200,000).

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// boltStore is the bbolt candidate: the same entry encoding as SQLite's
// row (fetched ms, status, code, values JSON) in one bucket.
type boltStore struct {
	path   string
	perOp  bool
	db     *bolt.DB // when !perOp
	bucket []byte
}

func openBolt(path string, perOp bool) (*boltStore, error) {
	s := &boltStore{path: path, perOp: perOp, bucket: []byte("answers")}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 10 * time.Second})
	if err != nil {
		return nil, err
	}
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(s.bucket); return err }); err != nil {
		return nil, err
	}
	if perOp {
		return s, db.Close()
	}
	s.db = db
	return s, nil
}

func (s *boltStore) with(readOnly bool, fn func(*bolt.DB) error) error {
	if !s.perOp {
		return fn(s.db)
	}
	db, err := bolt.Open(s.path, 0o600, &bolt.Options{Timeout: 10 * time.Second, ReadOnly: readOnly})
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}

func encodeEntry(e Entry) []byte {
	vals, _ := json.Marshal(e.Values)
	var b bytes.Buffer
	b.WriteString(strconv.FormatInt(e.Fetched.UnixMilli(), 10))
	b.WriteByte(0)
	b.WriteString(e.Status)
	b.WriteByte(0)
	b.WriteString(e.Code)
	b.WriteByte(0)
	b.Write(vals)
	return b.Bytes()
}

func (s *boltStore) putBatch(items []putItem) error {
	return s.with(false, func(db *bolt.DB) error {
		return db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket(s.bucket)
			for _, it := range items {
				if err := bk.Put(it.k[:], encodeEntry(it.e)); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

func (s *boltStore) get(k Key) (bool, error) {
	found := false
	err := s.with(true, func(db *bolt.DB) error {
		return db.View(func(tx *bolt.Tx) error {
			v := tx.Bucket(s.bucket).Get(k[:])
			if v != nil {
				parts := strings.SplitN(string(v), "\x00", 4)
				var vals []string
				found = len(parts) == 4 && json.Unmarshal([]byte(parts[3]), &vals) == nil
			}
			return nil
		})
	})
	return found, err
}

func (s *boltStore) close() error {
	if s.db != nil {
		return s.db.Close()
	}
	return nil
}

// benchEntry is a Juhe answer as the engine stores it.
func benchEntry(i int, at time.Time) Entry {
	return Entry{Provider: "juhe", Status: "hit", Code: "0", Fetched: at,
		Values: []string{strconv.Itoa(i % 100), "1", "1", "21001 命中(高); 11002 多头借贷(中)", "JH" + strconv.Itoa(100000000+i)}}
}

func benchN() int {
	if n, err := strconv.Atoi(os.Getenv("RISKBATCH_CACHE_BENCH_N")); err == nil && n > 0 {
		return n
	}
	return 200_000
}

// procStatus reads a field of /proc/self/status in kB (0 elsewhere).
func procStatus(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				v, _ := strconv.ParseFloat(f[1], 64)
				return v
			}
		}
	}
	return 0
}

func dirBytes(dir string) int64 {
	var n int64
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if fi, err := e.Info(); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func BenchmarkStore(b *testing.B) {
	n := benchN()
	at := time.Unix(1_770_000_000, 0)
	for _, kind := range []string{"sqlite", "bbolt-per-op", "bbolt-once"} {
		b.Run(kind, func(b *testing.B) {
			dir := b.TempDir()
			keys := make([]Key, n)
			for i := range keys {
				keys[i] = testKey(i)
			}
			var get func(Key) (bool, error)
			var closeFn func() error
			start := time.Now()
			switch kind {
			case "sqlite":
				s, err := OpenSQLite(filepath.Join(dir, "cache.db"))
				if err != nil {
					b.Fatal(err)
				}
				for i, k := range keys {
					if err := s.Put(context.Background(), k, benchEntry(i, at)); err != nil {
						b.Fatal(err)
					}
				}
				if err := s.Flush(); err != nil {
					b.Fatal(err)
				}
				get = func(k Key) (bool, error) { _, ok, err := s.Get(context.Background(), k); return ok, err }
				closeFn = s.Close
			default:
				s, err := openBolt(filepath.Join(dir, "cache.bolt"), kind == "bbolt-per-op")
				if err != nil {
					b.Fatal(err)
				}
				batch := make([]putItem, 0, maxBatch)
				for i, k := range keys {
					batch = append(batch, putItem{k: k, e: benchEntry(i, at)})
					if len(batch) == maxBatch || i == len(keys)-1 {
						if err := s.putBatch(batch); err != nil {
							b.Fatal(err)
						}
						batch = batch[:0]
					}
				}
				get = s.get
				closeFn = s.close
			}
			insertSecs := time.Since(start).Seconds()
			runtime.GC()
			b.ResetTimer()
			for i := range b.N {
				ok, err := get(keys[(i*7919)%n])
				if err != nil || !ok {
					b.Fatalf("lookup %d: %v %v", i, ok, err)
				}
			}
			b.StopTimer()
			lookupsPerSec := float64(b.N) / b.Elapsed().Seconds()
			rssAnon, rssFile := procStatus("RssAnon"), procStatus("RssFile")
			if err := closeFn(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(lookupsPerSec, "lookups/s")
			b.ReportMetric(float64(n)/insertSecs, "inserts/s")
			b.ReportMetric(float64(dirBytes(dir))/float64(n), "B/entry")
			b.ReportMetric(rssAnon/1024, "MB-RssAnon")
			b.ReportMetric(rssFile/1024, "MB-RssFile")
		})
	}
}

// BenchmarkKeyAndGet is the cache's cost per row in a run: the HMAC key of
// a prepared lookup and one SQLite point lookup (a hit), on one goroutine.
func BenchmarkKeyAndGet(b *testing.B) {
	s, err := OpenSQLite(filepath.Join(b.TempDir(), "cache.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	k, _ := NewKeyer([]byte("0123456789abcdef-bench"))
	sc := Scope{Kind: "juhe", Endpoint: "apis.juhe.cn/anti_fraud/queryV2", Columns: []string{"score", "found", "id_found", "risk_codes", "orderid"}}
	const n = 100_000
	ids := make([][32]byte, n)
	at := time.Unix(1_770_000_000, 0)
	for i := range ids {
		copy(ids[i][:], strconv.Itoa(i))
		s.Put(context.Background(), k.Key(sc, ids[i]), benchEntry(i, at))
	}
	if err := s.Flush(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		if _, ok, err := s.Get(context.Background(), k.Key(sc, ids[(i*7919)%n])); !ok || err != nil {
			b.Fatal("miss", err)
		}
	}
}
