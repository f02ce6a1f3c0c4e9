// Package pipeline runs a job: it streams rows from the source, sends each
// row to every provider through the key pools with retries, journals every
// answer durably, and writes the result sheets in input order.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/pipeline/journal"
	"github.com/riskbatch/riskbatch/pipeline/logging"
	"github.com/riskbatch/riskbatch/pipeline/output"
	"github.com/riskbatch/riskbatch/pipeline/progress"
	"github.com/riskbatch/riskbatch/pipeline/redact"
	"github.com/riskbatch/riskbatch/pipeline/summary"
	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/ratelimit"
	"github.com/riskbatch/riskbatch/sinks"
	"github.com/riskbatch/riskbatch/sources"
	"golang.org/x/sync/errgroup"
)

// Options are the run's settings that do not come from the job file.
type Options struct {
	Version      string
	Log          io.Writer // progress and notes (stderr)
	TTY          bool      // show a progress bar
	Resume       bool      // continue from the journal
	Fresh        bool      // discard the job state of an incomplete run
	Force        bool      // accept an input or settings change on resume
	WaitForQuota bool      // sleep until quotas reset instead of deferring
	Clock        ratelimit.Clock
	// Signal names the signal that cancelled ctx ("SIGINT"/"SIGTERM"), read
	// after ctx is done.
	Signal func() string
	// Grace bounds how long in-flight calls may take to finish after a stop.
	Grace time.Duration
	// ProgressEvery is the period of plain progress lines (default 5s).
	ProgressEvery time.Duration
	// ResumeCommand is how the user resumes (printed and in summary.json).
	ResumeCommand string
	// merge: the shards a Merge replays (no call is made; their figures
	// replace the replay's own).
	merge []*mergedShard
	// Shard makes this run one shard of a sharded job (Count > 1): only
	// its rows are read, and its outputs go to Shard.Dir(output dir).
	Shard Shard
	// Limit makes the run a trial of the first Limit rows (0: all). A
	// later run without it continues from the trial's answers.
	Limit int
	// Command describes this process in the job lock ("riskbatch run
	// job.yaml"), for the message a second process on the job prints.
	Command string
	// Logger receives the run's messages (levels, text or JSON); nil logs
	// plain text lines to Log.
	Logger *slog.Logger
	// CoordinationClockOffset is added to Redis TIME for the quota day
	// under coordination: — for tests only, which must cross a vendor
	// midnight while Redis TIME cannot be set.
	CoordinationClockOffset time.Duration
	// ExitCode maps the run's outcome to the process exit code, for
	// summary.json and the report; the table lives in cmd/riskbatch. Nil
	// leaves exit_code 0.
	ExitCode func(summary.Outcome) int
	// Sandbox serves the simulators of a `sandbox: true` job; such a job
	// fails to run without one.
	Sandbox EmbeddedSandbox
}

// pairResult is the end state of one (row, provider) pair.
type pairResult struct {
	status  string
	code    string
	msg     string
	column  string
	values  []string
	billed  bool
	notes   []string
	warns   []*providers.RowError // optional values left out of the request (warnings.csv)
	journal int64                 // offset of the journal record that holds it (reuse), -1 none
	source  string                // SourceCache for an answer from the answer cache (cacheuse.go)
	fetched int64                 // the cached answer's fetch time, unix ms
}

type rowItem struct {
	seq    int // 1-based position among the rows this run processes (the writer's order)
	row    sources.Row
	res    []pairResult
	rowErr string
}

// provRun is a provider's runtime state in a run.
type provRun struct {
	cfg      *jobfile.ProviderConfig
	prov     providers.Provider
	binding  *providers.Binding
	keys     []providers.Key
	pool     *ratelimit.Pool
	retry    ratelimit.RetryPolicy
	billed   map[string]bool
	sum      *summary.ProviderSummary
	keyStats []keyCounters
	dedupe   *dedupe
	breaker  *breaker
	ncols    int // len(prov.Columns()), asked once: some providers build the list per call
	// cache is the answer cache, when the provider has cache: (cacheuse.go).
	cache *provCache
	// budget is the provider's spending cap, nil without one (budget.go).
	budget *budget
	// prior is what earlier passes of the job did (passes.go).
	prior journalTotals

	stopped     atomic.Bool // every key fatal, or a wrong URL
	unreachable atomic.Bool // the circuit breaker gave up on the endpoint: later rows are deferred
	exhausted   atomic.Bool // every key spent: later rows are deferred
	coordDown   atomic.Bool // the coordination backend failed: later rows are deferred (coordination.go)
	mu          sync.Mutex
	stopMsg     string
	resetAt     time.Time
	// waitingFor is the quota reset a --wait-for-quota run sleeps until.
	waitingFor time.Time

	calls, billedN, retries, throttled, inDoubt, reused, saved atomic.Int64

	rejects paramsRejects // consecutive ParamsRejected answers (paramsreject.go)
}

type keyCounters struct {
	billed, retries, inDoubt atomic.Int64
}

type engine struct {
	job    *jobfile.Job
	opts   Options
	red    *redact.Redactor
	provs  []*provRun
	client *http.Client
	raw    *sinks.RawLog
	jr     *journal.Journal
	state  *jobState
	seq    atomic.Uint64
	runNo  int

	userAgent []string // the User-Agent header value, shared by every request (never modified)

	rowsDone atomic.Int64
	rowsErr  atomic.Int64 // rows written with an error, for the progress display
	total    int64        // rows in the file when known (TTY progress with ETA), else 0

	excel input.ExcelCheck // XLSX ID/mobile cells stored as numbers (package input)
	// cache is the answer cache across runs, nil when no provider uses it (cacheuse.go).
	cache answerStore

	// stopRun cancels the rows' context when the machine fails under the
	// run (envFail); envErr is the first such failure.
	log *slog.Logger

	shardKeys shardKeyer // a sharded run's row → shard (Options.Shard)

	coord *coordination // Redis coordination, nil without (coordination.go)

	stopRun context.CancelFunc
	envErr  atomic.Pointer[EnvError]
}

