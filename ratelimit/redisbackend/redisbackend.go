// Package redisbackend shares the limits of vendor keys among processes and machines
// through Redis (issue 14): per-key pacing as GCRA on Redis TIME (so the machines' clocks do
// not matter), throttle feedback shared by every process, in-flight caps as leases that
// expire (a killed machine's slots come back), and daily quotas reserved before each call
// and refunded exactly like the local ratelimit.QuotaStore, each in one atomic Lua script.
//
// It fails closed: when Redis does not answer, Acquire returns an error and no call is made.
//
// Backend implements ratelimit.Coordinator (and so ratelimit.Backend).
package redisbackend

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/riskbatch/riskbatch/ratelimit"
)

// DefaultPrefix is the prefix of every key riskbatch writes.
const DefaultPrefix = "riskbatch:"

// opTimeout bounds every Redis operation: a pool waits no longer than this for an answer
// before it fails closed.
const opTimeout = 2 * time.Second

// Config configures a Backend.
type Config struct {
	// URL is redis://[user:password@]host:port/db or rediss:// (TLS). It may hold a password:
	// it is never part of an error or a log line of this package.
	URL string
	// Prefix starts every key (teams may share one Redis); "" = DefaultPrefix.
	Prefix string
	// QuotaMargin stops short of every daily quota by this percentage (0–50): a Redis
	// failover with asynchronous replication can forget the last counts.
	QuotaMargin float64
	// LeaseTTL is how long an in-flight lease lives if it is never released (its machine
	// died): the provider's timeout plus the stop grace. 0 = 2 minutes.
	LeaseTTL time.Duration
	// ClockOffset is added to Redis TIME for the quota day — for tests only, which must
	// cross a vendor midnight while Redis TIME cannot be set.
	ClockOffset time.Duration
}

// Backend is a connection to Redis shared by every pool of a run.
type Backend struct {
	rdb      *redis.Client
	prefix   string
	margin   float64
	leaseTTL time.Duration
	offset   time.Duration
	addr     string // host:port, for messages (never the password)

	instance string // lease ids: instance-counter
	leases   atomic.Uint64

	started sync.Map // fingerprints this process has made a call with (see Acquire)

	mu      sync.Mutex
	skew    time.Duration                      // Redis TIME − local time, measured at Open
	held    map[string][]ratelimit.SharedGrant // quota units reserved while the slot made the caller wait (Acquire)
	lastErr error                              // the last Acquire's failure (nil after a success)
}

var _ ratelimit.Coordinator = (*Backend)(nil)

// quietLogs silences go-redis's own log lines (its dial failures on stderr): riskbatch says
// once, in its own words, what failed.
var quietLogs sync.Once

// Open connects to Redis and reads its clock. The error never contains the URL's password.
func Open(ctx context.Context, cfg Config) (*Backend, error) {
	quietLogs.Do(func() { redis.SetLogger(voidLogger{}) })
	opt, err := redis.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("redis: bad coordination URL %s: %s", Redact(cfg.URL), scrub(err.Error(), cfg.URL))
	}
	if cfg.QuotaMargin < 0 || cfg.QuotaMargin > 50 {
		return nil, fmt.Errorf("redis: quota_margin %v%%: want 0 to 50", cfg.QuotaMargin)
	}
	opt.MaxRetries = -1 // a script retried after an unclear failure could reserve twice
	opt.DialTimeout = time.Second
	opt.ReadTimeout = opTimeout
	opt.WriteTimeout = opTimeout
	opt.DialerRetries = 1
	opt.DisableIdentity = true
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	b := &Backend{
		rdb:      redis.NewClient(opt),
		prefix:   cfg.Prefix,
		margin:   cfg.QuotaMargin,
		leaseTTL: cfg.LeaseTTL,
		offset:   cfg.ClockOffset,
		addr:     opt.Addr,
		held:     make(map[string][]ratelimit.SharedGrant),
	}
	if b.prefix == "" {
		b.prefix = DefaultPrefix
	}
	if b.leaseTTL <= 0 {
		b.leaseTTL = 2 * time.Minute
	}
	var id [6]byte
	_, _ = rand.Read(id[:])
	b.instance = hex.EncodeToString(id[:])
	if err := b.syncClock(ctx); err != nil {
		b.rdb.Close()
		return nil, err
	}
	return b, nil
}

