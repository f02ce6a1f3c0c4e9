package providers

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// Post is a vendor's POST endpoint and fixed request headers, parsed and
// built once. Each attempt's request was http.NewRequestWithContext on
// the URL string and Header.Set per header: a URL parse, a canonical key
// and a value slice per header, and a map grown from empty, on every
// attempt (issue 18).
type Post struct {
	url    url.URL // as http.NewRequestWithContext leaves it (an empty port removed)
	host   string
	keys   []string   // canonical header names
	values [][]string // their values, shared by every request: len == cap, so an Add copies
}

// NewPost parses endpoint as http.NewRequestWithContext does and fixes the
// headers (name → value) every request carries. Its error, for a URL that
// does not parse, is CheckEndpoint's (it never repeats the URL).
func NewPost(endpoint string, header map[string]string) (*Post, error) {
	r, err := http.NewRequest(http.MethodPost, endpoint, nil)
	if err != nil {
		return nil, errEndpoint
	}
	p := &Post{url: *r.URL, host: r.Host}
	for k, v := range header {
		p.keys = append(p.keys, http.CanonicalHeaderKey(k))
		p.values = append(p.values, []string{v}[:1:1])
	}
	return p, nil
}

// Request is http.NewRequestWithContext(ctx, http.MethodPost, endpoint,
// bytes.NewReader(body)) with the headers set (TestPostMatchesNewRequest).
// Its Header map has room for one more (the engine's User-Agent).
func (p *Post) Request(ctx context.Context, body []byte) (*http.Request, error) {
	// The empty URL parses to an empty *url.URL, filled from the parsed
	// endpoint below; the body, its length and GetBody are the library's.
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, "", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("building the request: %w", err)
	}
	*r.URL = p.url
	r.Host = p.host
	h := make(http.Header, len(p.keys)+1)
	for i, k := range p.keys {
		h[k] = p.values[i]
	}
	r.Header = h
	return r, nil
}
