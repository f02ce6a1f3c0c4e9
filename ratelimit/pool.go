package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // the quota days' zones load on any machine, also without a zone database (Windows)
)

// Clock tells the pool what "now" is for the quota day (tests move it across midnight).
// Pacing, in-flight waits and pauses run on the PaceClock instead (PoolConfig.Pace).
type Clock interface{ Now() time.Time }

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Tuning of the adaptive rate and pauses.
const (
	// DefaultProviderPause is how long PauseProvider stops the pool without a Retry-After.
	DefaultProviderPause = 60 * time.Second
	// unlimitedThrottlePause pauses a key without a QPS (no bucket to slow down) when the
	// vendor throttles it without a Retry-After.
	unlimitedThrottlePause = time.Second
	throttleFloor          = 0.10 // a throttled key never drops below 1/10 of its QPS
	recoverEvery           = 10   // Sent answers per recovery step…
	recoverStep            = 0.10 // …each step adds 10% of the configured QPS back

	// A burst-1 key paces its calls at its rate less burstOneMargin. The vendor sees a
	// call when it arrives, not when it is granted: the journal write, the scheduler and
	// the network delay some requests more than others, and a request delayed more than
	// the next one shortens the gap the vendor sees. With a burst of 2 or more the
	// vendor's own bucket absorbs that; with burst 1 it has no slack, and the margin
	// (intervals 1/(1−0.03) longer: 619µs at 50 QPS) gives it some, for 3% of the rate.
	// Pacing from the request's write (Lease.Wrote) takes our own side's jitter out; the
	// margin is for what comes after the write (the network, the vendor's own scheduling).
	// It was 2% while timers fired up to a millisecond late, which was slack of its own;
	// with exact timers (SystemPaceClock) a zero-tolerance bucket at 50 QPS drew 4–7 429s in
	// 20 s at 2% and 0–4 at 3% on a loaded machine (BENCHMARKS.md, "Exact pacing").
	burstOneMargin = 0.03
)

// KeyConfig describes one vendor key.
type KeyConfig struct {
	ID          string  // shown in logs (never a secret); default "#<index>"
	Fingerprint string  // stable identity across jobs (hash of provider+credentials); keys quota state; required with DailyQuota
	QPS         float64 // calls per second; 0 = unlimited
	Burst       int     // calls that may go at once after an idle spell; 0 = 1 (the safe choice: calls at least 1/QPS apart)
	MaxInFlight int     // concurrent leases; 0 = unlimited
	DailyQuota  int     // calls per quota day (midnight to midnight in PoolConfig.Location); 0 = unlimited
}

// PoolConfig configures a Pool.
type PoolConfig struct {
	Provider string // name for messages
	Keys     []KeyConfig
	Location *time.Location // the vendor's time zone for the quota day; nil = Asia/Shanghai
	Quota    *QuotaStore    // may be nil when no key has a daily quota; owned (closed) by the caller
	Clock    Clock          // the quota day; nil = SystemClock
	Pace     PaceClock      // pacing, waits and pauses; nil = SystemPaceClock (real monotonic time)

	// Backend replaces Quota when set (owned by the caller). A Coordinator also paces the
	// keys, caps their in-flight calls and gives the quota day, across processes (shared.go).
	Backend Backend
}

var shanghai = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic("ratelimit: " + err.Error()) // unreachable: the zone database is embedded (time/tzdata)
	}
	return loc
})

// DefaultLocation returns Asia/Shanghai.
func DefaultLocation() *time.Location { return shanghai() }

// ErrClosed is returned by Acquire after Close.
var ErrClosed = errors.New("ratelimit: pool closed")

// ExhaustedError: no key of the provider can serve any more today (quota spent until a reset,
// for good, or stopped by a fatal answer, but not all of them fatal).
type ExhaustedError struct {
	Provider string
	ResetAt  time.Time // earliest reset among keys retired until a reset; zero if none will reset
	Keys     []string  // IDs of the provider's keys, all unusable
	states   []string
}

func (e *ExhaustedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: every key is spent", e.Provider)
	if len(e.states) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(e.states, "; "))
	}
	if e.ResetAt.IsZero() {
		b.WriteString("; no key resets")
	} else {
		fmt.Fprintf(&b, "; next reset %s", e.ResetAt.Format(stateTimeFormat))
	}
	return b.String()
}

