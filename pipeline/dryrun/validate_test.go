package dryrun_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/riskbatch/riskbatch/pipeline/dryrun"
	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	_ "github.com/riskbatch/riskbatch/providers/all"
	"github.com/riskbatch/riskbatch/providers/sandbox"
	// The simulators the tests' sandbox serves.
	_ "github.com/riskbatch/riskbatch/providers/sandbox/allsims"
)

// vhSandbox is a sandbox on a loopback httptest server that also counts
// every HTTP request it receives, admin API aside, so "no network call"
// is checked on the wire and not only through the simulator's counters.
type vhSandbox struct {
	url   string
	admin sandbox.Admin
	hits  atomic.Int64
}

func newVHSandbox(t *testing.T, cfg sandbox.Config) *vhSandbox {
	t.Helper()
	srv := sandbox.New(cfg)
	s := &vhSandbox{}
	h := srv.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/_sandbox/") {
			s.hits.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	s.url = ts.URL
	s.admin = sandbox.Admin{BaseURL: ts.URL, Client: ts.Client()}
	return s
}

// vhKey is a key of a test job.
type vhKey struct {
	id     string
	secret string
	qps    float64
	quota  int
}

// vhProvider is a provider of a test job.
type vhProvider struct {
	name, product string
	options       string // YAML lines under options:, indented by 6
	price         float64
	currency      string
	keys          []vhKey
}

// vhWriteJob writes a job file in dir reading input and writing to out.
func vhWriteJob(t *testing.T, dir, input, out, sandboxURL string, provs []vhProvider) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "input:\n  file: %q\noutput:\n  dir: %q\n  formats: [csv]\nconcurrency: 4\nproviders:\n", input, out)
	for _, p := range provs {
		fmt.Fprintf(&b, "  - name: %s\n    type: juhe\n    endpoint: %s/anti_fraud/%s\n    timeout: 10s\n", p.name, sandboxURL, p.product)
		if p.price != 0 {
			fmt.Fprintf(&b, "    price_per_call: %g\n", p.price)
		}
		if p.currency != "" {
			fmt.Fprintf(&b, "    currency: %s\n", p.currency)
		}
		if p.options != "" {
			fmt.Fprintf(&b, "    options:\n%s", p.options)
		}
		b.WriteString("    retry:\n      max_attempts: 3\n      initial: 1ms\n      max: 4ms\n    keys:\n")
		for _, k := range p.keys {
			fmt.Fprintf(&b, "      - id: %s\n        credentials:\n          key: %q\n", k.id, k.secret)
			if k.qps != 0 {
				fmt.Fprintf(&b, "        qps: %g\n", k.qps)
			}
			if k.quota != 0 {
				fmt.Fprintf(&b, "        daily_quota: %d\n", k.quota)
			}
		}
	}
	path := filepath.Join(dir, "job.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func vhLoadJob(t *testing.T, path string) *jobfile.Job {
	t.Helper()
	// No environment: the job files here name everything literally; no
	// job state either (no compare:).
	job, err := jobfile.Load(path, func(string) (string, bool) { return "", false }, jobfile.LoadOptions{})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return job
}

// vhReadCSV reads a CSV written by riskbatch (UTF-8, optional BOM).
func vhReadCSV(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.TrimPrefix(string(data), "\ufeff"))
	recs, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

const (
	vhSecret1 = "vk1-SECRET-5d2c8a"
	vhSecret2 = "vk2-SECRET-e07b31"
	vhSecret3 = "vk3-SECRET-9a41f6"
)

// The damaged fixture is checked by two Juhe providers: "juhe" sends the
// name (so a name with a digit is invalid for it) and "juhe_v2" does not
// (realname: false), so the same row is valid for one provider and not
// for the other, and the name no longer tells rows 1 and 12 apart.
var vhDamagedProviders = []vhProvider{
	{name: "juhe", product: "query", price: 0.5, currency: "CNY", keys: []vhKey{
		{id: "k1", secret: vhSecret1, qps: 10, quota: 100},
		{id: "k2", secret: vhSecret2, qps: 10, quota: 100},
	}},
	{name: "juhe_v2", product: "queryV2", options: "      realname: false\n", price: 0.2, currency: "CNY", keys: []vhKey{
		{id: "k3", secret: vhSecret3, qps: 5},
	}},
}

