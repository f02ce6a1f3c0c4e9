package pipeline_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/dryrun"
)

// TestOptionErrorsAtTheirLine: a provider option error names the line of
// the job file (not of the options block), the option, and what is wanted
// in words — with a "did you mean" for a typo.
func TestOptionErrorsAtTheirLine(t *testing.T) {
	dir := t.TempDir()
	writeCSV(t, filepath.Join(dir, "in.csv"), utf8Plain, []applicant{person(1, "O1")}, nil)
	job := `input:
  file: in.csv
output:
  dir: out
providers:
  - name: zhicheng
    type: zhicheng
    endpoint: http://127.0.0.1:9/submit

    options:
      query_reasn: LOAN_AUDIT
      query_corp_addr_detection: maybe
    keys:
      - id: a
        credentials: {}
`
	path := filepath.Join(dir, "job.yaml")
	if err := os.WriteFile(path, []byte(job), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := pipeline.LoadJobOffline(path, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	_, err = dryrun.Validate(j, dryrun.ValidateOptions{Spent: pipeline.SpentSoFar})
	if err == nil {
		t.Fatal("Validate accepted a bad option")
	}
	for _, want := range []string{
		`line 11: provider "zhicheng": options.query_reasn: unknown option (did you mean query_reason?)`,
		`line 12: provider "zhicheng": options.query_corp_addr_detection: want true or false`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "zhicheng.Options") || strings.Contains(err.Error(), "!!str") {
		t.Errorf("error shows Go or YAML type names:\n%v", err)
	}
	if i, k := strings.Index(err.Error(), "line 11"), strings.Index(err.Error(), "line 12"); i > k {
		t.Errorf("errors not in line order:\n%v", err)
	}
}