// Close gives back the quota units still held for a slot (see Acquire) and closes the
// connections.
func (b *Backend) Close() error {
	b.mu.Lock()
	held := b.held
	b.held = map[string][]ratelimit.SharedGrant{}
	b.mu.Unlock()
	for fp, units := range held {
		for _, u := range units {
			_ = b.Refund(fp, u.Day) // best effort: a unit not given back only errs on the safe side
		}
	}
	return b.rdb.Close()
}

// Addr is the server's host:port (for messages).
func (b *Backend) Addr() string { return b.addr }

func (b *Backend) syncClock(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	before := time.Now()
	t, err := b.rdb.Time(ctx).Result()
	if err != nil {
		return b.wrap("read the server's clock", err)
	}
	after := time.Now()
	mid := before.Add(after.Sub(before) / 2)
	b.mu.Lock()
	b.skew = t.Sub(mid)
	b.mu.Unlock()
	return nil
}

// Now is Redis TIME (as measured at Open, carried on by the local monotonic clock) plus
// the test clock offset: the quota day of every process agrees with the scripts'.
func (b *Backend) Now() time.Time {
	b.mu.Lock()
	skew := b.skew
	b.mu.Unlock()
	return time.Now().Add(skew + b.offset)
}

// Limit is the daily quota less the margin: the count at which the key stops.
func (b *Backend) Limit(quota int) int {
	if quota <= 0 || b.margin == 0 {
		return quota
	}
	return max(1, quota-int(float64(quota)*b.margin/100+0.999999))
}

func (b *Backend) keys(fp string) []string {
	base := b.prefix + "{" + fp + "}:"
	return []string{base + "pace", base + "inflight", base + "quota"}
}

// dayOffset is the µs added to Redis TIME for the quota day: the zone's UTC offset now,
// plus the test offset.
func (b *Backend) dayOffset(loc *time.Location) int64 {
	if loc == nil {
		loc = ratelimit.DefaultLocation()
	}
	_, off := b.Now().In(loc).Zone()
	return int64(off)*1e6 + b.offset.Microseconds()
}

// Acquire implements ratelimit.Coordinator.
//
// A paced key with a daily quota takes two steps: first its quota unit (written to the
// append-only file and replicas: with appendfsync always the answer waits for an fsync),
// then its pacing slot and lease (in memory only, answered at once). The slot is the last
// thing before the call leaves, so the fsync's varying delay never comes between a grant
// and its request: a vendor without slack would see it as calls closer than the interval.
// A unit reserved while the slot makes the caller wait is held for its next Acquire.
func (b *Backend) Acquire(ctx context.Context, k *ratelimit.SharedKey) (ratelimit.SharedGrant, error) {
	// After a failure the next caller first pings with a short timeout and fails with the
	// same error if Redis still does not answer: with Redis unreachable, a pool's waiting
	// callers would otherwise take turns waiting for a whole operation timeout each.
	b.mu.Lock()
	last := b.lastErr
	b.mu.Unlock()
	if last != nil {
		pctx, cancel := context.WithTimeout(ctx, probeTimeout)
		err := b.rdb.Ping(pctx).Err()
		cancel()
		if err != nil {
			return ratelimit.SharedGrant{}, last
		}
	}
	g, err := b.acquireUnit(ctx, k)
	if ctx.Err() == nil {
		b.mu.Lock()
		b.lastErr = err
		b.mu.Unlock()
	}
	return g, err
}

// probeTimeout bounds the ping of an Acquire after a failed one.
const probeTimeout = 200 * time.Millisecond

func (b *Backend) acquireUnit(ctx context.Context, k *ratelimit.SharedKey) (ratelimit.SharedGrant, error) {
	if k.DailyQuota == 0 || k.QPS == 0 {
		return b.acquire(ctx, k, k.QPS, k.MaxInFlight, b.Limit(k.DailyQuota))
	}
	loc := k.Location
	if loc == nil {
		loc = ratelimit.DefaultLocation()
	}
	day := b.Now().In(loc).Format(time.DateOnly)
	var unit ratelimit.SharedGrant
	b.mu.Lock()
	units := b.held[k.Fingerprint]
	held := len(units) > 0
	if held {
		unit = units[len(units)-1]
		b.held[k.Fingerprint] = units[:len(units)-1]
	}
	b.mu.Unlock()
	if !held || unit.Day != day { // a unit of a past day is left counted there (never a call over)
		var err error
		if unit, err = b.acquire(ctx, k, 0, 0, b.Limit(k.DailyQuota)); err != nil || !unit.OK {
			return unit, err
		}
	}
	g, err := b.acquire(ctx, k, k.QPS, k.MaxInFlight, 0)
	if err != nil || !g.OK {
		if err == nil && !g.Spent {
			b.mu.Lock()
			b.held[k.Fingerprint] = append(b.held[k.Fingerprint], unit)
			b.mu.Unlock()
		}
		return g, err
	}
	g.Day, g.Used = unit.Day, unit.Used
	return g, nil
}

