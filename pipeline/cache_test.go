package pipeline_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/cache"
	"github.com/riskbatch/riskbatch/pipeline/dryrun"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/pipeline/summary"
)

// nightClock is the run's clock for the nights of a re-screen.
type nightClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *nightClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *nightClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var night1 = time.Date(2026, 3, 2, 1, 0, 0, 0, time.FixedZone("CST", 8*3600))

// cacheJob loads testdata/cache_job.yaml next to the inputs.
func cacheJob(f *fixture, over map[string]string) *jobfile.Job {
	f.t.Helper()
	return f.jobFrom(filepath.Join("testdata", "cache_job.yaml"), "cache_job.yaml", over)
}

// book is a loan book of hits and outsiders (no-hits).
func book(t *testing.T, n int) []applicant {
	var rows []applicant
	for i, p := range hitPeople(t, 0, n-n/4) {
		rows = append(rows, person(p, ref(i)))
	}
	for k := 0; len(rows) < n; k++ {
		rows = append(rows, outsider(k, ref(len(rows))))
	}
	return rows
}

// runNight writes the book as night's input and runs it into out-<night>.
func runNight(f *fixture, clock *nightClock, night string, rows []applicant, over map[string]string) (*summary.Summary, string) {
	f.t.Helper()
	in := "in-" + night + ".csv"
	writeCSV(f.t, filepath.Join(f.dir, in), utf8Plain, rows, nil)
	o := map[string]string{"INPUT": in, "OUTDIR": "out-" + night}
	for k, v := range over {
		o[k] = v
	}
	job := cacheJob(f, o)
	sum, err, log := f.runJob(job, pipeline.Options{Clock: clock})
	if err != nil {
		f.t.Fatalf("night %s: %v\n%s", night, err, log)
	}
	return sum, filepath.Join(f.dir, "out-"+night)
}

