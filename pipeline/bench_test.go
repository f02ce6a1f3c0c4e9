package pipeline

// Go benchmarks of the pipeline's hot paths (BENCHMARKS.md). The whole-run
// benchmark runs the engine against the sandbox on a loopback httptest
// server, so its CPU figures include the simulators; `riskbatch bench`
// measures the run process alone with the sandbox in its own process.
//
//	go test ./pipeline -run '^$' -bench . -benchmem

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/pipeline/summary"
	_ "github.com/riskbatch/riskbatch/providers/all"
	"github.com/riskbatch/riskbatch/providers/sandbox"
	_ "github.com/riskbatch/riskbatch/providers/sandbox/allsims"
	"github.com/riskbatch/riskbatch/sinks"
)

const (
	benchSeed       = 11
	benchPopulation = 100_000
)

// benchVendors are the job file entries of the Chinese vendors, calling
// the sandbox at %[1]s with its default keys.
var benchVendors = map[string]string{
	"juhe": `  - name: juhe
    type: juhe
    endpoint: %[1]s/anti_fraud/queryV2
    keys:
      - id: juhe-1
        credentials: {key: sandbox-juhe-key-1, openid: sandbox-openid-1}
`,
	"zhicheng": `  - name: zhicheng
    type: zhicheng
    endpoint: %[1]s/submit
    keys:
      - id: zc-1
        credentials: {user_name: sandbox_testusr, sign: sandbox-zc-sign-1}
`,
	"td": `  - name: td
    type: td
    endpoint: %[1]s/fraud/promo/v2
    options: {channel: bench, decision_event: marketing}
    keys:
      - id: td-1
        credentials: {partner_code: sandbox, partner_key: sandbox-td-key-1}
`,
}

// benchInput writes rows generated applicants (as `riskbatch gen` does) in
// format to dir.
func benchInput(b *testing.B, dir string, rows int, format string) string {
	b.Helper()
	cfg := sandbox.GenConfig{Rows: rows, Seed: benchSeed, Population: benchPopulation, Market: "cn", Duplicates: 0.02, Unknown: 0.05, Invalid: 0.01}
	path := filepath.Join(dir, "in."+format)
	var w sinks.RowWriter
	var err error
	if format == "xlsx" {
		w, err = sinks.NewXLSX(path, sandbox.GenHeader(cfg), sinks.XLSXOptions{})
	} else {
		w, err = sinks.NewCSV(path, sandbox.GenHeader(cfg), sinks.CSVOptions{})
	}
	if err != nil {
		b.Fatal(err)
	}
	if err := sandbox.NewPopulation(cfg.Seed, cfg.Population).Gen(cfg, w.Write); err != nil {
		b.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkRun runs whole jobs: rows/s and allocations per row of the
// engine (reader, providers, dedupe, journal, raw log, reorder, sinks) with
// the sandbox in-process.
func BenchmarkRun(b *testing.B) {
	const rows = 2000
	cases := []struct {
		name, format string
		vendors      []string
	}{
		{"juhe/csv", "csv", []string{"juhe"}},
		{"juhe/xlsx", "xlsx", []string{"juhe"}},
		{"3vendors/csv", "csv", []string{"juhe", "zhicheng", "td"}},
	}
	srv := httptest.NewServer(sandbox.New(sandbox.Config{Seed: benchSeed, Population: benchPopulation}).Handler())
	defer srv.Close()
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			dir := b.TempDir()
			input := benchInput(b, dir, rows, c.format)
			var job strings.Builder
			fmt.Fprintf(&job, "input:\n  file: %s\noutput:\n  dir: out\n  formats: [%s]\nconcurrency: 32\nstate_dir: quota\nproviders:\n", input, c.format)
			for _, v := range c.vendors {
				fmt.Fprintf(&job, benchVendors[v], srv.URL)
			}
			if err := os.WriteFile(filepath.Join(dir, "job.yaml"), []byte(job.String()), 0o644); err != nil {
				b.Fatal(err)
			}
			var calls int64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				// A fresh job state each time: a completed one would be reused.
				if err := os.RemoveAll(filepath.Join(dir, "out")); err != nil {
					b.Fatal(err)
				}
				j, err := LoadJob(filepath.Join(dir, "job.yaml"), nil)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				sum, err := Run(context.Background(), j, Options{Version: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				if sum.RowsOut != rows || sum.Outcome != summary.OutcomeComplete {
					b.Fatalf("run: %d rows out of %d, outcome %s", sum.RowsOut, rows, sum.Outcome)
				}
				for _, p := range sum.Providers {
					calls += p.Calls
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(calls)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}

// BenchmarkDedupe is a lookup of a distinct request (the common case: each
// row is someone new) with the index growing as it does over a file.
// bytes/entry is the index's heap per distinct request.
func BenchmarkDedupe(b *testing.B) {
	d := newDedupe()
	res := pairResult{status: summary.StatusHit, journal: 1}
	call := func() pairResult { return res }
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var key [32]byte
		for k := 0; k < 8; k++ {
			key[k] = byte(uint64(i) >> (8 * k))
		}
		res.journal = int64(i)
		d.do(key, call)
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(ms1.HeapAlloc-ms0.HeapAlloc)/float64(b.N), "bytes/entry")
	runtime.KeepAlive(d)
}

// TestDedupeIndexBytesPerEntry measures the index at a million distinct
// requests, the figure BENCHMARKS.md uses to explain memory growth.
func TestDedupeIndexBytesPerEntry(t *testing.T) {
	if os.Getenv("RISKBATCH_SLOW_TESTS") == "" {
		t.Skip("allocates a million-entry index: set RISKBATCH_SLOW_TESTS=1")
	}
	const n = 1_000_000
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	d := newDedupe()
	for i := range n {
		var key [32]byte
		for k := 0; k < 8; k++ {
			key[k] = byte(uint64(i) >> (8 * k))
		}
		d.do(key, func() pairResult { return pairResult{status: summary.StatusNoHit, journal: int64(i)} })
	}
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	per := float64(ms1.HeapAlloc-ms0.HeapAlloc) / n
	t.Logf("dedupe index: %.1f bytes per distinct request at %d requests", per, n)
	// The comment on dedupe says about 60 bytes; a doubling of the map's
	// table may land anywhere between ~40 and ~80.
	if per < 16 || per > 100 {
		t.Errorf("dedupe index holds %.1f bytes per distinct request, want 16–100 (the answer itself must stay on disk)", per)
	}
	runtime.KeepAlive(d)
}
