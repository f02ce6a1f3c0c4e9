// Package wiretest helps the vendors' tests compare their one-pass answer
// readers with encoding/json on damaged and reshaped answers.
package wiretest

import (
	"bytes"
	"math/rand/v2"
)

// Mutate returns a copy of an answer changed the ways vendors and networks
// change them: a byte replaced, the body cut, a key's case, a space in a
// key, numbers and strings swapped, another value in front of a key
// (which repeats the key), an escape in a string or key, whitespace. keys
// are the answer's keys worth reshaping, quoted and without the colon
// (`"code"`).
func Mutate(r *rand.Rand, b []byte, keys []string) []byte {
	b = append([]byte(nil), b...)
	k := keys[r.IntN(len(keys))]
	switch r.IntN(9) {
	case 0:
		if len(b) > 0 {
			const alpha = `{}[]",:\ 0-1e.tfnuAz`
			b[r.IntN(len(b))] = alpha[r.IntN(len(alpha))]
		}
	case 1:
		if len(b) > 0 {
			b = b[:r.IntN(len(b))]
		}
	case 2: // a key in another case
		if i := bytes.Index(b, []byte(k)); i >= 0 && len(k) > 2 {
			j := i + 1 + r.IntN(len(k)-2)
			switch c := b[j]; {
			case c >= 'a' && c <= 'z':
				b[j] -= 'a' - 'A'
			case c >= 'A' && c <= 'Z':
				b[j] += 'a' - 'A'
			}
		}
	case 3: // a space inside a key
		b = bytes.Replace(b, []byte(k), []byte(k[:2]+" "+k[2:]), 1)
	case 4: // a number as a string, a string as a number
		kc := []byte(k + ":")
		if i := bytes.Index(b, kc); i >= 0 {
			j := i + len(kc)
			if j < len(b) && b[j] == '"' {
				b = append(b[:j], b[j+1:]...)
			} else {
				b = append(b[:j], append([]byte{'"'}, b[j:]...)...)
			}
		}
	case 5: // another value in front (the key repeats)
		vals := []string{`null`, `{}`, `[]`, `"x"`, `1.5e2`, `true`, `0`, `-1`, `[{}]`, `[null]`, `"1"`, `99999999999999999999`}
		kc := []byte(k + ":")
		if i := bytes.Index(b, kc); i >= 0 {
			v := vals[r.IntN(len(vals))]
			if r.IntN(2) == 0 { // v, then the key again
				b = append(b[:i+len(kc)], append([]byte(v+","+string(kc)), b[i+len(kc):]...)...)
			} else {
				b = append(b[:i+len(kc)], append([]byte(v+","+`"zz":`), b[i+len(kc):]...)...) // v, then another key
			}
		}
	case 6: // an escape in a key or a string
		if i := bytes.Index(b, []byte(k)); i >= 0 && len(k) > 2 {
			j := i + 1
			esc := []byte(`\u00` + "0123456789abcdef"[b[j]>>4:b[j]>>4+1] + "0123456789abcdef"[b[j]&15:b[j]&15+1])
			b = append(b[:j], append(esc, b[j+1:]...)...)
		}
	case 7: // whitespace around everything
		b = bytes.ReplaceAll(b, []byte(`,"`), []byte(" ,\n\t\""))
		b = bytes.ReplaceAll(b, []byte(`:`), []byte(" : "))
	case 8: // a key in another alphabet that folds to ASCII
		if i := bytes.Index(b, []byte(k)); i >= 0 {
			if j := bytes.IndexAny(b[i+1:i+len(k)], "kKsS"); j >= 0 {
				rep := "\u212a" // Kelvin sign
				if c := b[i+1+j]; c == 's' || c == 'S' {
					rep = "\u017f" // long s
				}
				b = append(b[:i+1+j], append([]byte(rep), b[i+2+j:]...)...)
			}
		}
	}
	return b
}
