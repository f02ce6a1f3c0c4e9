package wire

import (
	"strconv"
	"unicode/utf8"
)

// Kinds of Node.
const (
	Object = '{'
	Array  = '['
	String = '"'
	Number = '0'
	True   = 't'
	False  = 'f'
	Null   = 'n'
)

// MaxDepth is the deepest nesting Parse reads; deeper documents are
// refused (callers fall back to encoding/json, whose limit is 10,000).
const MaxDepth = 256

// Node is one JSON value of a document, in document order.
type Node struct {
	Start, End int32 // the value's bytes in Doc.Src
	// KeyStart/KeyEnd: an object member's key, without its quotes (0, 0
	// for array elements and the top value).
	KeyStart, KeyEnd int32
	Next             int32 // the next member or element of the same container, -1 for none
	First            int32 // a container's first member or element, -1 for none
	Kind             byte
	// Escaped: a string value holding a backslash escape.
	Escaped bool
	// KeyEscaped: the member's key holds a backslash escape.
	KeyEscaped bool
}

// Doc is a parsed document. A Doc can be reused: Parse keeps the node
// slice's memory.
type Doc struct {
	Src   []byte
	Nodes []Node
}

// Parse reads src as one JSON value (surrounding whitespace allowed) and
// reports whether it is valid JSON (as json.Valid; invalid UTF-8 inside
// strings is accepted as encoding/json accepts it) no deeper than
// MaxDepth. The root is node 0.
func (d *Doc) Parse(src []byte) bool {
	d.Src = src
	d.Nodes = d.Nodes[:0]
	if len(src) > 1<<30 {
		return false
	}
	i := skipSpace(src, 0)
	i = d.value(i, 0)
	if i < 0 {
		return false
	}
	return skipSpace(src, i) == len(src)
}

// Raw returns node n's bytes.
func (d *Doc) Raw(n int32) []byte { nd := &d.Nodes[n]; return d.Src[nd.Start:nd.End] }

// Key returns member n's key bytes (without quotes, escapes as written).
func (d *Doc) Key(n int32) []byte { nd := &d.Nodes[n]; return d.Src[nd.KeyStart:nd.KeyEnd] }

// Str returns a string node's contents without its quotes (escapes as
// written: check Escaped).
func (d *Doc) Str(n int32) []byte { nd := &d.Nodes[n]; return d.Src[nd.Start+1 : nd.End-1] }

