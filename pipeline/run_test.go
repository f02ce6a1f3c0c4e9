package pipeline_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/summary"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// badCheckDigit returns id with a wrong check digit.
func badCheckDigit(id string) string {
	// Never 0: an ID ending in 000 reads as rounded by Excel instead.
	repl := byte('1')
	if id[17] == '1' {
		repl = '2'
	}
	return id[:17] + string(repl)
}

// TestRowAccountingUnderConcurrency: 1000 rows (people, outsiders and
// damaged IDs) through 16 workers while the sandbox answers after 2ms ± 2ms,
// so answers complete out of order; the result sheet still has exactly one
// row per input row, in input order, each with its own answer.
func TestRowAccountingUnderConcurrency(t *testing.T) {
	const n = 1000
	f := newFixture(t, func(c *sandbox.Config) {
		c.Latency = sandbox.Latency{Base: 2 * time.Millisecond, Jitter: 2 * time.Millisecond}
	})
	rows := make([]applicant, n)
	damaged := 0
	for i := range rows {
		switch {
		case i%50 == 49:
			rows[i] = person(i, ref(i))
			rows[i].ID = badCheckDigit(rows[i].ID)
			damaged++
		case i%7 == 3:
			rows[i] = outsider(i, ref(i))
		default:
			rows[i] = person(i, ref(i))
		}
	}
	writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)
	job := f.job(map[string]string{"CONCURRENCY": "16"})
	eq(t, "concurrency", job.Concurrency, 16)

	sum := f.mustRun(job, pipeline.Options{})
	res := checkAccounting(t, f.outDir(), sum, inputValues(rows))
	checkAnswers(t, res, rows)
	st := statusCounts(res)
	eq(t, "invalid rows", st["invalid"], damaged)
	eq(t, "hit + no_hit rows", st["hit"]+st["no_hit"], n-damaged)
	eq(t, "rows_ok", sum.RowsOK, n-damaged)
	eq(t, "rows_error", sum.RowsError, damaged)
	eq(t, "exit code", sum.Outcome, summary.OutcomeComplete)
	eq(t, "complete", sum.Complete, true)
	for i, r := range rows {
		if r.Ref != "" && i%7 == 3 && i%50 != 49 {
			eq(t, "outsider "+r.Ref, res.get(i, "juhe_status"), "no_hit")
		}
	}

	calls, billed := totalCalls(f.counters())
	eq(t, "sandbox calls", calls, int64(n-damaged))
	eq(t, "sandbox billed", billed, int64(n-damaged))
	eq(t, "summary calls", sum.Providers[0].Calls, int64(n-damaged))
	eq(t, "summary billed", sum.Providers[0].Billed, int64(n-damaged))

	// raw.jsonl is written as answers arrive: its row order shows the
	// answers really completed out of order.
	raw := readRaw(t, f.outDir())
	eq(t, "raw.jsonl lines", len(raw), n-damaged)
	inversions := 0
	for i := 1; i < len(raw); i++ {
		if raw[i].Row < raw[i-1].Row {
			inversions++
		}
	}
	if inversions == 0 {
		t.Error("raw.jsonl is in row order: answers did not complete out of order, the test proves nothing")
	}
	checkNoSecrets(t, f.outDir())
}