// Run executes the job. It returns the summary (also written to
// summary.json) and an error only for problems that stopped the run before
// or outside the rows (configuration, input, I/O).
func Run(ctx context.Context, job *jobfile.Job, opts Options) (*summary.Summary, error) {
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.Clock == nil {
		opts.Clock = ratelimit.SystemClock{}
	}
	if opts.Grace == 0 {
		opts.Grace = 30 * time.Second
	}
	if opts.ProgressEvery == 0 {
		opts.ProgressEvery = 5 * time.Second
	}
	if opts.Shard.active() {
		// Each shard has its own outputs, job state and lock.
		job.Output.Dir = opts.Shard.Dir(job.Output.Dir)
	}
	e := &engine{job: job, opts: opts, red: redact.New(job.Secrets()), userAgent: []string{"riskbatch/" + opts.Version}}
	e.log = opts.Logger
	if e.log == nil {
		e.log, _ = logging.New(opts.Log, logging.Options{Redact: e.red.Redact})
	}
	if job.Sandbox && len(opts.merge) == 0 { // a merge makes no call
		addr, stop, err := startSandbox(ctx, job, opts.Sandbox)
		if err != nil {
			return nil, err
		}
		defer stop()
		e.debugf("embedded sandbox on http://%s (sandbox: true in the job)", addr)
	}
	return e.run(ctx)
}

// logf, warnf, errorf and debugf log a message at their level; the
// message is redacted here and again by the logger's handler.
func (e *engine) logf(format string, args ...any)  { e.logAt(slog.LevelInfo, format, args...) }
func (e *engine) warnf(format string, args ...any) { e.logAt(slog.LevelWarn, format, args...) }
func (e *engine) errorf(format string, args ...any) {
	e.logAt(slog.LevelError, format, args...)
}
func (e *engine) debugf(format string, args ...any) { e.logAt(slog.LevelDebug, format, args...) }

func (e *engine) logAt(level slog.Level, format string, args ...any) {
	if !e.log.Enabled(context.Background(), level) {
		return
	}
	e.log.Log(context.Background(), level, e.red.Redact(fmt.Sprintf(format, args...)))
}

func (e *engine) run(ctx context.Context) (*summary.Summary, error) {
	job := e.job
	started := time.Now()
	inPath := job.Resolve(job.Input.File)
	outDir := job.Resolve(job.Output.Dir)

	// Bind every provider to the header before anything else: a missing
	// column is an input error (exit 2) before any call.
	src, bound, err := input.OpenBound(job, inPath, input.ForResults)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	header := src.Header()
	e.shardKeys = newShardKeyer(header, bound)
	for _, b := range bound {
		e.provs = append(e.provs, &provRun{cfg: b.Cfg, prov: b.Prov, binding: b.Binding, ncols: len(b.Prov.Columns())})
	}

	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, &EnvError{Op: "create the output dir " + outDir, Err: err}
	}
	// One process per job state, before anything in it is read or changed.
	lock, err := lockJob(outDir, e.opts.Command)
	if err != nil {
		return nil, err
	}
	defer lock.release()
	if err := checkWritable(outDir); err != nil {
		return nil, err
	}

	// Said first, so a wrong guess is seen before anything is bought.
	e.logf("input: %s (%s; encoding %s)", inPath, src.Format(), src.Encoding())

	// Pre-flight: the first rows are validated locally before any call.
	pf, err := e.preflight(inPath)
	if err != nil {
		return nil, err
	}

	// Job state: decide run vs resume, open the journal.
	st, err := openJobState(outDir, job, inPath, e.opts)
	if err != nil {
		return nil, err
	}
	e.state = st
	defer st.close()
	e.runNo = st.manifest.Runs
	for _, n := range st.notes {
		e.logf("note: %s", n)
	}
	e.jr = st.journal

	e.raw, err = sinks.OpenRawLog(filepath.Join(outDir, "raw.jsonl"))
	if err != nil {
		return nil, err
	}
	defer e.raw.Close()

	quota, err := e.openQuota()
	if err != nil {
		return nil, err
	}
	if quota != nil {
		defer quota.Close()
	}
	if err := e.setupProviders(quota); err != nil {
		return nil, err
	}
	if err := e.openCache(); err != nil {
		return nil, err
	}
	defer e.closeCache()
	defer e.closeSpills()
	if err := e.setupPassTotals(); err != nil { // job totals and budgets (passes.go)
		return nil, err
	}
	defer func() {
		for _, p := range e.provs {
			p.pool.Close()
		}
		e.closeCoordination()
	}()
	e.client = newHTTPClient(job.Concurrency)

	out, err := e.openOutputs(outDir, header)
	if err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			out.abort()
		}
	}()

	sum := &summary.Summary{
		Tool: "riskbatch", Version: e.opts.Version, Job: job.Path, Input: inPath, InputFormat: src.Format(), InputEncoding: src.Encoding(),
		OutputDir: outDir, Run: e.runNo, StartedAt: started, Notes: append(append([]string(nil), src.Warnings()...), st.notes...),
		InDoubt: st.inDoubt,
	}
	for _, p := range e.provs {
		sum.Providers = append(sum.Providers, p.sum)
	}

	sum.Warnings = append(sum.Warnings, pf.warnings...)

	// The row count gives the progress display its total and ETA, on a
	// terminal and in cron logs alike (one streaming pass over a CSV;
	// XLSX files are not read twice).
	e.total = progress.CountRows(job, inPath)
	if e.opts.Shard.active() {
		sum.Shard = e.opts.Shard.String()
		e.total = 0 // this shard's share of the file is not known ahead
	}
	if st.limit > 0 {
		e.total = min(e.total, int64(st.limit))
		sum.TrialLimit = st.limit
	}
	// The rows run under their own context: a signal (ctx) or a failure of
	// the machine (envFail) stops new calls the same way.
	rowCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	e.stopRun = stopRun
	stopProgress := e.startProgress()
	rowsIn, runErr := e.stream(rowCtx, src, out, sum)
	stopProgress()

	if envErr := e.envErr.Load(); envErr != nil {
		return e.endOnEnvFailure(ctx, sum, out, st, envErr, &committed)
	}
	if runErr != nil {
		return nil, runErr
	}
	if rowsIn == 0 {
		if !e.opts.Resume {
			st.discard()
		}
		return nil, &input.Error{Err: fmt.Errorf("%s: %w", inPath, input.ErrNoRows)}
	}
	for _, w := range pf.warnings {
		e.warnf("%s", w) // said before the first call, and again at the end
	}
	sum.Warnings = append(sum.Warnings, e.excel.Warnings()...) // numbers in ID/mobile columns (package input)
	e.finishSummary(sum, ctx)
	if err := out.commit(sum); err != nil {
		if IsEnvironmental(err) {
			return nil, &EnvError{Op: "write the results", Err: err, Resume: e.opts.ResumeCommand}
		}
		return nil, err
	}
	committed = true
	if err := st.finish(sum.Complete); err != nil {
		return nil, &EnvError{Op: "write the job state", Err: err, Resume: e.opts.ResumeCommand}
	}
	return sum, nil
}