// FatalError: every key of the provider was stopped by a fatal answer (credentials,
// permission, wrong URL…).
type FatalError struct {
	Provider string
	Keys     []string
	Reason   string // the reasons given to ReleaseWithReason, "key: reason; …"
}

func (e *FatalError) Error() string {
	return fmt.Sprintf("%s: every key stopped by a fatal answer: %s", e.Provider, e.Reason)
}

// Feedback is what happened to a leased call.
type Feedback int

const (
	Sent           Feedback = iota // request went out and an answer came (any non-limit outcome)
	NotSent                        // failed before the request left: the quota unit is refunded
	Throttled                      // vendor said slow down: halve the key's rate (floor 1/10), pause it for retryAfter; unit refunded
	QuotaDaily                     // key's daily quota spent: retire it until the next midnight in Location (recorded in the store)
	QuotaPermanent                 // balance / total used up: retire the key for the rest of this run
	Fatal                          // credentials/permission: stop the key at once
	PauseProvider                  // per-IP limit: pause the whole pool for retryAfter (default 60s); unit refunded
)

var feedbackNames = [...]string{"sent", "not_sent", "throttled", "quota_daily", "quota_permanent", "fatal", "pause_provider"}

func (f Feedback) String() string {
	if f >= 0 && int(f) < len(feedbackNames) {
		return feedbackNames[f]
	}
	return fmt.Sprintf("Feedback(%d)", int(f))
}

type keyState int

const (
	stateActive keyState = iota
	stateQuotaDay
	stateQuotaForGood
	stateFatal
)

type key struct {
	cfg   KeyConfig
	idx   int
	sched *schedule // nil = unlimited

	curQPS float64
	// firstOpen: a burst-1 key's first call is still out. It goes alone: the first
	// request on a new connection is often the slowest, and a vendor without slack would
	// take the next one, paced from the grant, for a call too early.
	firstOpen bool
	// unwritten counts a burst-1 key's granted calls whose request has not been written to
	// the connection yet (Lease.Wrote, or Release for a call that never left). The next
	// grant waits for it: see Lease.Wrote.
	unwritten int
	streak    int    // Sent answers since the last throttle / recovery step
	grants    uint64 // calls granted so far (numbers the leases)
	cutAt     uint64 // grants when the rate was last halved: answers to calls granted before it are stale
	// shared is the key as the pool's Coordinator sees it (nil without one); sharedAt is the
	// pace time before which the coordinator said the key cannot take a call.
	shared   *SharedKey
	sharedAt time.Time

	state       keyState
	vendorSpent bool      // stateQuotaDay came from the vendor, not from our counter
	resetAt     time.Time // stateQuotaDay until
	pausedUntil time.Time // real time
	reason      string    // stateFatal

	inflight int
	pending  int    // leases between selection and the store's answer
	lastUsed uint64 // selection sequence number (LRU tie-break)

	// Local view of the persistent counter (a hint for selection; the store decides).
	cacheDay  string
	cacheUsed int

	calls, throttled int64
	localDay         string
	localUsed        int64 // leases today net of refunds (reported for keys without a quota)
}

// Pool hands out leases on a provider's keys. It is safe for concurrent use.
type Pool struct {
	provider string
	loc      *time.Location
	clock    Clock
	pace     PaceClock
	store    Backend
	coord    Coordinator // nil: keys paced in-process (shared.go)

	mu          sync.Mutex
	keys        []*key
	seq         uint64
	pausedUntil time.Time     // whole provider, pace time
	changed     chan struct{} // closed when the head of the line may proceed; nil while it does not wait
	// line holds the callers of Acquire in arrival order. Only its head looks for a key and
	// waits for the key's slot; the others wait for their turn. One caller at a time waiting
	// on the schedule means one wake-up per grant, however many workers there are, and
	// callers are served first come, first served.
	line      []*waiter
	closed    bool
	storeErrs []error

	day atomic.Pointer[dayName] // the quota day today last named (it may be read outside mu)
}

// dayName is a calendar date in the pool's location and its name
// (time.DateOnly), which only a new date changes: formatting it on every
// Acquire was a visible cost (issue 18).
type dayName struct {
	year  int
	month time.Month
	day   int
	name  string
}