// TestErrorLog: errors.csv names the row, the file line, the provider, the
// reason code and the column, and shows IDs and mobiles masked, never raw.
func TestErrorLog(t *testing.T) {
	f := newFixture(t, nil)
	good := person(10, "G1")
	checksum := person(11, "E1")
	checksum.ID = badCheckDigit(checksum.ID)
	lostX := person(12, "E2")
	lostX.ID = lostX.ID[:17]
	shortMobile := person(13, "E3")
	shortMobile.Mobile = shortMobile.Mobile[:10]
	emptyID := person(14, "E4")
	emptyID.ID = ""
	sci := person(15, "E5")
	sci.ID = excelNumber(t, sci.ID)
	ragged := person(16, "E6")
	rows := []applicant{good, checksum, lostX, shortMobile, emptyID, sci, ragged, outsider(1, "G2")}
	// The ragged row has only two fields; the sheet shows it padded.
	raggedLine := ragged.Name + "," + ragged.ID
	writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, map[int]string{6: raggedLine})
	shown := inputValues(rows)
	shown[6] = []string{ragged.Name, ragged.ID, "", ""}

	sum := f.mustRun(f.job(nil), pipeline.Options{})
	res := checkAccounting(t, f.outDir(), sum, shown)
	eq(t, "exit code (invalid rows are final)", sum.Outcome, summary.OutcomeComplete)
	eq(t, "rows_unreadable", sum.RowsInvalid, 1)

	type want struct {
		row, line, provider, code, column string
		masked                            string // must appear in the message
		raw                               string // must not appear anywhere
	}
	wants := []want{
		{"2", "3", "juhe", "id_checksum", "身份证号", checksum.ID[:6] + "********" + checksum.ID[14:], checksum.ID},
		{"3", "4", "juhe", "id_length", "身份证号", lostX.ID[:6] + "*******" + lostX.ID[13:], lostX.ID},
		{"4", "5", "juhe", "mobile_length", "手机号", shortMobile.Mobile[:3] + "***" + shortMobile.Mobile[6:], shortMobile.Mobile},
		{"5", "6", "juhe", "id_missing", "身份证号", "", ""},
		{"6", "7", "juhe", "id_sci_notation", "身份证号", "", ""},
		{"7", "8", "", "unreadable_row", "", "", ragged.ID},
	}
	errs := readErrors(t, f.outDir())
	if len(errs) != len(wants) {
		t.Fatalf("errors.csv has %d lines, want %d: %+v", len(errs), len(wants), errs)
	}
	for i, w := range wants {
		e := errs[i]
		if e.Row != w.row || e.Line != w.line || e.Provider != w.provider || e.Status != "invalid" || e.Code != w.code || e.Column != w.column {
			t.Errorf("errors.csv line %d = %+v\nwant row %s line %s provider %q status invalid code %s column %q", i+2, e, w.row, w.line, w.provider, w.code, w.column)
		}
		if w.masked != "" && !strings.Contains(e.Message, w.masked) {
			t.Errorf("errors.csv row %s message %q does not show the masked value %q", w.row, e.Message, w.masked)
		}
		if e.Message == "" {
			t.Errorf("errors.csv row %s has no message", w.row)
		}
	}
	for i := range rows {
		st := res.get(i, "juhe_status")
		wantSt := "invalid"
		if i == 0 || i == len(rows)-1 {
			wantSt = map[bool]string{true: "hit", false: "no_hit"}[expected(t, rows[i]).status == "hit"]
		}
		eq(t, "status of "+rows[i].Ref, st, wantSt)
	}
	// No input ID or mobile appears in errors.csv in clear.
	b, err := os.ReadFile(filepath.Join(f.outDir(), "errors.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		for _, v := range []string{r.ID, r.Mobile} {
			if len(v) >= 10 && strings.Contains(string(b), v) {
				t.Errorf("errors.csv shows %q in clear:\n%s", v, b)
			}
		}
	}
	calls, _ := totalCalls(f.counters())
	eq(t, "sandbox calls (damaged rows are never sent)", calls, int64(2))
}

// TestDedupe: 50 rows that are 10 people repeated cost 10 calls; every
// repeat carries exactly the answer of its first occurrence.
func TestDedupe(t *testing.T) {
	f := newFixture(t, func(c *sandbox.Config) {
		c.Latency = sandbox.Latency{Base: time.Millisecond, Jitter: time.Millisecond}
	})
	var people []applicant
	for i := 0; i < 8; i++ {
		people = append(people, person(100+i, ""))
	}
	people = append(people, outsider(1, ""), outsider(2, ""))
	rows := make([]applicant, 50)
	for i := range rows {
		rows[i] = people[i%10]
		rows[i].Ref = "D" + strconv.Itoa(i+1)
	}
	writeCSV(t, filepath.Join(f.dir, "in.csv"), utf8Plain, rows, nil)
	sum := f.mustRun(f.job(map[string]string{"CONCURRENCY": "8"}), pipeline.Options{})
	res := checkAccounting(t, f.outDir(), sum, inputValues(rows))
	checkAnswers(t, res, rows)

	c := f.counters()
	calls, billed := totalCalls(c)
	eq(t, "sandbox calls", calls, int64(10))
	eq(t, "sandbox billed", billed, int64(10))
	for _, p := range people {
		eq(t, "calls for "+p.ID, identityCalls(c, p.ID), int64(1))
	}
	p := sum.Providers[0]
	eq(t, "calls", p.Calls, int64(10))
	eq(t, "billed", p.Billed, int64(10))
	eq(t, "calls_saved", p.Deduped, int64(40))
	eq(t, "raw.jsonl lines", len(readRaw(t, f.outDir())), 10)
	for i := 10; i < len(rows); i++ {
		first := i % 10
		got, want := res.juheValues(i), res.juheValues(first)
		if strings.Join(got, "|") != strings.Join(want, "|") || res.get(i, "juhe_status") != res.get(first, "juhe_status") {
			t.Errorf("row %d = %q, its first occurrence (row %d) = %q", i+1, got, first+1, want)
		}
	}
}
