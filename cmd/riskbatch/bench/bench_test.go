package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/providers"
	_ "github.com/riskbatch/riskbatch/providers/all"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// validConfig is a Config every check accepts; each case breaks one thing.
func validConfig() Config {
	return Config{Scenarios: "1,2,3,4", Rows: 100, Sizes: "10,20", Conc: 4, LatConc: 8, QPS: 5, RateFor: time.Second,
		Exe: "/bin/riskbatch", Generate: func(sandbox.GenConfig, string, string) error { return nil }}
}

// Flag values bench refuses before starting anything, as a *ConfigError
// the command turns into exit 2.
func TestConfigRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"scenario 5", func(c *Config) { c.Scenarios = "5" }, "--scenario 5: scenarios are 1 to 4"},
		{"scenario not a number", func(c *Config) { c.Scenarios = "1,x" }, `--scenario "1,x": want positive whole numbers`},
		{"no scenario", func(c *Config) { c.Scenarios = " , " }, "--scenario is empty"},
		{"size 0", func(c *Config) { c.Sizes = "0" }, `--sizes "0": want positive whole numbers`},
		{"rows 0", func(c *Config) { c.Rows = 0 }, "must be positive"},
		{"qps 0", func(c *Config) { c.QPS = 0 }, "must be positive"},
		{"rate-for 0", func(c *Config) { c.RateFor = 0 }, "must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			tc.change(&c)
			_, err := c.check()
			var ce *ConfigError
			if !errors.As(err, &ce) || !strings.Contains(ce.Msg, tc.want) {
				t.Fatalf("got %v; want a *ConfigError containing %q", err, tc.want)
			}
		})
	}
}

// The population defaults to the largest row count of the scenarios run,
// at least 100,000, so generated rows are distinct people.
func TestConfigPopulation(t *testing.T) {
	for _, tc := range []struct {
		scenarios, sizes string
		rows, want       int
	}{
		{"1", "10", 5000, 100_000},
		{"1", "10", 250_000, 250_000},
		{"3", "100000,1_000_000", 10, 1_000_000},
		{"4", "2000000", 10, 100_000}, // scenario 3 not run: its sizes do not count
	} {
		c := validConfig()
		c.Scenarios, c.Sizes, c.Rows = tc.scenarios, tc.sizes, tc.rows
		p, err := c.check()
		if err != nil {
			t.Fatal(err)
		}
		if c.Population != tc.want {
			t.Errorf("scenarios %s, rows %d, sizes %s: population %d; want %d", tc.scenarios, tc.rows, tc.sizes, c.Population, tc.want)
		}
		if len(p.scenarios) != 1 {
			t.Errorf("scenarios %q parsed as %v", tc.scenarios, p.scenarios)
		}
	}
}

// The scenarios' vendors come from the registry: the sandbox serves each
// at the path of its documented endpoint, and scenarios 1 and 2 share one
// generated input, so their vendors share a market.
func TestScenarioVendors(t *testing.T) {
	vs, err := lookupVendors(append(pipelineVendors, singleVendor)...)
	if err != nil {
		t.Fatal(err)
	}
	mux, ok := sandbox.New(sandbox.Config{Population: 1}).Handler().(*http.ServeMux)
	if !ok {
		t.Fatal("the sandbox's handler is no ServeMux")
	}
	for _, v := range vs {
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1"+v.path, nil)
		if _, pattern := mux.Handler(r); !strings.HasSuffix(pattern, v.path) {
			t.Errorf("%s: the sandbox serves %s with pattern %q; want the vendor's own", v.kind, v.path, pattern)
		}
	}
	if _, err := lookupVendors("juhe", "accuauth"); err == nil || !strings.Contains(err.Error(), "cannot share one generated input") {
		t.Errorf("juhe and accuauth in one input: got %v; want refused (different markets)", err)
	}
	if _, err := lookupVendors("nosuch"); err == nil || !strings.Contains(err.Error(), "no provider nosuch") {
		t.Errorf("an unknown vendor: got %v", err)
	}
}