// The done-when at small scale: a second night on the same book
// with some rows changed calls the vendor for exactly the changed rows; the
// unchanged rows' results are the first night's, marked cache with their
// age; an answer older than max_age is bought again.
func TestCacheSecondNightCallsOnlyChangedRows(t *testing.T) {
	f := newFixture(t, nil)
	clock := &nightClock{t: night1}
	rows := book(t, 40)

	sum1, out1 := runNight(f, clock, "1", rows, nil)
	calls1, billed1 := totalCalls(f.counters())
	if calls1 != 40 || sum1.Providers[0].Calls != 40 {
		t.Fatalf("night 1: sandbox saw %d calls, summary %d; want 40 (40 distinct lookups)", calls1, sum1.Providers[0].Calls)
	}
	if c := sum1.Providers[0].Cache; c == nil || c.Stored != 40 || c.Served != 0 {
		t.Fatalf("night 1 cache figures %+v, want 40 stored", c)
	}
	res1 := readResults(t, out1)
	for i := range rows {
		if got := res1.get(i, "juhe_source"); got != "vendor" {
			t.Fatalf("night 1 row %d source %q", i+1, got)
		}
		if got := res1.get(i, "juhe_age_days"); got != "0" {
			t.Fatalf("night 1 row %d age %q", i+1, got)
		}
	}

	// Night 2, a day later: rows 3 and 17 changed (another mobile for one,
	// another person for the other).
	changed := map[int]bool{3: true, 17: true}
	rows2 := append([]applicant(nil), rows...)
	rows2[3].Mobile = outsider(500, "").Mobile
	rows2[17] = person(hitPeople(t, 1500, 1)[0], rows2[17].Ref)
	clock.set(night1.Add(24 * time.Hour))
	sum2, out2 := runNight(f, clock, "2", rows2, nil)
	calls2, billed2 := totalCalls(f.counters())
	if calls2-calls1 != int64(len(changed)) {
		t.Fatalf("night 2 made %d calls, want exactly %d (the changed rows)", calls2-calls1, len(changed))
	}
	p := sum2.Providers[0]
	if p.Calls != 2 || p.Billed != billed2-billed1 || p.Cache.Served != 38 || p.Cache.CostSaved != 19 {
		t.Fatalf("night 2 summary: calls %d billed %d cache %+v", p.Calls, p.Billed, p.Cache)
	}
	res2 := readResults(t, out2)
	for i := range rows2 {
		src, age := res2.get(i, "juhe_source"), res2.get(i, "juhe_age_days")
		if changed[i] {
			if src != "vendor" || age != "0" {
				t.Errorf("changed row %d: source %q age %q, want vendor 0", i+1, src, age)
			}
			continue
		}
		if src != "cache" || age != "1" {
			t.Errorf("row %d: source %q age %q, want cache 1", i+1, src, age)
		}
		if a, b := strings.Join(res1.juheValues(i), "|"), strings.Join(res2.juheValues(i), "|"); a != b || res1.get(i, "juhe_status") != res2.get(i, "juhe_status") {
			t.Errorf("row %d differs from night 1:\n  %s\n  %s", i+1, a, b)
		}
	}
	// raw.jsonl records the source of every answer and the pass.
	var cacheLines, vendorLines int
	for _, l := range readRawLines(t, out2) {
		switch l.Source {
		case "cache":
			cacheLines++
			if l.Attempt != 0 || l.Billed || l.FetchedAt == "" || l.Pass != 1 {
				t.Errorf("cache line %+v", l)
			}
		case "vendor":
			vendorLines++
		default:
			t.Errorf("raw line without source: %+v", l)
		}
	}
	if cacheLines != 38 || vendorLines != 2 {
		t.Errorf("raw.jsonl: %d cache lines, %d vendor lines; want 38 and 2", cacheLines, vendorLines)
	}

	// resume of the completed night 2 rebuilds the same sheet from its
	// journal: no call, the sources and ages kept.
	job := cacheJob(f, map[string]string{"INPUT": "in-2.csv", "OUTDIR": "out-2"})
	if _, err, log := f.runJob(job, pipeline.Options{Clock: clock, Resume: true}); err != nil {
		t.Fatalf("resume: %v\n%s", err, log)
	}
	if c, _ := totalCalls(f.counters()); c != calls2 {
		t.Fatalf("resume made %d calls", c-calls2)
	}
	res2b := readResults(t, out2)
	for i := range rows2 {
		if strings.Join(res2b.rows[i], "|") != strings.Join(res2.rows[i], "|") {
			t.Fatalf("resume changed row %d:\n  %v\n  %v", i+1, res2.rows[i], res2b.rows[i])
		}
	}

	// Night 3, an hour short of eight days after night 1: night 1's
	// answers are older than max_age (7d) and bought again; night 2's two
	// answers are an hour short of 7 days old and served.
	clock.set(night1.Add(8*24*time.Hour - time.Hour))
	sum3, out3 := runNight(f, clock, "3", rows2, nil)
	calls3, _ := totalCalls(f.counters())
	if calls3-calls2 != 38 || sum3.Providers[0].Cache.Expired != 38 || sum3.Providers[0].Cache.Served != 2 {
		t.Fatalf("night 3 made %d calls (cache %+v); want 38: night 1's answers are older than 7d, night 2's are not", calls3-calls2, sum3.Providers[0].Cache)
	}
	res3 := readResults(t, out3)
	for i := range rows2 {
		want := "vendor"
		if changed[i] {
			want = "cache"
		}
		if got := res3.get(i, "juhe_source"); got != want {
			t.Errorf("night 3 row %d source %q, want %q", i+1, got, want)
		}
	}
	checkNoSecrets(t, out3)
}

