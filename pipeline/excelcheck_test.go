package pipeline_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/dryrun"
)

// writeNumericXLSX writes the rows with the cells listed in numbers
// (row index → column index → stored text) as number cells, as Excel
// stores a value typed into a column not formatted as text.
func writeNumericXLSX(t *testing.T, path string, rows []applicant, numbers map[int]map[int]string) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	set := func(col, row int, v string, number bool) {
		cell, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			t.Fatal(err)
		}
		if number {
			err = f.SetCellDefault("Sheet1", cell, v)
		} else {
			err = f.SetCellStr("Sheet1", cell, v)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for c, h := range header {
		set(c+1, 1, h, false)
	}
	for r, a := range rows {
		for c, v := range a.values() {
			n, isNum := numbers[r][c]
			if isNum {
				v = n
			}
			set(c+1, r+2, v, isNum)
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// TestExcelNumbers: IDs an XLSX stores as numbers are reported as
// id_stored_as_number (not id_checksum or id_sci_notation) and never sent;
// a mobile stored as a plain 11-digit number is intact and sent, one in
// scientific notation is mobile_stored_as_number; the console warns once
// per column; validate reports the same codes; rows in = rows out.
func TestExcelNumbers(t *testing.T) {
	hits := hitPeople(t, 0, 6)
	rows := make([]applicant, 6)
	for i := range rows {
		rows[i] = person(hits[i], ref(i))
	}
	const idCol, mobileCol = 1, 2
	numbers := map[int]map[int]string{
		1: {idCol: excelNumber(t, rows[1].ID)},         // 3.30328199001017E+17
		2: {idCol: rows[2].ID[:15] + "000"},            // rounded, written out in full
		3: {mobileCol: rows[3].Mobile},                 // 11 digits survive
		4: {mobileCol: excelNumber(t, rows[4].Mobile)}, // 1.38…E+10
		5: {idCol: excelNumber(t, rows[5].ID), mobileCol: rows[5].Mobile},
	}
	f := newFixture(t, nil)
	writeNumericXLSX(t, filepath.Join(f.dir, "in.xlsx"), rows, numbers)
	job := f.job(map[string]string{"INPUT": "in.xlsx"})

	// validate first: what a run would do, before any call.
	rep, err := dryrun.Validate(job, dryrun.ValidateOptions{Version: "test", Spent: pipeline.SpentSoFar})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]int{}
	for _, rc := range rep.Providers[0].Reasons {
		reasons[rc.Code] = rc.Count
	}
	if !sameCounts(reasons, map[string]int{"id_stored_as_number": 3, "mobile_stored_as_number": 1}) {
		t.Errorf("validate reasons %v, want 3 id_stored_as_number and 1 mobile_stored_as_number", reasons)
	}
	eq(t, "validate calls", rep.Providers[0].Calls, 2)
	notes := strings.Join(rep.Notes, "\n")
	for _, col := range []string{`column "身份证号" holds ID numbers stored as numbers`, `column "手机号" holds mobile numbers stored as numbers`} {
		if strings.Count(notes, col) != 1 {
			t.Errorf("validate notes %q: want %q once", rep.Notes, col)
		}
	}

	sum, err, log := f.runJob(job, pipeline.Options{})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, log)
	}
	shown := make([]applicant, len(rows))
	for i, r := range rows {
		shown[i] = r
		if n, ok := numbers[i][idCol]; ok {
			shown[i].ID = n
		}
		if n, ok := numbers[i][mobileCol]; ok {
			shown[i].Mobile = n
		}
	}
	res := checkAccounting(t, f.outDir(), sum, inputValues(shown))
	if got := statusCounts(res); !sameCounts(got, map[string]int{"hit": 2, "invalid": 4}) {
		t.Errorf("statuses %v, want 2 hits and 4 invalid", got)
	}
	c := f.counters()
	calls, _ := totalCalls(c)
	eq(t, "sandbox calls", calls, int64(2))
	for _, i := range []int{1, 2, 4, 5} {
		eq(t, "calls for row "+ref(i), identityCalls(c, rows[i].ID), int64(0))
	}
	eq(t, "calls for the intact numeric mobile", identityCalls(c, rows[3].ID), int64(1))

	want := map[string][2]string{ // row → code, column
		"2": {"id_stored_as_number", "身份证号"}, "3": {"id_stored_as_number", "身份证号"},
		"5": {"mobile_stored_as_number", "手机号"}, "6": {"id_stored_as_number", "身份证号"},
	}
	errs := readErrors(t, f.outDir())
	if len(errs) != len(want) {
		t.Fatalf("errors.csv: %+v, want %d lines", errs, len(want))
	}
	for _, e := range errs {
		w := want[e.Row]
		eq(t, "errors.csv code of row "+e.Row, e.Code, w[0])
		eq(t, "errors.csv column of row "+e.Row, e.Column, w[1])
		if !strings.Contains(e.Message, "stored as a number in the XLSX sheet, not as text") || !strings.Contains(e.Message, "format the column as Text in Excel") {
			t.Errorf("errors.csv message of row %s = %q: want what happened and how to fix it", e.Row, e.Message)
		}
	}
	if !strings.Contains(errs[0].Message, `column "身份证号": the ID number is stored as a number`) {
		t.Errorf("message %q", errs[0].Message)
	}
	// Once per column and run, though four rows and two columns are concerned.
	if n := strings.Count(log, `warning: column "身份证号" holds ID numbers stored as numbers`); n != 1 {
		t.Errorf("ID column warned %d times, want once:\n%s", n, log)
	}
	if n := strings.Count(log, `warning: column "手机号" holds mobile numbers stored as numbers`); n != 1 {
		t.Errorf("mobile column warned %d times, want once:\n%s", n, log)
	}
	// summary.json carries the warnings too.
	if w := strings.Join(readSummary(t, f.outDir()).Warnings, "\n"); !strings.Contains(w, `column "身份证号" holds ID numbers stored as numbers`) || !strings.Contains(w, `column "手机号" holds mobile numbers`) {
		t.Errorf("summary.json warnings %q", w)
	}
	checkNoSecrets(t, f.outDir())
}
