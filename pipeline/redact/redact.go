// Package redact removes secrets from what riskbatch prints or writes:
// the job's credential values (plain and URL-encoded) and URL query
// strings. The engine, the dry run and the loggers (pipeline/logging takes
// Redact as a function) put every message through one Redactor.
package redact

import (
	"errors"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// Redactor removes secrets from anything riskbatch prints or writes.
// Credentials travel in URLs for some vendors (Juhe key on GET, TD
// partner_key), and Go's *url.Error prints the full URL, so every message
// goes through Redact: query strings are cut and every credential value is
// replaced.
type Redactor struct {
	secrets []string
	escaped []string // url.QueryEscape of each secret, escaped once (Redact runs on every answer's message)
}

// New redacts the given secret values (longest first, so a secret
// containing another is replaced whole).
func New(secrets []string) *Redactor {
	s := make([]string, 0, len(secrets))
	for _, v := range secrets {
		if len(v) >= 3 {
			s = append(s, v)
		}
	}
	sort.Slice(s, func(i, j int) bool { return len(s[i]) > len(s[j]) })
	esc := make([]string, len(s))
	for i, v := range s {
		esc[i] = url.QueryEscape(v)
	}
	return &Redactor{secrets: s, escaped: esc}
}

var urlQuery = regexp.MustCompile(`(https?://[^\s"'?]+)\?[^\s"']*`)

// Redact returns msg without secrets or URL query strings.
func (r *Redactor) Redact(msg string) string {
	// Every match of urlQuery starts with "http": a message without it (a
	// vendor's "查询成功", on every answer) skips the expression.
	if strings.Contains(msg, "http") {
		msg = urlQuery.ReplaceAllString(msg, "$1?[redacted]")
	}
	for i, s := range r.secrets {
		if strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
		// Secrets may also appear URL-encoded.
		if q := r.escaped[i]; q != s && strings.Contains(msg, q) {
			msg = strings.ReplaceAll(msg, q, "[redacted]")
		}
	}
	return msg
}

// Err redacts an error's message, keeping it an error.
func (r *Redactor) Err(err error) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// Keep the operation and cause, never the URL.
		u, perr := url.Parse(ue.URL)
		host := "the endpoint"
		if perr == nil {
			host = u.Scheme + "://" + u.Host + u.Path
		}
		return errors.New(r.Redact(ue.Op + " " + host + ": " + ue.Err.Error()))
	}
	return errors.New(r.Redact(err.Error()))
}
