package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// completions runs cobra's hidden __complete command (what the shell
// scripts of `riskbatch completion bash|zsh|fish` call) and returns the
// offered values and the directive line.
func completions(t *testing.T, dir string, args ...string) ([]string, string) {
	t.Helper()
	r := runCLI(t, dir, append([]string{"__complete"}, args...)...)
	if r.code != 0 {
		t.Fatalf("__complete %q: %s", args, r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var vals []string
	for _, l := range lines[:len(lines)-1] {
		v, _, _ := strings.Cut(l, "\t")
		vals = append(vals, v)
	}
	return vals, lines[len(lines)-1]
}

// TestCompletion: flag values complete from what riskbatch accepts: log
// formats, digests, the job's provider names and key ids, vendor types,
// and JOB arguments as YAML files.
func TestCompletion(t *testing.T) {
	dir := t.TempDir()
	job := `input: {file: in.csv}
output: {dir: out}
providers:
  - name: juhe_main
    type: juhe
    endpoint: http://apis.juhe.cn/anti_fraud/queryV2
    keys: [{id: jk1, credentials: {key: "${JUHE_KEY}"}}, {id: jk2, credentials: {key: "${JUHE_KEY}"}}]
  - name: td
    type: td
    endpoint: https://api.tongdun.cn/fraud/promo/v2
    keys: [{id: td1, credentials: {partner_code: p, partner_key: "${TD_KEY}"}}]
`
	if err := os.WriteFile(filepath.Join(dir, "job.yaml"), []byte(job), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"run", "--log-format", ""}, []string{"text", "json"}},
		{[]string{"hash", "job.yaml", "--digest", ""}, []string{"md5", "sha256", "sm3"}},
		{[]string{"hash", "job.yaml", "--name-digest", ""}, []string{"md5", "sha256", "sm3"}},
		{[]string{"hash", "job.yaml", "--id-mobile-form", ""}, []string{"local", "country_code"}},
		{[]string{"quota", "job.yaml", "--provider", ""}, []string{"juhe_main", "td"}},
		{[]string{"quota", "job.yaml", "--key", ""}, []string{"jk1", "jk2", "td1"}},
		{[]string{"cache", "purge", "--provider", ""}, []string{"accuauth", "juhe", "td", "zhicheng"}},
		{[]string{"providers", ""}, []string{"accuauth", "juhe", "td", "zhicheng"}},
	} {
		got, directive := completions(t, dir, c.args...)
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("riskbatch %s<TAB> offers %q, want %q", strings.Join(c.args, " "), got, want)
		}
		t.Logf("riskbatch %s<TAB>: %s (%s)", strings.Join(c.args, " "), strings.Join(got, " "), directive)
	}
	// A JOB argument completes to YAML files (directive 8: filter by extension).
	got, directive := completions(t, dir, "validate", "")
	if !slices.Equal(got, []string{"yaml", "yml"}) || directive != ":8" {
		t.Errorf("validate <TAB>: %q %s, want the yaml and yml extensions with directive :8", got, directive)
	}
}