// waiter is a caller of Acquire in the line.
type waiter struct{ turn chan struct{} } // closed when the waiter becomes the head

// NewPool validates cfg and builds one pacing schedule per key. Keys with a daily quota read
// today's count from the store, so a key another job already spent starts retired.
func NewPool(cfg PoolConfig) (*Pool, error) {
	if len(cfg.Keys) == 0 {
		return nil, fmt.Errorf("ratelimit: %s: no keys", cfg.Provider)
	}
	p := &Pool{
		provider: cfg.Provider,
		loc:      cfg.Location,
		pace:     cfg.Pace,
	}
	switch {
	case cfg.Backend != nil:
		p.store = cfg.Backend
	case cfg.Quota != nil:
		p.store = cfg.Quota
	}
	if c, ok := p.store.(Coordinator); ok {
		p.coord, p.clock = c, c // the quota day is the coordinator's
	}
	if p.loc == nil {
		p.loc = DefaultLocation()
	}
	if p.clock == nil {
		p.clock = cfg.Clock
	}
	if p.clock == nil {
		p.clock = SystemClock{}
	}
	if p.pace == nil {
		p.pace = SystemPaceClock{}
	}
	seen := make(map[string]bool)
	clockNow := p.clock.Now()
	today := clockNow.In(p.loc).Format(time.DateOnly)
	for i, kc := range cfg.Keys {
		if kc.ID == "" {
			kc.ID = fmt.Sprintf("#%d", i)
		}
		switch {
		case seen[kc.ID]:
			return nil, fmt.Errorf("ratelimit: %s: duplicate key id %q", cfg.Provider, kc.ID)
		case kc.QPS < 0 || math.IsNaN(kc.QPS) || math.IsInf(kc.QPS, 0):
			return nil, fmt.Errorf("ratelimit: %s: key %s: bad QPS %v", cfg.Provider, kc.ID, kc.QPS)
		case kc.Burst < 0 || kc.MaxInFlight < 0 || kc.DailyQuota < 0:
			return nil, fmt.Errorf("ratelimit: %s: key %s: negative burst, max in-flight or daily quota", cfg.Provider, kc.ID)
		case kc.DailyQuota > maxQuota:
			return nil, fmt.Errorf("ratelimit: %s: key %s: daily quota above %d", cfg.Provider, kc.ID, maxQuota)
		case kc.DailyQuota > 0 && p.store == nil:
			return nil, fmt.Errorf("ratelimit: %s: key %s has a daily quota but the pool has no quota store", cfg.Provider, kc.ID)
		case kc.DailyQuota > 0 && kc.Fingerprint == "":
			return nil, fmt.Errorf("ratelimit: %s: key %s has a daily quota but no fingerprint", cfg.Provider, kc.ID)
		}
		seen[kc.ID] = true
		k := &key{cfg: kc, idx: i, curQPS: kc.QPS, localDay: today}
		if p.coord != nil {
			k.shared = sharedKey(kc, p.loc)
		} else if kc.QPS > 0 {
			margin := 0.0
			if kc.Burst <= 1 {
				margin = burstOneMargin
			}
			k.sched = newSchedule(kc.QPS, margin, kc.Burst)
		}
		if kc.DailyQuota > 0 && p.coord == nil { // a coordinator answers at the first grant
			used, err := p.store.Used(kc.Fingerprint, today)
			if err != nil {
				return nil, fmt.Errorf("ratelimit: %s: key %s: %w", cfg.Provider, kc.ID, err)
			}
			k.cacheDay, k.cacheUsed = today, used
			if used >= kc.DailyQuota {
				k.state, k.resetAt = stateQuotaDay, nextMidnight(today, p.loc)
			}
		}
		p.keys = append(p.keys, k)
	}
	return p, nil
}

// nextMidnight returns the start of the day after day in loc.
func nextMidnight(day string, loc *time.Location) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, day, loc)
	if err != nil {
		panic("ratelimit: bad day " + day) // days are produced by this package
	}
	return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
}

func (p *Pool) today() (time.Time, string) {
	now := p.clock.Now().In(p.loc)
	y, m, d := now.Date()
	if c := p.day.Load(); c != nil && c.day == d && c.month == m && c.year == y {
		return now, c.name
	}
	name := now.Format(time.DateOnly)
	p.day.Store(&dayName{year: y, month: m, day: d, name: name})
	return now, name
}

