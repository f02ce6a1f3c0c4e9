package pipeline

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// sendRequest is c.Do(req) for the engine's client (newHTTPClient: no
// cookie jar, no Client.Timeout, and a 3xx is the vendor's answer:
// CheckRedirect says http.ErrUseLastResponse), without what Client.Do does
// per request for redirects it never follows: a copy of every header and
// a list of hops (issue 18). What Client.Do does that a caller can see is
// kept: the *url.Error around a failure, http.ErrSchemeMismatch for an
// HTTP answer to TLS, and the error of a redirect whose Location does not
// parse. A request Client.Do would change on the way (a user in the URL
// becomes an Authorization header) goes through Client.Do.
// TestSendRequestMatchesClientDo holds the two equal.
func sendRequest(c *http.Client, req *http.Request) (*http.Response, error) {
	rt := c.Transport
	if rt == nil || c.Jar != nil || c.Timeout != 0 || req.URL == nil || req.URL.User != nil || req.Header == nil || req.RequestURI != "" {
		return c.Do(req)
	}
	uerr := func(err error) error {
		return &url.Error{Op: urlErrorOp(req.Method), URL: req.URL.String(), Err: err}
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		if tlsErr, ok := err.(tls.RecordHeaderError); ok && string(tlsErr.RecordHeader[:]) == "HTTP/" {
			err = http.ErrSchemeMismatch
		}
		return nil, uerr(err)
	}
	if resp == nil || resp.Body == nil { // not an *http.Transport's answer
		return nil, uerr(fmt.Errorf("http: RoundTripper implementation (%T) returned an incomplete *Response", rt))
	}
	// A redirect Client.Do would follow: it reads the next hop's URL (and
	// body, for 307 and 308) before CheckRedirect keeps this answer.
	follow, withBody := false, false
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther:
		follow = true
	case http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		follow = req.GetBody != nil || req.Body == nil || req.Body == http.NoBody
		withBody = true
	}
	if loc := resp.Header.Get("Location"); follow && loc != "" {
		if _, err := req.URL.Parse(loc); err != nil {
			resp.Body.Close()
			return nil, uerr(fmt.Errorf("failed to parse Location header %q: %v", loc, err))
		}
		if withBody && req.GetBody != nil {
			b, err := req.GetBody()
			if err != nil {
				resp.Body.Close()
				return nil, uerr(err)
			}
			if b != nil {
				b.Close()
			}
		}
	}
	return resp, nil
}

// urlErrorOp is net/http's name of a method in a *url.Error ("Post").
func urlErrorOp(method string) string {
	if method == "" {
		return "Get"
	}
	for i := 0; i < len(method); i++ {
		if method[i] >= utf8.RuneSelf {
			return method
		}
	}
	return method[:1] + strings.ToLower(method[1:])
}