// Failed, deferred and vendor-invalid answers are never cached: the next
// night asks again.
func TestCacheKeepsOnlyFinalAnswers(t *testing.T) {
	f := newFixture(t, nil)
	clock := &nightClock{t: night1}
	rows := book(t, 8)
	ctx := context.Background()
	// Row 1 fails after its retries (transient 237002 every time), row 2 is
	// rejected by the vendor (237001 invalid).
	if err := f.admin.Force(ctx, "juhe", "", rows[0].ID, "237002", 0); err != nil {
		t.Fatal(err)
	}
	if err := f.admin.Force(ctx, "juhe", "", rows[1].ID, "237001", 0); err != nil {
		t.Fatal(err)
	}
	job := cacheJob(f, map[string]string{"INPUT": "in-1.csv", "OUTDIR": "out-1"})
	writeCSV(t, filepath.Join(f.dir, "in-1.csv"), utf8Plain, rows, nil)
	sum, _, _ := f.runJob(job, pipeline.Options{Clock: clock})
	if sum == nil || sum.Providers[0].Status["failed"] != 1 || sum.Providers[0].Status["invalid"] != 1 || sum.Providers[0].Cache.Stored != 6 {
		t.Fatalf("night 1: %+v cache %+v", sum.Providers[0].Status, sum.Providers[0].Cache)
	}
	if err := f.admin.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	clock.set(night1.Add(24 * time.Hour))
	sum2, out2 := runNight(f, clock, "2", rows, nil)
	calls, _ := totalCalls(f.counters())
	if calls != 2 || sum2.Providers[0].Cache.Served != 6 {
		t.Fatalf("night 2 made %d calls (cache %+v), want 2: the failed and the invalid row", calls, sum2.Providers[0].Cache)
	}
	res := readResults(t, out2)
	if res.get(0, "juhe_source") != "vendor" || res.get(1, "juhe_source") != "vendor" || res.get(2, "juhe_source") != "cache" {
		t.Fatalf("sources %q %q %q", res.get(0, "juhe_source"), res.get(1, "juhe_source"), res.get(2, "juhe_source"))
	}

	// The store holds 6 + 2 entries (the two rows answered on night 2), no
	// identity in clear, mode 0600.
	path := filepath.Join(f.dir, "state", "cache.db")
	st, err := cache.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	stats, err := st.Stats(ctx)
	st.Close()
	if err != nil || stats.Entries != 8 {
		t.Fatalf("store: %+v %v", stats, err)
	}
	for _, name := range []string{"cache.db", "cache.db-wal", "cache.secret"} {
		p := filepath.Join(f.dir, "state", name)
		fi, err := os.Stat(p)
		if err != nil {
			continue // the WAL is checkpointed away on close
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", name, fi.Mode().Perm())
		}
		b, _ := os.ReadFile(p)
		for _, r := range rows {
			if strings.Contains(string(b), r.ID) || strings.Contains(string(b), r.Mobile) || strings.Contains(string(b), r.Name) {
				t.Fatalf("%s holds PII in clear", name)
			}
		}
	}
}

// refresh_share 1 buys every cached lookup again; the sheet says vendor.
func TestCacheRefreshShare(t *testing.T) {
	f := newFixture(t, nil)
	clock := &nightClock{t: night1}
	rows := book(t, 12)
	runNight(f, clock, "1", rows, nil)
	clock.set(night1.Add(24 * time.Hour))
	sum, _ := runNight(f, clock, "2", rows, map[string]string{"REFRESH": "1"})
	if c := sum.Providers[0].Cache; sum.Providers[0].Calls != 12 || c.Refreshed != 12 || c.Served != 0 || c.Stored != 12 {
		t.Fatalf("refresh_share 1: calls %d cache %+v", sum.Providers[0].Calls, c)
	}
	// share 0.5: the keys split in two groups by digest; one is bought
	// again today, the other tomorrow.
	clock.set(night1.Add(2 * 24 * time.Hour))
	a, _ := runNight(f, clock, "3", rows, map[string]string{"REFRESH": "0.5"})
	clock.set(night1.Add(3 * 24 * time.Hour))
	b, _ := runNight(f, clock, "4", rows, map[string]string{"REFRESH": "0.5"})
	if a.Providers[0].Cache.Refreshed+b.Providers[0].Cache.Refreshed != 12 || a.Providers[0].Calls != a.Providers[0].Cache.Refreshed {
		t.Fatalf("share 0.5 over two days refreshed %d + %d, want 12 in all", a.Providers[0].Cache.Refreshed, b.Providers[0].Cache.Refreshed)
	}
}