// Member returns the last member of object n whose key is exactly key (a
// repeated key gives the last, as encoding/json), or -1.
func (d *Doc) Member(n int32, key string) int32 {
	found := int32(-1)
	for c := d.Nodes[n].First; c >= 0; c = d.Nodes[c].Next {
		nd := &d.Nodes[c]
		if int(nd.KeyEnd-nd.KeyStart) == len(key) && string(d.Src[nd.KeyStart:nd.KeyEnd]) == key {
			found = c
		}
	}
	return found
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// value parses the value at src[i] into a new node and returns the index
// after it, or -1.
func (d *Doc) value(i, depth int) int {
	src := d.Src
	if i >= len(src) {
		return -1
	}
	n := len(d.Nodes)
	d.Nodes = append(d.Nodes, Node{Start: int32(i), Next: -1, First: -1})
	switch c := src[i]; c {
	case '{':
		if depth >= MaxDepth {
			return -1
		}
		d.Nodes[n].Kind = Object
		j := skipSpace(src, i+1)
		if j < len(src) && src[j] == '}' {
			d.Nodes[n].End = int32(j + 1)
			return j + 1
		}
		prev := int32(-1)
		for {
			if j >= len(src) || src[j] != '"' {
				return -1
			}
			ks := j + 1
			kend, kesc := scanString(src, j)
			if kend < 0 {
				return -1
			}
			j = skipSpace(src, kend)
			if j >= len(src) || src[j] != ':' {
				return -1
			}
			j = skipSpace(src, j+1)
			m := int32(len(d.Nodes))
			if j = d.value(j, depth+1); j < 0 {
				return -1
			}
			mn := &d.Nodes[m]
			mn.KeyStart, mn.KeyEnd, mn.KeyEscaped = int32(ks), int32(kend-1), kesc
			if prev < 0 {
				d.Nodes[n].First = m
			} else {
				d.Nodes[prev].Next = m
			}
			prev = m
			j = skipSpace(src, j)
			if j < len(src) && src[j] == ',' {
				j = skipSpace(src, j+1)
				continue
			}
			if j < len(src) && src[j] == '}' {
				d.Nodes[n].End = int32(j + 1)
				return j + 1
			}
			return -1
		}
	case '[':
		if depth >= MaxDepth {
			return -1
		}
		d.Nodes[n].Kind = Array
		j := skipSpace(src, i+1)
		if j < len(src) && src[j] == ']' {
			d.Nodes[n].End = int32(j + 1)
			return j + 1
		}
		prev := int32(-1)
		for {
			m := int32(len(d.Nodes))
			if j = d.value(j, depth+1); j < 0 {
				return -1
			}
			if prev < 0 {
				d.Nodes[n].First = m
			} else {
				d.Nodes[prev].Next = m
			}
			prev = m
			j = skipSpace(src, j)
			if j < len(src) && src[j] == ',' {
				j = skipSpace(src, j+1)
				continue
			}
			if j < len(src) && src[j] == ']' {
				d.Nodes[n].End = int32(j + 1)
				return j + 1
			}
			return -1
		}
	case '"':
		end, esc := scanString(src, i)
		if end < 0 {
			return -1
		}
		d.Nodes[n].Kind, d.Nodes[n].End, d.Nodes[n].Escaped = String, int32(end), esc
		return end
	case 't', 'f', 'n':
		lit := "true"
		if c == 'f' {
			lit = "false"
		} else if c == 'n' {
			lit = "null"
		}
		if len(src)-i < len(lit) || string(src[i:i+len(lit)]) != lit {
			return -1
		}
		d.Nodes[n].Kind, d.Nodes[n].End = c, int32(i+len(lit))
		return i + len(lit)
	default:
		end := scanNumber(src, i)
		if end < 0 {
			return -1
		}
		d.Nodes[n].Kind, d.Nodes[n].End = Number, int32(end)
		return end
	}
}

// scanString returns the index after the string whose opening quote is at
// src[i], or -1 when it is not a valid JSON string, and whether it holds
// an escape.
func scanString(src []byte, i int) (int, bool) {
	esc := false
	for j := i + 1; j < len(src); j++ {
		c := src[j]
		switch {
		case c == '"':
			return j + 1, esc
		case c == '\\':
			esc = true
			j++
			if j >= len(src) {
				return -1, esc
			}
			switch src[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(src) {
					return -1, esc
				}
				for k := j + 1; k <= j+4; k++ {
					if !isHex(src[k]) {
						return -1, esc
					}
				}
				j += 4
			default:
				return -1, esc
			}
		case c < 0x20:
			return -1, esc
		}
	}
	return -1, esc
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// scanNumber returns the index after the JSON number at src[i], or -1.
func scanNumber(src []byte, i int) int {
	j := i
	if j < len(src) && src[j] == '-' {
		j++
	}
	if j >= len(src) {
		return -1
	}
	switch {
	case src[j] == '0':
		j++
	case src[j] >= '1' && src[j] <= '9':
		for j < len(src) && src[j] >= '0' && src[j] <= '9' {
			j++
		}
	default:
		return -1
	}
	if j < len(src) && src[j] == '.' {
		j++
		f := j
		for j < len(src) && src[j] >= '0' && src[j] <= '9' {
			j++
		}
		if j == f {
			return -1
		}
	}
	if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		j++
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		e := j
		for j < len(src) && src[j] >= '0' && src[j] <= '9' {
			j++
		}
		if j == e {
			return -1
		}
	}
	return j
}

// Fields finds the members of object n named exactly names[i] and puts
// their node in out[i] (-1 when absent); len(out) must be len(names). It
// reports false when encoding/json could read the object differently
// from an exact match: a key with an escape, a key outside ASCII (Unicode
// case folding), a key equal to a name only case-insensitively (which
// encoding/json's field matching accepts), or a name given twice.
func (d *Doc) Fields(n int32, names []string, out []int32) bool {
	for i := range out {
		out[i] = -1
	}
	for m := d.Nodes[n].First; m >= 0; m = d.Nodes[m].Next {
		nd := &d.Nodes[m]
		if nd.KeyEscaped {
			return false
		}
		k := d.Src[nd.KeyStart:nd.KeyEnd]
		exact := false
		for i, name := range names {
			if string(k) == name {
				if out[i] >= 0 {
					return false
				}
				out[i], exact = m, true
				break
			}
		}
		if exact {
			continue
		}
		for _, b := range k {
			if b >= 0x80 {
				return false
			}
		}
		for _, name := range names {
			if len(k) == len(name) && equalFoldASCII(k, name) {
				return false
			}
		}
	}
	return true
}

func equalFoldASCII(a []byte, b string) bool {
	for i := range a {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Text returns string node n's value when it needs no decoding (no
// escape, valid UTF-8): then it is what encoding/json decodes. ok is
// false for any other node.
func (d *Doc) Text(n int32) (string, bool) {
	nd := &d.Nodes[n]
	if nd.Kind != String || nd.Escaped {
		return "", false
	}
	s := d.Src[nd.Start+1 : nd.End-1]
	if !utf8.Valid(s) {
		return "", false
	}
	return string(s), true
}

// Int returns number node n as encoding/json decodes it into an int: an
// integer literal (no fraction or exponent) that fits. ok is false for
// anything else.
func (d *Doc) Int(n int32) (int, bool) {
	nd := &d.Nodes[n]
	if nd.Kind != Number {
		return 0, false
	}
	v, err := strconv.ParseInt(string(d.Src[nd.Start:nd.End]), 10, 64)
	if err != nil || int64(int(v)) != v {
		return 0, false
	}
	return int(v), true
}
