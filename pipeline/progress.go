package pipeline

import (
	"fmt"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// startProgress shows progress until the returned stop is called: a bar on a
// TTY, a plain line every ProgressEvery otherwise (logs of unattended runs).
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
			bar = progressbar.NewOptions64(-1,
				progressbar.OptionSetWriter(e.opts.Log),
				progressbar.OptionSetDescription("rows"),
				progressbar.OptionShowCount(),
				progressbar.OptionShowIts(),
				progressbar.OptionSetItsString("rows"),
				progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionClearOnFinish(),
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
					_ = bar.Set64(done)
					continue
				}
				el := time.Since(start).Seconds()
				var calls, billed int64
				for _, p := range e.provs {
					calls += p.calls.Load()
					billed += p.billedN.Load()
				}
				e.logf("progress: %d rows (%.0f rows/s), %d calls, %d billed, %s elapsed", done, float64(done)/el, calls, billed, time.Since(start).Round(time.Second))
			}
		}
	}()
	return func() {
		close(stop)
		wg.Wait()
		fmt.Fprint(e.opts.Log, "")
	}
}