// envFail stops the run because the machine failed under it (a journal,
// audit or result write): no new call is made, in-flight calls finish, and
// the message is said once. A full disk used to go on reading rows and
// print one error per row.
func (e *engine) envFail(op string, err error) {
	ee := &EnvError{Op: op, Err: err, Resume: e.opts.ResumeCommand}
	if !e.envErr.CompareAndSwap(nil, ee) {
		return
	}
	e.errorf("%v: stopping the run (no new calls); resume with: %s", ee, e.opts.ResumeCommand)
	if e.stopRun != nil {
		e.stopRun()
	}
}

// endOnEnvFailure finishes a run stopped by envFail: the results and the
// summary are written if the disk lets them, the job state stays
// incomplete, and the outcome is OutcomeEnvironment (exit 6).
func (e *engine) endOnEnvFailure(ctx context.Context, sum *summary.Summary, out *outputs, st *jobState, envErr *EnvError, committed *bool) (*summary.Summary, error) {
	e.finishSummary(sum, ctx)
	sum.Complete = false
	e.setOutcome(sum, summary.OutcomeEnvironment)
	sum.Failure = envErr.Error()
	sum.Resume = e.opts.ResumeCommand
	if err := out.commit(sum); err != nil {
		// The disk is still failing: at least try the small summary.json.
		_ = output.WriteSummary(sum.OutputDir, sum)
		return nil, envErr
	}
	*committed = true
	_ = st.finish(false)
	return sum, nil
}

