// Package sandbox is the shared machinery of the vendor simulators: one
// listener serving every vendor at its real path, the seeded population,
// per-key QPS limits and daily quotas, forced codes, injected faults and
// latency, a settable clock, and the /_sandbox/ admin API that lets tests in
// another process drive all of it.
//
// Each vendor's simulator lives beside its client (providers/<vendor>) and
// registers a Vendor here; this package knows no wire format.
package sandbox

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Vendor is one simulated vendor API.
type Vendor interface {
	Name() string    // the provider kind it simulates
	Paths() []string // URL paths it serves, e.g. "/anti_fraud/queryV2"
	// Location is the vendor's quota day time zone.
	Location() *time.Location
	// DefaultKeys are the credentials the sandbox accepts when the config names none.
	DefaultKeys() []KeySpec
	// Serve answers one request using the server's shared machinery.
	Serve(s *Server, w http.ResponseWriter, r *http.Request)
}

var (
	vendorMu sync.Mutex
	vendors  []func() Vendor
)

// RegisterVendor adds a simulator; vendor packages call it from init.
func RegisterVendor(f func() Vendor) {
	vendorMu.Lock()
	defer vendorMu.Unlock()
	vendors = append(vendors, f)
}

// KeySpec is a key the simulator accepts.
type KeySpec struct {
	ID          string            `json:"id"`
	Credentials map[string]string `json:"credentials"`
}

// Limits are the per-key limits of a vendor; zero values are off.
type Limits struct {
	QPS   float64 `json:"qps"`
	Burst int     `json:"burst"`
	// Mode is how QPS and Burst are enforced: ModeTokenBucket ("" too) or ModeInterval (a
	// strict per-key interval with a 10% tolerance; docs/sandbox.md).
	Mode       string `json:"mode,omitempty"`
	DailyQuota int    `json:"daily_quota"`
	// RetryAfterHTTPDate sends the Retry-After of the vendor's HTTP 429
	// answers as an HTTP-date instead of delay-seconds (RFC 9110 allows
	// both; clients must parse both). The date is real time, not the
	// simulator clock, rounded up to the next whole second so the wait it
	// asks for is never shorter than the seconds form would say.
	RetryAfterHTTPDate bool `json:"retry_after_http_date,omitempty"`
}

// Faults injects failures into a share of the calls.
type Faults struct {
	Rate  float64  `json:"rate"`  // 0..1 of admitted calls
	Kinds []string `json:"kinds"` // any of http_500, http_503, timeout, reset, malformed; empty = all
}

// Latency delays every answer by Base ± Jitter.
type Latency struct {
	Base   time.Duration `json:"base"`
	Jitter time.Duration `json:"jitter"`
}

// Config configures a sandbox.
type Config struct {
	Seed       int64
	Population int                  // default 100,000
	Keys       map[string][]KeySpec // vendor → accepted keys; missing vendor → its DefaultKeys
	Limits     map[string]Limits    // vendor → limits for each of its keys
	Latency    Latency
	Faults     Faults
	// Hang bounds a "timeout" fault: the answer is held until the client
	// gives up or Hang passes (default 30s).
	Hang time.Duration
	// Now sets the simulator clock at start (zero: real time).
	Now time.Time
}

// GenericCodes are forced codes the server renders itself for any vendor.
var GenericCodes = []string{"http_500", "http_502", "http_503", "timeout", "reset", "malformed", "http_429"}

// Server is a running set of simulators.
type Server struct {
	pop     *Population
	vendors map[string]Vendor
	mux     *http.ServeMux
	hang    time.Duration

	mu       sync.Mutex
	keys     map[string][]KeySpec
	limits   map[string]Limits
	buckets  map[string]*rate.Limiter    // vendor/key, ModeTokenBucket
	strict   map[string]*intervalLimiter // vendor/key, ModeInterval
	used     map[string]int              // vendor/key/day → calls admitted against the quota
	calls    map[string]int64            // vendor/key → requests that reached the vendor
	billed   map[string]int64            // vendor/key → billed answers
	idCalls  map[string]int64            // vendor/identity → requests
	forced   []force
	latency  Latency
	faults   Faults
	rnd      *rand.Rand
	clockOff time.Duration
}

type force struct {
	Vendor   string `json:"vendor"`
	Key      string `json:"key,omitempty"`      // key id
	Identity string `json:"identity,omitempty"` // plaintext identifier as the vendor resolves it
	Code     string `json:"code"`
	Count    int    `json:"count,omitempty"` // answers to force; 0 = until reset
}

