package providers

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Binding maps a provider's canonical fields to input column positions. The
// pipeline resolves it once per file from the header, so a row lookup is a
// slice index, not a map search per row.
type Binding struct {
	Header   []string
	index    map[string]int // canonical field → column
	lower    []string       // Header lowercased, for WithPrefix
	prefixed sync.Map       // WithPrefix's prefix → the columns it matches ([]int), found once
}

// NewBinding resolves inputs against header. Overrides map a canonical field
// to a header name chosen in the job; otherwise the first alias found wins.
// It returns the binding and the required inputs that found no column.
func NewBinding(header []string, inputs []Input, overrides map[string]string) (*Binding, []string) {
	b := &Binding{Header: header, index: map[string]int{}, lower: make([]string, len(header))}
	for i, h := range header {
		b.lower[i] = strings.ToLower(h)
	}
	norm := make(map[string]int, len(header))
	for i, h := range header {
		k := normHeader(h)
		if _, dup := norm[k]; !dup {
			norm[k] = i
		}
	}
	var missing []string
	for _, in := range inputs {
		names := in.Aliases
		if o, ok := overrides[in.Name]; ok && o != "" {
			names = []string{o}
		} else {
			names = append([]string{in.Name}, names...)
		}
		found := false
		for _, n := range names {
			if i, ok := norm[normHeader(n)]; ok {
				b.index[in.Name] = i
				found = true
				break
			}
		}
		if !found && in.Required {
			missing = append(missing, fmt.Sprintf("%s (looked for %s)", in.Name, strings.Join(quoteAll(names), ", ")))
		}
	}
	return b, missing
}

// Bind adds a field mapped to a known column (used for pattern-matched
// columns such as TD's ext_*).
func (b *Binding) Bind(field string, col int) { b.index[field] = col }

// Has reports whether field is mapped to a column.
func (b *Binding) Has(field string) bool { _, ok := b.index[field]; return ok }

// Column returns the input header mapped to field, or "".
func (b *Binding) Column(field string) string {
	if i, ok := b.index[field]; ok {
		return b.Header[i]
	}
	return ""
}

func normHeader(s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(s, "\ufeff"))
	return strings.ToLower(strings.ReplaceAll(s, " ", ""))
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// Record is one input row seen through a provider's binding.
type Record struct {
	Row     int // 1-based data row
	Binding *Binding
	Values  []string
}

// Get returns the trimmed value of a canonical field ("" when unmapped).
func (r Record) Get(field string) string {
	if i, ok := r.Binding.index[field]; ok && i < len(r.Values) {
		return TrimSpace(r.Values[i])
	}
	return ""
}

// TrimSpace is strings.TrimSpace(s), for values read per row. Most values
// need no trimming, and strings.TrimSpace decodes a value that starts with
// a non-ASCII character (Chinese names and addresses) through TrimFunc at
// both ends: when the first and the last character are not white space, s
// is returned after looking at one byte or one rune at each end
// (TestTrimSpaceMatchesStrings, FuzzTrimSpace).
func TrimSpace(s string) string {
	if s == "" || spaceAt(s, true) || spaceAt(s, false) {
		return strings.TrimSpace(s)
	}
	return s
}

// spaceAt reports whether the first (or last) character of the non-empty
// s is white space as unicode.IsSpace says (none is above U+3000; a byte
// that is not UTF-8 is not).
func spaceAt(s string, first bool) bool {
	c := s[len(s)-1]
	if first {
		c = s[0]
	}
	if c < utf8.RuneSelf {
		return asciiSpace[c]
	}
	var r rune
	if first {
		r, _ = utf8.DecodeRuneInString(s)
	} else {
		r, _ = utf8.DecodeLastRuneInString(s)
	}
	return r <= 0x3000 && unicode.IsSpace(r)
}

var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// Column returns the header of the column mapped to field.
func (r Record) Column(field string) string { return r.Binding.Column(field) }

// WithPrefix calls fn for every input column whose header starts with prefix
// (case-insensitive), in header order, with the header and raw value.
func (r Record) WithPrefix(prefix string, fn func(header, value string)) {
	for _, i := range r.Binding.columnsWithPrefix(prefix) {
		if i < len(r.Values) {
			fn(r.Binding.Header[i], r.Values[i])
		}
	}
}

// columnsWithPrefix lists the columns whose header starts with prefix
// (case-insensitive), in header order: found once per prefix instead of
// lowercasing and comparing every header on every row (issue 18).
func (b *Binding) columnsWithPrefix(prefix string) []int {
	if cols, ok := b.prefixed.Load(prefix); ok {
		return cols.([]int)
	}
	p := strings.ToLower(prefix)
	var cols []int
	for i, h := range b.Header {
		lower := ""
		if i < len(b.lower) {
			lower = b.lower[i]
		} else { // a Binding built without NewBinding
			lower = strings.ToLower(h)
		}
		if strings.HasPrefix(lower, p) {
			cols = append(cols, i)
		}
	}
	b.prefixed.Store(prefix, cols)
	return cols
}

// Invalid builds a RowError for field with the column name filled in.
func (r Record) Invalid(field, code, reason, masked string) *RowError {
	return &RowError{Field: field, Column: r.Column(field), Code: code, Reason: reason, Masked: masked}
}

