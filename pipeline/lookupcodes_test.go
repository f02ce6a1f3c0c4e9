package pipeline_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
)

// Codes about one lookup rather than the key, forced through the
// simulators (issue 12, part 2): AccuAuth ABNORMAL_BEHAVIOURS_DETECTED is
// retried with backoff and then deferred, never final; Zhicheng 40006 makes
// its row invalid and stops the provider only after 3 distinct rows in a row.

// vendorJob writes a one-provider job for the test's sandbox (its default
// keys), concurrency 1 so answers come in row order, and a fast retry
// policy of 3 attempts.
func vendorJob(t *testing.T, f *fixture, vendor string, header []string, rows [][]string) *jobfile.Job {
	t.Helper()
	var in strings.Builder
	in.WriteString(strings.Join(header, ",") + "\n")
	for _, r := range rows {
		in.WriteString(strings.Join(r, ",") + "\n")
	}
	if err := os.WriteFile(filepath.Join(f.dir, "in.csv"), []byte(in.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	prov := map[string]string{
		"zhicheng": `  - name: zhicheng
    type: zhicheng
    endpoint: %[1]s/submit
    keys:
      - id: zc-1
        credentials: {user_name: sandbox_testusr, sign: sandbox-zc-sign-1}
`,
		"accuauth": `  - name: aa
    type: accuauth
    endpoint: %[1]s/check/risk_report
    keys:
      - id: aa-1
        credentials: {api_id: sandbox-aa-id-1, api_secret: sandbox-aa-secret-1}
`,
	}[vendor]
	job := "input:\n  file: in.csv\noutput:\n  dir: out\n  formats: [csv]\nconcurrency: 1\nstate_dir: quota\nproviders:\n" +
		fmt.Sprintf(prov, f.url) + "    retry: {max_attempts: 3, initial: 1ms, max: 4ms}\n"
	path := filepath.Join(f.dir, "job.yaml")
	if err := os.WriteFile(path, []byte(job), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := pipeline.LoadJob(path, nil)
	if err != nil {
		t.Fatalf("LoadJob: %v", err)
	}
	return j
}

func TestLookupCodes(t *testing.T) {
	const n = 6
	cnRows := func() ([]string, [][]string, []string) {
		var rows [][]string
		var ids []string
		for i := range n {
			p := pop.Person(i)
			rows = append(rows, []string{p.Name, p.IDCard, p.Mobile})
			ids = append(ids, p.IDCard)
		}
		return []string{"姓名", "身份证号", "手机号"}, rows, ids
	}
	idRows := func() ([]string, [][]string, []string) {
		var rows [][]string
		var ids []string
		for i := range n {
			p := pop.Person(i)
			rows = append(rows, []string{p.IDMobile})
			ids = append(ids, p.IDMobile)
		}
		return []string{"no_hp"}, rows, ids
	}
	type force struct {
		row   int // -1: the key, every row
		count int // 0: every answer
	}
	tests := []struct {
		name     string
		vendor   string
		code     string
		force    []force
		want     map[int]string // status of these rows; every other row hit or no_hit
		wantCode string         // errors.csv code of the rows in want
		calls    map[int]int    // raw.jsonl attempts of these rows
		stopped  bool           // the provider stopped (exit 4)
		complete bool           // every pair final (exit 0)
		resumed  map[int]bool   // rows a resume must send again and answer
	}{
		{
			name: "ABNORMAL once: retried on that lookup, then answered", vendor: "accuauth", code: "ABNORMAL_BEHAVIOURS_DETECTED",
			force: []force{{1, 1}}, calls: map[int]int{1: 2}, complete: true,
		},
		{
			name: "ABNORMAL on every attempt: deferred under its code, never final", vendor: "accuauth", code: "ABNORMAL_BEHAVIOURS_DETECTED",
			force: []force{{1, 3}}, want: map[int]string{1: "deferred"}, wantCode: "ABNORMAL_BEHAVIOURS_DETECTED",
			calls: map[int]int{1: 3}, resumed: map[int]bool{1: true},
		},
		{
			name: "40006 for 3 distinct rows in a row: those rows invalid, provider stopped", vendor: "zhicheng", code: "40006",
			force: []force{{-1, 0}}, want: map[int]string{0: "invalid", 1: "invalid", 2: "invalid", 3: "skipped", 4: "skipped", 5: "skipped"},
			calls: map[int]int{0: 1, 1: 1, 2: 1, 3: 0}, stopped: true,
		},
		{
			name: "40006 interleaved with answers: rows invalid, provider not stopped", vendor: "zhicheng", code: "40006",
			force: []force{{0, 1}, {2, 1}, {4, 1}}, want: map[int]string{0: "invalid", 2: "invalid", 4: "invalid"}, wantCode: "40006",
			calls: map[int]int{0: 1, 1: 1, 2: 1}, complete: true,
		},
		{
			name: "40006 twice, an answer, twice again: not stopped", vendor: "zhicheng", code: "40006",
			force: []force{{0, 1}, {1, 1}, {3, 1}, {4, 1}}, want: map[int]string{0: "invalid", 1: "invalid", 3: "invalid", 4: "invalid"}, wantCode: "40006",
			complete: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			header, rows, ids := cnRows()
			if tc.vendor == "accuauth" {
				header, rows, ids = idRows()
			}
			job := vendorJob(t, f, tc.vendor, header, rows)
			for _, fc := range tc.force {
				if fc.row < 0 {
					f.srv.Force(tc.vendor, map[string]string{"zhicheng": "zc-1", "accuauth": "aa-1"}[tc.vendor], "", tc.code, fc.count)
				} else {
					f.srv.Force(tc.vendor, "", ids[fc.row], tc.code, fc.count)
				}
			}
			sum := f.mustRun(job, pipeline.Options{})
			if sum.Complete != tc.complete {
				t.Errorf("complete %v, want %v", sum.Complete, tc.complete)
			}
			prov := job.Providers[0].Name
			res := readResults(t, f.outDir())
			for i := range rows {
				got := res.get(i, prov+"_status")
				want, ok := tc.want[i]
				if !ok && got != "hit" && got != "no_hit" {
					t.Errorf("row %d: status %s, want hit or no_hit", i+1, got)
				}
				if ok && got != want {
					t.Errorf("row %d: status %s, want %s", i+1, got, want)
				}
			}
			if tc.wantCode != "" {
				for _, e := range readErrors(t, f.outDir()) {
					if e.Status != "skipped" && e.Code != tc.wantCode {
						t.Errorf("errors.csv row %s: code %s, want %s", e.Row, e.Code, tc.wantCode)
					}
				}
			}
			raw := readRaw(t, f.outDir())
			for row, n := range tc.calls {
				lines := rawForRow(raw, row+1)
				if len(lines) != n {
					t.Errorf("row %d: %d attempts in raw.jsonl, want %d", row+1, len(lines), n)
				}
				for _, l := range lines {
					if l.Code == "ABNORMAL_BEHAVIOURS_DETECTED" && l.Outcome != "transient" {
						t.Errorf("row %d: ABNORMAL classified %s, want transient", row+1, l.Outcome)
					}
				}
			}
			ps := sum.Providers[0]
			if ps.Throttled != 0 {
				t.Errorf("%d throttled: a lookup condition must not slow the key", ps.Throttled)
			}
			if tc.stopped != (ps.Stopped != "") {
				t.Errorf("provider stop message %q, want stopped %v", ps.Stopped, tc.stopped)
			}
			if tc.stopped && !strings.Contains(ps.Stopped, "riskbatch builds params this vendor rejects") {
				t.Errorf("stop message %q does not say riskbatch builds params the vendor rejects", ps.Stopped)
			}
			if tc.resumed != nil {
				// The forced answers are used up: a resume sends the deferred
				// rows again (nothing was journaled as final) and reuses the rest.
				sum2 := f.mustRun(vendorJob(t, f, tc.vendor, header, rows), pipeline.Options{Resume: true})
				if !sum2.Complete {
					t.Error("resume did not complete")
				}
				res := readResults(t, f.outDir())
				for row := range tc.resumed {
					if st := res.get(row, prov+"_status"); st != "hit" && st != "no_hit" {
						t.Errorf("after resume, row %d: status %s, want an answer", row+1, st)
					}
				}
				if c := sum2.Providers[0].Calls; c != int64(len(tc.resumed)) {
					t.Errorf("resume made %d calls, want %d (only the deferred rows)", c, len(tc.resumed))
				}
			}
		})
	}
}
