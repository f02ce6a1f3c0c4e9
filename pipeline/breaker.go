package pipeline

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// breaker is a provider's circuit breaker for failures before a request
// reaches the vendor: connection refused, DNS, no route. Such failures cost
// nothing, but a dead endpoint would otherwise be tried by every row with
// retries and back-off — a whole night spent producing "failed" rows.
//
// Until the provider has received its first answer, only one request is in
// flight at a time (the first request is the probe), so a dead endpoint is
// met by at most Failures attempts, not one per worker. After Failures such
// failures in a row with no answer, the breaker opens: nothing is sent until
// Backoff has passed, then one probe goes; each failed probe doubles the
// wait, and after Probes failed probes the provider stops (its remaining
// rows are deferred, resumable). Any answer from the vendor, whatever its
// status, closes the breaker.
//
// Failures after the request was sent (timeouts, resets while reading) are
// not counted: the vendor may have received and billed them. They stay in
// doubt and each row's retry policy bounds them.
type breaker struct {
	cfg jobfile.BreakerConfig

	mu       sync.Mutex
	verified bool // an answer has come since the last failure streak began
	failures int  // unreachable failures in a row
	open     bool
	until    time.Time // open: no attempt before this
	probing  bool      // the one attempt allowed while unverified or open is out
	probes   int       // failed probes since the breaker opened
	stopped  bool
	cause    string
	wake     chan struct{} // closed and replaced on every change
	// healthy mirrors verified && !open && failures == 0 && !stopped, so
	// the common case (a vendor that answers) costs every call an atomic
	// load instead of two mutex round trips.
	healthy atomic.Bool
}

// breakerTicket is what enter hands out; leave needs it back.
type breakerTicket struct{ single bool }

// breakerEvent says what a leave changed, for the one console line.
type breakerEvent int

const (
	breakerNone breakerEvent = iota
	breakerOpened
	breakerStopped
)

var errBreakerStopped = errors.New("circuit breaker stopped the provider")

func newBreaker(cfg jobfile.BreakerConfig) *breaker {
	return &breaker{cfg: cfg, wake: make(chan struct{})}
}

func (b *breaker) changedLocked() {
	b.healthy.Store(b.verified && !b.open && b.failures == 0 && !b.stopped)
	close(b.wake)
	b.wake = make(chan struct{})
}

// enter waits until an attempt may go. It returns errBreakerStopped once
// the provider is stopped, or ctx's error.
func (b *breaker) enter(ctx context.Context) (breakerTicket, error) {
	if b.healthy.Load() {
		return breakerTicket{}, nil
	}
	for {
		b.mu.Lock()
		switch {
		case b.stopped:
			b.mu.Unlock()
			return breakerTicket{}, errBreakerStopped
		case b.verified && !b.open:
			b.mu.Unlock()
			return breakerTicket{}, nil
		case !b.probing && (!b.open || !time.Now().Before(b.until)):
			b.probing = true
			b.mu.Unlock()
			return breakerTicket{single: true}, nil
		}
		wake := b.wake
		var t *time.Timer
		var timer <-chan time.Time
		if b.open && !b.probing {
			t = time.NewTimer(time.Until(b.until))
			timer = t.C
		}
		b.mu.Unlock()
		var err error
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-wake:
		case <-timer:
		}
		if t != nil {
			t.Stop()
		}
		if err != nil {
			return breakerTicket{}, err
		}
	}
}

// cancel gives back a ticket whose attempt never reached the network.
func (b *breaker) cancel(t breakerTicket) {
	if !t.single {
		return
	}
	b.mu.Lock()
	b.probing = false
	b.changedLocked()
	b.mu.Unlock()
}

// answered records that the vendor answered (any HTTP status).
func (b *breaker) answered(t breakerTicket) {
	if !t.single && b.healthy.Load() {
		return // the common case: nothing changes, nobody to wake
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if t.single {
		b.probing = false
	}
	if b.verified && !b.open && b.failures == 0 && !t.single {
		return // the common case: nothing changes, nobody to wake
	}
	b.verified, b.open, b.failures, b.probes = true, false, 0, 0
	b.changedLocked()
}

// unreachable records a failure before the request reached the vendor.
func (b *breaker) unreachable(t breakerTicket, cause string) breakerEvent {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t.single {
		b.probing = false
	}
	defer b.changedLocked()
	if b.stopped {
		return breakerNone
	}
	b.cause = cause
	if b.open {
		if !t.single {
			return breakerNone // sent before the breaker opened
		}
		b.probes++
		if b.probes >= b.cfg.Probes {
			b.stopped = true
			return breakerStopped
		}
		b.until = time.Now().Add(b.cfg.Backoff << b.probes)
		return breakerNone
	}
	b.failures++
	if b.failures < b.cfg.Failures {
		return breakerNone
	}
	b.verified = false
	b.failures = 0
	if b.cfg.Probes == 0 {
		b.stopped = true
		return breakerStopped
	}
	b.open = true
	b.until = time.Now().Add(b.cfg.Backoff)
	return breakerOpened
}

func (b *breaker) state() (stopped bool, cause string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stopped, b.cause
}

// isUnreachable reports a failure to reach the vendor at all: the request
// never left, so it cannot have been billed.
func isUnreachable(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	for _, e := range []error{syscall.ECONNREFUSED, syscall.EHOSTUNREACH, syscall.ENETUNREACH} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// isWrongURL reports an endpoint that answers, but not in the protocol its
// URL names: https:// to a plain-HTTP server, a certificate that does not
// verify. Retrying cannot help; the job file must change.
func isWrongURL(err error) bool {
	var rh tls.RecordHeaderError
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	if errors.As(err, &rh) || errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) {
		return true
	}
	// net/http replaces the TLS record error with a plain one.
	return strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

// plainHTTPToTLS recognises the answer of a TLS port to a plain-HTTP
// request (Go's servers and nginx), which an http:// URL to an https-only
// endpoint gets: a 400 that is about the URL, not the row.
func plainHTTPToTLS(status int, body []byte) bool {
	if status != 400 || len(body) > 4096 {
		return false
	}
	s := string(body)
	return strings.Contains(s, "Client sent an HTTP request to an HTTPS server") ||
		strings.Contains(s, "The plain HTTP request was sent to HTTPS port")
}
