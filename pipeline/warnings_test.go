package pipeline_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/providers/pii"
)

// TestOptionalFieldWarnings: a bad optional value is left out of the
// request and the row is sent (issue 12, part 3). The row's status is what
// the vendor answered; warnings.csv (errors.csv's columns, masked) and the
// provider's warnings count say what was left out; errors.csv and the row
// accounting are unchanged; a required field's failure stays invalid.
func TestOptionalFieldWarnings(t *testing.T) {
	hits := hitPeople(t, 300, 2)
	type warnLine struct{ row, line, provider, status, code, column, masked, raw string }
	tests := []struct {
		name    string
		setup   func(t *testing.T, f *fixture) *jobfile.Job
		status  []string // per row
		warns   []warnLine
		errRows []string // errors.csv rows
	}{
		{
			name: "juhe: a name with a digit is left out, the row is sent and answered",
			setup: func(t *testing.T, f *fixture) *jobfile.Job {
				bad := person(hits[0], "W1")
				bad.Name = "赵霞桂英2"
				badID := person(hits[1], "W3")
				badID.ID = badID.ID[:17]
				writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, []applicant{bad, person(hits[1], "W2"), badID}, nil)
				return f.job(nil)
			},
			status:  []string{"hit", "hit", "invalid"},
			warns:   []warnLine{{"1", "2", "juhe", "hit", pii.CodeNameDigits, "姓名", pii.MaskName("赵霞桂英2"), "赵霞桂英2"}},
			errRows: []string{"3"},
		},
		{
			name: "accuauth: a 12-digit NIK and a bad e-mail are left out, the row is sent",
			setup: func(t *testing.T, f *fixture) *jobfile.Job {
				p0, p1 := pop.Person(hits[0]), pop.Person(hits[1])
				return vendorJob(t, f, "accuauth", []string{"no_hp", "nik", "email"}, [][]string{
					{p0.IDMobile, "330114120694", "budi@localhost"},
					{p1.IDMobile, p1.NIK, ""},
					{"81234567890", "", ""}, // the required mobile lost its 0: invalid
				})
			},
			status: []string{"", "", "invalid"}, // "": whatever the vendor answered (hit or no_hit)
			warns: []warnLine{
				{"1", "2", "aa", "", "nik_length", "nik", "", "330114120694"},
				{"1", "2", "aa", "", "email_format", "email", pii.MaskEmail("budi@localhost"), "budi@localhost"},
			},
			errRows: []string{"3"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			job := tc.setup(t, f)
			sum := f.mustRun(job, pipeline.Options{})
			prov := job.Providers[0].Name
			res := readResults(t, f.outDir())
			for i, want := range tc.status {
				got := res.get(i, prov+"_status")
				if want == "" && got != "hit" && got != "no_hit" || want != "" && got != want {
					t.Errorf("row %d: status %s, want %q (the vendor's answer)", i+1, got, want)
				}
			}
			recs := readCSVFile(t, filepath.Join(f.outDir(), "warnings.csv"))
			if strings.Join(recs[0], ",") != "row,line,provider,status,code,column,message" {
				t.Fatalf("warnings.csv header %v", recs[0])
			}
			if len(recs)-1 != len(tc.warns) {
				t.Fatalf("warnings.csv has %d lines, want %d: %v", len(recs)-1, len(tc.warns), recs[1:])
			}
			for i, w := range tc.warns {
				r := recs[i+1]
				wantStatus := w.status
				if wantStatus == "" {
					wantStatus = res.get(0, prov+"_status")
				}
				if r[0] != w.row || r[1] != w.line || r[2] != w.provider || r[3] != wantStatus || r[4] != w.code || r[5] != w.column {
					t.Errorf("warnings.csv line %d = %v, want row %s line %s %s %s %s %s", i+1, r, w.row, w.line, w.provider, wantStatus, w.code, w.column)
				}
				if w.masked != "" && !strings.Contains(r[6], w.masked) {
					t.Errorf("message %q lacks the masked value %q", r[6], w.masked)
				}
				if strings.Contains(r[6], w.raw) {
					t.Errorf("message %q shows the raw value", r[6])
				}
			}
			var errRows []string
			for _, e := range readErrors(t, f.outDir()) {
				errRows = append(errRows, e.Row)
			}
			if strings.Join(errRows, ",") != strings.Join(tc.errRows, ",") {
				t.Errorf("errors.csv rows %v, want %v (a warning is not an error)", errRows, tc.errRows)
			}
			if sum.RowsOK != len(tc.status)-len(tc.errRows) || sum.RowsOK+sum.RowsError != sum.RowsIn {
				t.Errorf("rows in %d ok %d with errors %d", sum.RowsIn, sum.RowsOK, sum.RowsError)
			}
			if got := sum.Providers[0].Warnings; got != len(tc.warns) {
				t.Errorf("summary warnings %d, want %d", got, len(tc.warns))
			}
			b, err := os.ReadFile(filepath.Join(f.outDir(), "summary.json"))
			if err != nil {
				t.Fatal(err)
			}
			var disk struct {
				Providers []struct {
					Warnings int `json:"warnings"`
				} `json:"providers"`
			}
			if err := json.Unmarshal(b, &disk); err != nil || disk.Providers[0].Warnings != len(tc.warns) {
				t.Errorf("summary.json providers[0].warnings = %+v (%v), want %d", disk, err, len(tc.warns))
			}
			var table bytes.Buffer
			sum.WriteTable(&table)
			lines := strings.Split(table.String(), "\n")
			var head, row []string
			for i, l := range lines {
				if strings.Contains(l, "provider") && strings.Contains(l, "warnings") {
					head, row = strings.Fields(l), strings.Fields(lines[i+1])
					break
				}
			}
			if len(head) == 0 || len(row) == 0 || row[len(row)-1] != itoa(len(tc.warns)) {
				t.Errorf("console table has no warnings column with %d:\n%s", len(tc.warns), table.String())
			}
		})
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
