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
// MB plus the dedupe index (~56 B per distinct request). With the default
// GOGC=100 the heap goal is twice a small live heap, so the collector runs
// every few hundred calls and took about a sixth of a run's CPU
// (BENCHMARKS.md). While the live heap is small, GOGC=400 under a 64 MiB
// soft limit lets the heap grow to ~5× (at most 64 MiB) first; once the
// live heap passes relaxedLive the default pace returns, so memory at
// millions of rows is what it was (twice the live heap). GOGC or
// GOMEMLIMIT in the environment win: nothing is changed then.
const (
	relaxedGOGC  = 400
	relaxedLimit = 64 << 20
	relaxedLive  = 20 << 20
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
		for {
			select {
			case <-done:
				return
			case <-t.C:
				metrics.Read(sample)
				if sample[0].Value.Kind() == metrics.KindUint64 && sample[0].Value.Uint64() > relaxedLive {
					restore()
					return
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
