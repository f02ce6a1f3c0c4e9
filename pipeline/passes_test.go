package pipeline_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/pipeline"
)

// After a resume, summary.json keeps this pass's figures and adds the job's
// totals over every pass; every raw.jsonl line says its pass.
func TestJobTotalsAcrossPasses(t *testing.T) {
	f := newFixture(t, nil)
	var rows []applicant
	for i, p := range hitPeople(t, 0, 24) {
		rows = append(rows, person(p, ref(i)))
	}
	writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)
	// Pass 1 stops at a cap of 8 calls; pass 2 finishes the other 16.
	job, err := budgetJob(f, map[string]string{"MAX_COST": "4"})
	if err != nil {
		t.Fatal(err)
	}
	sum1, err, log := f.runJob(job, pipeline.Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if tot := sum1.Providers[0].JobTotal; tot == nil || tot.Passes != 1 || tot.Calls != 8 || tot.Billed != 8 {
		t.Fatalf("pass 1 job total %+v", tot)
	}
	job, _ = budgetJob(f, map[string]string{"MAX_COST": "100"})
	sum2, err, log := f.runJob(job, pipeline.Options{Resume: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	p := sum2.Providers[0]
	if p.Calls != 16 || p.Billed != 16 || p.Cost != 8 || sum2.Run != 2 {
		t.Fatalf("pass 2 (this pass): calls %d billed %d cost %v run %d", p.Calls, p.Billed, p.Cost, sum2.Run)
	}
	tot := p.JobTotal
	if tot.Passes != 2 || tot.Calls != 24 || tot.Billed != 24 || tot.Cost != 12 || tot.InDoubt != 0 || sum2.JobInDoubt != 0 {
		t.Fatalf("job total %+v", tot)
	}
	calls, billed := totalCalls(f.counters())
	if calls != tot.Calls || billed != tot.Billed {
		t.Fatalf("sandbox saw %d calls, %d billed; the job total says %d, %d", calls, billed, tot.Calls, tot.Billed)
	}
	disk := readSummary(t, f.outDir())
	if disk.Providers[0].JobTotal == nil || disk.Providers[0].JobTotal.Calls != 24 {
		t.Fatalf("summary.json job_total %+v", disk.Providers[0].JobTotal)
	}
	var sb strings.Builder
	sum2.WriteTable(&sb)
	if !strings.Contains(sb.String(), "job total over 2 passes: juhe 24 calls, 24 billed, 12.00 CNY, 0 in doubt") {
		t.Fatalf("console table:\n%s", sb.String())
	}
	perPass := map[int]int{}
	for _, l := range readRawLines(t, f.outDir()) {
		perPass[l.Pass]++
	}
	if perPass[1] != 8 || perPass[2] != 16 || len(perPass) != 2 {
		t.Fatalf("raw.jsonl lines per pass %v, want 8 in pass 1 and 16 in pass 2", perPass)
	}
}
