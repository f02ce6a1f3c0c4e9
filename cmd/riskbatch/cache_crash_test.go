package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/riskbatch/riskbatch/pipeline/cache"
)

// TestCrashWithCache: the crash harness with the answer cache on. A run is
// killed with SIGKILL half-way while its answers are being stored: the
// store is consistent (integrity_check), the resume completes, the next
// night buys again at most the entries that were not yet committed at the
// kill (one batch being written plus the queue) with results equal to the
// uninterrupted reference's, and the night after buys nothing.
func TestCrashWithCache(t *testing.T) {
	if os.Getenv("RISKBATCH_SLOW_TESTS") == "" {
		t.Skip("crash harness is slow: set RISKBATCH_SLOW_TESTS=1 (.ci/run does)")
	}
	h := newCrashHarness(t)
	state := filepath.Join(h.dir, "cache-state")
	night := func(name string) (out, job string) {
		out, job = h.trialDir(t, name, h.input)
		b, err := os.ReadFile(job)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.ReplaceAll(string(b), "    timeout: 10s\n", "    timeout: 10s\n    cache: {max_age: 7d}\n")
		s = strings.Replace(s, "state_dir: quota-state\n", "state_dir: "+state+"\n", 1)
		if err := os.WriteFile(job, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return out, job
	}
	store := filepath.Join(state, "cache.db")

	out1, job1 := night("night1")
	h.killAt(t, job1, out1, 0.5, syscall.SIGKILL, -1)
	db, err := sql.Open("sqlite", "file:"+store)
	if err != nil {
		t.Fatal(err)
	}
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("cache after SIGKILL: integrity_check %q, %v", check, err)
	}
	db.Close()
	entries := func() int64 {
		s, err := cache.OpenSQLite(store)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		st, err := s.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return st.Entries
	}
	afterKill := entries()
	h.resumeAll(t, job1, out1)
	afterResume := entries()

	before := crashCalls(h.counters(t))
	out2, job2 := night("night2")
	if r := h.cli(t, "run", "--no-progress", job2); r.code != 0 {
		t.Fatalf("night 2: %s", r)
	}
	calls2 := crashCalls(h.counters(t)) - before
	// Answers lost at the kill: at most the batch being committed and the queue.
	if calls2 > 512+4*512 {
		t.Errorf("night 2 bought %d answers again; at most %d can have been queued at the kill", calls2, 512+4*512)
	}
	want := withoutCacheColumns(crashParseCSV(t, filepath.Join(h.ref.out, "results.csv")))
	got := crashParseCSV(t, filepath.Join(out2, "results.csv"))
	if g := withoutCacheColumns(got); len(g) != len(want) {
		t.Fatalf("night 2: %d records, reference %d", len(g), len(want))
	} else {
		for i := range g {
			if !slices.Equal(g[i], want[i]) {
				t.Fatalf("night 2 record %d differs from the reference:\n got %q\nwant %q", i, g[i], want[i])
			}
		}
	}

	before = crashCalls(h.counters(t))
	out3, job3 := night("night3")
	if r := h.cli(t, "run", "--no-progress", job3); r.code != 0 {
		t.Fatalf("night 3: %s", r)
	}
	if calls3 := crashCalls(h.counters(t)) - before; calls3 != 0 {
		t.Errorf("night 3 made %d calls; every final answer should be cached by now", calls3)
	}
	_ = out3
	t.Logf("killed at 50%%: %d entries committed at the kill, %d after the resume; night 2 bought %d again, night 3 none", afterKill, afterResume, calls2)
}

// withoutCacheColumns drops the <provider>_source and <provider>_age_days
// columns, which the cache adds.
func withoutCacheColumns(recs [][]string) [][]string {
	if len(recs) == 0 {
		return recs
	}
	var keep []int
	for i, h := range recs[0] {
		if !strings.HasSuffix(h, "_source") && !strings.HasSuffix(h, "_age_days") {
			keep = append(keep, i)
		}
	}
	out := make([][]string, len(recs))
	for r, rec := range recs {
		for _, i := range keep {
			if i < len(rec) {
				out[r] = append(out[r], rec[i])
			}
		}
	}
	return out
}
