package providers

import (
	"strings"
	"testing"
)

// trimCases: white space of every kind unicode.IsSpace knows (ASCII,
// U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F,
// U+3000), characters next to them that are not (U+200B, U+3001, U+FEFF),
// CJK text and broken UTF-8, at either end.
var trimCases = []string{"", "a", "张三", " ", "\t", "\v", "\u0085", "\u00a0", "\u1680", "\u2000", "\u200a", "\u200b", "\u2028", "\u2029",
	"\u202f", "\u205f", "\u3000", "\u3001", "\ufeff", "\xff", "\xe4\xb8", "\xc2", "13800138000", "北京市 朝阳区"}

func TestTrimSpaceMatchesStrings(t *testing.T) {
	for _, a := range trimCases {
		for _, b := range trimCases {
			for _, c := range trimCases {
				s := a + b + c
				if got, want := TrimSpace(s), strings.TrimSpace(s); got != want {
					t.Fatalf("TrimSpace(%q) = %q, strings.TrimSpace %q", s, got, want)
				}
			}
		}
	}
}

func FuzzTrimSpace(f *testing.F) {
	for _, s := range trimCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := TrimSpace(s), strings.TrimSpace(s); got != want {
			t.Fatalf("TrimSpace(%q) = %q, strings.TrimSpace %q", s, got, want)
		}
	})
}