// Without a cache the result sheet has no source columns and raw.jsonl no
// source field (outputs of jobs without a cache are unchanged).
func TestNoCacheNoColumns(t *testing.T) {
	f := newFixture(t, nil)
	rows := book(t, 4)
	writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)
	job := f.job(nil)
	f.mustRun(job, pipeline.Options{})
	res := readResults(t, f.outDir())
	for _, h := range res.header {
		if strings.HasSuffix(h, "_source") || strings.HasSuffix(h, "_age_days") {
			t.Fatalf("column %s without a cache", h)
		}
	}
	b, _ := os.ReadFile(filepath.Join(f.outDir(), "raw.jsonl"))
	if strings.Contains(string(b), `"source"`) {
		t.Fatal("raw.jsonl has a source without a cache")
	}
	if _, err := os.Stat(filepath.Join(f.dir, "state")); err == nil {
		t.Fatal("a job without a cache made a state dir")
	}
}

func TestCacheJobValidation(t *testing.T) {
	f := newFixture(t, nil)
	for _, tc := range []struct {
		over map[string]string
		want string
	}{
		{map[string]string{"MAX_AGE": "40d"}, "longer than cache.retention"},
		{map[string]string{"MAX_AGE": "7x"}, "7x"},
		{map[string]string{"REFRESH": "2"}, "refresh_share"},
		{map[string]string{"RETENTION": "1d12h", "MAX_AGE": "36h"}, ""},
	} {
		src, _ := os.ReadFile(filepath.Join("testdata", "cache_job.yaml"))
		path := filepath.Join(f.dir, "v.yaml")
		os.WriteFile(path, src, 0o644)
		_, err := pipeline.LoadJob(path, f.env(tc.over))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v", tc.over, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: error %v, want %q", tc.over, err, tc.want)
		}
	}
}

type rawSourceLine struct {
	Row       int    `json:"row"`
	Attempt   int    `json:"attempt"`
	Billed    bool   `json:"billed"`
	Pass      int    `json:"pass"`
	Source    string `json:"source"`
	FetchedAt string `json:"fetched_at"`
}

