package pipeline_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/pipeline"
)

// With output.mask_pii the result sheet shows masked IDs, mobiles and names
// (the same masks as errors.csv) while the vendor still got the real values:
// the answers are those of an unmasked run.
func TestMaskPIIInResults(t *testing.T) {
	f := newFixture(t, nil)
	rows := []applicant{person(11, "r1"), person(12, "r2"), outsider(3, "r3")}
	writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)

	plain := f.job(map[string]string{"OUTDIR": "plain"})
	f.mustRun(plain, pipeline.Options{})
	masked := f.job(map[string]string{"OUTDIR": "masked"})
	masked.Output.MaskPII = true
	f.mustRun(masked, pipeline.Options{})

	p := readResults(t, filepath.Join(f.dir, "plain"))
	m := readResults(t, filepath.Join(f.dir, "masked"))
	for i, a := range rows {
		if got := m.get(i, header[1]); got == a.ID || !strings.Contains(got, "*") || got[:6] != a.ID[:6] {
			t.Errorf("row %d: masked ID %q (plain %q)", i+1, got, a.ID)
		}
		if got := m.get(i, header[2]); got == a.Mobile || got != a.Mobile[:3]+"****"+a.Mobile[7:] {
			t.Errorf("row %d: masked mobile %q", i+1, got)
		}
		if got := m.get(i, header[0]); got == a.Name || !strings.HasSuffix(got, "*") {
			t.Errorf("row %d: masked name %q", i+1, got)
		}
		if got := m.get(i, header[3]); got != a.Ref {
			t.Errorf("row %d: pass-through column changed: %q", i+1, got)
		}
		if strings.Join(m.juheValues(i), "|") != strings.Join(p.juheValues(i), "|") {
			t.Errorf("row %d: answers differ with masking: %v vs %v", i+1, m.juheValues(i), p.juheValues(i))
		}
	}
}
