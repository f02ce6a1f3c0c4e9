package report

import (
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// memBudget is the back-test's extra memory per row (issue 17).
const memBudget = 64

// backtestMemory feeds rows synthetic rows (three providers with scores,
// statuses, list codes; a label; an application date over 12 months)
// through a collector and measures, per row, the heap the collector holds
// after the last row (retained) and the highest heap while it computes the
// figures (peak), both over the heap before it started. The GC runs at
// GOGC=10 meanwhile, so the sampled heap is close to the live heap (an
// upper bound of it); took is the time Figures takes.
func backtestMemory(t testing.TB, rows int) (retained, peak float64, took time.Duration) {
	old := debug.SetGCPercent(10)
	defer debug.SetGCPercent(old)
	runtime.GC()
	base := heapObjects()

	pl, errs := Compile(Config{Backtest: BacktestConfig{Label: "label", DateColumn: "date", Binning: "monotone"}}, allProviders[:3])
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	coll, err := NewCollector(pl, []string{"label", "date"})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(coll.Columns()))
	rng := rand.New(rand.NewPCG(1, 2))
	jv, tv, zv := make([]string, len(juheCols)), make([]string, len(tdCols)), make([]string, len(zhichengCols))
	values := [][]string{jv, tv, zv}
	status := make([]string, 3)
	input := make([]string, 2)
	codes := []string{"", "", "", "21001 疑似恶意借贷(高)", "12001 疑似黑产设备(中); 11003 疑似营销欺诈(高)"}
	for i := range rows {
		r := rng.NormFloat64()
		input[0] = "0"
		if rng.Float64() < 0.2+0.1*r {
			input[0] = "1"
		}
		input[1] = "2025-" + strconv.Itoa(1+i*12/rows) + "-15"
		for p, v := range values {
			status[p] = "hit"
			if rng.IntN(10) == 0 {
				status[p] = "no_hit"
			}
			s := strconv.Itoa(max(0, min(100, int(50+15*(r+rng.NormFloat64())))))
			switch p {
			case 0:
				v[0], v[3] = s, codes[rng.IntN(len(codes))]
			case 1:
				v[0], v[1], v[3] = s, "accept", codes[rng.IntN(len(codes))]
			case 2:
				v[0], v[1] = s, "2"
			}
		}
		coll.Observe(status, values, input, out)
	}
	runtime.GC()
	retained = float64(heapObjects()-base) / float64(rows)

	var hi atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if h := heapObjects(); h > hi.Load() {
				hi.Store(h)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	fstart := time.Now()
	figs := coll.Figures(Run{})
	took = time.Since(fstart)
	close(stop)
	wg.Wait()
	if figs.Backtest == nil || figs.Backtest.Incremental == nil || len(figs.Backtest.Months) != 12 {
		t.Fatalf("figures incomplete: %+v", figs.Backtest)
	}
	peak = float64(hi.Load()-base) / float64(rows)
	runtime.KeepAlive(coll)
	return retained, peak, took
}

func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestBacktestMemoryPerRow holds a million-row back-test to memBudget
// bytes per row (slow: RISKBATCH_SLOW_TESTS=1).
func TestBacktestMemoryPerRow(t *testing.T) {
	if os.Getenv("RISKBATCH_SLOW_TESTS") == "" {
		t.Skip("a million rows: set RISKBATCH_SLOW_TESTS=1")
	}
	retained, peak, took := backtestMemory(t, 1_000_000)
	t.Logf("1,000,000 rows, 3 providers: retained %.1f B/row, peak %.1f B/row; figures in %v", retained, peak, took.Round(time.Millisecond))
	if peak > memBudget {
		t.Errorf("peak %.1f bytes per row, budget %d", peak, memBudget)
	}
}

// BenchmarkBacktestMemory reports the bytes per row of a million-row
// back-test (run it with -benchtime=1x) and the time of its figures.
func BenchmarkBacktestMemory(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		retained, peak, took := backtestMemory(b, 1_000_000)
		b.ReportMetric(retained, "retained-B/row")
		b.ReportMetric(peak, "peak-B/row")
		b.ReportMetric(took.Seconds(), "figures-s")
	}
}
