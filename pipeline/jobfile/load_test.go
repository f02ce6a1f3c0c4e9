package jobfile_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	// The providers' types and credentials the checks look up.
	_ "github.com/riskbatch/riskbatch/providers/all"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// TestLoadJobErrors: every job file problem is a ConfigError (exit 2) whose
// message names what to fix, and never echoes a credential.
func TestLoadJobErrors(t *testing.T) {
	tests := []struct {
		file    string
		env     map[string]string
		want    []string // substrings of the error
		notWant []string // never in the error
	}{
		{file: "unknown_key.yaml", want: []string{"concurency"}, notWant: []string{"abc123"}},
		{
			file: "missing_vars.yaml",
			// One error listing every missing variable, sorted; the one
			// with an empty default is not missing.
			want:    []string{"environment variables not set: INPUT_FILE, JUHE_KEY, JUHE_URL"},
			notWant: []string{"JUHE_KEY_2"},
		},
		{
			file:    "type_error_near_secret.yaml",
			env:     map[string]string{"JUHE_KEY": "sk-live-9c1e55aa"},
			want:    []string{"line 10", "into int"},
			notWant: []string{"sk-live-9c1e55aa"},
		},
		{file: "type_error_literal_secret.yaml", want: []string{"line 10", "float64"}, notWant: []string{"literal-secret-4e1f9a77"}},
		{
			// Line numbers are the file's own, not those of the interpolated copy.
			file: "type_error_after_blank_lines.yaml",
			env:  map[string]string{"JUHE_KEY": "sk-live-9c1e55aa"},
			want: []string{"line 18: cannot unmarshal", "line 20: field unknown_after_blank_lines not found"},
		},
		{file: "unknown_type.yaml", want: []string{`unknown type "juhee"`, "juhe"}, notWant: []string{"abc123"}},
		{file: "missing_endpoint.yaml", want: []string{`provider "juhe": endpoint is required`}, notWant: []string{"abc123"}},
		{file: "missing_credential.yaml", want: []string{`key "k1": credentials.key is required`}, notWant: []string{"o-123"}},
		{
			file:    "duplicates.yaml",
			want:    []string{`provider "juhe": duplicate provider name`, `key "k1": duplicate key id`},
			notWant: []string{"abc123", "def456", "ghi789"},
		},
		{
			file: "many_problems.yaml",
			want: []string{
				"input.file is required", "output.dir is required", `"pdf" is not xlsx or csv`,
				"name must be lowercase", "endpoint is not an absolute URL (want https://host/path)", "at least one key is required",
			},
		},
	}
	for _, tc := range tests {
		t.Run(strings.TrimSuffix(tc.file, ".yaml"), func(t *testing.T) {
			job, err := jobfile.Load(filepath.Join("testdata", "jobs", tc.file), envOf(tc.env), jobfile.LoadOptions{})
			if err == nil {
				t.Fatalf("Load succeeded (%+v), want an error", job)
			}
			var ce *jobfile.ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("error is %T, want *jobfile.ConfigError (exit 2): %v", err, err)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error does not mention %q:\n%s", w, msg)
				}
			}
			for _, nw := range tc.notWant {
				if strings.Contains(msg, nw) {
					t.Errorf("error reveals %q:\n%s", nw, msg)
				}
			}
		})
	}
}

// TestLoadJobInterpolation: ${VAR} takes the environment, ${VAR:default}
// the default when the variable is unset or empty, in string, number,
// boolean and duration fields alike; relative paths resolve from the job
// file's directory; a credential that looks like a number stays verbatim.
func TestLoadJobInterpolation(t *testing.T) {
	path := filepath.Join("testdata", "jobs", "interpolation.yaml")
	tests := []struct {
		name string
		env  map[string]string
		want func(t *testing.T, j *jobfile.Job)
	}{
		{
			name: "defaults",
			env:  map[string]string{"JUHE_URL": "http://127.0.0.1:8089", "JUHE_KEY": "0012345", "CONCURRENCY": ""},
			want: func(t *testing.T, j *jobfile.Job) {
				eq(t, "input.file", j.Input.File, "applicants.csv")
				eq(t, "resolved input", j.Resolve(j.Input.File), filepath.Join("testdata", "jobs", "applicants.csv"))
				eq(t, "output.dir", j.Output.Dir, "out")
				eq(t, "concurrency", j.Concurrency, 6)
				eq(t, "sandbox", j.Sandbox, false)
				p := j.Providers[0]
				eq(t, "endpoint", p.Endpoint, "http://127.0.0.1:8089/anti_fraud/queryV2")
				eq(t, "timeout", p.Timeout, 7*time.Second)
				eq(t, "qps", p.Keys[0].QPS, 2.5)
				eq(t, "key", p.Keys[0].Credentials["key"], "0012345")
				eq(t, "openid", p.Keys[0].Credentials["openid"], "")
				eq(t, "secrets", strings.Join(j.Secrets(), ","), "0012345")
			},
		},
		{
			name: "environment wins",
			env: map[string]string{
				"JUHE_URL": "https://v.juhe.cn", "JUHE_KEY": "k#1: not a comment", "INPUT_FILE": "/data/in.xlsx", "OUT": "results",
				"CONCURRENCY": "16", "SANDBOX": "true", "JUHE_TIMEOUT": "90s", "JUHE_QPS": "10", "JUHE_OPENID": "JH-openid-1",
			},
			want: func(t *testing.T, j *jobfile.Job) {
				eq(t, "input.file", j.Resolve(j.Input.File), "/data/in.xlsx")
				eq(t, "output.dir", j.Output.Dir, "results")
				eq(t, "concurrency", j.Concurrency, 16)
				eq(t, "sandbox", j.Sandbox, true)
				p := j.Providers[0]
				eq(t, "endpoint", p.Endpoint, "https://v.juhe.cn/anti_fraud/queryV2")
				eq(t, "timeout", p.Timeout, 90*time.Second)
				eq(t, "qps", p.Keys[0].QPS, 10.0)
				eq(t, "key", p.Keys[0].Credentials["key"], "k#1: not a comment")
				eq(t, "openid", p.Keys[0].Credentials["openid"], "JH-openid-1")
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j, err := jobfile.Load(path, envOf(tc.env), jobfile.LoadOptions{})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tc.want(t, j)
		})
	}
}

// eq is the assertion pipeline's tests use too.
func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
