package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSendRequestMatchesClientDo holds sendRequest to Client.Do on the
// engine's client (newHTTPClient) over real connections: answers, every
// redirect status with a good, empty and unparsable Location, bodies with
// and without GetBody, a refused connection, a connection closed without
// an answer, an expired context, https:// to a plain-HTTP server and
// http:// to a TLS one, a certificate that does not verify. The status,
// headers and body of an answer, and the text, type and kind of an error
// (what attempt classifies) must be the same.
func TestSendRequestMatchesClientDo(t *testing.T) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		switch {
		case r.URL.Path == "/close":
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		case strings.HasPrefix(r.URL.Path, "/status/"):
			code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
			if loc, ok := r.URL.Query()["loc"]; ok {
				w.Header()["Location"] = loc
			}
			w.Header().Set("X-Answer", "status")
			w.WriteHeader(code)
			fmt.Fprintf(w, "answer %d to %s", code, r.Method)
			return
		}
		fmt.Fprintf(w, "ok %s %s", r.Method, r.URL.RequestURI())
	})
	plain := httptest.NewServer(handler)
	defer plain.Close()
	tlsSrv := httptest.NewTLSServer(handler)
	defer tlsSrv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()

	urls := []string{plain.URL + "/ok", plain.URL + "/close", refused + "/x",
		"https://" + strings.TrimPrefix(plain.URL, "http://") + "/ok",  // TLS to a plain server
		"http://" + strings.TrimPrefix(tlsSrv.URL, "https://") + "/ok", // plain to a TLS server
		tlsSrv.URL + "/ok", // a certificate the client does not trust
	}
	for _, code := range []int{200, 204, 300, 301, 302, 303, 304, 307, 308, 404, 500} {
		urls = append(urls, fmt.Sprintf("%s/status/%d", plain.URL, code))
		for _, loc := range []string{"/ok", "http://other.invalid/y", "", "http://[::1", "%zz", "rel/ative"} {
			urls = append(urls, fmt.Sprintf("%s/status/%d?loc=%s", plain.URL, code, urlQueryEscape(loc)))
		}
	}
	bodies := []struct {
		name string
		make func() io.Reader
	}{
		{"none", func() io.Reader { return nil }},
		{"bytes", func() io.Reader { return bytes.NewReader([]byte("a=1&b=2")) }},
		{"empty bytes", func() io.Reader { return bytes.NewReader(nil) }},
		{"stream", func() io.Reader { return io.MultiReader(strings.NewReader("streamed")) }}, // no GetBody
	}
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	client := newHTTPClient(4)
	defer client.CloseIdleConnections()

	type outcome struct {
		status          int
		header, body    string
		err, errType    string
		wrongURL, unrch bool
		timeout, dl     bool
		schemeMismatch  bool
	}
	run := func(send func(*http.Request) (*http.Response, error), ctx context.Context, method, u string, body io.Reader) outcome {
		req, err := http.NewRequestWithContext(ctx, method, u, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("User-Agent", "riskbatch-test")
		resp, err := send(req)
		var o outcome
		if err != nil {
			o.err, o.errType = err.Error(), fmt.Sprintf("%T", err)
			o.wrongURL, o.unrch, o.timeout = isWrongURL(err), isUnreachable(err), os.IsTimeout(err)
			o.dl, o.schemeMismatch = errors.Is(err, context.DeadlineExceeded), errors.Is(err, http.ErrSchemeMismatch)
			return o
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		o.status, o.body = resp.StatusCode, string(b)
		o.header = resp.Header.Get("Location") + "|" + resp.Header.Get("X-Answer") + "|" + resp.Header.Get("Content-Length")
		return o
	}
	for _, ctx := range []context.Context{context.Background(), expired} {
		for _, method := range []string{http.MethodPost, http.MethodGet} {
			for _, u := range urls {
				for _, b := range bodies {
					if method == http.MethodGet && b.name != "none" {
						continue
					}
					got := run(func(r *http.Request) (*http.Response, error) { return sendRequest(client, r) }, ctx, method, u, b.make())
					want := run(client.Do, ctx, method, u, b.make())
					if got != want {
						t.Errorf("%s %s (%s body, ctx err %v):\n sendRequest %+v\n Client.Do   %+v", method, u, b.name, ctx.Err(), got, want)
					}
				}
			}
		}
	}
}

func urlQueryEscape(s string) string {
	return strings.NewReplacer("%", "%25", "&", "%26", "?", "%3F", "#", "%23", " ", "%20", "[", "%5B").Replace(s)
}
