package pii

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzChineseID(f *testing.F) {
	for _, s := range []string{
		"330328199001016785", "11010519491231002x", "110105491231002", "330328199001016789",
		"3.30328E+17", "330328199001016789.0", "330328199001017000", "33032819900101678",
		"３３０３２８１９９００１０１６７８５", "\u3000330328199001016785 ", "\ufffd", "", "X", "19000101",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		norm, note, err := ChineseIDAt(raw, fixedNow)
		if err != nil {
			var p *Problem
			if !errors.As(err, &p) || p.Code == "" || p.Reason == "" {
				t.Fatalf("bad error %#v", err)
			}
			if norm != "" || note != "" {
				t.Fatalf("error with result %q %q", norm, note)
			}
			if s := strings.TrimSpace(raw); len(s) >= 6 && strings.Contains(p.Reason, s) {
				t.Fatalf("reason echoes raw value")
			}
			return
		}
		if len(norm) != 18 || !utf8.ValidString(norm) || idCheckDigit(norm) != norm[17] {
			t.Fatalf("invalid result %q from %q", norm, raw)
		}
		again, note2, err := ChineseIDAt(norm, fixedNow)
		if err != nil || again != norm || note2 != "" {
			t.Fatalf("result %q does not re-validate: %q %q %v", norm, again, note2, err)
		}
		if note != "" && note != NoteConvertedFrom15 {
			t.Fatalf("unexpected note %q", note)
		}
		// Masking never panics and never shows the middle.
		if m := MaskID(norm); m[6:14] != "********" {
			t.Fatalf("mask %q", m)
		}
	})
}

// hasReplacementCases: U+FFFD itself, the bytes of broken UTF-8 (which
// ranging over a string yields as U+FFFD), surrogates and overlong forms.
var hasReplacementCases = []string{"", "abc", "张三", "\ufffd", "a\ufffdb", "\xef\xbf", "\xef\xbf\xbe", "\xff", "é\xc3", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "张\xe5\xbc", "\xef\xbf\xbd张"}

// FuzzHasReplacement holds hasReplacement to strings.ContainsRune(s,
// '\ufffd'), the check it replaces.
func FuzzHasReplacement(f *testing.F) {
	for _, s := range hasReplacementCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := hasReplacement(s), strings.ContainsRune(s, '\ufffd'); got != want {
			t.Fatalf("hasReplacement(%q) = %v, ContainsRune %v", s, got, want)
		}
	})
}

func TestHasReplacementMatchesContainsRune(t *testing.T) {
	for _, a := range hasReplacementCases {
		for _, b := range hasReplacementCases {
			s := a + b
			if got, want := hasReplacement(s), strings.ContainsRune(s, '\ufffd'); got != want {
				t.Fatalf("hasReplacement(%q) = %v, ContainsRune %v", s, got, want)
			}
		}
	}
}

// collapseCases: white space of every kind Name trims (ASCII, U+3000,
// U+00A0, zero-width space, word joiner, BOM) at the ends, inside, alone,
// and broken UTF-8.
var collapseCases = []string{"", "张三", "a", " ", "\u3000", "\u00a0", "\u200b", "\u2060", "\ufeff", "\t\n", "阿卜杜 热合曼", "\xff", "\xe3\x80"}

func FuzzCollapseSpace(f *testing.F) {
	for _, s := range collapseCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := collapseSpace(s), strings.Join(strings.FieldsFunc(s, isTrimRune), " "); got != want {
			t.Fatalf("collapseSpace(%q) = %q, want %q", s, got, want)
		}
	})
}

func TestCollapseSpace(t *testing.T) {
	for _, a := range collapseCases {
		for _, b := range collapseCases {
			for _, c := range collapseCases {
				s := a + b + c
				if got, want := collapseSpace(s), strings.Join(strings.FieldsFunc(s, isTrimRune), " "); got != want {
					t.Fatalf("collapseSpace(%q) = %q, want %q", s, got, want)
				}
			}
		}
	}
}

// FuzzChineseMobileFastPath: the shortcut for a value already in form
// gives what the full normalisation gives, for any input.
func FuzzChineseMobileFastPath(f *testing.F) {
	for _, s := range []string{"13800138000", "12800138000", "1380013800", "138001380000", "+8613800138000", "１３８００１３８０００", " 13800138000", "13800138000\u3000", "1380013800x", "19999999999", "10000000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, gerr := ChineseMobile(raw)
		want, werr := chineseMobile(raw)
		if got != want || (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
			t.Fatalf("ChineseMobile(%q) = %q, %v; the full path %q, %v", raw, got, gerr, want, werr)
		}
	})
}

func TestChineseMobileFastPathMatches(t *testing.T) {
	for first := '0'; first <= '9'; first++ {
		for second := '0'; second <= '9'; second++ {
			for _, rest := range []string{"00138000", "99999999", "0013800", "001380000", "0013800x"} {
				raw := string([]rune{first, second}) + rest + "0"
				got, gerr := ChineseMobile(raw)
				want, werr := chineseMobile(raw)
				if got != want || fmt.Sprint(gerr) != fmt.Sprint(werr) {
					t.Fatalf("ChineseMobile(%q) = %q, %v; the full path %q, %v", raw, got, gerr, want, werr)
				}
			}
		}
	}
}
