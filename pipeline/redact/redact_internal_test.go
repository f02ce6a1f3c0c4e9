package redact

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

// redactReference is Redact as it was before the "http" pre-check and the
// secrets' escaped forms computed once (issue 18): the expression on every
// message, url.QueryEscape per secret per message.
func redactReference(secrets []string, msg string) string {
	msg = urlQuery.ReplaceAllString(msg, "$1?[redacted]")
	for _, s := range secrets {
		if strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
		if q := url.QueryEscape(s); q != s && strings.Contains(msg, q) {
			msg = strings.ReplaceAll(msg, q, "[redacted]")
		}
	}
	return msg
}

// TestRedactMatchesReference holds Redact to the reference on the messages
// the engine redacts (vendor messages, errors with URLs and credentials)
// and on random mixtures of their pieces.
func TestRedactMatchesReference(t *testing.T) {
	secrets := []string{"k3y-Secret", "p@ss word/1", "abcdef0123456789", "ab", "签名密钥", "x&y=z"}
	r := New(secrets)
	cases := []string{
		"",
		"查询成功",
		"success",
		`Post "http://127.0.0.1:8080/submit?key=k3y-Secret&x=1": dial tcp: connection refused`,
		`Get "https://api.example.com/v1?partner_key=p%40ss+word%2F1": EOF`,
		"HTTP://upper.example.com/?q=1 is not matched by the expression",
		"http:// alone", "http", "https://", "xhttps://a.b/c?d", "http://a?b http://c?d'e\"f",
		"the key k3y-Secret and its escape p%40ss+word%2F1 and p@ss word/1",
		"签名密钥 in Chinese, x%26y%3Dz escaped",
		"abcdef0123456789abcdef0123456789",
	}
	pieces := []string{
		"http", "https", "://", "?", "&", "=", "\"", "'", " ", "\t", "\n", "a.b", "/p", "key=",
		"k3y-Secret", "p@ss word/1", "p%40ss+word%2F1", "abcdef0123456789", "签名密钥",
		"%E7%AD%BE%E5%90%8D%E5%AF%86%E9%92%A5", "x&y=z", "x%26y%3Dz", "查询成功", "\ufffd", "\xff",
	}
	rng := rand.New(rand.NewPCG(18, 1))
	for range 3000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		cases = append(cases, b.String())
	}
	for _, msg := range cases {
		if got, want := r.Redact(msg), redactReference(r.secrets, msg); got != want {
			t.Fatalf("Redact(%q) = %q, the reference gives %q", msg, got, want)
		}
	}
	if got := r.Redact(cases[3]); strings.Contains(got, "k3y-Secret") || !strings.Contains(got, "?[redacted]") {
		t.Errorf("Redact(%q) = %q: the key or the query string is still there", cases[3], got)
	}
}