func TestValidateDamagedFile(t *testing.T) {
	sb := newVHSandbox(t, sandbox.Config{Seed: 3, Population: 500, Keys: map[string][]sandbox.KeySpec{"juhe": {
		{ID: "k1", Credentials: map[string]string{"key": vhSecret1}},
		{ID: "k2", Credentials: map[string]string{"key": vhSecret2}},
		{ID: "k3", Credentials: map[string]string{"key": vhSecret3}},
	}}})
	dir := t.TempDir()
	input, err := filepath.Abs(filepath.Join("testdata", "validate", "damaged.csv"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	job := vhLoadJob(t, vhWriteJob(t, dir, input, out, sb.url, vhDamagedProviders))

	rep, err := dryrun.Validate(job, dryrun.ValidateOptions{Version: "test"})
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}

	// Not one request reached the sandbox, by its own counters and on the wire.
	c, err := sb.admin.Counters(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.Keys) + len(c.Identities); n != 0 || sb.hits.Load() != 0 {
		t.Errorf("validate reached the vendor: counters %+v, %d HTTP requests", c, sb.hits.Load())
	}

	// Row 8's name (郑9) is optional for Juhe: left out with a warning, the
	// row is valid for both providers.
	if rep.RowsRead != 14 || rep.RowsUnreadable != 1 || rep.RowsValid != 7 || rep.RowsInvalid != 7 {
		t.Errorf("rows read %d unreadable %d valid %d invalid %d, want 14 1 7 7", rep.RowsRead, rep.RowsUnreadable, rep.RowsValid, rep.RowsInvalid)
	}

	// Each bad row with its reason, per provider: row → code.
	wantInvalid := map[string]map[int]string{
		"juhe": {2: "id_sci_notation", 3: "id_excel_truncated", 4: "id_checksum", 5: "id_birthdate",
			7: "replacement_char", 9: "mobile_length", 14: "id_missing"},
		"juhe_v2": {2: "id_sci_notation", 3: "id_excel_truncated", 4: "id_checksum", 5: "id_birthdate",
			7: "replacement_char", 9: "mobile_length", 14: "id_missing"},
	}
	wantCols := map[string]string{"id_sci_notation": "身份证号", "id_excel_truncated": "身份证号", "id_checksum": "身份证号",
		"id_birthdate": "身份证号", "replacement_char": "姓名", "name_digits": "姓名", "mobile_length": "手机号", "id_missing": "身份证号"}
	type figures struct {
		valid, invalid, dups, calls int
		dupRows                     map[int]int
		keys                        map[string]int
		split                       string
		cost, qps                   float64
		seconds                     float64
		quota, days                 int
	}
	want := map[string]figures{
		// Calls: rows 1, 6 (the 15-digit ID), 8 (sent without its bad name),
		// 10, 11, 12 (full-width digits, another name); row 13 is row 1 with
		// a dashed mobile.
		"juhe": {valid: 7, invalid: 7, dups: 1, calls: 6, dupRows: map[int]int{13: 1}, keys: map[string]int{"k1": 3, "k2": 3},
			split: dryrun.SplitQuota, cost: 3, qps: 20, seconds: 0.3, quota: 200, days: 1},
		// Without the name, rows 12 and 13 are both row 1; row 8 is valid.
		"juhe_v2": {valid: 7, invalid: 7, dups: 2, calls: 5, dupRows: map[int]int{12: 1, 13: 1}, keys: map[string]int{"k3": 5},
			split: dryrun.SplitEven, cost: 1, qps: 5, seconds: 1, quota: 0, days: 1},
	}
	if len(rep.Providers) != 2 {
		t.Fatalf("%d providers in the report", len(rep.Providers))
	}
	for _, pv := range rep.Providers {
		w := want[pv.Name]
		got := map[int]string{}
		for _, rc := range pv.Reasons {
			n := 0
			for _, ex := range rc.Examples {
				got[ex.Row] = rc.Code
				n++
				if ex.Column != wantCols[rc.Code] {
					t.Errorf("%s %s row %d: column %q, want %q", pv.Name, rc.Code, ex.Row, ex.Column, wantCols[rc.Code])
				}
			}
			if n != rc.Count {
				t.Errorf("%s %s: %d examples for count %d (every reason has one row here)", pv.Name, rc.Code, n, rc.Count)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(wantInvalid[pv.Name]) {
			t.Errorf("%s invalid rows by reason:\n got %v\nwant %v", pv.Name, got, wantInvalid[pv.Name])
		}
		if pv.Valid != w.valid || pv.Invalid != w.invalid || pv.Duplicates != w.dups || pv.Calls != w.calls {
			t.Errorf("%s: valid %d invalid %d duplicates %d calls %d, want %d %d %d %d", pv.Name, pv.Valid, pv.Invalid, pv.Duplicates, pv.Calls, w.valid, w.invalid, w.dups, w.calls)
		}
		dups := map[int]int{}
		for _, d := range pv.DuplicateExamples {
			dups[d.Row] = d.SameAs
		}
		if fmt.Sprint(dups) != fmt.Sprint(w.dupRows) {
			t.Errorf("%s duplicates %v, want %v", pv.Name, dups, w.dupRows)
		}
		keys := map[string]int{}
		for _, k := range pv.Keys {
			keys[k.ID] = k.Calls
		}
		if fmt.Sprint(keys) != fmt.Sprint(w.keys) || pv.KeySplit != w.split {
			t.Errorf("%s keys %v split %s, want %v %s", pv.Name, keys, pv.KeySplit, w.keys, w.split)
		}
		if pv.Cost != w.cost || pv.Currency != "CNY" || pv.QPS != w.qps || pv.Seconds == nil || *pv.Seconds != w.seconds || pv.DailyQuota != w.quota || pv.Days != w.days {
			t.Errorf("%s estimate: cost %v %s qps %v seconds %v quota %d days %d; want %v CNY %v %v %d %d",
				pv.Name, pv.Cost, pv.Currency, pv.QPS, fmtPtr(pv.Seconds), pv.DailyQuota, pv.Days, w.cost, w.qps, w.seconds, w.quota, w.days)
		}
		// The 15-digit legacy ID is valid, converted and noted.
		if len(pv.Notes) != 1 || pv.Notes[0].Count != 1 || pv.Notes[0].Examples[0].Row != 6 || !strings.Contains(pv.Notes[0].Code, "15-digit") {
			t.Errorf("%s notes: %+v, want row 6's 15-digit conversion", pv.Name, pv.Notes)
		}
	}
	// Row 8 is sent to Juhe without its name: one warning, counted.
	for _, pv := range rep.Providers {
		wantWarn := map[string]int{"juhe": 1, "juhe_v2": 0}[pv.Name]
		if pv.Warnings != wantWarn {
			t.Errorf("%s: %d warnings, want %d", pv.Name, pv.Warnings, wantWarn)
		}
		if wantWarn == 1 && (len(pv.WarningsReasons) != 1 || pv.WarningsReasons[0].Code != "name_digits" ||
			pv.WarningsReasons[0].Examples[0].Row != 8 || pv.WarningsReasons[0].Examples[0].Column != "姓名" || pv.WarningsReasons[0].Examples[0].Value != "郑*") {
			t.Errorf("%s warnings by reason %+v, want row 8 姓名 name_digits 郑*", pv.Name, pv.WarningsReasons)
		}
	}
	if rep.Calls != 11 || len(rep.Cost) != 1 || rep.Cost[0] != (dryrun.CostAmount{Currency: "CNY", Amount: 4}) ||
		rep.Seconds == nil || *rep.Seconds != 1 || rep.SlowestProvider != "juhe_v2" || rep.Days != 1 {
		t.Errorf("run estimate: calls %d cost %+v seconds %v (slowest %q) days %d; want 11, 4 CNY, 1s by juhe_v2, 1 day",
			rep.Calls, rep.Cost, fmtPtr(rep.Seconds), rep.SlowestProvider, rep.Days)
	}

	// validate.json is the report.
	var onDisk dryrun.ValidateReport
	data, err := os.ReadFile(filepath.Join(out, "validate.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &onDisk); err != nil {
		t.Fatal(err)
	}
	if onDisk.RowsRead != 14 || onDisk.Calls != 11 || len(onDisk.Providers) != 2 || onDisk.Providers[0].Calls != 6 || onDisk.Providers[0].Warnings != 1 {
		t.Errorf("validate.json: rows %d calls %d providers %d", onDisk.RowsRead, onDisk.Calls, len(onDisk.Providers))
	}

	// validate-errors.csv: the columns of errors.csv; one row-level line for
	// the unreadable row, one line per (row, provider) otherwise, notes too.
	recs := vhReadCSV(t, filepath.Join(out, "validate-errors.csv"))
	if got := strings.Join(recs[0], ","); got != "row,line,provider,status,code,column,message" {
		t.Fatalf("validate-errors.csv header %q", got)
	}
	lines := map[string]bool{}
	for _, r := range recs[1:] {
		lines[strings.Join(r[:6], "|")] = true
	}
	wantLines := []string{
		"7|8||invalid|replacement_char|姓名",
		"6|7|juhe|note|note|", "6|7|juhe_v2|note|note|",
		"8|9|juhe|warning|name_digits|姓名",
	}
	for prov, rows := range wantInvalid {
		for row, code := range rows {
			if row == 7 {
				continue
			}
			wantLines = append(wantLines, fmt.Sprintf("%d|%d|%s|invalid|%s|%s", row, row+1, prov, code, wantCols[code]))
		}
	}
	for _, l := range wantLines {
		if !lines[l] {
			t.Errorf("validate-errors.csv has no line %s", l)
		}
	}
	if n := len(recs) - 1; n != len(wantLines) {
		t.Errorf("validate-errors.csv has %d lines, want %d:\n%v", n, len(wantLines), recs[1:])
	}

	// PII is masked and secrets absent in every file validate wrote.
	for _, f := range []string{"validate.json", "validate-errors.csv"} {
		data, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range []string{"330328199001016781", "440306198502301237", "330328199001016000", "1381234567,", "郑9", vhSecret1, vhSecret2, vhSecret3} {
			if strings.Contains(string(data), raw) {
				t.Errorf("%s contains %q", f, raw)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(out, ".state")); !os.IsNotExist(err) {
		t.Errorf("validate created job state: %v", err)
	}

	var table strings.Builder
	rep.WriteTable(&table)
	for _, s := range []string{"rows read 14", "id_checksum", "row 4 身份证号", "4.00 CNY", "juhe_v2: 2 duplicate request(s)", "juhe: 1 warning(s)", "row 8 姓名 郑*"} {
		if !strings.Contains(table.String(), s) {
			t.Errorf("console table lacks %q:\n%s", s, table.String())
		}
	}
}

func fmtPtr(f *float64) string {
	if f == nil {
		return "nil"
	}
	return fmt.Sprint(*f)
}

// TestValidateEstimates checks the cost, time, days and key shares on a
// file of 450 distinct valid applicants under different key settings.
func TestValidateEstimates(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "in.csv")
	pop := sandbox.NewPopulation(11, 1000)
	var b strings.Builder
	b.WriteString("姓名,身份证号,手机号\n")
	for i := 0; i < 450; i++ {
		p := pop.Person(i)
		fmt.Fprintf(&b, "%s,%s,%s\n", p.Name, p.IDCard, p.Mobile)
	}
	if err := os.WriteFile(input, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		keys    []vhKey
		price   float64
		split   string
		shares  string
		cost    float64
		seconds float64 // -1: no estimate (a key without qps)
		days    int
	}{
		{"two keys qps 10 quota 100", []vhKey{{id: "a", qps: 10, quota: 100}, {id: "b", qps: 10, quota: 100}}, 0.5,
			dryrun.SplitQuota, "a 225 b 225", 225, 22.5, 3},
		{"quotas 100 and 300", []vhKey{{id: "a", qps: 5, quota: 100}, {id: "b", qps: 15, quota: 300}}, 0.1,
			dryrun.SplitQuota, "a 113 b 337", 45, 22.5, 2},
		{"one key without a quota", []vhKey{{id: "a", qps: 3, quota: 100}, {id: "b", qps: 6}}, 1,
			dryrun.SplitEven, "a 225 b 225", 450, 50, 1},
		{"one key without qps", []vhKey{{id: "a", qps: 10}, {id: "b"}, {id: "c"}}, 0,
			dryrun.SplitEven, "a 150 b 150 c 150", 0, -1, 1},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k := range tc.keys {
				tc.keys[k].secret = fmt.Sprintf("secret-%d-%d", i, k)
			}
			sub := filepath.Join(dir, fmt.Sprint(i))
			if err := os.MkdirAll(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			// Nothing listens on this endpoint: validate must not care.
			job := vhLoadJob(t, vhWriteJob(t, sub, input, filepath.Join(sub, "out"), "http://127.0.0.1:9",
				[]vhProvider{{name: "juhe", product: "queryV2", price: tc.price, currency: "CNY", keys: tc.keys}}))
			rep, err := dryrun.Validate(job, dryrun.ValidateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			pv := rep.Providers[0]
			var shares []string
			for _, k := range pv.Keys {
				shares = append(shares, fmt.Sprintf("%s %d", k.ID, k.Calls))
			}
			secs := -1.0
			if pv.Seconds != nil {
				secs = *pv.Seconds
			}
			if pv.Calls != 450 || pv.KeySplit != tc.split || strings.Join(shares, " ") != tc.shares ||
				pv.Cost != tc.cost || secs != tc.seconds || pv.Days != tc.days || rep.Days != tc.days {
				t.Errorf("calls %d split %s shares %q cost %v seconds %v days %d; want 450 %s %q %v %v %d",
					pv.Calls, pv.KeySplit, strings.Join(shares, " "), pv.Cost, secs, pv.Days, tc.split, tc.shares, tc.cost, tc.seconds, tc.days)
			}
		})
	}
}

// TestValidateBadInput: a missing column or an unreadable input file is an
// input error (exit 2), found before anything is written.
func TestValidateBadInput(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
	}{
		{"no mobile column", "姓名,身份证号\n张三,330328199001016785\n"},
		{"header only", "姓名,身份证号,手机号\n"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sub := filepath.Join(dir, fmt.Sprint(i))
			if err := os.MkdirAll(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			in := filepath.Join(sub, "in.csv")
			if err := os.WriteFile(in, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			job := vhLoadJob(t, vhWriteJob(t, sub, in, filepath.Join(sub, "out"), "http://127.0.0.1:9",
				[]vhProvider{{name: "juhe", product: "query", keys: []vhKey{{id: "a", secret: "s-a"}}}}))
			_, err := dryrun.Validate(job, dryrun.ValidateOptions{})
			var ie *input.Error
			if !errors.As(err, &ie) {
				t.Fatalf("Validate: %v, want an *input.Error", err)
			}
			if _, err := os.Stat(filepath.Join(sub, "out", "validate.json")); !os.IsNotExist(err) {
				t.Errorf("validate.json written for a bad input (%v)", err)
			}
		})
	}
}