// checkWritable proves the output dir takes a file before any call: a
// read-only or unwritable dir is found now, not after the first answer.
func checkWritable(outDir string) error {
	f, err := os.CreateTemp(outDir, ".writable-*")
	if err != nil {
		return &EnvError{Op: "write to the output dir " + outDir, Err: err}
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func (e *engine) openQuota() (*ratelimit.QuotaStore, error) {
	if e.job.Coordination.Redis != nil {
		return nil, nil // the quotas are counted in Redis (coordination.go)
	}
	need := false
	for _, p := range e.job.Providers {
		for _, k := range p.Keys {
			if k.DailyQuota > 0 {
				need = true
			}
		}
	}
	if !need {
		return nil, nil
	}
	dir, err := e.job.QuotaStateDir()
	if err != nil {
		return nil, err
	}
	qs, err := ratelimit.OpenQuotaStore(dir)
	if err != nil {
		return nil, fmt.Errorf("quota state: %w", err)
	}
	return qs, nil
}

func (e *engine) setupProviders(quota *ratelimit.QuotaStore) error {
	e.openCoordination(context.Background())
	for _, p := range e.provs {
		pc := p.cfg
		loc, _ := time.LoadLocation(pc.TimeZone)
		var keys []ratelimit.KeyConfig
		for _, k := range pc.Keys {
			p.keys = append(p.keys, k.Key())
			keys = append(keys, ratelimit.KeyConfig{
				ID: k.ID, Fingerprint: pc.Fingerprint(k), QPS: k.QPS, Burst: k.Burst,
				MaxInFlight: k.MaxInFlight, DailyQuota: k.DailyQuota,
			})
		}
		pool, err := ratelimit.NewPool(ratelimit.PoolConfig{Provider: pc.Name, Keys: keys, Location: loc, Quota: quota, Clock: e.opts.Clock, Backend: e.backend()})
		if err != nil {
			return configErr("provider %q: %v", pc.Name, err)
		}
		p.pool = pool
		p.keyStats = make([]keyCounters, len(keys))
		p.retry = ratelimit.RetryPolicy{MaxAttempts: pc.Retry.MaxAttempts, Initial: pc.Retry.Initial, Max: pc.Retry.Max, MaxElapsed: pc.Retry.MaxElapsed}
		p.billed = map[string]bool{}
		billed := pc.BilledOutcome
		if len(billed) == 0 {
			billed = p.prov.DefaultBilled()
		}
		for _, b := range billed {
			p.billed[b] = true
		}
		p.sum = &summary.ProviderSummary{Name: pc.Name, Type: pc.Type, Status: map[string]int{}, Currency: pc.Currency}
		for _, s := range summary.Statuses {
			p.sum.Status[s] = 0
		}
		p.dedupe = e.newDedupe(pc.Name) // bounded memory, spilled to the job state (dedupespill.go)
		p.breaker = newBreaker(pc.Breaker)
		if e.state != nil {
			e.state.seedDedupe(pc.Name, p.dedupe)
		}
	}
	return nil
}

func newHTTPClient(concurrency int) *http.Client {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          concurrency * 4,
		MaxIdleConnsPerHost:   concurrency * 2,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 0, // per-provider timeout via context
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// stream reads every row, processes rows concurrently with a bounded pool,
// and writes them in input order through a bounded reorder window.
func (e *engine) stream(ctx context.Context, src sources.Reader, out *outputs, sum *summary.Summary) (int, error) {
	window := e.job.Window
	slots := make(chan struct{}, window)
	done := make(chan *rowItem, window)
	// A fixed pool of workers rather than a goroutine per row: a worker's
	// stack grows once to the depth of an HTTP call and stays grown; a
	// fresh goroutine per row grew (copied) its stack again for every row.
	work := make(chan *rowItem)
	var workers errgroup.Group // rows never fail a worker: a row's problems are its result
	for range e.job.Concurrency {
		workers.Go(func() error {
			for it := range work {
				e.process(ctx, it)
				done <- it
			}
			return nil
		})
	}

	// The writer emits rows in order; a ring of size window holds the ones
	// that finished early.
	writerErr := make(chan error, 1)
	go func() {
		ring := make([]*rowItem, window)
		next := 1
		var werr error
		for it := range done {
			ring[(it.seq-1)%window] = it
			for {
				idx := (next - 1) % window
				cur := ring[idx]
				if cur == nil || cur.seq != next {
					break
				}
				ring[idx] = nil
				if werr == nil {
					if werr = e.emit(cur, out, sum); werr != nil {
						e.envFail("write the results", werr)
					}
				}
				next++
				e.rowsDone.Add(1)
				<-slots
			}
		}
		writerErr <- werr
	}()

	rowsIn := 0
	var readErr error
	for {
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			readErr = &input.Error{Err: err}
			break
		}
		if e.state != nil && e.state.limit > 0 && rowsIn >= e.state.limit {
			break // a --limit trial: the rest of the file is for the full run
		}
		if e.opts.Shard.active() && e.shardKeys.of(row, e.opts.Shard.Count) != e.opts.Shard.Index {
			continue // another machine's row
		}
		rowsIn++
		slots <- struct{}{}
		it := &rowItem{seq: rowsIn, row: row, res: make([]pairResult, len(e.provs))}
		work <- it
	}
	close(work)
	_ = workers.Wait()
	close(done)
	werr := <-writerErr
	if readErr != nil {
		return rowsIn, readErr
	}
	sum.RowsIn = rowsIn
	return rowsIn, werr
}

// process fills every provider's result for one row.
func (e *engine) process(ctx context.Context, it *rowItem) {
	if it.row.Err != nil {
		it.rowErr = e.red.Redact(it.row.Err.Error())
		for i := range it.res {
			it.res[i] = pairResult{status: summary.StatusInvalid, code: "unreadable_row", msg: "row could not be read: " + it.rowErr, journal: -1}
		}
		return
	}
	for i, p := range e.provs {
		it.res[i] = e.pair(ctx, p, it.row)
	}
}

// pair resolves one (row, provider) pair: reuse from the journal, local
// validation, dedupe, then calls.
func (e *engine) pair(ctx context.Context, p *provRun, row sources.Row) pairResult {
	if res, bad := e.excelDamage(p, row); bad {
		return res // Excel damage, named as such (prepare.go)
	}
	rec := providers.Record{Row: row.Num, Binding: p.binding, Values: row.Values}
	req, err := p.prov.Prepare(rec)
	if err != nil {
		return invalidResult(err, e.red)
	}
	// A stopped or spent provider, or a stopping run, only keeps this pair
	// from a new call: an answer already journaled (or bought for an
	// identical row) is still used, so a resume on a day whose quota is
	// spent keeps every answer it has.
	res, shared, prior := p.dedupe.do(req.Dedupe, func() pairResult {
		if e.opts.merge != nil { // a merge only replays the shards' journals
			return pairResult{status: summary.StatusDeferred, code: "not_in_shards", msg: "no shard's journal holds this lookup", journal: -1}
		}
		if r, ok := e.fromCache(ctx, p, row.Num, req.Identity, digestHex(req.Dedupe)); ok {
			return r // a young answer from the answer cache: no call (cacheuse.go)
		}
		switch {
		case p.stopped.Load():
			return pairResult{status: summary.StatusSkipped, code: "provider_stopped", msg: p.stopReason(), journal: -1}
		case p.unreachable.Load():
			return e.unreachableResult(p)
		case p.exhausted.Load() && !e.opts.WaitForQuota:
			return pairResult{status: summary.StatusDeferred, code: "quota", msg: p.deferReason(), journal: -1}
		case p.coordDown.Load():
			return e.coordDownResult()
		case ctx.Err() != nil:
			return pairResult{status: summary.StatusDeferred, code: "stopped", msg: "run stopped before this call", journal: -1}
		}
		return e.toCache(p, req.Identity, e.call(ctx, p, row.Num, req))
	})
	switch {
	case prior:
		p.reused.Add(1)
		res.billed = false
	case shared:
		p.saved.Add(1)
		res.billed = false // the bill belongs to the row that made the call
	}
	res.notes = req.Notes
	res.warns = req.Warnings
	return res
}

func (p *provRun) stopReason() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return "provider stopped: " + p.stopMsg
}

func (p *provRun) deferReason() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.resetAt.IsZero() {
		return "every key of the provider is spent (no reset)"
	}
	return "every key of the provider is spent until " + p.resetAt.Format("2006-01-02 15:04 -07")
}