// acquire runs acquireScript once.
func (b *Backend) acquire(ctx context.Context, k *ratelimit.SharedKey, qps float64, maxInFlight, limit int) (ratelimit.SharedGrant, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	lease := ""
	if maxInFlight > 0 {
		lease = b.instance + "-" + strconv.FormatUint(b.leases.Add(1), 36)
	}
	burst := max(k.Burst, 1)
	// This process's first call on a burst-1 key goes alone: it opens a new connection and
	// is often the slowest request of the run, so the next call, whichever process makes
	// it, waits one interval more: a vendor without slack would otherwise see the two
	// closer than the interval.
	alone := 0
	if _, seen := b.started.Load(k.Fingerprint); !seen && burst == 1 && qps > 0 {
		alone = 1
	}
	res, err := acquireScript.Run(ctx, b.rdb, b.keys(k.Fingerprint),
		qps, burst, k.Margin, maxInFlight, limit, lease,
		b.leaseTTL.Microseconds(), b.dayOffset(k.Location), alone).Slice()
	if err != nil {
		return ratelimit.SharedGrant{}, b.wrap("acquire", err)
	}
	if len(res) > 0 && res[0] == "ok" && qps > 0 {
		b.started.Store(k.Fingerprint, true)
	}
	g := ratelimit.SharedGrant{Factor: 1}
	if len(res) == 0 {
		return g, errors.New("redis: empty answer from the acquire script")
	}
	switch res[0] {
	case "ok":
		g.OK, g.Day, g.Used, g.Seq = true, str(res, 1), int(num(res, 2)), num(res, 3)
		g.Factor, g.Lease, g.At = fnum(res, 4), lease, num(res, 5)
	case "wait":
		g.Wait, g.Factor = time.Duration(num(res, 1))*time.Microsecond, fnum(res, 2)
	case "full":
		g.Full = true
		g.Wait = fullPoll
	case "spent":
		g.Spent, g.Day, g.Used = true, str(res, 1), int(num(res, 2))
	default:
		return g, fmt.Errorf("redis: unexpected answer %v from the acquire script", res[0])
	}
	return g, nil
}

type voidLogger struct{}

func (voidLogger) Printf(context.Context, string, ...any) {}

// fullPoll is how long a pool waits before it asks again for a key whose every in-flight
// slot is leased (by other machines; its own releases wake it at once).
const fullPoll = 5 * time.Millisecond

// Wrote implements ratelimit.Coordinator: one round trip, on burst-1 paced keys only.
func (b *Backend) Wrote(ctx context.Context, k *ratelimit.SharedKey, g ratelimit.SharedGrant) error {
	if k.QPS <= 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if err := wroteScript.Run(ctx, b.rdb, b.keys(k.Fingerprint)[:1], k.QPS, k.Margin).Err(); err != nil {
		return b.wrap("wrote", err)
	}
	return nil
}

