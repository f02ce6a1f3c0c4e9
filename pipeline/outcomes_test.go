package pipeline_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/pipeline/summary"
)

// forced is a code the sandbox answers: for a key ("" every key) or for the
// person of one input row (row ≥ 0), count times (0: for the whole run).
type forced struct {
	key   string
	row   int // -1: any row
	code  string
	count int
}

// rawWant is one expected raw.jsonl line of row 1; an empty field is not checked.
type rawWant struct {
	key     string
	attempt int
	outcome string
	code    string
	billed  bool
}

// TestJuheOutcomes forces every kind of Juhe answer through the pipeline and
// checks what the user sees: statuses, errors.csv, raw.jsonl (one line per
// attempt with key, attempt number and billed flag), the summary's exit
// code and stop message, billing against the sandbox's own counters, and
// that no output anywhere holds a credential.
func TestJuheOutcomes(t *testing.T) {
	hits := hitPeople(t, 200, 3)
	rows := []applicant{person(hits[0], "O1"), person(hits[1], "O2"), outsider(3, "O3"), person(hits[2], "O4")}
	ok := []string{"hit", "hit", "no_hit", "hit"}
	all := func(st string) []string { return []string{st, st, st, st} }
	firstThen := func(st string) []string { return append([]string{st}, ok[1:]...) }

	type tc struct {
		name     string
		method   string
		tune     func(j *jobfile.Job)
		force    []forced
		want     []string // status per row
		wantCode string   // errors.csv code of row 1 when it is not ok
		wantMsg  []string // in errors.csv message of row 1
		exit     summary.Outcome
		raw      []rawWant // row 1's attempts
		stopped  []string  // in the provider's stop message
		inDoubt  int64     // attempts sent whose answer never came
		offPath  bool      // calls never reach a simulator (its counters stay 0)
	}
	tests := []tc{
		{
			name: "237001 vendor rejects every row", force: []forced{{"", -1, "237001", 0}},
			want: all("invalid"), wantCode: "237001", wantMsg: []string{"vendor rejected the row", "参数错误"}, exit: summary.OutcomeComplete,
			raw: []rawWant{{"k1", 1, "invalid", "237001", false}},
		},
		{
			name: "10001 on k1 only: k2 serves every row", force: []forced{{"k1", -1, "10001", 0}},
			want: ok, exit: summary.OutcomeComplete,
			raw: []rawWant{{"k1", 1, "fatal", "10001", false}, {"k2", 2, "hit", "0", true}},
		},
		{
			name: "10012 on every key defers the rows", force: []forced{{"", -1, "10012", 0}},
			want: all("deferred"), wantCode: "quota", wantMsg: []string{"spent"}, exit: summary.OutcomeIncomplete,
			raw: []rawWant{{"k1", 1, "quota", "10012", false}, {"k2", 2, "quota", "10012", false}},
		},
		{
			name: "10013 on every key defers the rows", force: []forced{{"", -1, "10013", 0}},
			want: all("deferred"), wantCode: "quota", exit: summary.OutcomeIncomplete,
			raw: []rawWant{{"k1", 1, "quota", "10013", false}, {"k2", 2, "quota", "10013", false}},
		},
		{
			name: "10012 on k1 only: k2 serves every row", force: []forced{{"k1", -1, "10012", 0}},
			want: ok, exit: summary.OutcomeComplete,
			raw: []rawWant{{"k1", 1, "quota", "10012", false}, {"k2", 2, "hit", "0", true}},
		},
		{
			name: "unknown code twice: failed with its code", force: []forced{{"", 0, "99999", 2}},
			want: firstThen("failed"), wantCode: "99999", wantMsg: []string{"unknown vendor code", "raw.jsonl"}, exit: summary.OutcomeIncomplete,
			raw: []rawWant{{"", 1, "transient", "99999", false}, {"", 2, "transient", "99999", false}},
		},
		{
			name: "10014 on every attempt: failed after max_attempts", force: []forced{{"", 0, "10014", 0}},
			want: firstThen("failed"), wantCode: "10014", wantMsg: []string{"gave up after 3 attempts"}, exit: summary.OutcomeIncomplete,
			raw: []rawWant{{"", 1, "transient", "10014", false}, {"", 2, "transient", "10014", false}, {"", 3, "transient", "10014", false}},
		},
		{
			name: "HTTP 429 once: throttled, then answered", force: []forced{{"", 0, "http_429", 1}},
			want: ok, exit: summary.OutcomeComplete,
			raw: []rawWant{{"", 1, "throttled", "HTTP 429", false}, {"", 2, "hit", "0", true}},
		},
		{
			name: "GET: connection reset once, then answered (the key travels in the URL)", method: "GET",
			force: []forced{{"", 0, "reset", 1}},
			want:  ok, exit: summary.OutcomeComplete, inDoubt: 1, // sent, then the connection died: maybe billed
			raw: []rawWant{{"", 1, "transient", "network", false}, {"", 2, "hit", "0", true}},
		},
		{
			name: "GET: 10001 on every key", method: "GET", force: []forced{{"", -1, "10001", 0}},
			want: all("skipped"), wantCode: "provider_stopped", wantMsg: []string{"k1", "10001"}, exit: summary.OutcomeProviderStopped,
			raw:     []rawWant{{"k1", 1, "fatal", "10001", false}, {"k2", 2, "fatal", "10001", false}},
			stopped: []string{"k1", "k2", "10001"},
		},
		{
			name: "wrong endpoint path: HTTP 404 stops the provider",
			tune: func(j *jobfile.Job) {
				p := &j.Providers[0]
				p.Endpoint = strings.Replace(p.Endpoint, "/anti_fraud/queryV2", "/anti_fraud/v2/query", 1)
				p.Options["product"] = "queryV2"
			},
			want: all("skipped"), wantCode: "provider_stopped", exit: summary.OutcomeProviderStopped, offPath: true,
			raw:     []rawWant{{"k1", 1, "fatal", "HTTP 404", false}, {"k2", 2, "fatal", "HTTP 404", false}},
			stopped: []string{"HTTP 404"},
		},
	}
	tests = append(tests,
		tc{
			// 10020 asks for a long pause (maintenance): with a retry budget
			// shorter than the pause the row fails at once, never a tight loop.
			name:  "10020 maintenance beyond max_elapsed: failed without a retry",
			tune:  func(j *jobfile.Job) { j.Providers[0].Retry.MaxElapsed = time.Second },
			force: []forced{{"", 0, "10020", 0}},
			want:  firstThen("failed"), wantCode: "10020", exit: summary.OutcomeIncomplete,
			raw: []rawWant{{"", 1, "transient", "10020", false}},
		},
		tc{
			// The request left but no answer came: in doubt (maybe billed),
			// retried, counted as in doubt in the summary.
			name:  "timeout once: in doubt, retried, then answered",
			tune:  func(j *jobfile.Job) { j.Providers[0].Timeout = 1500 * time.Millisecond }, // generous: -race on a loaded 2-core machine
			force: []forced{{"", 0, "timeout", 1}},
			want:  ok, exit: summary.OutcomeComplete, inDoubt: 1,
			raw: []rawWant{{"", 1, "transient", "timeout", false}, {"", 2, "hit", "0", true}},
		},
	)
	// Every transient code of the document, and the transport failures,
	// once: retried, then answered.
	for _, code := range []string{"10014", "237002", "237003", "http_500", "http_503", "malformed", "reset"} {
		wantCode := map[string]string{"http_500": "HTTP 500", "http_503": "HTTP 503", "malformed": "HTTP 200", "reset": "network"}[code]
		if wantCode == "" {
			wantCode = code
		}
		var inDoubt int64
		if code == "reset" {
			inDoubt = 1 // sent, then the connection died: maybe billed
		}
		tests = append(tests, tc{
			name: "transient " + code + " once: retried, then answered", force: []forced{{"", 0, code, 1}},
			want: ok, exit: summary.OutcomeComplete, inDoubt: inDoubt,
			raw: []rawWant{{"", 1, "transient", wantCode, false}, {"", 2, "hit", "0", true}},
		})
	}
	// Every fatal code on every key stops the provider: the remaining rows
	// are skipped, the exit code is 4, the message names the key ids.
	for _, code := range []string{"10001", "10002", "10003", "10004", "10005", "10007", "10008", "10009", "10021"} {
		tests = append(tests, tc{
			name: "fatal " + code + " on every key stops the provider", force: []forced{{"", -1, code, 0}},
			want: all("skipped"), wantCode: "provider_stopped", wantMsg: []string{"provider stopped", "k1", "k2", code}, exit: summary.OutcomeProviderStopped,
			raw:     []rawWant{{"k1", 1, "fatal", code, false}, {"k2", 2, "fatal", code, false}},
			stopped: []string{"k1", "k2", code},
		})
	}

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)
			for _, fc := range tc.force {
				identity := ""
				if fc.row >= 0 {
					identity = rows[fc.row].ID
				}
				// Through the admin API, as a test in another process would.
				if err := f.admin.Force(context.Background(), "juhe", fc.key, identity, fc.code, fc.count); err != nil {
					t.Fatal(err)
				}
			}
			job := f.job(map[string]string{"CONCURRENCY": "1", "JUHE_METHOD": tc.method})
			if tc.tune != nil {
				tc.tune(job)
			}
			sum, err, log := f.runJob(job, pipeline.Options{ResumeCommand: "riskbatch resume job.yaml"})
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, log)
			}
			res := checkAccounting(t, f.outDir(), sum, inputValues(rows))
			for i, w := range tc.want {
				eq(t, fmt.Sprintf("row %d status", i+1), res.get(i, "juhe_status"), w)
			}
			checkAnswers(t, res, rows)
			eq(t, "exit code", sum.Outcome, tc.exit)
			eq(t, "complete", sum.Complete, tc.exit == summary.OutcomeComplete)
			if tc.exit != summary.OutcomeComplete {
				eq(t, "resume command", sum.Resume, "riskbatch resume job.yaml")
			}

			errs := readErrors(t, f.outDir())
			notOK := 0
			for _, w := range tc.want {
				if w != "hit" && w != "no_hit" {
					notOK++
				}
			}
			eq(t, "errors.csv lines", len(errs), notOK)
			if tc.wantCode != "" {
				if len(errs) == 0 || errs[0].Row != "1" {
					t.Fatalf("errors.csv has no line for row 1: %+v", errs)
				}
				eq(t, "errors.csv code", errs[0].Code, tc.wantCode)
				eq(t, "errors.csv status", errs[0].Status, tc.want[0])
				for _, m := range tc.wantMsg {
					if !strings.Contains(errs[0].Message, m) {
						t.Errorf("errors.csv message %q does not mention %q", errs[0].Message, m)
					}
				}
			}
			for _, e := range errs {
				if strings.Count(e.Message, "provider stopped") > 1 {
					t.Errorf("errors.csv row %s message repeats itself: %q", e.Row, e.Message)
				}
			}

			p := sum.Providers[0]
			for _, s := range tc.stopped {
				if !strings.Contains(p.Stopped, s) {
					t.Errorf("provider stop message %q does not mention %q", p.Stopped, s)
				}
			}
			if tc.exit == summary.OutcomeIncomplete && strings.Contains(tc.wantCode, "quota") && sum.QuotaReset == nil {
				t.Error("quota_reset_at missing from the summary of a run deferred by quota")
			}

			raw := readRaw(t, f.outDir())
			got := rawForRow(raw, 1)
			eq(t, "summary in_doubt", p.InDoubt, tc.inDoubt)
			inDoubt := int64(0)
			for _, r := range raw {
				if r.InDoubt {
					inDoubt++
				}
			}
			eq(t, "raw.jsonl in_doubt lines", inDoubt, tc.inDoubt)
			if len(got) != len(tc.raw) {
				t.Fatalf("raw.jsonl has %d lines for row 1, want %d: %+v", len(got), len(tc.raw), got)
			}
			for i, w := range tc.raw {
				g := got[i]
				if (w.key != "" && g.Key != w.key) || (g.Key != "k1" && g.Key != "k2") || g.Attempt != w.attempt ||
					g.Outcome != w.outcome || (w.code != "" && g.Code != w.code) || g.Billed != w.billed || g.Provider != "juhe" {
					t.Errorf("raw.jsonl row 1 attempt %d = %+v, want %+v", i+1, g, w)
				}
			}
			// Billing as the vendor counts it: the summary agrees with the
			// sandbox overall and per key; raw.jsonl marks the same calls.
			c := f.counters()
			calls, billed := totalCalls(c)
			eq(t, "summary billed vs sandbox", p.Billed, billed)
			rawBilled := 0
			for _, r := range raw {
				if r.Billed {
					rawBilled++
				}
			}
			eq(t, "raw.jsonl billed lines vs sandbox", int64(rawBilled), billed)
			if !tc.offPath {
				eq(t, "raw.jsonl lines vs sandbox calls", int64(len(raw)), calls)
			}
			for _, k := range p.Keys {
				eq(t, "billed by key "+k.ID, k.Billed, c.Keys["juhe/"+k.ID].Billed)
			}
			checkNoSecrets(t, f.outDir())
		})
	}
}