// notifyLocked wakes every waiter (the channel exists only while someone waits).
func (p *Pool) notifyLocked() {
	if p.changed != nil {
		close(p.changed)
		p.changed = nil
	}
}

// waitChanLocked returns the channel notifyLocked closes.
func (p *Pool) waitChanLocked() <-chan struct{} {
	if p.changed == nil {
		p.changed = make(chan struct{})
	}
	return p.changed
}

// Acquire picks a key, waits for its in-flight slot and its pacing slot (every attempt,
// retries included, takes a slot) and, for a key with a daily quota, reserves one unit in
// the persistent store before returning, so no process can exceed the quota.
//
// Callers are served in arrival order: the first in line picks a key and waits until the
// key may take a call at the rate in force at that moment; nothing is reserved ahead, so a
// change of rate (a 429, a recovery step) applies to the very next grant (see schedule).
//
// Selection: among usable keys with a free slot, a key that may take a call now beats one
// that would make the caller wait (so keys of different rates are all used fully); then the
// most headroom (remaining quota today, unlimited first), then the most free in-flight
// slots, then the least recently used. If every key is busy or paused, Acquire waits for a
// release or the end of the pause, until ctx is done.
//
// When no key can serve today it returns *ExhaustedError; when every key was stopped by a
// fatal answer, *FatalError; after Close, ErrClosed; a store failure is returned as is.
func (p *Pool) Acquire(ctx context.Context) (*Lease, error) {
	for {
		k, g, today, err := p.take(ctx)
		if err != nil {
			return nil, err
		}
		if p.coord != nil {
			return p.sharedLease(k, g), nil // slot, lease and unit in one step (shared.go)
		}
		day := today
		quota := k.cfg.DailyQuota > 0
		if quota {
			// Store I/O outside the pool lock, and out of the line: the next caller may
			// already take the next slot.
			_, day = p.today()
			used, ok, err := p.store.Reserve(k.cfg.Fingerprint, day, k.cfg.DailyQuota)
			p.mu.Lock()
			k.pending--
			if err != nil {
				k.inflight--
				if g.awaitWrite {
					k.unwritten--
				}
				p.notifyLocked()
				p.mu.Unlock()
				return nil, fmt.Errorf("ratelimit: %s: key %s: %w", p.provider, k.cfg.ID, err)
			}
			k.cacheDay, k.cacheUsed = day, used
			p.notifyLocked() // the head may be waiting on this key's pending reservations
			if !ok {
				// The slot is spent without a call: the vendor saw nothing, so the
				// schedule only errs on the slow side.
				k.inflight--
				if g.awaitWrite {
					k.unwritten--
				}
				if g.n == 1 {
					k.firstOpen = false
				}
				if k.state == stateActive {
					k.state, k.resetAt = stateQuotaDay, nextMidnight(day, p.loc)
				}
				p.mu.Unlock()
				continue
			}
		} else {
			p.mu.Lock()
		}
		if k.localDay != day {
			k.localDay, k.localUsed = day, 0
		}
		k.localUsed++
		p.mu.Unlock()
		return &Lease{p: p, k: k, day: day, reserved: quota, grant: g}, nil
	}
}

// grantInfo is what the schedule said when a lease was granted (for the throttle feedback
// and for tests of the schedule).
type grantInfo struct {
	n        uint64        // the key's grant number, from 1
	at       time.Time     // pace time of the grant
	interval time.Duration // the key's interval at the rate in force at the grant; 0 = unlimited
	pace     time.Duration // the interval the schedule ran on (interval less the margin)
	shared   *SharedGrant  // the coordinator's grant (shared.go); nil without one
	// awaitWrite: the grant counts in its key's unwritten until Lease.Wrote or Release.
	awaitWrite bool
}