// maxAttemptsPerPair bounds every loop of one pair (retries, throttling,
// key rotation, provider pauses) so a vendor that keeps answering a limit
// code cannot hold a row forever.
const maxAttemptsPerPair = 100

// call sends one prepared request with retries and key rotation. Each
// attempt goes through four steps: acquire (a breaker ticket, a key's
// lease, a budget reservation), attempt (the HTTP exchange, its intent
// journaled first), record (budget, breaker, counters, the journal's
// outcome, raw.jsonl) and react (release the lease with the feedback the
// answer calls for, then end the pair or try again).
func (e *engine) call(ctx context.Context, p *provRun, rowNum int, req *providers.Request) pairResult {
	c := pairCall{e: e, p: p, row: rowNum, req: req, retr: p.retry.NewBackOff()}
	for {
		s, pr, next := c.acquire(ctx)
		switch next {
		case stepDone:
			return pr
		case stepAgain:
			continue
		}
		a := e.attempt(p, &s, req, rowNum)
		rec := c.record(&s, &a)
		if pr, next := c.react(ctx, &s, &a, rec); next == stepDone {
			return pr
		}
	}
}

// pairCall is one (row, provider) pair's way through the call loop: what
// its attempts so far decide about the next one.
type pairCall struct {
	e           *engine
	p           *provRun
	row         int
	req         *providers.Request
	retr        *ratelimit.Retrier
	attempts    int              // attempts begun, the current one included
	throttles   int              // throttled answers so far
	unknownSeen bool             // an unknown vendor code was already retried once
	last        providers.Result // the latest attempt's result, for the failure message
}

// step is what a step of the call loop decides.
type step int

const (
	stepOn    step = iota // go on with this attempt
	stepAgain             // begin another attempt
	stepDone              // the pair ends with the step's result
)

// slot is what one attempt holds while it runs: a circuit breaker ticket,
// a key's lease, the key, and the attempt id that links the journal's
// intent and outcome records.
type slot struct {
	ticket    breakerTicket
	lease     *ratelimit.Lease
	key       providers.Key
	attemptID uint64
}

// attemptResult is what one HTTP exchange gave.
type attemptResult struct {
	res     providers.Result
	status  int  // the HTTP status; 0 when no answer came
	inDoubt bool // the request left but its answer never came: it may be billed
	latency time.Duration
	body    []byte // the answer as received, for raw.jsonl
	sent    bool   // the request was written to the connection
}

// recorded is what record wrote of an attempt.
type recorded struct {
	off    int64 // the outcome record's offset in the journal
	billed bool
}

// acquire takes what an attempt needs, in order: the run still going, the
// provider's budget, a breaker ticket, a key's lease (pacing, in-flight
// slot, quota unit), an attempt within the pair's bound, a budget
// reservation. A refusal ends the pair, except a quota reset waited for
// (--wait-for-quota), which begins again.
func (c *pairCall) acquire(ctx context.Context) (slot, pairResult, step) {
	e, p := c.e, c.p
	if ctx.Err() != nil {
		return slot{}, pairResult{status: summary.StatusDeferred, code: "stopped", msg: "run stopped before this call", journal: -1}, stepDone
	}
	if pr, over := e.overBudget(p); over {
		return slot{}, pr, stepDone // budget.max_cost reached (budget.go)
	}
	ticket, err := p.breaker.enter(ctx)
	if err != nil {
		if errors.Is(err, errBreakerStopped) {
			return slot{}, e.unreachableResult(p), stepDone
		}
		return slot{}, pairResult{status: summary.StatusDeferred, code: "stopped", msg: "run stopped before this call", journal: -1}, stepDone
	}
	if p.stopped.Load() { // a wrong URL stops the provider between two attempts
		p.breaker.cancel(ticket)
		return slot{}, pairResult{status: summary.StatusSkipped, code: "provider_stopped", msg: p.stopReason(), journal: -1}, stepDone
	}
	lease, err := p.pool.Acquire(ctx)
	if err != nil {
		p.breaker.cancel(ticket)
		pr, next := c.noLease(ctx, err)
		return slot{}, pr, next
	}
	c.attempts++
	if c.attempts > maxAttemptsPerPair {
		p.breaker.cancel(ticket)
		lease.Release(ratelimit.NotSent, 0)
		return slot{}, e.failed(p, c.last, fmt.Sprintf("gave up after %d attempts (throttling, quota or key rotation did not settle)", maxAttemptsPerPair)), stepDone
	}
	if !p.budget.reserve() { // one price_per_call, like a quota unit (budget.go)
		p.breaker.cancel(ticket)
		lease.Release(ratelimit.NotSent, 0)
		return slot{}, e.budgetDeferred(p), stepDone
	}
	if c.attempts > 1 {
		p.retries.Add(1)
		p.keyStats[lease.Index()].retries.Add(1)
	}
	return slot{ticket: ticket, lease: lease, key: p.keys[lease.Index()], attemptID: e.seq.Add(1)}, pairResult{}, stepOn
}

