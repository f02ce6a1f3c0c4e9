package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// The admin API lives under /_sandbox/ on the same listener so a test in
// another process (the crash harness) can drive the simulator it shares.
//
//	GET  /_sandbox/health
//	GET  /_sandbox/counters[?vendor=V]       calls and billed per key, calls per identity
//	POST /_sandbox/force    {"vendor","key"|"identity","code","count"}
//	POST /_sandbox/reset                     counters, forced codes, quotas, clock offset
//	POST /_sandbox/clock    {"now": RFC 3339} | {"advance": "24h"}
//	PUT  /_sandbox/limits   {"vendor","qps","burst","mode","daily_quota","retry_after_http_date"}
//	PUT  /_sandbox/faults   {"rate","kinds"}
//	PUT  /_sandbox/latency  {"base":"20ms","jitter":"5ms"}
func (s *Server) registerAdmin() {
	s.mux.HandleFunc("GET /_sandbox/health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"ok": true, "vendors": s.Vendors(), "now": s.Now().Format(time.RFC3339)})
	})
	s.mux.HandleFunc("GET /_sandbox/counters", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, s.Counters(r.URL.Query().Get("vendor")))
	})
	s.mux.HandleFunc("POST /_sandbox/force", func(w http.ResponseWriter, r *http.Request) {
		var f force
		if !readJSON(w, r, &f) {
			return
		}
		if _, ok := s.vendors[f.Vendor]; !ok || f.Code == "" {
			http.Error(w, "force needs a known vendor and a code", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.forced = append(s.forced, f)
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc("POST /_sandbox/reset", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.resetState()
		s.clockOff = 0
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc("POST /_sandbox/clock", func(w http.ResponseWriter, r *http.Request) {
		var c struct {
			Now     string `json:"now"`
			Advance string `json:"advance"`
		}
		if !readJSON(w, r, &c) {
			return
		}
		if err := s.setClock(c.Now, c.Advance); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(w, map[string]string{"now": s.Now().Format(time.RFC3339)})
	})
	s.mux.HandleFunc("PUT /_sandbox/limits", func(w http.ResponseWriter, r *http.Request) {
		var l struct {
			Vendor string `json:"vendor"`
			Limits
		}
		if !readJSON(w, r, &l) {
			return
		}
		if _, ok := s.vendors[l.Vendor]; !ok {
			http.Error(w, "unknown vendor "+l.Vendor, http.StatusBadRequest)
			return
		}
		if !validMode(l.Mode) {
			http.Error(w, fmt.Sprintf("unknown mode %q: want %q or %q", l.Mode, ModeTokenBucket, ModeInterval), http.StatusBadRequest)
			return
		}
		s.SetLimits(l.Vendor, l.Limits)
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc("PUT /_sandbox/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Faults
		if !readJSON(w, r, &f) {
			return
		}
		s.mu.Lock()
		s.faults = f
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc("PUT /_sandbox/latency", func(w http.ResponseWriter, r *http.Request) {
		var l struct{ Base, Jitter string }
		if !readJSON(w, r, &l) {
			return
		}
		var lat Latency
		var err error
		if l.Base != "" {
			if lat.Base, err = time.ParseDuration(l.Base); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		}
		if l.Jitter != "" {
			if lat.Jitter, err = time.ParseDuration(l.Jitter); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		}
		s.mu.Lock()
		s.latency = lat
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
}

// SetLimits changes a vendor's per-key limits (and drops its buckets and
// interval schedules: the new limits start afresh). An unknown Mode panics.
func (s *Server) SetLimits(vendor string, l Limits) {
	checkMode(l.Mode)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits[vendor] = l
	for k := range s.buckets {
		if strings.HasPrefix(k, vendor+"/") {
			delete(s.buckets, k)
		}
	}
	for k := range s.strict {
		if strings.HasPrefix(k, vendor+"/") {
			delete(s.strict, k)
		}
	}
}

// Force makes matching calls answer code (count 0: until reset).
func (s *Server) Force(vendor, key, identity, code string, count int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forced = append(s.forced, force{Vendor: vendor, Key: key, Identity: identity, Code: code, Count: count})
}

func (s *Server) setClock(now, advance string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case now != "":
		t, err := time.Parse(time.RFC3339, now)
		if err != nil {
			return fmt.Errorf("clock: now: %w", err)
		}
		s.clockOff = time.Until(t)
	case advance != "":
		d, err := time.ParseDuration(advance)
		if err != nil {
			return fmt.Errorf("clock: advance: %w", err)
		}
		s.clockOff += d
	default:
		return fmt.Errorf("clock: give now or advance")
	}
	return nil
}

// KeyCounters are the counters of one key.
type KeyCounters struct {
	Calls  int64 `json:"calls"`
	Billed int64 `json:"billed"`
}

// Counters is the admin API's counters document.
type Counters struct {
	Keys       map[string]KeyCounters `json:"keys"`       // "vendor/key"
	Identities map[string]int64       `json:"identities"` // "vendor/identity"
	QuotaUsed  map[string]int         `json:"quota_used"` // "vendor/key/day"
}

// Counters snapshots the counters, optionally for one vendor.
func (s *Server) Counters(vendor string) Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := Counters{Keys: map[string]KeyCounters{}, Identities: map[string]int64{}, QuotaUsed: map[string]int{}}
	pre := vendor + "/"
	for k, n := range s.calls {
		if vendor == "" || strings.HasPrefix(k, pre) {
			kc := c.Keys[k]
			kc.Calls = n
			c.Keys[k] = kc
		}
	}
	for k, n := range s.billed {
		if vendor == "" || strings.HasPrefix(k, pre) {
			kc := c.Keys[k]
			kc.Billed = n
			c.Keys[k] = kc
		}
	}
	for k, n := range s.idCalls {
		if vendor == "" || strings.HasPrefix(k, pre) {
			c.Identities[k] = n
		}
	}
	for k, n := range s.used {
		if vendor == "" || strings.HasPrefix(k, pre) {
			c.QuotaUsed[k] = n
		}
	}
	return c
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		http.Error(w, "bad admin request: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

// Admin is a client of the admin API for tests and tools in another process.
type Admin struct {
	BaseURL string // e.g. http://127.0.0.1:8089
	Client  *http.Client
}

func (a Admin) do(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(a.BaseURL, "/")+path, rd)
	if err != nil {
		return err
	}
	c := a.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox admin %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("sandbox admin %s %s: HTTP %d: %s", method, path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

// Force forces code for a key id or an identity of vendor (count 0: until reset).
func (a Admin) Force(ctx context.Context, vendor, key, identity, code string, count int) error {
	return a.do(ctx, "POST", "/_sandbox/force", force{Vendor: vendor, Key: key, Identity: identity, Code: code, Count: count}, nil)
}

// Counters reads the counters (vendor "" for all).
func (a Admin) Counters(ctx context.Context, vendor string) (Counters, error) {
	var c Counters
	p := "/_sandbox/counters"
	if vendor != "" {
		p += "?vendor=" + vendor
	}
	err := a.do(ctx, "GET", p, nil, &c)
	return c, err
}

// Reset clears counters, forced codes, quotas and the clock offset.
func (a Admin) Reset(ctx context.Context) error {
	return a.do(ctx, "POST", "/_sandbox/reset", nil, nil)
}

// SetClock sets the simulator's clock.
func (a Admin) SetClock(ctx context.Context, now time.Time) error {
	return a.do(ctx, "POST", "/_sandbox/clock", map[string]string{"now": now.Format(time.RFC3339)}, nil)
}

// SetLimits sets a vendor's per-key limits.
func (a Admin) SetLimits(ctx context.Context, vendor string, l Limits) error {
	return a.do(ctx, "PUT", "/_sandbox/limits", map[string]any{"vendor": vendor, "qps": l.QPS, "burst": l.Burst, "mode": l.Mode, "daily_quota": l.DailyQuota, "retry_after_http_date": l.RetryAfterHTTPDate}, nil)
}

// SetFaults sets the injected fault rate and kinds.
func (a Admin) SetFaults(ctx context.Context, f Faults) error {
	return a.do(ctx, "PUT", "/_sandbox/faults", f, nil)
}

// SetLatency sets the answer delay.
func (a Admin) SetLatency(ctx context.Context, base, jitter time.Duration) error {
	return a.do(ctx, "PUT", "/_sandbox/latency", map[string]string{"base": base.String(), "jitter": jitter.String()}, nil)
}
