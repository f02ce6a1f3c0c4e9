package ratelimit

import (
	"testing"
	"time"
)

// TestSchedule checks the GCRA arithmetic step by step: what each call waits after a
// sequence of grants, rate changes and drains, in milliseconds from a fixed origin.
func TestSchedule(t *testing.T) {
	type step struct {
		at    int     // ms
		op    string  // "grant", "rate" (to qps), "drain" (to keep 0)
		qps   float64 // for "rate"
		delay int     // ms: the wait for the next call at `at`, after the step
	}
	tests := []struct {
		name   string
		qps    float64
		margin float64
		burst  int
		steps  []step
	}{
		{"burst 1: one interval between calls", 50, 0, 1, []step{
			{at: 0, op: "grant", delay: 20},
			{at: 5, delay: 15},
			{at: 20, op: "grant", delay: 20},
			{at: 100, op: "grant", delay: 20}, // idle time is not saved up
		}},
		{"burst 1: a slower rate applies to the next call", 50, 0, 1, []step{
			{at: 0, op: "grant", delay: 20},
			{at: 10, op: "rate", qps: 25, delay: 30}, // last grant + 40ms
			{at: 40, op: "grant", delay: 40},
			{at: 40, op: "rate", qps: 50, delay: 40}, // faster from the next grant on
			{at: 80, op: "grant", delay: 20},
		}},
		{"burst 5: the first call starts from one token", 50, 0, 5, []step{
			{at: 0, op: "grant", delay: 20},
			{at: 20, op: "grant", delay: 20},
		}},
		{"burst 5: a full burst after an idle spell, then the interval", 50, 0, 5, []step{
			{at: 0, op: "grant", delay: 20},
			{at: 200, op: "grant", delay: 0},
			{at: 200, op: "grant", delay: 0},
			{at: 200, op: "grant", delay: 0},
			{at: 200, op: "grant", delay: 0},
			{at: 200, op: "grant", delay: 20},
			{at: 200, op: "rate", qps: 25, delay: 40}, // 5 grants at 200: the 6th at 200 + 40
		}},
		{"burst 5: a drain spends the saved burst", 50, 0, 5, []step{
			{at: 0, op: "grant", delay: 20},
			{at: 200, op: "drain", delay: 20},
		}},
		{"burst 1 with a margin: paced on the longer interval", 50, 0.2, 1, []step{
			{at: 0, op: "grant", delay: 25},          // floor 20ms, pacing 25ms
			{at: 28, op: "grant", delay: 25},         // 3ms late: the schedule moves, nothing is caught up
			{at: 53, op: "rate", qps: 25, delay: 25}, // the last grant (28) + 50ms
		}},
		{"unstarted key: a drain changes nothing", 50, 0, 5, []step{
			{at: 0, op: "drain", delay: 0},
		}},
	}
	origin := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSchedule(tc.qps, tc.margin, tc.burst)
			for i, st := range tc.steps {
				now := origin.Add(time.Duration(st.at) * time.Millisecond)
				switch st.op {
				case "grant":
					if d := s.delay(now); d != 0 {
						t.Fatalf("step %d: grant at %dms but the call must wait %v", i, st.at, d)
					}
					s.grant(now)
				case "rate":
					s.setRate(st.qps)
				case "drain":
					s.drain(now, 0)
				}
				if got, want := s.delay(now), time.Duration(st.delay)*time.Millisecond; got != want {
					t.Fatalf("step %d (%s at %dms): next call waits %v, want %v", i, st.op, st.at, got, want)
				}
			}
		})
	}
}

func TestIntervalOf(t *testing.T) {
	tests := []struct {
		qps  float64
		want time.Duration
	}{
		{50, 20 * time.Millisecond},
		{3, 333333334 * time.Nanosecond}, // rounded up: never faster than qps
		{0.5, 2 * time.Second},
	}
	for _, tc := range tests {
		if got := intervalOf(tc.qps); got != tc.want {
			t.Errorf("intervalOf(%v) = %v, want %v", tc.qps, got, tc.want)
		}
	}
}