// noLease turns the key pool's refusal into the pair's end: the
// coordination backend down, every key spent (or, with --wait-for-quota, a
// wait for the reset and another attempt), every key fatal, or the run
// stopping.
func (c *pairCall) noLease(ctx context.Context, err error) (pairResult, step) {
	e, p := c.e, c.p
	var ex *ratelimit.ExhaustedError
	var fe *ratelimit.FatalError
	var be *ratelimit.BackendError
	switch {
	case errors.As(err, &be):
		return e.coordinationDown(p, be), stepDone // fail closed (coordination.go)
	case errors.As(err, &ex):
		if e.opts.WaitForQuota && !ex.ResetAt.IsZero() {
			if e.waitUntil(ctx, p, ex.ResetAt) {
				return pairResult{}, stepAgain
			}
			return pairResult{status: summary.StatusDeferred, code: "stopped", msg: "run stopped while waiting for the quota reset", journal: -1}, stepDone
		}
		p.mu.Lock()
		p.resetAt = ex.ResetAt
		p.mu.Unlock()
		p.exhausted.Store(true)
		return pairResult{status: summary.StatusDeferred, code: "quota", msg: e.red.Redact(ex.Error()), journal: -1}, stepDone
	case errors.As(err, &fe):
		p.mu.Lock()
		p.stopMsg = e.red.Redact(fe.Error())
		p.mu.Unlock()
		p.stopped.Store(true)
		return pairResult{status: summary.StatusSkipped, code: "provider_stopped", msg: p.stopReason(), journal: -1}, stepDone // stopReason says "provider stopped"
	default:
		return pairResult{status: summary.StatusDeferred, code: "stopped", msg: "run stopped before this call", journal: -1}, stepDone
	}
}

// record makes an attempt's result known: the budget settles its
// reservation and the circuit breaker learns whether the vendor answered;
// then the provider's and the key's counters, the journal's outcome record
// (with the result columns when it ends the pair) and raw.jsonl. An
// attempt whose intent could not be journaled was never sent: only the
// budget and the breaker hear of it.
func (c *pairCall) record(s *slot, a *attemptResult) recorded {
	e, p, res := c.e, c.p, a.res
	p.budget.settle(a.inDoubt || p.billedAnswer(string(res.Outcome), res.Code))
	c.last = res
	switch {
	case res.Code == codeWrongURL:
		e.stopProvider(p, res.Message) // before the ticket lets the next attempt go
		p.breaker.cancel(s.ticket)
	case a.status != 0:
		p.breaker.answered(s.ticket)
	case res.Code == codeUnreachable:
		if ev := p.breaker.unreachable(s.ticket, res.Message); ev != breakerNone {
			e.breakerEvent(p, ev, res.Message)
		}
	default:
		p.breaker.cancel(s.ticket)
	}
	if res.Code == codeJournal {
		return recorded{}
	}
	billed := !a.inDoubt && (p.billed[res.Code] || p.billed[string(res.Outcome)])
	ks := &p.keyStats[s.lease.Index()]
	if a.sent {
		p.calls.Add(1)
	}
	if billed {
		p.billedN.Add(1)
		ks.billed.Add(1)
	}
	if a.inDoubt {
		p.inDoubt.Add(1)
		ks.inDoubt.Add(1)
	}
	jrec := &journal.Record{Type: journal.TypeOutcome, Row: c.row, Provider: p.cfg.Name, AttemptID: s.attemptID, KeyID: s.key.ID, Outcome: string(res.Outcome), Code: res.Code, Billed: billed, InDoubt: a.inDoubt}
	if res.Outcome.Final() {
		jrec.Status = string(res.Outcome)
		jrec.Values = res.Values
		jrec.Message = e.red.Redact(res.Message)
		jrec.Digest = digestHex(c.req.Dedupe)
	}
	off, jerr := e.jr.Append(jrec)
	if jerr != nil {
		e.envFail("journal write", jerr)
	}
	if rerr := e.raw.Write(sinks.RawRecord{
		Time: time.Now(), Row: c.row, Provider: p.cfg.Name, Key: s.key.ID, Attempt: c.attempts, HTTPStatus: a.status,
		Outcome: string(res.Outcome), Code: res.Code, Billed: billed, InDoubt: a.inDoubt,
		LatencyMS: float64(a.latency.Microseconds()) / 1000, Body: a.body, BodyValid: res.BodyJSON, Error: errText(res, a.status),
		Pass: e.runNo, Source: p.rawSource(),
	}); rerr != nil {
		e.envFail("write raw.jsonl", rerr)
	}
	return recorded{off: off, billed: billed}
}

