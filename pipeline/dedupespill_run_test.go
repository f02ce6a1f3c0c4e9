package pipeline_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/pipeline"
)

// With the dedupe index bounded to 4 entries in memory, a run spills it to
// the job state and still sends each distinct lookup once: duplicate rows
// take the first row's answer across spills, a resume reuses every answer
// of the first pass (seeded through the spill), and no spill file is left.
func TestDedupeSpillInRun(t *testing.T) {
	t.Setenv("RISKBATCH_DEDUPE_MEM_ENTRIES", "4")
	f := newFixture(t, nil)
	var rows []applicant
	for i, p := range hitPeople(t, 0, 30) {
		rows = append(rows, person(p, ref(i)))
	}
	for i := range 15 { // rows 31–45 repeat rows 1, 3, 5, …
		d := rows[2*i]
		d.Ref = ref(30 + i)
		rows = append(rows, d)
	}
	writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)
	job, err := budgetJob(f, map[string]string{"MAX_COST": "10"}) // 20 calls, then deferred
	if err != nil {
		t.Fatal(err)
	}
	sum, err, log := f.runJob(job, pipeline.Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if sum.Providers[0].Calls != 20 {
		t.Fatalf("pass 1: %d calls, want 20 (the cap)", sum.Providers[0].Calls)
	}
	job, _ = budgetJob(f, map[string]string{"MAX_COST": "100"})
	sum, err, log = f.runJob(job, pipeline.Options{Resume: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	calls, _ := totalCalls(f.counters())
	if calls != 30 || sum.Providers[0].Calls != 10 || sum.Providers[0].Status["hit"] != 45 {
		t.Fatalf("sandbox saw %d calls (want 30 distinct), pass 2 made %d, statuses %v", calls, sum.Providers[0].Calls, sum.Providers[0].Status)
	}
	res := readResults(t, f.outDir())
	for i := range 15 {
		a, b := strings.Join(res.juheValues(2*i), "|"), strings.Join(res.juheValues(30+i), "|")
		if a != b {
			t.Fatalf("duplicate row %d differs from row %d:\n %s\n %s", 31+i, 2*i+1, b, a)
		}
	}
	ents, _ := os.ReadDir(filepath.Join(f.outDir(), ".state"))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "dedupe-spill-") {
			t.Fatalf("spill file left: %s", e.Name())
		}
	}
}

// A resume seeds the index from the journal through the same bound: with 4
// entries in memory, the second pass reuses every answer of the first.
func TestDedupeSpillResumeSeeding(t *testing.T) {
	t.Setenv("RISKBATCH_DEDUPE_MEM_ENTRIES", "4")
	f := newFixture(t, nil)
	var rows []applicant
	for i, p := range hitPeople(t, 0, 25) {
		rows = append(rows, person(p, ref(i)))
	}
	writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)
	job := f.job(nil)
	f.mustRun(job, pipeline.Options{})
	before, _ := totalCalls(f.counters())
	// resume of the completed run rebuilds from the journal: 25 answers
	// seeded into an index that holds 4 in memory, no call.
	sum := f.mustRun(f.job(nil), pipeline.Options{Resume: true})
	after, _ := totalCalls(f.counters())
	if after != before || sum.Providers[0].Reused != 25 || sum.Providers[0].Status["hit"] != 25 {
		t.Fatalf("resume made %d calls, reused %d, statuses %v", after-before, sum.Providers[0].Reused, sum.Providers[0].Status)
	}
	ents, _ := os.ReadDir(filepath.Join(f.outDir(), ".state"))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "dedupe-spill-") {
			t.Fatalf("spill file left: %s", e.Name())
		}
	}
}
