package wire

import "sync"

// maxPooledNodes bounds the node slice a pooled Doc keeps: a Doc grown by
// an unusually large answer goes to the garbage collector instead of
// pinning its memory in the pool.
const maxPooledNodes = 1 << 14

var docs = sync.Pool{New: func() any { return new(Doc) }}

// GetDoc returns a Doc from the pool every vendor's Parse shares: one
// answer per call, read into node slices earlier answers have grown.
func GetDoc() *Doc { return docs.Get().(*Doc) }

// PutDoc returns d to the pool once its answer is read, dropping its
// reference to the body.
func PutDoc(d *Doc) {
	d.Src = nil
	if cap(d.Nodes) <= maxPooledNodes {
		docs.Put(d)
	}
}