// take waits for the caller's turn in line, then for a key that may take a call now, and
// takes it: the key's pacing slot, an in-flight slot and (pending) a quota unit.
func (p *Pool) take(ctx context.Context) (*key, grantInfo, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, grantInfo{}, "", err
	}
	w := &waiter{turn: make(chan struct{})}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, grantInfo{}, "", ErrClosed
	}
	p.line = append(p.line, w)
	if len(p.line) == 1 {
		close(w.turn)
	}
	p.mu.Unlock()
	defer p.leave(w)

	select {
	case <-ctx.Done():
		return nil, grantInfo{}, "", ctx.Err()
	case <-w.turn:
	}
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, grantInfo{}, "", ErrClosed
		}
		now := p.pace.Now()
		clockNow, today := p.today()
		p.refreshLocked(clockNow, today)
		k, wait, err := p.pickLocked(now, today)
		if err != nil {
			p.mu.Unlock()
			return nil, grantInfo{}, "", err
		}
		if k != nil && wait == 0 && p.coord != nil {
			g, ok, err := p.grantSharedLocked(ctx, k)
			p.mu.Unlock()
			if err != nil {
				return nil, grantInfo{}, "", err
			}
			if ok {
				return k, g, g.shared.Day, nil
			}
			continue // wait for the key, or pick another
		}
		if k != nil && wait == 0 {
			g := p.grantLocked(k, now)
			p.mu.Unlock()
			return k, g, today, nil
		}
		// The best key's slot is ahead, or no key can take a call: wait for that, or for a
		// change (a release, a rate change, Close) that may make another key better.
		ch := p.waitChanLocked()
		p.mu.Unlock()
		if err := p.sleep(ctx, ch, wait); err != nil {
			return nil, grantInfo{}, "", err
		}
	}
}

// grantLocked gives k's next slot to the caller at now.
func (p *Pool) grantLocked(k *key, now time.Time) grantInfo {
	k.inflight++
	p.seq++
	k.lastUsed = p.seq
	if k.cfg.DailyQuota > 0 {
		k.pending++
	}
	k.grants++
	g := grantInfo{n: k.grants, at: now}
	if k.sched != nil {
		k.sched.grant(now)
		g.interval, g.pace = k.sched.floor, k.sched.interval
		k.firstOpen = k.grants == 1 && k.sched.burst == 1
		if k.sched.burst == 1 {
			k.unwritten++
			g.awaitWrite = true
		}
	}
	return g
}

// leave takes w out of the line and, if it was the head, gives the turn to the next.
func (p *Pool) leave(w *waiter) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.line {
		if x == w {
			p.line = append(p.line[:i], p.line[i+1:]...)
			if i == 0 && len(p.line) > 0 {
				close(p.line[0].turn)
			}
			return
		}
	}
}

// sleep waits for ctx, a change, or wait on the pace clock (0 = no timeout).
func (p *Pool) sleep(ctx context.Context, ch <-chan struct{}, wait time.Duration) error {
	var tc <-chan time.Time
	if wait > 0 {
		c, stop := p.pace.Timer(wait)
		defer stop()
		tc = c
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-ch:
	case <-tc:
	}
	return nil
}

// refreshLocked brings keys retired until a reset back after midnight and forgets
// yesterday's cached counts.
func (p *Pool) refreshLocked(clockNow time.Time, today string) {
	for _, k := range p.keys {
		if k.state == stateQuotaDay && !clockNow.Before(k.resetAt) {
			k.state, k.vendorSpent, k.resetAt = stateActive, false, time.Time{}
		}
		if k.cfg.DailyQuota > 0 && k.cacheDay != today {
			k.cacheDay, k.cacheUsed = today, 0 // unknown until the store answers
		}
	}
}

