package wire

import "testing"

// A pooled Doc reads one answer after another; PutDoc drops its reference
// to the body (a pooled Doc must not keep an answer, which may hold PII,
// alive), and a Doc grown past maxPooledNodes is not kept.
func TestDocPool(t *testing.T) {
	for _, body := range []string{`{"error_code":0,"result":{"found":1}}`, `[1,2,3]`, `"x"`} {
		d := GetDoc()
		if !d.Parse([]byte(body)) || len(d.Nodes) == 0 {
			t.Fatalf("a pooled Doc does not read %s", body)
		}
		PutDoc(d)
		if d.Src != nil {
			t.Errorf("PutDoc kept the body %q", d.Src)
		}
	}
	big := &Doc{Nodes: make([]Node, 0, maxPooledNodes+1)}
	PutDoc(big)
	for range 100 {
		if GetDoc() == big {
			t.Fatal("a Doc grown past maxPooledNodes went back to the pool")
		}
	}
}