// Release implements ratelimit.Coordinator.
func (b *Backend) Release(ctx context.Context, k *ratelimit.SharedKey, g ratelimit.SharedGrant, fb ratelimit.Feedback, retryAfter time.Duration) (float64, error) {
	refund := k.DailyQuota > 0 && (fb == ratelimit.NotSent || fb == ratelimit.Throttled || fb == ratelimit.PauseProvider)
	var f string
	switch fb {
	case ratelimit.Sent:
		f = "sent"
	case ratelimit.Throttled:
		f = "throttled"
	case ratelimit.QuotaDaily, ratelimit.QuotaPermanent:
		f = "quota"
	default:
		f = "other"
	}
	// Nothing to tell Redis: no lease, no unit back, no shared state to change.
	if g.Lease == "" && !refund && (f == "other" || f == "sent" && (g.Factor >= 1 || k.QPS == 0)) {
		return g.Factor, nil
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	r := "0"
	if refund {
		r = "1"
	}
	limit := b.Limit(k.DailyQuota)
	res, err := releaseScript.Run(ctx, b.rdb, b.keys(k.Fingerprint),
		g.Lease, r, g.Day, f, g.Seq, k.QPS, max(k.Burst, 1), k.Margin, retryAfter.Microseconds(), limit).Text()
	if err != nil {
		return g.Factor, b.wrap("release", err)
	}
	factor, _ := strconv.ParseFloat(res, 64)
	return factor, nil
}

// Reserve implements ratelimit.Backend for a given day (QuotaStore.Reserve's semantics).
func (b *Backend) Reserve(fp, day string, limit int) (int, bool, error) {
	if err := checkDay(day); err != nil {
		return 0, false, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	res, err := reserveScript.Run(ctx, b.rdb, b.keys(fp)[2:], day, b.Limit(limit)).Slice()
	if err != nil {
		return 0, false, b.wrap("reserve", err)
	}
	return int(num(res, 1)), num(res, 0) == 1, nil
}

// Refund implements ratelimit.Backend: one unit back for day (ignored for another day).
func (b *Backend) Refund(fp, day string) error {
	if err := checkDay(day); err != nil {
		return err
	}
	_, err := b.Release(context.Background(), &ratelimit.SharedKey{Fingerprint: fp, DailyQuota: 1}, ratelimit.SharedGrant{Day: day, Factor: 1}, ratelimit.NotSent, 0)
	return err
}

// MarkExhausted implements ratelimit.Backend: the vendor declared day spent, for every process.
func (b *Backend) MarkExhausted(fp, day string) error {
	if err := checkDay(day); err != nil {
		return err
	}
	_, err := b.Release(context.Background(), &ratelimit.SharedKey{Fingerprint: fp}, ratelimit.SharedGrant{Day: day, Factor: 1}, ratelimit.QuotaDaily, 0)
	return err
}

// Used implements ratelimit.Backend.
func (b *Backend) Used(fp, day string) (int, error) {
	used, _, err := b.Status(fp, day)
	return used, err
}

// Status returns the units used on day and whether the vendor declared it spent.
func (b *Backend) Status(fp, day string) (used int, exhausted bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	v, err := b.rdb.HMGet(ctx, b.keys(fp)[2], "day", "used", "exhausted").Result()
	if err != nil {
		return 0, false, b.wrap("read the quota count", err)
	}
	if d, _ := v[0].(string); d != day {
		return 0, false, nil
	}
	u, _ := v[1].(string)
	used, _ = strconv.Atoi(u)
	e, _ := v[2].(string)
	return used, e == "1", nil
}

// Factor returns the key's current share of its QPS (1 when nothing throttled it).
func (b *Backend) Factor(fp string) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	s, err := b.rdb.HGet(ctx, b.keys(fp)[0], "factor").Result()
	if errors.Is(err, redis.Nil) {
		return 1, nil
	}
	if err != nil {
		return 0, b.wrap("read the rate", err)
	}
	return strconv.ParseFloat(s, 64)
}

func checkDay(day string) error {
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return fmt.Errorf("redis: bad quota day %q (want 2006-01-02)", day)
	}
	return nil
}

// wrap names the operation and the server by host:port; go-redis errors carry no password,
// but the text is scrubbed anyway.
func (b *Backend) wrap(op string, err error) error {
	return &Error{Op: op, Addr: b.addr, Err: err}
}

// Error is a failed Redis operation.
type Error struct {
	Op, Addr string
	Err      error
}

func (e *Error) Error() string {
	return fmt.Sprintf("redis %s: %s: %v", e.Addr, e.Op, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Redact returns the URL without its password (for messages).
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	return u.Redacted()
}

// scrub removes the URL's password from a message.
func scrub(msg, raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		if pw, has := u.User.Password(); has && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return msg
}

func str(res []any, i int) string {
	if i < len(res) {
		s, _ := res[i].(string)
		return s
	}
	return ""
}

func num(res []any, i int) int64 {
	if i >= len(res) {
		return 0
	}
	switch v := res[i].(type) {
	case int64:
		return v
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}

func fnum(res []any, i int) float64 {
	if i >= len(res) {
		return 1
	}
	s, _ := res[i].(string)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 1
	}
	return f
}
