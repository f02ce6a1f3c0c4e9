package input_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	_ "github.com/riskbatch/riskbatch/providers/all"
)

// openBoundJob is a one-provider Juhe job over in.csv (no call is made:
// OpenBound only builds and binds), with a back-test label column when
// label is set.
func openBoundJob(t *testing.T, header, label string) (*jobfile.Job, string) {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(in, []byte(header+"\n张三,11010519491231002X,13812345678,0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	job := `input: {file: in.csv}
output: {dir: out, formats: [csv]}
providers:
  - name: juhe
    type: juhe
    endpoint: https://v.juhe.cn/anti_fraud/queryV2
    keys: [{id: k1, credentials: {key: not-a-real-key}}]
`
	if label != "" {
		job += "backtest: {label: " + label + "}\n"
	}
	path := filepath.Join(dir, "job.yaml")
	if err := os.WriteFile(path, []byte(job), 0o600); err != nil {
		t.Fatal(err)
	}
	j, err := jobfile.Load(path, func(string) (string, bool) { return "", false }, jobfile.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return j, in
}

// TestOpenBound: what run, validate and hash refuse before their first row
// — the same for all three, but for the result-sheet checks hash does not
// need — and what they get when nothing is wrong.
func TestOpenBound(t *testing.T) {
	tests := []struct {
		name    string
		header  string
		label   string
		purpose input.Purpose
		wantErr []string // in the *input.Error; empty: no error
	}{
		{name: "bound", header: "姓名,身份证号,手机号,bad", purpose: input.ForResults},
		{name: "bound for a copy", header: "姓名,身份证号,手机号,bad", purpose: input.ForCopy},
		{name: "missing column", header: "姓名,身份证号,bad,x", purpose: input.ForResults,
			wantErr: []string{`provider "juhe" needs column mobile`, "columns in the file: 姓名, 身份证号, bad, x"}},
		{name: "missing column for a copy", header: "姓名,身份证号,bad,x", purpose: input.ForCopy,
			wantErr: []string{`provider "juhe" needs column mobile`}},
		{name: "back-test label present", header: "姓名,身份证号,手机号,bad", label: "bad", purpose: input.ForResults},
		{name: "back-test label missing", header: "姓名,身份证号,手机号,x", label: "bad", purpose: input.ForResults,
			wantErr: []string{"in.csv", "bad"}},
		{name: "back-test label missing, a copy needs none", header: "姓名,身份证号,手机号,x", label: "bad", purpose: input.ForCopy},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			job, in := openBoundJob(t, tc.header, tc.label)
			src, bound, err := input.OpenBound(job, in, tc.purpose)
			if len(tc.wantErr) > 0 {
				var ie *input.Error
				if !errors.As(err, &ie) {
					t.Fatalf("OpenBound: %v (%T), want an *input.Error", err, err)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error does not say %q: %v", w, err)
					}
				}
				if src != nil || bound != nil {
					t.Errorf("OpenBound returned a reader or bindings with its error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if len(bound) != 1 || bound[0].Cfg.Name != "juhe" {
				t.Fatalf("bound %+v, want juhe", bound)
			}
			if got := bound[0].Binding.Column("mobile"); got != "手机号" {
				t.Errorf("mobile bound to %q, want 手机号", got)
			}
			row, err := src.Next()
			if err != nil || row.Num != 1 || row.Values[0] != "张三" {
				t.Errorf("first row %+v, %v", row, err)
			}
		})
	}
}
