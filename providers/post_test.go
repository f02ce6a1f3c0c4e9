package providers

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"reflect"
	"testing"
)

// TestPostMatchesNewRequest holds Post.Request to what it replaced:
// http.NewRequestWithContext on the endpoint string, then Header.Set per
// header. Every field a transport reads is compared, the body and GetBody's
// copies by their bytes.
func TestPostMatchesNewRequest(t *testing.T) {
	type ctxKey struct{}
	ctx := context.WithValue(context.Background(), ctxKey{}, "attempt")
	endpoints := []string{
		"http://127.0.0.1:8080/submit",
		"https://api.example.com/v1/query?partner_code=a&partner_key=b%26c",
		"http://host:/path",        // an empty port, which NewRequest removes
		"http://user:p%40ss@h/x",   // userinfo
		"http://[::1]:9/a%2Fb?q#f", // IPv6, an escaped slash, a fragment
		"http://例子.测试/路径?参数=值",
		"HTTP://Upper.Example/",
	}
	headers := []map[string]string{
		nil,
		{"Content-Type": "application/json;charset=UTF-8", "Accept": "application/json"},
		{"content-type": "application/x-www-form-urlencoded; charset=UTF-8", "x-custom-thing": "v"},
	}
	bodies := [][]byte{nil, {}, []byte("a=1&b=2"), bytes.Repeat([]byte("{\"k\":\"值\"}"), 500)}
	for _, ep := range endpoints {
		for _, hdr := range headers {
			p, err := NewPost(ep, hdr)
			if err != nil {
				t.Fatalf("NewPost(%q): %v", ep, err)
			}
			for _, body := range bodies {
				got, err := p.Request(ctx, body)
				if err != nil {
					t.Fatalf("Request(%q): %v", ep, err)
				}
				want, err := http.NewRequestWithContext(ctx, http.MethodPost, ep, bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				for k, v := range hdr {
					want.Header.Set(k, v)
				}
				if got.Method != want.Method || got.Proto != want.Proto || got.ProtoMajor != want.ProtoMajor || got.ProtoMinor != want.ProtoMinor ||
					got.Host != want.Host || got.ContentLength != want.ContentLength || got.Context() != want.Context() ||
					(got.GetBody == nil) != (want.GetBody == nil) || (got.Body == http.NoBody) != (want.Body == http.NoBody) {
					t.Fatalf("%q, %d-byte body: got %+v, want %+v", ep, len(body), got, want)
				}
				if !reflect.DeepEqual(got.URL, want.URL) || got.URL.String() != want.URL.String() {
					t.Fatalf("%q: URL %#v, want %#v", ep, got.URL, want.URL)
				}
				if !reflect.DeepEqual(got.Header, want.Header) {
					t.Fatalf("%q: Header %v, want %v", ep, got.Header, want.Header)
				}
				if g, w := readAll(t, got.Body), readAll(t, want.Body); !bytes.Equal(g, w) {
					t.Fatalf("%q: body %q, want %q", ep, g, w)
				}
				if got.GetBody != nil {
					g, _ := got.GetBody()
					w, _ := want.GetBody()
					if gb, wb := readAll(t, g), readAll(t, w); !bytes.Equal(gb, wb) || !bytes.Equal(gb, body) {
						t.Fatalf("%q: GetBody %q, want %q", ep, gb, wb)
					}
				}
			}
		}
	}
}

// TestPostRequestsAreIndependent: a request's header map and URL are its
// own, so the engine's User-Agent or a change to one request never shows
// in the next.
func TestPostRequestsAreIndependent(t *testing.T) {
	p, err := NewPost("http://h/a", map[string]string{"Accept": "application/json"})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := p.Request(context.Background(), []byte("x"))
	a.Header["User-Agent"] = []string{"riskbatch"}
	a.Header.Add("Accept", "text/plain")
	a.URL.Path = "/changed"
	b, _ := p.Request(context.Background(), []byte("y"))
	if len(b.Header) != 1 || !reflect.DeepEqual(b.Header["Accept"], []string{"application/json"}) || b.URL.Path != "/a" {
		t.Fatalf("second request: header %v, path %q; want only Accept: application/json and /a", b.Header, b.URL.Path)
	}
}

// TestNewPostRejectsWhatNewRequestRejects: the URLs NewRequest cannot
// parse, with CheckEndpoint's error (which never repeats the URL).
func TestNewPostRejectsWhatNewRequestRejects(t *testing.T) {
	for _, ep := range []string{"http://a b/", "http://[::1/x", "http://h/\x7f", ":nope", "http://h/ok", "relative/path"} {
		_, perr := NewPost(ep, nil)
		_, rerr := http.NewRequest(http.MethodPost, ep, nil)
		if (perr == nil) != (rerr == nil) || perr != nil && perr != errEndpoint {
			t.Errorf("NewPost(%q) error %v, NewRequest's %v", ep, perr, rerr)
		}
	}
}

func readAll(t *testing.T, r io.Reader) []byte {
	t.Helper()
	if r == nil {
		return nil
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
