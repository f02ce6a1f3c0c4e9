package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/riskbatch/riskbatch/pipeline/summary"
	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/ratelimit"
)

// Two answers concern one lookup rather than the key (providers.Result):
//
//   - IdentityBackoff (AccuAuth ABNORMAL_BEHAVIOURS_DETECTED, the same
//     parameters requested too often): the key's rate is left alone, this
//     lookup backs off with the retry policy and is retried; when the
//     retries are spent the pair is deferred under the vendor's code —
//     resumable, never a final status, never journaled as an answer.
//   - ParamsRejected (Zhicheng 40006 params 格式不对): the row is invalid;
//     when the provider answers it for providers.ParamsRejectedStop distinct
//     rows in a row (any other answer resets the count), riskbatch is
//     building params the vendor rejects and the provider is stopped
//     (skipped rows, exit 4 like other fatal stops).

// paramsRejects counts a provider's consecutive ParamsRejected answers.
type paramsRejects struct {
	mu   sync.Mutex
	rows []int // distinct rows since the last other answer
}

// observe records one attempt's result. answered is false when no HTTP
// answer came (a network error is not an answer of the provider). It
// returns the rows when they reach the stop threshold.
func (r *paramsRejects) observe(row int, res providers.Result, answered bool) []int {
	if !answered {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !res.ParamsRejected {
		r.rows = r.rows[:0]
		return nil
	}
	if !slices.Contains(r.rows, row) {
		r.rows = append(r.rows, row)
	}
	if len(r.rows) >= providers.ParamsRejectedStop {
		return slices.Clone(r.rows)
	}
	return nil
}

// stopOnParams stops the provider after repeated ParamsRejected answers.
func (e *engine) stopOnParams(p *provRun, rows []int, res providers.Result) {
	nums := make([]string, len(rows))
	for i, r := range rows {
		nums[i] = strconv.Itoa(r)
	}
	msg := fmt.Sprintf("riskbatch builds params this vendor rejects: it answered %s %s for %d rows in a row (rows %s); check the job's options and input columns against docs/providers.md, then resume",
		res.Code, e.red.Redact(res.Message), len(rows), strings.Join(nums, ", "))
	p.mu.Lock()
	first := !p.stopped.Load()
	if first {
		p.stopMsg = msg
		p.stopped.Store(true)
	}
	p.mu.Unlock()
	if first {
		e.errorf("%s: provider stopped: %s", p.cfg.Name, msg)
	}
}

// identityBackoff handles an IdentityBackoff answer: it releases the key
// untouched and waits the retry policy's backoff. done is true when the
// pair ends here (deferred: retries spent, or the run stopped).
func (e *engine) identityBackoff(ctx context.Context, lease *ratelimit.Lease, retr *ratelimit.Retrier, res providers.Result, attempt int) (pairResult, bool) {
	lease.Release(ratelimit.Sent, 0)
	wait, ok := retr.Next(res.RetryAfter)
	if !ok {
		return pairResult{status: summary.StatusDeferred, code: res.Code, journal: -1,
			msg: fmt.Sprintf("the vendor still answered %s after %d attempts (these parameters were requested too often): resume retries this row later", res.Code, attempt)}, true
	}
	if !sleepCtx(ctx, wait) {
		return pairResult{status: summary.StatusDeferred, code: "stopped", msg: "run stopped between retries", journal: -1}, true
	}
	return pairResult{}, false
}