// The job files the bench writes load as jobs: every vendor at the
// sandbox's address and its endpoint's path, the registry's example
// options, the sandbox's keys with exactly the credentials the vendor
// registers, and the rate of scenario 4 on every key.
func TestJobLoads(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(input, []byte("姓名,身份证号,手机号\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := &bench{work: dir, keys: sandbox.New(sandbox.Config{Population: 1})}
	const sbURL = "http://127.0.0.1:12345"
	pipelineVs, err := lookupVendors(pipelineVendors...)
	if err != nil {
		t.Fatal(err)
	}
	single, err := lookupVendors(singleVendor)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []jobSpec{
		{name: "s1", input: input, format: "csv", conc: 32, vendors: pipelineVs, nkeys: 1},
		{name: "s3", input: input, format: "xlsx", conc: 16, vendors: single, nkeys: 1},
		{name: "s4", input: input, format: "csv", conc: 32, vendors: single, nkeys: 2, qps: 12.5},
	} {
		t.Run(s.name, func(t *testing.T) {
			j, err := b.job(s, sbURL)
			if err != nil {
				t.Fatal(err)
			}
			data, err := yaml.Marshal(j)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, s.name+".yaml")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			job, err := pipeline.LoadJob(path, func(string) (string, bool) { return "", false })
			if err != nil {
				t.Fatalf("%v\n%s", err, data)
			}
			if job.Input.File != input || job.Output.Dir != "out" || strings.Join(job.Output.Formats, ",") != s.format ||
				job.Concurrency != s.conc || job.StateDir != filepath.Join(dir, "quota-state") || job.Sandbox {
				t.Errorf("job: input %q, output %q %v, concurrency %d, state_dir %q, sandbox %v\n%s",
					job.Input.File, job.Output.Dir, job.Output.Formats, job.Concurrency, job.StateDir, job.Sandbox, data)
			}
			if len(job.Providers) != len(s.vendors) {
				t.Fatalf("%d providers; want %d", len(job.Providers), len(s.vendors))
			}
			for i, p := range job.Providers {
				v := s.vendors[i]
				spec, _ := providers.Lookup(v.kind)
				if p.Name != v.kind || p.Type != v.kind || p.Endpoint != sbURL+v.path || p.Timeout != providerTimeout {
					t.Errorf("provider %d: name %q type %q endpoint %q timeout %s", i, p.Name, p.Type, p.Endpoint, p.Timeout)
				}
				if len(p.Options) != len(spec.Example) {
					t.Errorf("%s: options %v; want the registry's example %v", v.kind, p.Options, spec.Example)
				}
				for k, want := range spec.Example {
					if p.Options[k] != want {
						t.Errorf("%s: option %s = %v; want %v", v.kind, k, p.Options[k], want)
					}
				}
				sbKeys := b.keys.Keys(v.kind)
				if len(p.Keys) != s.nkeys {
					t.Fatalf("%s: %d keys; want %d", v.kind, len(p.Keys), s.nkeys)
				}
				for n, k := range p.Keys {
					if k.ID != sbKeys[n].ID || k.QPS != s.qps || (s.qps > 0) != (k.Burst == 1) {
						t.Errorf("%s key %d: id %q qps %g burst %d; want id %q qps %g", v.kind, n, k.ID, k.QPS, k.Burst, sbKeys[n].ID, s.qps)
					}
					for _, c := range spec.Credentials {
						if want, ok := sbKeys[n].Credentials[c.Name]; ok && k.Credentials[c.Name] != want {
							t.Errorf("%s key %d: credential %s differs from the sandbox's", v.kind, n, c.Name)
						}
					}
					for name := range k.Credentials {
						if !registered(spec, name) {
							t.Errorf("%s key %d: credential %s is not one the vendor registers", v.kind, n, name)
						}
					}
				}
			}
		})
	}
}

func registered(spec providers.Spec, name string) bool {
	for _, c := range spec.Credentials {
		if c.Name == name {
			return true
		}
	}
	return false
}

// achievedRate counts the attempts between the first and the last, overall
// and per key (testdata/raw-rate.jsonl: 6 attempts over 0.4 s, k1's 3 over
// 0.2 s, k2's 3 over 0.35 s).
func TestAchievedRate(t *testing.T) {
	all, per, err := achievedRate(filepath.Join("testdata", "raw-rate.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]float64{"all": all, "k1": per["k1"], "k2": per["k2"]} {
		want := map[string]float64{"all": 5 / 0.4, "k1": 2 / 0.2, "k2": 2 / 0.35}[name]
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s: %.6f calls/s; want %.6f", name, got, want)
		}
	}
	if len(per) != 2 {
		t.Errorf("keys %v; want k1 and k2", per)
	}
}

// statCPU reads utime and stime (fields 14 and 15, in 1/100 s) past a
// command name holding a space and a parenthesis.
func TestStatCPU(t *testing.T) {
	line, err := os.ReadFile(filepath.Join("testdata", "proc-stat.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got := statCPU(line); got != 3800*time.Millisecond {
		t.Errorf("statCPU = %s; want 3.8s (250 + 130 ticks)", got)
	}
	if got := statCPU([]byte("garbage")); got != 0 {
		t.Errorf("statCPU(garbage) = %s; want 0", got)
	}
}

// A small run of every scenario but the latency one with the real binary:
// the table and the JSON file carry a line per measurement, the run and
// the baseline made the same calls, and scenario 4 kept to the limit (no
// throttled answer).
func TestBenchSmall(t *testing.T) {
	if os.Getenv("RISKBATCH_SLOW_TESTS") == "" {
		t.Skip("builds riskbatch, starts a sandbox and several runs: set RISKBATCH_SLOW_TESTS=1 (.ci/run does)")
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "riskbatch")
	build := exec.Command("go", "build", "-o", exe, "github.com/riskbatch/riskbatch/cmd/riskbatch")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	jsonPath := filepath.Join(dir, "bench.json")
	c := Config{Scenarios: "1,3,4", Rows: 300, Sizes: "150,300", Population: 3000, RateFor: 2 * time.Second, QPS: 10, SBBurst: 5,
		Conc: 32, LatConc: 256, Seed: 7, Duplicates: 0.02, Unknown: 0.05, Invalid: 0.01,
		CacheDir: filepath.Join(dir, "cache"), WorkDir: filepath.Join(dir, "work"), JSONOut: jsonPath, Exe: exe, Version: "test",
		// The binary's own gen command writes the inputs, as `riskbatch gen` would.
		Generate: func(cfg sandbox.GenConfig, format, path string) error {
			out, err := exec.Command(exe, "gen", "--rows", strconv.Itoa(cfg.Rows), "--out", path, "--format", format,
				"--seed", strconv.FormatInt(cfg.Seed, 10), "--population", strconv.Itoa(cfg.Population), "--market", cfg.Market,
				"--invalid", strconv.FormatFloat(cfg.Invalid, 'g', -1, 64), "--duplicates", strconv.FormatFloat(cfg.Duplicates, 'g', -1, 64),
				"--unknown", strconv.FormatFloat(cfg.Unknown, 'g', -1, 64)).CombinedOutput()
			if err != nil {
				return errors.New(string(out))
			}
			return nil
		},
	}
	var stdout, stderr bytes.Buffer
	if err := Run(context.Background(), c, &stdout, &stderr); err != nil {
		t.Fatalf("bench: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	var rep Report
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("%s: %v", jsonPath, err)
	}
	byName := map[string]*Result{}
	for _, res := range rep.Results {
		byName[res.Name] = res
		if !strings.Contains(stdout.String(), res.Name) {
			t.Errorf("the table does not show %s:\n%s", res.Name, stdout.String())
		}
		if res.WallS <= 0 || res.Calls <= 0 || res.CPUS <= 0 {
			t.Errorf("%s: wall %.3fs, %d calls, CPU %.3fs; want all positive", res.Name, res.WallS, res.Calls, res.CPUS)
		}
		if res.Kind == "run" && res.PeakRSSMB <= 0 {
			t.Errorf("%s: no peak RSS", res.Name)
		}
	}
	for _, name := range []string{"s1-baseline-before", "s1-3vendors-300", "s1-baseline-after", "s3-juhe-csv-150", "s3-juhe-csv-300", "s3-juhe-xlsx-150", "s3-juhe-xlsx-300", "s4-rate-2x10qps"} {
		if byName[name] == nil {
			t.Fatalf("no result %s in %s; have %v", name, jsonPath, rep.Results)
		}
	}
	run, base := byName["s1-3vendors-300"], byName["s1-baseline-before"]
	if run.Rows != 300 || base.Rows != 300 || run.Calls != base.Calls {
		t.Errorf("scenario 1: run %d rows %d calls, baseline %d rows %d calls; want 300 rows each and the same calls", run.Rows, run.Calls, base.Rows, base.Calls)
	}
	for _, k := range []string{"ratio_to_baseline", "cpu_ratio_to_baseline"} {
		if run.Extra[k] <= 0 {
			t.Errorf("scenario 1 has no %s: %v", k, run.Extra)
		}
	}
	if x := byName["s3-juhe-xlsx-300"]; x.Rows != 300 || x.Extra["rss_growth_bytes_per_row"] == 0 && x.Note == "" {
		t.Errorf("scenario 3 xlsx at 300 rows: %+v", x)
	}
	rate := byName["s4-rate-2x10qps"]
	if rate.Throttled != 0 || rate.Extra["configured_qps"] != 20 || rate.Extra["achieved_qps"] <= 0 {
		t.Errorf("scenario 4: %d throttled, configured %v, achieved %v; want 0 throttled at 20 QPS", rate.Throttled, rate.Extra["configured_qps"], rate.Extra["achieved_qps"])
	}
	if len(rep.Targets) == 0 || rep.Host["nproc"] == "" || rep.Host["binary"] != "test" || rep.Date == "" {
		t.Errorf("report lacks targets, host or date: %+v", rep)
	}
	if _, err := os.Stat(filepath.Join(c.WorkDir, "s4-rate-2x10qps", "job.yaml")); err != nil {
		t.Errorf("the work dir lacks the job: %v", err)
	}
}
