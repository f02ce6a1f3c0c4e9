// Package progress is a run's console progress: a bar on a terminal, a
// plain line every few seconds otherwise (the logs of unattended runs),
// with the figures as structured fields in JSON logs. The engine says what
// to show (Snapshot); this package shows it.
package progress

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

// CountRows counts the data rows of a CSV input quickly (one streaming
// pass) so the progress bar can show an ETA; XLSX files are not pre-read
// (parsing them twice would cost more than the bar is worth): no ETA, 0.
func CountRows(job *jobfile.Job, inPath string) int64 {
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

// Options say where and how often progress is shown.
type Options struct {
	TTY   bool          // a bar on Out; otherwise lines on Log
	Every time.Duration // the period of plain lines
	Out   io.Writer     // the terminal (the bar)
	Log   *slog.Logger  // plain lines (JSON logs get the figures as fields)
	Total int64         // rows in the input when known, else 0 (a spinner, no ETA)
}

// Start shows progress until the returned stop is called. rows is the
// count of rows done (the bar's last figure); snap is the display's
// figures after elapsed.
func Start(o Options, rows func() int64, snap func(elapsed time.Duration) Snapshot) func() {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	start := time.Now()
	go func() {
		defer wg.Done()
		var bar *progressbar.ProgressBar
		every := o.Every
		if o.TTY {
			bar = progressbar.NewOptions64(totalOrSpinner(o.Total),
				progressbar.OptionSetWriter(o.Out),
				progressbar.OptionSetDescription("rows"),
				progressbar.OptionShowCount(),
				progressbar.OptionShowIts(),
				progressbar.OptionSetItsString("rows"),
				progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionClearOnFinish(),
				progressbar.OptionSetPredictTime(o.Total > 0),
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
					_ = bar.Set64(rows())
					_ = bar.Finish()
				}
				return
			case <-t.C:
				s := snap(time.Since(start))
				if bar != nil {
					bar.Describe(s.barDescription())
					_ = bar.Set64(s.Rows)
					continue
				}
				if _, structured := o.Log.Handler().(*slog.JSONHandler); structured {
					o.Log.Info(s.line(), s.attrs()...) // the figures as fields too
				} else {
					o.Log.Info(s.line()) // the line already says everything
				}
			}
		}
	}()
	return func() {
		close(stop)
		wg.Wait()
		fmt.Fprint(o.Out, "")
	}
}

// Snapshot is what the progress display shows at one moment.
type Snapshot struct {
	Rows, Total, Calls, Billed, Errors, Throttled int64
	Elapsed                                       time.Duration
	Cost                                          []string // per currency, "117000.00 IDR"
	Waiting                                       string   // what the run waits for (a quota, a pause), or ""
}

// eta is the time left at the average pace so far (0 when unknown).
func (s Snapshot) eta() time.Duration {
	if s.Total <= 0 || s.Rows <= 0 || s.Rows >= s.Total {
		return 0
	}
	left := float64(s.Total-s.Rows) / float64(s.Rows) * float64(s.Elapsed)
	return time.Duration(left).Round(time.Second)
}

// line is the plain progress line of piped output (cron logs): every
// figure an operator reading the log later wants, total and ETA included
// when the row count is known.
func (s Snapshot) line() string {
	var b strings.Builder
	rate := float64(s.Rows) / max(s.Elapsed.Seconds(), 1e-9)
	if s.Total > 0 {
		fmt.Fprintf(&b, "progress: %d/%d rows (%.1f%%), %.0f rows/s", s.Rows, s.Total, 100*float64(s.Rows)/float64(s.Total), rate)
		if eta := s.eta(); eta > 0 {
			fmt.Fprintf(&b, ", ETA %s", eta)
		}
	} else {
		fmt.Fprintf(&b, "progress: %d rows, %.0f rows/s", s.Rows, rate)
	}
	fmt.Fprintf(&b, " · %d calls, %d billed", s.Calls, s.Billed)
	if len(s.Cost) > 0 {
		fmt.Fprintf(&b, ", cost %s", strings.Join(s.Cost, " + "))
	}
	fmt.Fprintf(&b, " · %d rows with errors · %d throttled · %s elapsed", s.Errors, s.Throttled, s.Elapsed.Round(time.Second))
	if s.Waiting != "" {
		b.WriteString("; " + s.Waiting)
	}
	return b.String()
}

// attrs are the same figures as structured fields (JSON logs).
func (s Snapshot) attrs() []any {
	a := []any{"rows", s.Rows, "calls", s.Calls, "billed", s.Billed, "rows_with_errors", s.Errors, "throttled", s.Throttled, "elapsed_s", int64(s.Elapsed.Seconds())}
	if s.Total > 0 {
		a = append(a, "total", s.Total, "eta_s", int64(s.eta().Seconds()))
	}
	if len(s.Cost) > 0 {
		a = append(a, "cost", strings.Join(s.Cost, " + "))
	}
	return a
}

// barDescription is the terminal bar's label: calls, cost, errors and
// throttles beside the row count the bar itself shows.
func (s Snapshot) barDescription() string {
	d := fmt.Sprintf("rows · %d calls", s.Calls)
	if len(s.Cost) > 0 {
		d += " · " + strings.Join(s.Cost, " + ")
	}
	d += fmt.Sprintf(" · %d errors · %d throttled", s.Errors, s.Throttled)
	if s.Waiting != "" {
		d += " (" + s.Waiting + ")"
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
