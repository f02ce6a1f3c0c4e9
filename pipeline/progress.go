package pipeline

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// startProgress shows progress until the returned stop is called: a bar on a
// TTY, a plain line every ProgressEvery otherwise (logs of unattended runs).
// countRows counts the data rows of a CSV input quickly (one streaming
// pass) so the progress bar can show an ETA; XLSX files are not pre-read
// (parsing them twice would cost more than the bar is worth): no ETA, 0.
func countRows(job *Job, inPath string) int64 {
	if strings.HasSuffix(strings.ToLower(inPath), ".xlsx") || strings.HasSuffix(strings.ToLower(inPath), ".xlsm") {
		return 0
	}
	src, err := openInput(job, inPath)
	if err != nil {
		return 0
	}
	defer src.Close()
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
				done := e.rowsDone.Load()
				if bar != nil {
					desc := "rows"
					if w := e.waiting(); w != "" {
						desc = "rows (" + w + ")"
					}
					bar.Describe(desc)
					_ = bar.Set64(done)
					continue
				}
				el := time.Since(start).Seconds()
				var calls, billed int64
				for _, p := range e.provs {
					calls += p.calls.Load()
					billed += p.billedN.Load()
				}
				line := fmt.Sprintf("progress: %d rows (%.0f rows/s), %d calls, %d billed, %s elapsed", done, float64(done)/el, calls, billed, time.Since(start).Round(time.Second))
				if w := e.waiting(); w != "" {
					line += "; " + w
				}
				e.logf("%s", line)
			}
		}
	}()
	return func() {
		close(stop)
		wg.Wait()
		fmt.Fprint(e.opts.Log, "")
	}
}

// totalOrSpinner is the bar's total: the row count, or -1 (a spinner) when unknown.
func totalOrSpinner(n int64) int64 {
	if n <= 0 {
		return -1
	}
	return n
}