// New builds a sandbox with every registered vendor.
func New(cfg Config) *Server {
	s := &Server{
		pop:     NewPopulation(cfg.Seed, cfg.Population),
		vendors: map[string]Vendor{},
		mux:     http.NewServeMux(),
		hang:    cfg.Hang,
		keys:    map[string][]KeySpec{},
		limits:  map[string]Limits{},
		latency: cfg.Latency,
		faults:  cfg.Faults,
		rnd:     rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed)),
	}
	if s.hang == 0 {
		s.hang = 30 * time.Second
	}
	if !cfg.Now.IsZero() {
		s.clockOff = time.Until(cfg.Now)
	}
	s.resetState()
	vendorMu.Lock()
	fs := append([]func() Vendor(nil), vendors...)
	vendorMu.Unlock()
	for _, f := range fs {
		v := f()
		s.vendors[v.Name()] = v
		keys := cfg.Keys[v.Name()]
		if keys == nil {
			keys = v.DefaultKeys()
		}
		s.keys[v.Name()] = keys
		checkMode(cfg.Limits[v.Name()].Mode)
		s.limits[v.Name()] = cfg.Limits[v.Name()]
		for _, p := range v.Paths() {
			v := v
			s.mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { v.Serve(s, s.responseWriter(v.Name(), w), r) })
		}
	}
	s.registerAdmin()
	return s
}

func (s *Server) resetState() {
	s.buckets = map[string]*rate.Limiter{}
	s.strict = map[string]*intervalLimiter{}
	s.used = map[string]int{}
	s.calls = map[string]int64{}
	s.billed = map[string]int64{}
	s.idCalls = map[string]int64{}
	s.forced = nil
}

// Handler serves every vendor and the admin API.
func (s *Server) Handler() http.Handler { return s.mux }

// Population is the vendors' database.
func (s *Server) Population() *Population { return s.pop }

// Now is the simulator's clock.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Add(s.clockOff)
}

// Keys returns the keys the vendor accepts.
func (s *Server) Keys(vendor string) []KeySpec {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[vendor]
}

// FindKey returns the id of the vendor's key whose credentials satisfy match.
func (s *Server) FindKey(vendor string, match func(cred map[string]string) bool) (string, bool) {
	for _, k := range s.Keys(vendor) {
		if match(k.Credentials) {
			return k.ID, true
		}
	}
	return "", false
}

// Verdict tells a vendor how the shared machinery disposed of a call.
type Verdict struct {
	Handled    bool          // the server already answered (fault); the vendor must write nothing
	Forced     string        // a vendor code to answer with
	Throttled  bool          // over the key's QPS: answer the vendor's throttling form
	RetryAfter time.Duration // for Throttled
	OverQuota  bool          // the key's daily quota is used up: answer the vendor's quota code
}

// Admit runs the shared checks for an authenticated call in order: count
// it, delay it, forced codes, injected faults, QPS limit, daily quota.
//
// In ModeInterval the QPS limit is decided when the call arrives, before the
// latency: a vendor's rate limiter sits at its gateway, and the answer's
// latency (with its jitter) must not be taken for the client's pacing. The
// token bucket keeps its historical place after the delay.
func (s *Server) Admit(w http.ResponseWriter, r *http.Request, vendor, keyID, identity string) Verdict {
	arrived := time.Now()
	s.mu.Lock()
	kk := vendor + "/" + keyID
	s.calls[kk]++
	if identity != "" {
		s.idCalls[vendor+"/"+identity]++
	}
	lat := s.latency
	var delay time.Duration
	if lat.Base > 0 || lat.Jitter > 0 {
		delay = lat.Base
		if lat.Jitter > 0 {
			delay += time.Duration(s.rnd.Int64N(int64(2*lat.Jitter)+1)) - lat.Jitter
		}
	}
	forced := ""
	for i := range s.forced {
		f := &s.forced[i]
		if f.Vendor != vendor || (f.Key != "" && f.Key != keyID) || (f.Identity != "" && f.Identity != identity) {
			continue
		}
		forced = f.Code
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				s.forced = append(s.forced[:i], s.forced[i+1:]...)
			}
		}
		break
	}
	fault := ""
	if forced == "" && s.faults.Rate > 0 && s.rnd.Float64() < s.faults.Rate {
		kinds := s.faults.Kinds
		if len(kinds) == 0 {
			kinds = []string{"http_500", "http_503", "timeout", "reset", "malformed"}
		}
		fault = kinds[s.rnd.IntN(len(kinds))]
	}
	var strictVerdict *Verdict
	if lim := s.limits[vendor]; lim.Mode == ModeInterval && lim.QPS > 0 && forced == "" && fault == "" {
		l := s.strict[kk]
		if l == nil {
			l = newIntervalLimiter(lim.QPS, lim.Burst)
			s.strict[kk] = l
		}
		if ok, wait := l.admit(arrived); !ok {
			strictVerdict = &Verdict{Throttled: true, RetryAfter: retryAfterSeconds(wait)}
		} else {
			strictVerdict = &Verdict{}
		}
	}
	s.mu.Unlock()

	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return Verdict{Handled: true}
		}
	}
	for _, g := range GenericCodes {
		if forced == g {
			fault, forced = g, ""
		}
	}
	if fault != "" {
		s.writeFault(w, r, fault)
		return Verdict{Handled: true}
	}
	if forced != "" {
		return Verdict{Forced: forced}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	lim := s.limits[vendor]
	if strictVerdict != nil && strictVerdict.Throttled {
		return *strictVerdict
	}
	if lim.QPS > 0 && strictVerdict == nil && lim.Mode != ModeInterval { // the token bucket
		b := s.buckets[kk]
		if b == nil {
			burst := lim.Burst
			if burst <= 0 {
				burst = 1
			}
			b = rate.NewLimiter(rate.Limit(lim.QPS), burst)
			s.buckets[kk] = b
		}
		res := b.Reserve()
		if d := res.Delay(); d > 0 {
			res.Cancel()
			return Verdict{Throttled: true, RetryAfter: retryAfterSeconds(d)}
		}
	}
	if lim.DailyQuota > 0 {
		loc := s.vendors[vendor].Location()
		day := time.Now().Add(s.clockOff).In(loc).Format("2006-01-02")
		qk := kk + "/" + day
		if s.used[qk] >= lim.DailyQuota {
			return Verdict{OverQuota: true}
		}
		s.used[qk]++
	}
	return Verdict{}
}

