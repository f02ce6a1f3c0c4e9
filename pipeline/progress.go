package pipeline

import (
	"fmt"
	"strings"
	"time"

	"github.com/riskbatch/riskbatch/pipeline/progress"
)

// startProgress shows progress (package progress) until the returned stop
// is called: a bar on a TTY, a plain line every ProgressEvery otherwise.
func (e *engine) startProgress() func() {
	return progress.Start(progress.Options{TTY: e.opts.TTY, Every: e.opts.ProgressEvery, Out: e.opts.Log, Log: e.log, Total: e.total},
		e.rowsDone.Load, e.progressSnapshot)
}

func (e *engine) progressSnapshot(elapsed time.Duration) progress.Snapshot {
	s := progress.Snapshot{Rows: e.rowsDone.Load(), Total: e.total, Errors: e.rowsErr.Load(), Elapsed: elapsed, Waiting: e.waiting()}
	costs := map[string]float64{}
	var currencies []string
	for _, p := range e.provs {
		s.Calls += p.calls.Load()
		b := p.billedN.Load()
		s.Billed += b
		s.Throttled += p.throttled.Load()
		if p.cfg.PricePerCall > 0 {
			if _, ok := costs[p.cfg.Currency]; !ok {
				currencies = append(currencies, p.cfg.Currency)
			}
			costs[p.cfg.Currency] += float64(b) * p.cfg.PricePerCall
		}
	}
	for _, c := range currencies {
		s.Cost = append(s.Cost, strings.TrimSpace(fmt.Sprintf("%.2f %s", costs[c], c)))
	}
	return s
}