// pickLocked returns the best key and how long until it may take a call (0 = now), or nil
// and how long to wait at most (0 = until a change), or the error that ends Acquire.
func (p *Pool) pickLocked(now time.Time, today string) (*key, time.Duration, error) {
	if now.Before(p.pausedUntil) {
		return nil, p.pausedUntil.Sub(now), nil
	}
	var (
		best      *key
		bestDelay time.Duration
		live      bool
		wake      time.Time
	)
	for _, k := range p.keys {
		if k.state != stateActive {
			continue
		}
		if q := k.cfg.DailyQuota; q > 0 && k.cacheDay == today {
			if k.cacheUsed >= q && k.pending == 0 {
				k.state, k.resetAt = stateQuotaDay, nextMidnight(today, p.loc)
				continue
			}
			live = true
			if k.cacheUsed+k.pending >= q {
				continue // outstanding reservations decide; wait for them
			}
		}
		live = true
		if now.Before(k.pausedUntil) {
			if wake.IsZero() || k.pausedUntil.Before(wake) {
				wake = k.pausedUntil
			}
			continue
		}
		if k.cfg.MaxInFlight > 0 && k.inflight >= k.cfg.MaxInFlight || k.firstOpen || k.unwritten > 0 {
			continue
		}
		var delay time.Duration
		if k.sched != nil {
			delay = k.sched.delay(now)
		} else if now.Before(k.sharedAt) {
			delay = k.sharedAt.Sub(now) // the coordinator said so (shared.go)
		}
		if best == nil || p.better(k, delay, best, bestDelay) {
			best, bestDelay = k, delay
		}
	}
	if best != nil {
		// A paused key that comes back before the best one's slot may be better then.
		if bestDelay > 0 && !wake.IsZero() && wake.Sub(now) < bestDelay {
			return best, wake.Sub(now), nil
		}
		return best, bestDelay, nil
	}
	if !live {
		return nil, 0, p.spentErrorLocked()
	}
	if wake.IsZero() {
		return nil, 0, nil
	}
	return nil, wake.Sub(now), nil
}

func (p *Pool) better(a *key, ad time.Duration, b *key, bd time.Duration) bool {
	if (ad == 0) != (bd == 0) {
		return ad == 0
	}
	if ad != bd {
		return ad < bd
	}
	if ha, hb := a.headroom(), b.headroom(); ha != hb {
		return ha > hb
	}
	if fa, fb := a.freeSlots(), b.freeSlots(); fa != fb {
		return fa > fb
	}
	return a.lastUsed < b.lastUsed
}

func (k *key) headroom() int {
	if k.cfg.DailyQuota == 0 {
		return math.MaxInt
	}
	return k.cfg.DailyQuota - k.cacheUsed - k.pending
}

func (k *key) freeSlots() int {
	if k.cfg.MaxInFlight == 0 {
		return math.MaxInt
	}
	return k.cfg.MaxInFlight - k.inflight
}

func (p *Pool) spentErrorLocked() error {
	ids := make([]string, len(p.keys))
	states := make([]string, len(p.keys))
	allFatal := true
	var reasons []string
	var reset time.Time
	for i, k := range p.keys {
		ids[i] = k.cfg.ID
		states[i] = k.cfg.ID + ": " + p.stateStringLocked(k, p.pace.Now())
		if k.state != stateFatal {
			allFatal = false
		} else {
			reasons = append(reasons, k.cfg.ID+": "+k.reason)
		}
		if k.state == stateQuotaDay && (reset.IsZero() || k.resetAt.Before(reset)) {
			reset = k.resetAt
		}
	}
	if allFatal {
		return &FatalError{Provider: p.provider, Keys: ids, Reason: strings.Join(reasons, "; ")}
	}
	return &ExhaustedError{Provider: p.provider, ResetAt: reset, Keys: ids, states: states}
}

// Lease is the right to make one call with one key. Release it exactly once (later calls
// are ignored).
type Lease struct {
	p        *Pool
	k        *key
	day      string
	grant    grantInfo
	reserved bool // next to released: the two share one word (a Lease is allocated per call)
	released atomic.Bool
	written  atomic.Bool
}

// Wrote tells the pool that the call's request has just been written to the connection
// (net/http/httptrace's WroteRequest); call it from there. Later calls are ignored.
//
// A strict vendor (burst 1) measures the gap between two requests' arrivals, not between
// our grants. The time from a grant to the request's write (a worker waking, the journal's
// intent record, a connection from the pool) varies by a millisecond or more under load,
// and a first request written late followed by a second written early arrives closer than
// the interval: a 429, about one call in 1,200 at 50 QPS with answers in no time (issue 12).
// So a paced key's schedule counts from the write as well as from the grant (the next call
// is due no earlier than the write + the interval), and a burst-1 key grants no other call
// while one granted call is unwritten, so two requests can never be written in the wrong
// order or together.
func (l *Lease) Wrote() {
	if l == nil || !l.written.CompareAndSwap(false, true) {
		return
	}
	p, k := l.p, l.k
	if k.shared != nil {
		p.wroteShared(l)
		return
	}
	if k.sched == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if l.released.Load() {
		return // the release already accounted for the write (it cannot come after it)
	}
	k.sched.holdUntil(p.pace.Now().Add(k.sched.interval))
	if l.grant.awaitWrite {
		l.grant.awaitWrite = false
		k.unwritten--
		p.notifyLocked()
	}
}

