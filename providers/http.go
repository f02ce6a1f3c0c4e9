package providers

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ParseHTTPStatus classifies the HTTP-level part of an answer for vendors
// that carry their codes in a 200 body. It returns done=false for a 2xx
// answer, whose body the vendor must read.
//
//	429        → throttled (Retry-After honoured)
//	5xx        → transient
//	401/403/404/405 → fatal: credentials, permission or a wrong URL
//	other      → transient, unknown
func ParseHTTPStatus(status int, header http.Header) (Result, bool) {
	if status >= 200 && status < 300 {
		return Result{}, false // every answer passes here: no formatting
	}
	code := "HTTP " + strconv.Itoa(status)
	switch {
	case status == http.StatusTooManyRequests:
		return Result{Outcome: Throttled, Code: code, Message: "too many requests", RetryAfter: RetryAfter(header, time.Now())}, true
	case status >= 500:
		return Result{Outcome: Transient, Code: code, Message: http.StatusText(status)}, true
	case status == 401 || status == 403 || status == 404 || status == 405:
		return Result{Outcome: Fatal, Code: code, Message: http.StatusText(status) + " (check the endpoint URL and credentials)"}, true
	}
	return Result{Outcome: Transient, Code: code, Message: http.StatusText(status), Unknown: true}, true
}

// RetryAfter reads a Retry-After header in either form (RFC 9110 §10.2.3):
// delay-seconds, or an HTTP-date relative to now (IMF-fixdate, and the
// obsolete RFC 850 and asctime forms). Zero when absent, unparseable or in
// the past. A number of seconds too large for a time.Duration (about 292
// years) saturates instead of overflowing into a negative wait; callers
// bound the wait by their own budget.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if v[0] >= '0' && v[0] <= '9' {
		secs, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return time.Duration(math.MaxInt64)
			}
			return 0
		}
		if secs > uint64(math.MaxInt64/int64(time.Second)) {
			return time.Duration(math.MaxInt64)
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil { // the three HTTP-date forms
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
