package main

import (
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The garbage collector's pace for `run`. A run allocates some 15 KB per
// call (requests, answers, parsing) while its live heap stays small: a few
// MB plus the dedupe index and the report's per-row scores. With the
// default GOGC=100 the heap goal is twice a small live heap, so the
// collector runs every few hundred calls and took about a sixth of a run's
// CPU (BENCHMARKS.md). While the live heap is small, GOGC=400 under a 64 MiB
// soft limit lets the heap grow to ~5× (at most 64 MiB) first.
//
// Once the live heap passes relaxedLive the default pace returns, under a
// soft memory limit that follows the live heap: never below capFloor, and
// at least half again the live heap, so a large run (millions of rows)
// collects a little more often instead of letting the heap reach twice its
// live size, and a run whose live heap outgrows the floor is never held so
// tight that the collector thrashes. GOGC or GOMEMLIMIT in the environment
// win: nothing is changed then.
const (
	relaxedGOGC  = 400
	relaxedLimit = 64 << 20
	relaxedLive  = 20 << 20
	capFloor     = 150 << 20
)

// tuneGC relaxes the collector while the live heap is small and returns
// the function that stops watching (and restores the default pace).
func tuneGC() (stop func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	debug.SetGCPercent(relaxedGOGC)
	debug.SetMemoryLimit(relaxedLimit)
	restore := func() {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		relaxed := true
		var limit int64
		for {
			select {
			case <-done:
				return
			case <-t.C:
				metrics.Read(sample)
				if sample[0].Value.Kind() != metrics.KindUint64 {
					continue
				}
				live := int64(sample[0].Value.Uint64())
				if relaxed && live > relaxedLive {
					relaxed = false
					debug.SetGCPercent(100)
				}
				if !relaxed {
					if want := max(capFloor, live*3/2); want != limit {
						limit = want
						debug.SetMemoryLimit(limit)
					}
				}
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		restore()
	}
}
