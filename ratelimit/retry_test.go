package ratelimit

import (
	"testing"
	"time"
)

func TestRetrierFullJitter(t *testing.T) {
	pol := RetryPolicy{MaxAttempts: 8, Initial: 100 * time.Millisecond, Max: time.Second, MaxElapsed: time.Hour}
	ceilings := []time.Duration{100, 200, 400, 800, 1000, 1000, 1000} // ms, for retries 1..7
	const runs = 2000
	low := make([]bool, len(ceilings))  // saw a wait in the lower quarter
	high := make([]bool, len(ceilings)) // saw a wait in the upper quarter
	for range runs {
		r := pol.NewBackOff()
		for n, c := range ceilings {
			c *= time.Millisecond
			w, ok := r.Next(0)
			if !ok {
				t.Fatalf("retry %d refused", n+1)
			}
			if w < 0 || w > c {
				t.Fatalf("retry %d waited %v, want within [0, %v]", n+1, w, c)
			}
			low[n] = low[n] || w < c/4
			high[n] = high[n] || w > c*3/4
		}
		if _, ok := r.Next(0); ok {
			t.Fatal("a 9th attempt was granted with MaxAttempts 8")
		}
		if r.Attempts() != 8 {
			t.Fatalf("attempts = %d", r.Attempts())
		}
	}
	for n := range ceilings {
		if !low[n] || !high[n] {
			t.Fatalf("retry %d: waits not spread over [0, ceiling] (low %v high %v)", n+1, low[n], high[n])
		}
	}
}

func TestRetrierLimits(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		r := RetryPolicy{}.NewBackOff()
		n := 0
		for {
			w, ok := r.Next(0)
			if !ok {
				break
			}
			if w > DefaultMax {
				t.Fatalf("wait %v", w)
			}
			n++
		}
		if n != DefaultMaxAttempts-1 {
			t.Fatalf("%d retries, want %d", n, DefaultMaxAttempts-1)
		}
	})
	t.Run("max attempts 1 never retries", func(t *testing.T) {
		if _, ok := (RetryPolicy{MaxAttempts: 1}).NewBackOff().Next(0); ok {
			t.Fatal("retry granted")
		}
	})
	t.Run("max elapsed", func(t *testing.T) {
		clock := newFakeClock(day1)
		r := RetryPolicy{MaxAttempts: 100, Initial: time.Second, Max: time.Second, MaxElapsed: 10 * time.Second, Clock: clock}.NewBackOff()
		if _, ok := r.Next(0); !ok {
			t.Fatal("first retry refused")
		}
		clock.Advance(9*time.Second + 500*time.Millisecond)
		if _, ok := r.Next(time.Second); ok {
			t.Fatal("retry granted past MaxElapsed")
		}
	})
	t.Run("retry-after overrides when longer", func(t *testing.T) {
		r := RetryPolicy{Initial: 10 * time.Millisecond, Max: 10 * time.Millisecond}.NewBackOff()
		if w, ok := r.Next(45 * time.Second); !ok || w != 45*time.Second {
			t.Fatalf("wait %v ok %v, want 45s", w, ok)
		}
		if w, ok := r.Next(time.Nanosecond); !ok || w > 10*time.Millisecond {
			t.Fatalf("wait %v ok %v", w, ok)
		}
	})
	t.Run("retry-after beyond the budget ends the retries", func(t *testing.T) {
		if _, ok := (RetryPolicy{}).NewBackOff().Next(3 * time.Minute); ok {
			t.Fatal("granted a 3m wait with a 2m budget")
		}
	})
}
