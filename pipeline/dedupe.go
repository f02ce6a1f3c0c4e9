package pipeline

import (
	"encoding/hex"
	"sync"

	"github.com/riskbatch/riskbatch/pipeline/summary"
)

// dedupe sends each distinct request once per job state. Concurrent
// identical lookups wait for the first (singleflight); later ones take the
// answer from the journal. Its memory is a fixed-size entry per distinct
// request (a 16-byte digest → 8 bytes packing the journal offset, status
// and origin; with the map's control bytes and free slots about 40–60 bytes,
// measured by TestDedupeIndexBytesPerEntry): the answer itself stays on
// disk in the journal, so the index stays small at millions of rows.
//
// The index is seeded from the journal of earlier runs, which makes resume
// the same mechanism: a journaled answer is reused, never re-sent, and an
// edited row (a different request) is sent.
type dedupe struct {
	mu       sync.Mutex
	inflight map[[16]byte]*flight
	done     *spillIndex // bounded in memory, spilled to the job state (dedupespill.go)
	// failed holds the lookups that failed after their retries in this
	// run: the retry budget belongs to the request, so a duplicate row
	// takes the failure instead of paying for a fresh set of attempts.
	// Not seeded from the journal: a resume tries them again.
	failed map[[16]byte]pairResult
}

// doneEntry packs a final answer into 8 bytes (a struct of offset, status
// and flag took 16, a third of the index at a million rows): the journal
// offset in the high bits, then a bit for an answer from an earlier run's
// journal, then two bits of index into finalStatuses.
type doneEntry uint64

func newDoneEntry(off int64, st uint8, prior bool) doneEntry {
	e := doneEntry(off)<<3 | doneEntry(st&3)
	if prior {
		e |= 4
	}
	return e
}

func (e doneEntry) off() int64  { return int64(e >> 3) }
func (e doneEntry) st() uint8   { return uint8(e & 3) }
func (e doneEntry) prior() bool { return e&4 != 0 }

var finalStatuses = []string{summary.StatusHit, summary.StatusNoHit, summary.StatusInvalid}

type flight struct {
	wg  sync.WaitGroup
	res pairResult
}

func newDedupe() *dedupe {
	return &dedupe{inflight: map[[16]byte]*flight{}, done: newSpillIndex("", "", 0), failed: map[[16]byte]pairResult{}}
}

func statusIndex(s string) (uint8, bool) {
	for i, f := range finalStatuses {
		if f == s {
			return uint8(i), true
		}
	}
	return 0, false
}

// seed records a final answer found in the journal.
func (d *dedupe) seed(digest string, status string, off int64) {
	b, err := hex.DecodeString(digest)
	if err != nil || len(b) != 16 {
		return
	}
	st, ok := statusIndex(status)
	if !ok {
		return
	}
	d.mu.Lock()
	d.done.put([16]byte(b), newDoneEntry(off, st, true))
	d.mu.Unlock()
}

// do returns the answer for key, calling fn only if no answer is known or
// in flight. shared reports an answer that another row paid for; prior
// reports one from an earlier run.
func (d *dedupe) do(key [32]byte, fn func() pairResult) (res pairResult, shared, prior bool) {
	k := [16]byte(key[:16])
	d.mu.Lock()
	if e, ok := d.done.get(k); ok {
		d.mu.Unlock()
		return pairResult{status: finalStatuses[e.st()], journal: e.off()}, !e.prior(), e.prior()
	}
	if r, ok := d.failed[k]; ok {
		d.mu.Unlock()
		return r, true, false
	}
	if f, ok := d.inflight[k]; ok {
		d.mu.Unlock()
		f.wg.Wait()
		if _, final := statusIndex(f.res.status); (final && f.res.journal >= 0) || f.res.status == summary.StatusFailed {
			r := f.res
			return r, true, false
		}
		// The first caller did not get a final answer (deferred, failed):
		// this row tries on its own.
		return fn(), false, false
	}
	f := &flight{}
	f.wg.Add(1)
	d.inflight[k] = f
	d.mu.Unlock()

	f.res = fn()
	d.mu.Lock()
	delete(d.inflight, k)
	if st, final := statusIndex(f.res.status); final && f.res.journal >= 0 {
		d.done.put(k, newDoneEntry(f.res.journal, st, false))
	} else if f.res.status == summary.StatusFailed {
		d.failed[k] = f.res
	}
	d.mu.Unlock()
	f.wg.Done()
	return f.res, false, false
}

func digestHex(d [32]byte) string { return hex.EncodeToString(d[:16]) }
