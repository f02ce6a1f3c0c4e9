package pipeline

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
)

// rowCounter is a source that counts its rows without building them (CSV).
type rowCounter interface{ CountRows() (int64, error) }

// startProgress shows progress until the returned stop is called: a bar on a
// TTY, a plain line every ProgressEvery otherwise (logs of unattended runs).
// countRows counts the data rows of a CSV input quickly (one streaming
// pass) so the progress bar can show an ETA; XLSX files are not pre-read
// (parsing them twice would cost more than the bar is worth): no ETA, 0.
func countRows(job *jobfile.Job, inPath string) int64 {
	if strings.HasSuffix(strings.ToLower(inPath), ".xlsx") || strings.HasSuffix(strings.ToLower(inPath), ".xlsm") {
		return 0
	}
	src, err := input.Open(job, inPath)
	if err != nil {
		return 0
	}
	defer src.Close()
	if c, ok := src.(rowCounter); ok {
		n, err := c.CountRows()
		if err != nil {
			return 0
		}
		return n
	}
	var n int64
	for {
		if _, err := src.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				return n
			}
			return 0
		}
		n++
	}
}

func (e *engine) startProgress(ctx interface{ Done() <-chan struct{} }) func() {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	start := time.Now()
	go func() {
		defer wg.Done()
		var bar *progressbar.ProgressBar
		every := e.opts.ProgressEvery
		if e.opts.TTY {
			bar = progressbar.NewOptions64(totalOrSpinner(e.total),
				progressbar.OptionSetWriter(e.opts.Log),
				progressbar.OptionSetDescription("rows"),
				progressbar.OptionShowCount(),
				progressbar.OptionShowIts(),
				progressbar.OptionSetItsString("rows"),
				progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionClearOnFinish(),
				progressbar.OptionSetPredictTime(e.total > 0),
				progressbar.OptionShowElapsedTimeOnFinish(),
			)
			every = 200 * time.Millisecond
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				if bar != nil {
					_ = bar.Set64(e.rowsDone.Load())
					_ = bar.Finish()
				}
				return
			case <-t.C:
				snap := e.progressSnapshot(time.Since(start))
				if bar != nil {
					bar.Describe(snap.barDescription())
					_ = bar.Set64(snap.rows)
					continue
				}
				if _, structured := e.log.Handler().(*slog.JSONHandler); structured {
					e.log.Info(snap.line(), snap.attrs()...) // the figures as fields too
				} else {
					e.log.Info(snap.line()) // the line already says everything
				}
			}
		}
	}()
	return func() {
		close(stop)
		wg.Wait()
		fmt.Fprint(e.opts.Log, "")
	}
}

// progressSnap is what the progress display shows at one moment.
type progressSnap struct {
	rows, total, calls, billed, errors, throttled int64
	elapsed                                       time.Duration
	cost                                          []string // per currency, "117000.00 IDR"
	waiting                                       string
}

func (e *engine) progressSnapshot(elapsed time.Duration) progressSnap {
	s := progressSnap{rows: e.rowsDone.Load(), total: e.total, errors: e.rowsErr.Load(), elapsed: elapsed, waiting: e.waiting()}
	costs := map[string]float64{}
	var currencies []string
	for _, p := range e.provs {
		s.calls += p.calls.Load()
		b := p.billedN.Load()
		s.billed += b
		s.throttled += p.throttled.Load()
		if p.cfg.PricePerCall > 0 {
			if _, ok := costs[p.cfg.Currency]; !ok {
				currencies = append(currencies, p.cfg.Currency)
			}
			costs[p.cfg.Currency] += float64(b) * p.cfg.PricePerCall
		}
	}
	for _, c := range currencies {
		s.cost = append(s.cost, strings.TrimSpace(fmt.Sprintf("%.2f %s", costs[c], c)))
	}
	return s
}

// eta is the time left at the average pace so far (0 when unknown).
func (s progressSnap) eta() time.Duration {
	if s.total <= 0 || s.rows <= 0 || s.rows >= s.total {
		return 0
	}
	left := float64(s.total-s.rows) / float64(s.rows) * float64(s.elapsed)
	return time.Duration(left).Round(time.Second)
}

// line is the plain progress line of piped output (cron logs): every
// figure an operator reading the log later wants, total and ETA included
// when the row count is known.
func (s progressSnap) line() string {
	var b strings.Builder
	rate := float64(s.rows) / max(s.elapsed.Seconds(), 1e-9)
	if s.total > 0 {
		fmt.Fprintf(&b, "progress: %d/%d rows (%.1f%%), %.0f rows/s", s.rows, s.total, 100*float64(s.rows)/float64(s.total), rate)
		if eta := s.eta(); eta > 0 {
			fmt.Fprintf(&b, ", ETA %s", eta)
		}
	} else {
		fmt.Fprintf(&b, "progress: %d rows, %.0f rows/s", s.rows, rate)
	}
	fmt.Fprintf(&b, " · %d calls, %d billed", s.calls, s.billed)
	if len(s.cost) > 0 {
		fmt.Fprintf(&b, ", cost %s", strings.Join(s.cost, " + "))
	}
	fmt.Fprintf(&b, " · %d rows with errors · %d throttled · %s elapsed", s.errors, s.throttled, s.elapsed.Round(time.Second))
	if s.waiting != "" {
		b.WriteString("; " + s.waiting)
	}
	return b.String()
}

// attrs are the same figures as structured fields (JSON logs).
func (s progressSnap) attrs() []any {
	a := []any{"rows", s.rows, "calls", s.calls, "billed", s.billed, "rows_with_errors", s.errors, "throttled", s.throttled, "elapsed_s", int64(s.elapsed.Seconds())}
	if s.total > 0 {
		a = append(a, "total", s.total, "eta_s", int64(s.eta().Seconds()))
	}
	if len(s.cost) > 0 {
		a = append(a, "cost", strings.Join(s.cost, " + "))
	}
	return a
}

// barDescription is the terminal bar's label: calls, cost, errors and
// throttles beside the row count the bar itself shows.
func (s progressSnap) barDescription() string {
	d := fmt.Sprintf("rows · %d calls", s.calls)
	if len(s.cost) > 0 {
		d += " · " + strings.Join(s.cost, " + ")
	}
	d += fmt.Sprintf(" · %d errors · %d throttled", s.errors, s.throttled)
	if s.waiting != "" {
		d += " (" + s.waiting + ")"
	}
	return d
}

// totalOrSpinner is the bar's total: the row count, or -1 (a spinner) when unknown.
func totalOrSpinner(n int64) int64 {
	if n <= 0 {
		return -1
	}
	return n
}