// KeyID returns the key's ID (for logs).
func (l *Lease) KeyID() string { return l.k.cfg.ID }

// Index returns the key's index in PoolConfig.Keys (to find its credentials).
func (l *Lease) Index() int { return l.k.idx }

// Day returns the quota day the lease was counted against.
func (l *Lease) Day() string { return l.day }

// Release reports what happened to the call; see Feedback. retryAfter is the vendor's
// Retry-After, used by Throttled and PauseProvider (0 = none).
func (l *Lease) Release(fb Feedback, retryAfter time.Duration) {
	l.ReleaseWithReason(fb, retryAfter, "")
}

// ReleaseWithReason is Release with a human-readable reason, kept for Fatal (it appears in
// FatalError and Stats). The reason must not contain secrets.
func (l *Lease) ReleaseWithReason(fb Feedback, retryAfter time.Duration, reason string) {
	if l == nil || !l.released.CompareAndSwap(false, true) {
		return
	}
	p, k := l.p, l.k
	fp := k.cfg.Fingerprint

	// Store I/O outside the pool lock.
	var storeErr error
	refund := l.reserved && (fb == NotSent || fb == Throttled || fb == PauseProvider)
	switch {
	case p.coord != nil:
		storeErr = p.releaseShared(l, fb, retryAfter) // lease, unit, rate and quota news (shared.go)
	case refund:
		storeErr = p.store.Refund(fp, l.day)
	case fb == QuotaDaily && k.cfg.DailyQuota > 0:
		storeErr = p.store.MarkExhausted(fp, l.day)
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.pace.Now()
	k.inflight--
	if l.grant.awaitWrite {
		l.grant.awaitWrite = false // a call that never left, or whose write went unreported
		k.unwritten--
	}
	if l.grant.n == 1 && k.firstOpen {
		// The first call has arrived by now (its answer came, or it never left): pace
		// the next one from here.
		k.firstOpen = false
		k.sched.holdUntil(now.Add(k.sched.floor))
	}
	if storeErr != nil && len(p.storeErrs) < 16 {
		p.storeErrs = append(p.storeErrs, fmt.Errorf("ratelimit: %s: key %s: %w", p.provider, k.cfg.ID, storeErr))
	}
	if fb == NotSent {
		if k.localDay == l.day && k.localUsed > 0 {
			k.localUsed--
		}
	} else {
		k.calls++
	}
	if refund && storeErr == nil && k.cacheDay == l.day {
		if k.cacheUsed > 0 {
			k.cacheUsed--
		}
		// Our own counter retired the key; the unit came back, so it may serve again.
		if k.state == stateQuotaDay && !k.vendorSpent {
			k.state, k.resetAt = stateActive, time.Time{}
		}
	}
	switch fb {
	case Sent:
		k.recoverLocked()
	case Throttled:
		k.throttled++
		if k.shared == nil || k.cfg.QPS == 0 { // else the coordinator slowed and paused the key for everyone
			k.throttleLocked(now, retryAfter, l.grant)
		}
	case QuotaDaily:
		if k.state <= stateQuotaDay {
			k.state, k.vendorSpent, k.resetAt = stateQuotaDay, true, nextMidnight(l.day, p.loc)
			if k.cacheDay == l.day {
				k.cacheUsed = max(k.cacheUsed, k.cfg.DailyQuota)
			}
		}
	case QuotaPermanent:
		if k.state < stateQuotaForGood {
			k.state = stateQuotaForGood
		}
	case Fatal:
		k.state = stateFatal
		if reason == "" {
			reason = "fatal answer from the vendor"
		}
		if k.reason == "" {
			k.reason = reason
		}
	case PauseProvider:
		if retryAfter <= 0 {
			retryAfter = DefaultProviderPause
		}
		if until := now.Add(retryAfter); until.After(p.pausedUntil) {
			p.pausedUntil = until
		}
	}
	p.notifyLocked()
}

// throttleLocked slows k down after a 429 on the call granted as g.
//
// The rate halves only for a call granted after the last cut: calls granted before it were
// paced at the old rate, and their 429s say nothing new. Halving for each of them (as
// before) took a key to its floor from one event when several calls were in flight.
func (k *key) throttleLocked(now time.Time, retryAfter time.Duration, g grantInfo) {
	k.streak = 0
	if k.sched != nil {
		if g.n > k.cutAt {
			k.curQPS = max(k.curQPS/2, k.cfg.QPS*throttleFloor)
			k.sched.setRate(k.curQPS)
			k.cutAt = k.grants
		}
		// Drop the saved-up burst: the vendor just said we are too fast.
		k.sched.drain(now, 0)
	} else if retryAfter <= 0 {
		retryAfter = unlimitedThrottlePause
	}
	if retryAfter > 0 {
		if until := now.Add(retryAfter); until.After(k.pausedUntil) {
			k.pausedUntil = until
		}
	}
}

// recoverLocked gives a throttled key back recoverStep of its QPS every recoverEvery Sent
// answers. The faster interval applies from the next grant on (schedule.setRate).
func (k *key) recoverLocked() {
	if k.sched == nil || k.curQPS >= k.cfg.QPS {
		return
	}
	k.streak++
	if k.streak < recoverEvery {
		return
	}
	k.streak = 0
	k.curQPS = min(k.cfg.QPS, k.curQPS+k.cfg.QPS*recoverStep)
	k.sched.setRate(k.curQPS)
}

// KeyStats is a snapshot of one key for summary.json and the console.
type KeyStats struct {
	ID             string
	Calls          int64 // calls that went out (every feedback but NotSent)
	Throttled      int64
	QuotaUsedToday int64 // from the shared store for keys with a quota (all jobs), else this pool's leases today
	DailyQuota     int
	State          string    // "active", "paused until …", "quota spent until 2026-11-26 00:00 +08", "quota spent for good", "stopped: fatal"
	ResetAt        time.Time // when a key with a spent daily quota serves again
	QPS            float64   // current rate (lower than configured after throttling); 0 = unlimited
	InFlight       int
}

const stateTimeFormat = "2006-01-02 15:04 -07"

func (p *Pool) stateStringLocked(k *key, now time.Time) string {
	switch k.state {
	case stateQuotaDay:
		return "quota spent until " + k.resetAt.In(p.loc).Format(stateTimeFormat)
	case stateQuotaForGood:
		return "quota spent for good"
	case stateFatal:
		return "stopped: fatal"
	}
	until := k.pausedUntil
	if p.pausedUntil.After(until) {
		until = p.pausedUntil
	}
	if now.Before(until) {
		return "paused until " + until.In(p.loc).Format("2006-01-02 15:04:05 -07")
	}
	return "active"
}

// Stats returns one entry per key, in PoolConfig.Keys order.
func (p *Pool) Stats() []KeyStats {
	p.mu.Lock()
	now := p.pace.Now()
	clockNow, today := p.today()
	p.refreshLocked(clockNow, today)
	out := make([]KeyStats, len(p.keys))
	for i, k := range p.keys {
		s := KeyStats{
			ID:         k.cfg.ID,
			Calls:      k.calls,
			Throttled:  k.throttled,
			DailyQuota: k.cfg.DailyQuota,
			State:      p.stateStringLocked(k, now),
			InFlight:   k.inflight,
		}
		if k.localDay == today {
			s.QuotaUsedToday = k.localUsed
		}
		if k.sched != nil || k.shared != nil && k.cfg.QPS > 0 {
			s.QPS = k.curQPS
		}
		if k.state == stateQuotaDay {
			s.ResetAt = k.resetAt
		}
		out[i] = s
	}
	p.mu.Unlock()
	for i, k := range p.keys {
		if k.cfg.DailyQuota > 0 {
			if used, err := p.store.Used(k.cfg.Fingerprint, today); err == nil {
				out[i].QuotaUsedToday = int64(used)
			}
		}
	}
	return out
}

// Close stops the pool: waiting and later Acquire calls return ErrClosed; outstanding
// leases may still be released. It returns the quota-store errors met by Release (which has
// no error result), if any. It does not close the QuotaStore.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.closed = true
		p.notifyLocked()
	}
	return errors.Join(p.storeErrs...)
}
