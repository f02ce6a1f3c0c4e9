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

// TestFieldsMatchGet: FieldValues.Get gives Record.Get for every field,
// mapped or not, on rows shorter and longer than the header, as the rows
// come from two bindings in turn (the resolution follows the binding).
func TestFieldsMatchGet(t *testing.T) {
	inputs := []Input{{Name: "name", Aliases: []string{"姓名"}}, {Name: "id_no"}, {Name: "mobile", Aliases: []string{"手机号"}}, {Name: "email"}}
	b1, _ := NewBinding([]string{"姓名", "id_no", "x", "手机号"}, inputs, nil)
	b2, _ := NewBinding([]string{"mobile", "email", "name"}, inputs, map[string]string{"email": "email"})
	b2.Bind("extra", 1)
	names := []string{"name", "id_no", "mobile", "email", "extra", "missing"}
	f := NewFields(names...)
	rows := [][]string{nil, {" 张三 "}, {"a", "b", "c", "d", "e", "f"}, {"\u3000x\u3000", "", " 138 ", "  "}}
	for round := range 3 {
		for _, b := range []*Binding{b1, b2, b1} {
			for _, vals := range rows {
				rec := Record{Row: round, Binding: b, Values: vals}
				v := f.Of(rec)
				for i, n := range names {
					if got, want := v.Get(i), rec.Get(n); got != want {
						t.Fatalf("binding %v, row %q: field %s = %q, Record.Get %q", b.Header, vals, n, got, want)
					}
				}
			}
		}
	}
}

// withPrefixReference is WithPrefix as it was: every header lowercased and
// compared on every call.
func withPrefixReference(r Record, prefix string, fn func(header, value string)) {
	p := strings.ToLower(prefix)
	for i, h := range r.Binding.Header {
		if strings.HasPrefix(strings.ToLower(h), p) && i < len(r.Values) {
			fn(h, r.Values[i])
		}
	}
}

// TestWithPrefixMatchesReference: the columns found once per prefix are
// the ones the per-row comparison found, for prefixes in any case, headers
// with non-ASCII letters, and rows shorter than the header.
func TestWithPrefixMatchesReference(t *testing.T) {
	header := []string{"ext_a", "EXT_B", "Ext_", "ext", "detail_x", "DETAIL_Y", "x_ext_c", "ext_é", "İext_d", "ext_z"}
	b, _ := NewBinding(header, nil, nil)
	rows := [][]string{nil, {"1"}, {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}, {"a", "b", "c", "d", "e"}}
	for range 2 { // the second round reads the columns found in the first
		for _, prefix := range []string{"ext_", "EXT_", "detail_", "Detail_", "", "x", "nothing", "ext_é"} {
			for _, vals := range rows {
				rec := Record{Binding: b, Values: vals}
				var got, want []string
				rec.WithPrefix(prefix, func(h, v string) { got = append(got, h+"="+v) })
				withPrefixReference(rec, prefix, func(h, v string) { want = append(want, h+"="+v) })
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Fatalf("WithPrefix(%q) on %q: %q, want %q", prefix, vals, got, want)
				}
			}
		}
	}
}
