package providers

import "sync/atomic"

// Fields is a fixed list of canonical fields a provider reads from every
// row, resolved against the row's binding once: Record.Get is a map lookup
// per field per row, and a provider reading forty fields paid forty
// (issue 18). A binding is not changed once rows are read (the pipeline
// binds each input file before its first row).
type Fields struct {
	names []string
	last  atomic.Pointer[fieldColumns] // the binding seen last (one input file per run)
}

type fieldColumns struct {
	b    *Binding
	cols []int // the column of each name; -1: unmapped
}

// NewFields lists the fields, in the order FieldValues.Get numbers them.
func NewFields(names ...string) *Fields { return &Fields{names: names} }

// Name is the i-th field's name.
func (f *Fields) Name(i int) string { return f.names[i] }

// Of resolves the fields for r's binding.
func (f *Fields) Of(r Record) FieldValues {
	c := f.last.Load()
	if c == nil || c.b != r.Binding {
		c = &fieldColumns{b: r.Binding, cols: make([]int, len(f.names))}
		for i, n := range f.names {
			c.cols[i] = -1
			if j, ok := r.Binding.index[n]; ok {
				c.cols[i] = j
			}
		}
		f.last.Store(c)
	}
	return FieldValues{values: r.Values, cols: c.cols}
}

// FieldValues reads one row's fields by their number in NewFields.
type FieldValues struct {
	values []string
	cols   []int
}

// Get is Record.Get of the i-th field (TestFieldsMatchGet).
func (v FieldValues) Get(i int) string {
	if j := v.cols[i]; j >= 0 && j < len(v.values) {
		return TrimSpace(v.values[j])
	}
	return ""
}
