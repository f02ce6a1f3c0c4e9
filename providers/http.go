package providers

import (
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

// RetryAfter reads a Retry-After header in either form: delta seconds or an
// HTTP-date (relative to now). Zero when absent or unparseable.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