// Warning builds the RowError of an optional field left out of the request
// (Request.Warnings), with the column name filled in.
func (r Record) Warning(field, code, reason, masked string) *RowError {
	return r.Invalid(field, code, reason, masked)
}

// DedupeKey hashes the parts of a request that go on the wire (except
// credentials) into a fixed-size digest. Parts are length-prefixed so
// ("ab","c") and ("a","bc") differ.
func DedupeKey(parts ...string) [32]byte {
	// SHA-256 of each part's length (8 bytes, little-endian) and bytes,
	// laid out in one buffer and hashed with Sum256: no hash object and
	// no []byte copy of each part on the heap per request (issue 18;
	// TestDedupeKeyUnchanged holds it to the streaming form).
	size := 0
	for _, p := range parts {
		size += 8 + len(p)
	}
	var stack [1024]byte
	buf := stack[:0]
	if size > len(stack) {
		buf = make([]byte, 0, size)
	}
	for _, p := range parts {
		buf = binary.LittleEndian.AppendUint64(buf, uint64(len(p)))
		buf = append(buf, p...)
	}
	return sha256.Sum256(buf)
}

// DecodeOptions decodes a provider's options map into dst (a pointer to a
// struct with yaml tags), rejecting unknown keys so a typo in the job is an
// error, not a silent default. Every problem is an *OptionError naming the
// option (with a "did you mean" for a near miss) and saying what value is
// wanted in the user's words, not Go's type names; they are joined.
func DecodeOptions(opts map[string]any, dst any) error {
	if len(opts) == 0 {
		return nil
	}
	fields := optionFields(dst)
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	for _, k := range keys {
		ft, ok := fields[k]
		if !ok {
			msg := "unknown option"
			if near := nearest(k, fields); near != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", near)
			}
			names := make([]string, 0, len(fields))
			for n := range fields {
				names = append(names, n)
			}
			sort.Strings(names)
			errs = append(errs, &OptionError{Key: k, Msg: msg + "; options of this provider: " + strings.Join(names, ", ")})
			continue
		}
		// One key at a time, so a type error is attributed to its option.
		raw, err := yaml.Marshal(map[string]any{k: opts[k]})
		if err != nil {
			errs = append(errs, &OptionError{Key: k, Msg: err.Error()})
			continue
		}
		if err := yaml.Unmarshal(raw, dst); err != nil {
			errs = append(errs, &OptionError{Key: k, Msg: "want " + describeType(ft)})
		}
	}
	return errors.Join(errs...)
}

// OptionError is a problem with one provider option.
type OptionError struct {
	Key string // the option as written in the job
	Msg string
}

func (e *OptionError) Error() string { return fmt.Sprintf("options.%s: %s", e.Key, e.Msg) }

// optionFields maps the yaml names of dst's fields to their types.
func optionFields(dst any) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return out
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// describeType says what value a field takes, in a job writer's words.
func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if t.PkgPath() == "time" && t.Name() == "Duration" {
			return "a duration such as 30s or 5m"
		}
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a text value"
	case reflect.Slice, reflect.Array:
		return "a list of " + strings.TrimPrefix(describeType(t.Elem()), "a ")
	case reflect.Map, reflect.Struct:
		return "a mapping of keys to values"
	case reflect.Pointer:
		return describeType(t.Elem())
	}
	return "a value of another kind"
}

// nearest returns the known name closest to k when it is a plausible typo
// (edit distance at most 2, or a third of the name), else "".
func nearest(k string, fields map[string]reflect.Type) string {
	best, bestD := "", 0
	for n := range fields {
		d := editDistance(k, n)
		if best == "" || d < bestD || (d == bestD && n < best) {
			best, bestD = n, d
		}
	}
	if best == "" || bestD > max(2, len(k)/3) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// OptionDoc describes one provider option for people (CLI, docs), from
// the Options struct's tags: yaml (the name), values, default and doc.
type OptionDoc struct {
	Name    string // as written in the job
	Want    string // the kind of value, in words (from the Go type)
	Values  string // the values the option takes (markdown)
	Default string
	Doc     string
}

// OptionTable is the markdown table of a vendor's options, as
// docs/providers.md shows it (a test keeps the two equal).
func OptionTable(spec Spec) string {
	var b strings.Builder
	b.WriteString("| option | values | default | meaning |\n|---|---|---|---|\n")
	for _, o := range OptionDocs(spec) {
		values := o.Values
		if values == "" {
			values = o.Want
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", o.Name, codeMarks(values), codeMarks(o.Default), codeMarks(o.Doc))
	}
	return b.String()
}

// codeMarks turns the {code} marks of option tags into markdown code
// (struct tags cannot hold backticks).
func codeMarks(s string) string {
	s = strings.ReplaceAll(s, "{", "`")
	return strings.ReplaceAll(s, "}", "`")
}

// OptionDocs lists a spec's options from its Options struct's yaml and doc
// tags, in declaration order.
func OptionDocs(spec Spec) []OptionDoc {
	if spec.Options == nil {
		return nil
	}
	t := reflect.TypeOf(spec.Options())
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []OptionDoc
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		out = append(out, OptionDoc{Name: name, Want: describeType(f.Type), Values: f.Tag.Get("values"), Default: f.Tag.Get("default"), Doc: f.Tag.Get("doc")})
	}
	return out
}
