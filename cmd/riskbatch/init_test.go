package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/pipeline"
)

// TestInit: `riskbatch init` writes a commented job for the chosen types
// and the input's headers that loads as it is (offline: no credentials
// set) and that validate runs; a required input in no column is a TODO.
func TestInit(t *testing.T) {
	dir := t.TempDir()
	writeCSVFile(t, filepath.Join(dir, "in.csv"), cliHeader, cliRows(20))
	r := runCLI(t, dir, "init", "--input", "in.csv", "--providers", "juhe,zhicheng,td,accuauth", "--out", "jobs/job.yaml")
	if r.code != 0 {
		t.Fatalf("init: %s", r)
	}
	if !strings.Contains(r.stdout, "TODO td: required input event_time") {
		t.Errorf("init does not say that td's event_time is in no column:\n%s", r.stdout)
	}
	text, err := os.ReadFile(filepath.Join(dir, "jobs", "job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"file: ../in.csv",
		"#   idcard           required ← 身份证号",
		"key: ${JUHE_KEY}   # the appkey",
		"# openid: ${JUHE_OPENID}   # optional:",
		"channel: example   # TODO:",
		"#   event_time       required NOT FOUND",
		"#   event_time: <your header>",
		"# mobile_form: …",
		"# currency: IDR",
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("job lacks %q", want)
		}
	}
	job, err := pipeline.LoadJobOffline(filepath.Join(dir, "jobs", "job.yaml"), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("the generated job does not load: %v\n%s", err, text)
	}
	var types []string
	for _, p := range job.Providers {
		types = append(types, p.Type+"@"+p.Endpoint)
	}
	if got := strings.Join(types, " "); got != "juhe@http://apis.juhe.cn/anti_fraud/queryV2 zhicheng@https://starapi.zhichengcredit.com/submit td@https://api.tongdun.cn/fraud/promo/v2 accuauth@https://cloudapi.indonesia.accuauth.com/check/risk_report" {
		t.Errorf("providers %s", got)
	}
	if got := job.Resolve(job.Input.File); got != filepath.Join(dir, "in.csv") {
		t.Errorf("input.file resolves to %s", got)
	}

	// A job for Juhe alone validates as written (no network, no keys).
	if r := runCLI(t, dir, "init", "--input", "in.csv", "--providers", "juhe"); r.code != 0 {
		t.Fatalf("init juhe: %s", r)
	}
	if r := runCLI(t, dir, "validate", "job.yaml"); r.code != 0 || !strings.Contains(r.stdout, "estimate") {
		t.Errorf("validate of the generated job: %s", r)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"init", "--input", "in.csv", "--providers", "juhe"}, "job.yaml exists; --force overwrites it"},
		{[]string{"init", "--input", "in.csv", "--providers", "jue", "--out", "x.yaml"}, `unknown provider type "jue" (known: `},
		{[]string{"init", "--providers", "juhe"}, "--input FILE and --providers"},
	} {
		if r := runCLI(t, dir, c.args...); r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("riskbatch %s: %s, want exit %d and %q", strings.Join(c.args, " "), r, exitUsage, c.want)
		}
	}
	if r := runCLI(t, dir, "init", "--input", "in.csv", "--providers", "juhe", "--force"); r.code != 0 {
		t.Errorf("init --force: %s", r)
	}
}
