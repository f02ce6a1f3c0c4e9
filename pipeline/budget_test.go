package pipeline_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/dryrun"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/pipeline/summary"
)

func budgetJob(f *fixture, over map[string]string) (*jobfile.Job, error) {
	f.t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "budget_job.yaml"))
	if err != nil {
		f.t.Fatal(err)
	}
	path := filepath.Join(f.dir, "budget_job.yaml")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		f.t.Fatal(err)
	}
	return pipeline.LoadJob(path, f.env(over))
}

// A cap of N × price stops at exactly N billed calls (sandbox counters),
// with 8 rows in flight at once; the rest are deferred with code budget,
// the run is incomplete (exit 3) and the message names the cap. The cap
// holds over passes: a resume with the same cap calls nothing, one with a
// raised cap spends only the difference.
func TestBudgetStopsAtExactlyNBilledCalls(t *testing.T) {
	f := newFixture(t, nil)
	var rows []applicant
	for i, p := range hitPeople(t, 0, 30) {
		rows = append(rows, person(p, ref(i)))
	}
	writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)
	job, err := budgetJob(f, map[string]string{"MAX_COST": "5"}) // 10 calls at 0.50
	if err != nil {
		t.Fatal(err)
	}
	sum, err, log := f.runJob(job, pipeline.Options{ResumeCommand: "riskbatch resume job.yaml"})
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	calls, billed := totalCalls(f.counters())
	p := sum.Providers[0]
	if billed != 10 || calls != 10 || p.Billed != 10 || p.Cost != 5 {
		t.Fatalf("sandbox billed %d of %d calls, summary billed %d cost %v; want exactly 10", billed, calls, p.Billed, p.Cost)
	}
	if p.Status["deferred"] != 20 || p.Status["hit"] != 10 || sum.Outcome != summary.OutcomeIncomplete || sum.Complete {
		t.Fatalf("statuses %v outcome %s", p.Status, sum.Outcome)
	}
	if p.Budget == nil || !p.Budget.Reached || p.Budget.Spent != 5 || p.Budget.SpentThisPass != 5 {
		t.Fatalf("budget summary %+v", p.Budget)
	}
	if !strings.Contains(log, "budget.max_cost 5.00 CNY reached") {
		t.Errorf("the log does not name the cap:\n%s", log)
	}
	n := 0
	for _, e := range readErrors(t, f.outDir()) {
		if e.Status == "deferred" {
			n++
			if e.Code != "budget" || !strings.Contains(e.Message, "budget.max_cost 5.00 CNY") {
				t.Fatalf("errors.csv line %+v", e)
			}
		}
	}
	if n != 20 {
		t.Fatalf("%d deferred lines in errors.csv", n)
	}

	// validate counts the earlier pass against the cap (SpentSoFar reads
	// the job state for it): 10 calls billed, none left for the 30 rows.
	name := sum.Providers[0].Name
	if got := pipeline.SpentSoFar(f.outDir())[name]; got != 10 {
		t.Fatalf("SpentSoFar = %d calls for %s, want 10", got, name)
	}
	rep, err := dryrun.Validate(job, dryrun.ValidateOptions{Spent: pipeline.SpentSoFar})
	if err != nil {
		t.Fatal(err)
	}
	if b := rep.Providers[0].Budget; b == nil || b.Spent != 5 || b.CallsCovered != 0 || b.Covers {
		t.Fatalf("validate after the capped pass: budget %+v, want spent 5, no call covered", b)
	}

	// Resume with the same cap: spent over all passes, nothing to call.
	job, _ = budgetJob(f, map[string]string{"MAX_COST": "5"})
	sum, err, log = f.runJob(job, pipeline.Options{Resume: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if c, _ := totalCalls(f.counters()); c != 10 || sum.Providers[0].Status["deferred"] != 20 || sum.Providers[0].Budget.SpentThisPass != 0 {
		t.Fatalf("resume with the same cap: %d calls, %v", c-10, sum.Providers[0].Status)
	}
	// Raised to 12.5 (25 calls): 15 more billed, 5 still deferred.
	job, _ = budgetJob(f, map[string]string{"MAX_COST": "12.5"})
	sum, err, log = f.runJob(job, pipeline.Options{Resume: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	_, billed = totalCalls(f.counters())
	if billed != 25 || sum.Providers[0].Status["deferred"] != 5 || sum.Providers[0].Budget.Spent != 12.5 || sum.Providers[0].Budget.SpentThisPass != 7.5 {
		t.Fatalf("raised cap: sandbox billed %d (want 25), statuses %v, budget %+v", billed, sum.Providers[0].Status, sum.Providers[0].Budget)
	}
}

// A cap on a free provider cannot count: a job-file error. validate says
// whether the cap covers the job.
func TestBudgetValidation(t *testing.T) {
	f := newFixture(t, nil)
	if _, err := budgetJob(f, map[string]string{"PRICE": "0"}); err == nil || !strings.Contains(err.Error(), "budget.max_cost needs price_per_call") {
		t.Fatalf("price 0 with a cap: %v", err)
	}
	var rows []applicant
	for i := range 12 {
		rows = append(rows, person(i, ref(i)))
	}
	writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)
	for _, tc := range []struct {
		cost    string
		covers  bool
		covered int
	}{{"6", true, 12}, {"2.5", false, 5}} {
		job, err := budgetJob(f, map[string]string{"MAX_COST": tc.cost})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := dryrun.Validate(job, dryrun.ValidateOptions{Spent: pipeline.SpentSoFar})
		if err != nil {
			t.Fatal(err)
		}
		b := rep.Providers[0].Budget
		if b == nil || b.Covers != tc.covers || b.CallsCovered != tc.covered {
			t.Fatalf("max_cost %s: %+v", tc.cost, b)
		}
		var sb strings.Builder
		rep.WriteTable(&sb)
		want := "covers the job"
		if !tc.covers {
			want = "does NOT cover the job: 5 of 12 call(s) fit"
		}
		if !strings.Contains(sb.String(), want) {
			t.Fatalf("validate table lacks %q:\n%s", want, sb.String())
		}
	}
}