// react ends an attempt: it releases the lease with the feedback the
// answer calls for (sent or not, the key throttled, spent or retired, the
// provider paused) and decides whether the pair ends with a result or
// tries again, after the retry backoff where one applies.
func (c *pairCall) react(ctx context.Context, s *slot, a *attemptResult, rec recorded) (pairResult, step) {
	e, p, res, lease := c.e, c.p, a.res, s.lease
	switch res.Code {
	case codeJournal: // nothing was sent; envFail stopped the run
		lease.Release(ratelimit.NotSent, 0)
		return pairResult{status: summary.StatusDeferred, code: "stopped", msg: "run stopped: the journal cannot be written", journal: -1}, stepDone
	case codeWrongURL:
		lease.Release(ratelimit.NotSent, 0)
		return pairResult{status: summary.StatusSkipped, code: "provider_stopped", msg: p.stopReason(), journal: -1}, stepDone
	}

	// Answers about this lookup, not the key (paramsreject.go).
	if rows := p.rejects.observe(c.row, res, a.status != 0); rows != nil {
		e.stopOnParams(p, rows, res)
	}
	if res.IdentityBackoff {
		if pr, done := e.identityBackoff(ctx, lease, c.retr, res, c.attempts); done {
			return pr, stepDone
		}
		return pairResult{}, stepAgain
	}

	switch res.Outcome {
	case providers.Hit, providers.NoHit, providers.Invalid:
		lease.Release(ratelimit.Sent, 0)
		pr := pairResult{status: string(res.Outcome), code: res.Code, values: res.Values, billed: rec.billed, journal: rec.off}
		if res.Outcome == providers.Invalid {
			pr.msg = vendorRejected(e.red.Redact(res.Message))
		}
		return pr, stepDone
	case providers.Throttled:
		p.throttled.Add(1)
		if budget := p.retryBudget(); res.RetryAfter > budget {
			// A wait longer than the row's whole retry budget (a
			// Retry-After of hours, or a garbled one of centuries):
			// pause the key for the budget and defer the row to a
			// resume instead of holding a worker that long.
			lease.Release(ratelimit.Throttled, budget)
			return pairResult{status: summary.StatusDeferred, code: res.Code, msg: fmt.Sprintf("the vendor asked to wait %s before the next call (Retry-After), more than the retry budget of %s: resume later", fmtLongDuration(res.RetryAfter), budget), journal: -1}, stepDone
		}
		lease.Release(ratelimit.Throttled, res.RetryAfter)
		c.throttles++
		if c.throttles > 50 {
			return e.failed(p, res, "throttled 50 times"), stepDone
		}
		return pairResult{}, stepAgain // the pool paused the key; the next Acquire waits
	case providers.Quota:
		fb := ratelimit.QuotaDaily
		switch {
		case res.Scope == providers.ScopeProvider:
			fb = ratelimit.PauseProvider
		case res.Permanent:
			fb = ratelimit.QuotaPermanent
		}
		lease.ReleaseWithReason(fb, res.RetryAfter, fmt.Sprintf("%s %s", res.Code, e.red.Redact(res.Message)))
		if fb == ratelimit.PauseProvider {
			e.warnf("%s: vendor code %s (per-IP limit): pausing the whole provider", p.cfg.Name, res.Code)
		}
		return pairResult{}, stepAgain
	case providers.Fatal:
		lease.ReleaseWithReason(ratelimit.Fatal, 0, fmt.Sprintf("key %s: %s %s", s.key.ID, res.Code, e.red.Redact(res.Message)))
		e.errorf("%s: key %s stopped: vendor answered %s %s", p.cfg.Name, s.key.ID, res.Code, e.red.Redact(res.Message))
		return pairResult{}, stepAgain
	default: // transient
		fb := ratelimit.Sent
		if !a.sent {
			fb = ratelimit.NotSent
		}
		lease.Release(fb, 0)
		if res.Code == codeUnreachable {
			// Never left: costs nothing and takes none of the row's
			// retries; the breaker paces and eventually stops these.
			return pairResult{}, stepAgain
		}
		if res.Unknown {
			if c.unknownSeen {
				return e.failed(p, res, "unknown vendor code (raw body in raw.jsonl)"), stepDone
			}
			c.unknownSeen = true
		}
		wait, ok := c.retr.Next(res.RetryAfter)
		if !ok {
			return e.failed(p, c.last, fmt.Sprintf("gave up after %d attempts", c.attempts)), stepDone
		}
		if !sleepCtx(ctx, wait) {
			return pairResult{status: summary.StatusDeferred, code: "stopped", msg: "run stopped between retries", journal: -1}, stepDone
		}
		return pairResult{}, stepAgain
	}
}

func (e *engine) failed(p *provRun, res providers.Result, why string) pairResult {
	msg := why
	if res.Message != "" {
		msg += ": " + e.red.Redact(res.Message)
	}
	return pairResult{status: summary.StatusFailed, code: res.Code, msg: msg, journal: -1}
}

func errText(res providers.Result, status int) string {
	if res.Outcome.Final() {
		return ""
	}
	return res.Message
}

// attempt performs one HTTP exchange with the slot's key, its intent
// journaled before the request leaves.
func (e *engine) attempt(p *provRun, s *slot, req *providers.Request, rowNum int) attemptResult {
	// In-flight calls finish even when the run is stopping: a call cut off
	// mid-way may be billed without its answer. The provider timeout bounds it.
	cctx, cancel := context.WithTimeout(context.Background(), p.cfg.Timeout)
	defer cancel()
	var wrote atomic.Bool
	cctx = httptrace.WithClientTrace(cctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) {
		wrote.Store(true)
		s.lease.Wrote() // a strict vendor's pacing counts from here (ratelimit.Lease.Wrote)
	}})
	hreq, err := p.prov.NewHTTPRequest(cctx, s.key, req)
	if err != nil {
		return attemptResult{res: providers.Result{Outcome: providers.Fatal, Code: "request", Message: e.red.Err(err).Error()}}
	}
	hreq.Header["User-Agent"] = e.userAgent
	if _, err := e.jr.Append(&journal.Record{Type: journal.TypeIntent, Row: rowNum, Provider: p.cfg.Name, AttemptID: s.attemptID, KeyID: s.key.ID, Run: e.runNo}); err != nil {
		// No intent, no call: a call the journal does not know of could be
		// paid for twice.
		e.envFail("journal write", err)
		return attemptResult{res: providers.Result{Outcome: providers.Transient, Code: codeJournal, Message: err.Error()}}
	}
	start := time.Now()
	resp, err := sendRequest(e.client, hreq) // e.client.Do without its redirect bookkeeping (httpsend.go)
	if err != nil {
		// Sent but unanswered is in doubt: the vendor may have billed it.
		a := attemptResult{latency: time.Since(start), sent: wrote.Load()}
		a.inDoubt = a.sent
		code := "network"
		switch {
		case !a.sent && isWrongURL(err):
			code = codeWrongURL
		case !a.sent && isUnreachable(err):
			code = codeUnreachable
		case errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err):
			code = "timeout"
		}
		a.res = providers.Result{Outcome: providers.Transient, Code: code, Message: e.red.Err(err).Error()}
		return a
	}
	defer resp.Body.Close()
	a := attemptResult{status: resp.StatusCode, sent: true}
	a.body, err = readBody(resp, 8<<20)
	a.latency = time.Since(start)
	switch {
	case err != nil:
		a.inDoubt = true
		a.res = providers.Result{Outcome: providers.Transient, Code: "network", Message: "reading the answer: " + e.red.Err(err).Error()}
	case plainHTTPToTLS(resp.StatusCode, a.body):
		a.res = providers.Result{Outcome: providers.Transient, Code: codeWrongURL, Message: fmt.Sprintf("%s answered %d %q: the endpoint is HTTPS, the job's URL says http://", hreq.URL.Host, resp.StatusCode, strings.TrimSpace(string(a.body)))}
	default:
		a.res = p.prov.Parse(resp.StatusCode, resp.Header, a.body)
	}
	return a
}

