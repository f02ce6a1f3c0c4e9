package pipeline

import (
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/pipeline/summary"
)

func spillKey(i int) [16]byte {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(i))
	s := sha256.Sum256(b[:])
	return [16]byte(s[:16])
}

// Every entry put is found with its value after spills and merges; absent
// digests are not; the files are in the state dir and gone after close.
func TestSpillIndex(t *testing.T) {
	dir := t.TempDir()
	s := newSpillIndex(dir, "juhe", 1000)
	const n = 50_000
	for i := range n {
		s.put(spillKey(i), newDoneEntry(int64(i)*7, uint8(i%3), i%2 == 0))
		if i == 20_000 {
			if len(s.runs) == 0 {
				t.Fatal("nothing spilled past the limit")
			}
		}
	}
	if s.err != nil {
		t.Fatal(s.err)
	}
	if len(s.runs) > maxSpillRuns || len(s.mem) >= 1000 || s.len() != n {
		t.Fatalf("%d runs, %d in memory, %d entries", len(s.runs), len(s.mem), s.len())
	}
	for i := range n {
		e, ok := s.get(spillKey(i))
		if !ok || e.off() != int64(i)*7 || e.st() != uint8(i%3) || e.prior() != (i%2 == 0) {
			t.Fatalf("entry %d: %v %v", i, ok, e)
		}
	}
	fp := 0
	for i := n; i < n+10_000; i++ {
		if _, ok := s.get(spillKey(i)); ok {
			t.Fatalf("absent digest %d found", i)
		}
		for _, r := range s.runs {
			if r.mayHave(spillKey(i)) {
				fp++
			}
		}
	}
	if rate := float64(fp) / float64(10_000*len(s.runs)); rate > 0.03 {
		t.Errorf("Bloom false positives %.3f, want about 1%%", rate)
	}
	files, _ := filepath.Glob(filepath.Join(dir, spillFilePref+"*"))
	if len(files) != len(s.runs) {
		t.Fatalf("%d spill files for %d runs", len(files), len(s.runs))
	}
	s.close()
	if files, _ := filepath.Glob(filepath.Join(dir, spillFilePref+"*")); len(files) != 0 {
		t.Fatalf("spill files left after close: %v", files)
	}
}

// A stale spill file of another process is removed; this process's are not.
func TestRemoveStaleSpills(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, spillFilePref+"1-juhe-1")
	mine := filepath.Join(dir, spillFilePref+strconv.Itoa(os.Getpid())+"-juhe-1")
	os.WriteFile(stale, nil, 0o600)
	os.WriteFile(mine, nil, 0o600)
	removeStaleSpills(dir)
	if _, err := os.Stat(stale); err == nil {
		t.Error("stale spill file kept")
	}
	if _, err := os.Stat(mine); err != nil {
		t.Error("this process's spill file removed")
	}
}

// The index alone at RISKBATCH_DEDUPE_INDEX_N entries (default 10M) with
// the default memory bound: bytes of Go heap per entry (BENCHMARKS.md).
func TestSpillIndexBytesPerEntry(t *testing.T) {
	if os.Getenv("RISKBATCH_SLOW_TESTS") == "" {
		t.Skip("builds a 10M-entry index: set RISKBATCH_SLOW_TESTS=1")
	}
	n := 10_000_000
	if v, err := strconv.Atoi(os.Getenv("RISKBATCH_DEDUPE_INDEX_N")); err == nil && v > 0 {
		n = v
	}
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	d := newDedupe()
	d.done = newSpillIndex(t.TempDir(), "bench", defaultSpillLimit)
	for i := range n {
		var key [32]byte
		k := spillKey(i)
		copy(key[:], k[:])
		d.do(key, func() pairResult { return pairResult{status: summary.StatusNoHit, journal: int64(i)} })
	}
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	per := float64(ms1.HeapAlloc-ms0.HeapAlloc) / float64(n)
	for i := 0; i < n; i += n / 1000 {
		k := spillKey(i)
		if e, ok := d.done.get(k); !ok || e.off() != int64(i) {
			t.Fatalf("entry %d lost", i)
		}
	}
	t.Logf("dedupe index with spill: %d entries, %.2f bytes of heap per entry (%.1f MB), %d runs on disk, peak heap %.1f MB",
		n, per, float64(ms1.HeapAlloc-ms0.HeapAlloc)/1e6, len(d.done.runs), float64(ms1.HeapSys)/1e6)
	// Lookup cost (logged, not asserted): digests on disk, and new ones.
	const probes = 200_000
	start := time.Now()
	for i := range probes {
		d.done.get(spillKey((i * 7919) % n))
	}
	hit := time.Since(start)
	start = time.Now()
	for i := range probes {
		d.done.get(spillKey(n + i))
	}
	miss := time.Since(start)
	t.Logf("lookups: %.2f µs for a digest in the index, %.2f µs for a new one", float64(hit.Microseconds())/probes, float64(miss.Microseconds())/probes)
	d.done.close()
}
