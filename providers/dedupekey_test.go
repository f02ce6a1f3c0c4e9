package providers

import (
	"crypto/sha256"
	"strings"
	"testing"
)

// TestDedupeKeyUnchanged: DedupeKey gives the digests it gave when it
// streamed the parts through a hash object (journals of earlier runs are
// matched by them).
func TestDedupeKeyUnchanged(t *testing.T) {
	streamed := func(parts ...string) [32]byte {
		h := sha256.New()
		var n [8]byte
		for _, p := range parts {
			l := len(p)
			for i := range n {
				n[i] = byte(l >> (8 * i))
			}
			h.Write(n[:])
			h.Write([]byte(p))
		}
		var out [32]byte
		h.Sum(out[:0])
		return out
	}
	for _, parts := range [][]string{
		nil, {""}, {"", ""}, {"ab", "c"}, {"a", "bc"}, {"zhicheng", "fraud.screening.advance.api", "LOAN_AUDIT", `{"name":"张三"}`},
		{strings.Repeat("x", 1000)}, {strings.Repeat("长", 400), "y"}, {strings.Repeat("z", 5000), "", "w"},
	} {
		if got, want := DedupeKey(parts...), streamed(parts...); got != want {
			t.Errorf("DedupeKey(%.40q) = %x, want %x", parts, got, want)
		}
	}
}