// Engine codes of attempts that did not get a vendor's answer.
const (
	codeUnreachable = "unreachable" // the request never reached the vendor (refused, DNS, no route)
	codeWrongURL    = "wrong_url"   // scheme or TLS mismatch: the endpoint URL is wrong
	codeJournal     = "journal"     // the intent could not be journaled; not sent
)

// stopProvider stops every key of p at once (a wrong URL): its remaining
// rows are skipped, exit 4.
func (e *engine) stopProvider(p *provRun, why string) {
	p.mu.Lock()
	first := p.stopMsg == ""
	if first {
		p.stopMsg = "wrong endpoint URL: " + e.red.Redact(why) + " (fix endpoint in the job file)"
	}
	p.mu.Unlock()
	p.stopped.Store(true)
	if first {
		e.errorf("%s: %s", p.cfg.Name, p.stopReason()) // "juhe: provider stopped: wrong endpoint URL: …"
	}
}

// breakerEvent says on the console, once each, that the circuit breaker
// paused or stopped a provider, and why.
func (e *engine) breakerEvent(p *provRun, ev breakerEvent, cause string) {
	cause = e.red.Redact(cause)
	switch ev {
	case breakerOpened:
		e.warnf("%s: endpoint unreachable: %s — %d attempts in a row never reached the vendor; pausing the provider, one probe in %s", p.cfg.Name, cause, p.cfg.Breaker.Failures, p.cfg.Breaker.Backoff)
	case breakerStopped:
		p.unreachable.Store(true)
		e.errorf("%s: endpoint still unreachable after %d probe(s): %s — provider stopped, its remaining rows are deferred (resume when the endpoint is back)", p.cfg.Name, p.cfg.Breaker.Probes, cause)
	}
}

func (e *engine) unreachableResult(p *provRun) pairResult {
	_, cause := p.breaker.state()
	return pairResult{status: summary.StatusDeferred, code: codeUnreachable, msg: "endpoint unreachable, provider stopped by its circuit breaker: " + e.red.Redact(cause), journal: -1}
}

// readBody reads at most limit bytes of an answer, in one allocation when
// the length is announced (io.ReadAll grows its buffer step by step).
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= limit {
		b := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, b); err != nil {
			return b, err
		}
		return b, nil
	}
	return io.ReadAll(io.LimitReader(resp.Body, limit))
}

func (e *engine) waitUntil(ctx context.Context, p *provRun, t time.Time) bool {
	// The reset is on the quota clock (the vendor's day), which tests move.
	d := t.Sub(e.opts.Clock.Now())
	if d < 0 {
		d = 0
	}
	p.mu.Lock()
	first := !p.waitingFor.Equal(t)
	p.waitingFor = t
	p.mu.Unlock()
	if first { // every worker waits; say it once
		e.logf("%s: every key is spent; waiting %s for the quota reset at %s (--wait-for-quota)", p.cfg.Name, d.Round(time.Second), t.Format("2006-01-02 15:04 -07"))
	}
	return sleepCtx(ctx, d+time.Second)
}

// waiting describes the providers waiting for a quota reset, for the
// progress display ("" when none is).
func (e *engine) waiting() string {
	var parts []string
	now := e.opts.Clock.Now()
	for _, p := range e.provs {
		p.mu.Lock()
		t := p.waitingFor
		p.mu.Unlock()
		if t.After(now) {
			parts = append(parts, fmt.Sprintf("%s waiting %s for its quota reset", p.cfg.Name, t.Sub(now).Round(time.Second)))
		}
	}
	return strings.Join(parts, ", ")
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// retryBudget is how long one pair may keep retrying (retry.max_elapsed).
func (p *provRun) retryBudget() time.Duration {
	if p.retry.MaxElapsed > 0 {
		return p.retry.MaxElapsed
	}
	return ratelimit.DefaultMaxElapsed
}

// fmtLongDuration shows a wait in the largest sensible unit.
func fmtLongDuration(d time.Duration) string {
	switch {
	case d >= 365*24*time.Hour:
		return "over a year"
	case d >= 48*time.Hour:
		return fmt.Sprintf("%.0f days", d.Hours()/24)
	}
	return d.Round(time.Second).String()
}
