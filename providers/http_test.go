package providers

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	tests := []struct {
		name, h string
		want    time.Duration
	}{
		{"seconds", "120", 120 * time.Second},
		{"seconds with spaces", " 5 ", 5 * time.Second},
		{"zero", "0", 0},
		{"empty", "", 0},
		{"negative", "-3", 0},
		{"fraction", "1.5", 0},
		{"garbage", "soon", 0},
		{"huge", "99999999999999999999", time.Duration(1<<63 - 1)},
		{"beyond a Duration", "9300000000", time.Duration(1<<63 - 1)},
		{"IMF-fixdate", now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second},
		{"IMF-fixdate literal", "Wed, 25 Nov 2026 07:01:00 GMT", time.Minute},
		{"RFC 850", "Wednesday, 25-Nov-26 07:00:10 GMT", 10 * time.Second},
		{"asctime", "Wed Nov 25 07:00:02 2026", 2 * time.Second},
		{"date in the past", "Wed, 25 Nov 2026 06:00:00 GMT", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RetryAfter(http.Header{"Retry-After": {tc.h}}, now); got != tc.want {
				t.Fatalf("RetryAfter(%q) = %v, want %v", tc.h, got, tc.want)
			}
		})
	}
}