// retryAfterSeconds is the Retry-After for a call that could go in d: at least
// a second, since the header has whole-second resolution.
func retryAfterSeconds(d time.Duration) time.Duration {
	if d < time.Second {
		d = time.Second
	}
	return d.Round(time.Second)
}

// Bill counts a billed answer for the key.
func (s *Server) Bill(vendor, keyID string) {
	s.mu.Lock()
	s.billed[vendor+"/"+keyID]++
	s.mu.Unlock()
}

// responseWriter is w, or, when the vendor's limits ask for HTTP-date
// Retry-After, w wrapped to rewrite the delay-seconds that WriteThrottled
// writes: vendors' simulators stay unaware of the form.
func (s *Server) responseWriter(vendor string, w http.ResponseWriter) http.ResponseWriter {
	s.mu.Lock()
	date := s.limits[vendor].RetryAfterHTTPDate
	s.mu.Unlock()
	if !date {
		return w
	}
	return &retryAfterDateWriter{ResponseWriter: w}
}

type retryAfterDateWriter struct{ http.ResponseWriter }

func (w *retryAfterDateWriter) WriteHeader(code int) {
	if code == http.StatusTooManyRequests {
		h := w.Header()
		if secs, err := strconv.Atoi(h.Get("Retry-After")); err == nil {
			t := time.Now().Add(time.Duration(secs) * time.Second)
			if r := t.Truncate(time.Second); !r.Equal(t) {
				t = r.Add(time.Second)
			}
			h.Set("Retry-After", t.UTC().Format(http.TimeFormat))
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *retryAfterDateWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack keeps the "reset" fault working behind the wrapper.
func (w *retryAfterDateWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// WriteThrottled answers HTTP 429 with Retry-After in seconds, the
// simulator's form for vendors whose documents define no rate-limit code.
func WriteThrottled(w http.ResponseWriter, retryAfter time.Duration) {
	secs := int(retryAfter / time.Second)
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
}

func (s *Server) writeFault(w http.ResponseWriter, r *http.Request, kind string) {
	switch kind {
	case "http_500":
		http.Error(w, "internal error", http.StatusInternalServerError)
	case "http_502":
		http.Error(w, "bad gateway", http.StatusBadGateway)
	case "http_503":
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
	case "http_429":
		WriteThrottled(w, time.Second)
	case "malformed":
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, `{"error_code":0,"result":{"found":`)
	case "timeout":
		t := time.NewTimer(s.hang)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
		http.Error(w, "gateway timeout", http.StatusGatewayTimeout)
	case "reset":
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // RST, not FIN
				}
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
}

// Listen serves the sandbox on addr until ctx is done.
func (s *Server) Listen(ctx context.Context, addr string, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sandbox listen %s: %w", addr, err)
	}
	return s.Serve(ctx, ln, ready)
}

// Serve serves on ln until ctx is done.
func (s *Server) Serve(ctx context.Context, ln net.Listener, ready func(net.Addr)) error {
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		_ = srv.Close()
		return nil
	case err := <-errc:
		return err
	}
}

// Vendors lists the served vendor names, sorted.
func (s *Server) Vendors() []string {
	out := make([]string, 0, len(s.vendors))
	for n := range s.vendors {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