func readRawLines(t *testing.T, dir string) []rawSourceLine {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "raw.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []rawSourceLine
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r rawSourceLine
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// validate counts the lookups the cache would serve and the cost saved,
// reading the store and calling nobody.
func TestValidateCountsCacheServed(t *testing.T) {
	f := newFixture(t, nil)
	clock := &nightClock{t: time.Now()} // validate reads the store at the real time
	rows := book(t, 20)
	runNight(f, clock, "1", rows, nil)
	calls, _ := totalCalls(f.counters())
	rows2 := append([]applicant(nil), rows...)
	rows2[5].Mobile = outsider(700, "").Mobile
	writeCSV(t, filepath.Join(f.dir, "in-2.csv"), utf8Plain, rows2, nil)
	job := cacheJob(f, map[string]string{"INPUT": "in-2.csv", "OUTDIR": "out-2"})
	rep, err := dryrun.Validate(job, dryrun.ValidateOptions{Spent: pipeline.SpentSoFar})
	if err != nil {
		t.Fatal(err)
	}
	p := rep.Providers[0]
	if p.Cache == nil || p.Cache.Served != 19 || p.Cache.CostSaved != 9.5 || p.Calls != 1 || p.Cost != 0.5 {
		t.Fatalf("validate: calls %d cost %v cache %+v; want 1 call, 19 served, 9.50 saved", p.Calls, p.Cost, p.Cache)
	}
	var sb strings.Builder
	rep.WriteTable(&sb)
	if !strings.Contains(sb.String(), "would serve 19 lookup(s), saving 9.50 CNY") {
		t.Fatalf("validate table:\n%s", sb.String())
	}
	if c, _ := totalCalls(f.counters()); c != calls {
		t.Fatal("validate called the vendor")
	}
}

// cache.secret from the environment keys the store instead of the
// installation's file, and is redacted like a credential: it is in no
// output, log or state file.
func TestCacheSecretFromJobIsRedacted(t *testing.T) {
	f := newFixture(t, nil)
	const secret = "cache-SECRET-5e1d77aa90"
	src, _ := os.ReadFile(filepath.Join("testdata", "cache_job.yaml"))
	withSecret := strings.Replace(string(src), "cache:\n  retention:", "cache:\n  secret: ${CACHE_SECRET}\n  retention:", 1)
	path := filepath.Join(f.dir, "secret_job.yaml")
	os.WriteFile(path, []byte(withSecret), 0o644)
	writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, book(t, 6), nil)
	job, err := pipeline.LoadJob(path, f.env(map[string]string{"CACHE_SECRET": secret}))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(job.Secrets(), secret) {
		t.Fatal("cache.secret is not among the job's secrets")
	}
	_, err, log := f.runJob(job, pipeline.Options{Clock: &nightClock{t: night1}})
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if strings.Contains(log, secret) {
		t.Fatal("the log shows cache.secret")
	}
	if _, err := os.Stat(filepath.Join(f.dir, "state", "cache.secret")); err == nil {
		t.Fatal("a secret file was made although the job gives cache.secret")
	}
	filepath.WalkDir(f.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".yaml") {
			return nil
		}
		if b, _ := os.ReadFile(p); strings.Contains(string(b), secret) {
			t.Errorf("%s holds cache.secret", p)
		}
		return nil
	})
	// Too short a secret is refused when the job loads.
	if _, err := pipeline.LoadJob(path, f.env(map[string]string{"CACHE_SECRET": "short"})); err == nil || !strings.Contains(err.Error(), "at least 16") {
		t.Fatalf("a short cache.secret: %v", err)
	}
}

// Every duration key takes days: timeout: 1d, retry max_elapsed: 1d12h.
func TestDurationKeysTakeDays(t *testing.T) {
	f := newFixture(t, nil)
	src, _ := os.ReadFile(filepath.Join("testdata", "cache_job.yaml"))
	s := strings.Replace(string(src), "    timeout: 10s\n", "    timeout: 1d\n", 1)
	s = strings.Replace(s, "      max: 4ms\n", "      max: 4ms\n      max_elapsed: 1d12h\n", 1)
	path := filepath.Join(f.dir, "days.yaml")
	os.WriteFile(path, []byte(s), 0o644)
	job, err := pipeline.LoadJob(path, f.env(nil))
	if err != nil {
		t.Fatal(err)
	}
	p := job.Providers[0]
	if p.Timeout != 24*time.Hour || p.Retry.MaxElapsed != 36*time.Hour || p.Cache.MaxAge.D() != 7*24*time.Hour || job.CacheRetention() != 30*24*time.Hour {
		t.Fatalf("timeout %v, max_elapsed %v, max_age %v, retention %v", p.Timeout, p.Retry.MaxElapsed, p.Cache.MaxAge.D(), job.CacheRetention())
	}
	bad := strings.Replace(string(src), "    timeout: 10s\n", "    timeout: 1x\n", 1)
	os.WriteFile(path, []byte(bad), 0o644)
	if _, err := pipeline.LoadJob(path, f.env(nil)); err == nil {
		t.Fatal("timeout: 1x was accepted")
	}
}
