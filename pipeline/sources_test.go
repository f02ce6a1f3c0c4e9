package pipeline_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/summary"
)

// excelNumber is how Excel stores an ID typed without a leading quote: a
// number with 15 significant digits, the last three digits lost for good.
func excelNumber(t *testing.T, id string) string {
	t.Helper()
	f, err := strconv.ParseFloat(id, 64)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatFloat(f, 'E', 14, 64) // 3.30328199001017E+17
}

// writeXLSX writes one sheet: header, then rows; a cell listed in numeric
// (row index → true) stores the ID column as a number cell.
func writeXLSX(t *testing.T, path, sheet string, rows []applicant, numeric map[int]bool) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	set := func(col, row int, v string, number bool) {
		cell, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			t.Fatal(err)
		}
		if number {
			err = f.SetCellDefault(sheet, cell, v)
		} else {
			err = f.SetCellStr(sheet, cell, v)
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
			set(c+1, r+2, v, c == 1 && numeric[r])
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// TestSources runs each input format through the whole pipeline against
// the sandbox: the result cells carry each row's own answer, and an ID that
// Excel stored as a number is reported invalid and never sent.
func TestSources(t *testing.T) {
	hits := hitPeople(t, 0, 3)
	rows := []applicant{
		person(hits[0], "R1"), outsider(1, "R2"), person(hits[1], "R3"), person(hits[2], "R4"),
	}
	tests := []struct {
		name       string
		file       string
		write      func(t *testing.T, path string) []applicant // returns the rows as the sheet shows them
		sheet      string
		wantFormat string
		want       map[string]int
	}{
		{
			name: "csv utf-8", file: "in.csv", wantFormat: "UTF-8",
			write: func(t *testing.T, p string) []applicant { writeCSV(t, p, utf8Plain, rows, nil); return rows },
			want:  map[string]int{"hit": 3, "no_hit": 1},
		},
		{
			name: "csv utf-8 with BOM", file: "in.csv", wantFormat: "BOM",
			write: func(t *testing.T, p string) []applicant { writeCSV(t, p, utf8BOM, rows, nil); return rows },
			want:  map[string]int{"hit": 3, "no_hit": 1},
		},
		{
			name: "csv gbk", file: "in.csv", wantFormat: "GB18030",
			write: func(t *testing.T, p string) []applicant { writeCSV(t, p, gbk, rows, nil); return rows },
			want:  map[string]int{"hit": 3, "no_hit": 1},
		},
		{
			name: "xlsx id as text and as a number", file: "in.xlsx", sheet: "申请人", wantFormat: "XLSX",
			write: func(t *testing.T, p string) []applicant {
				// Row R3's ID was typed as a number: Excel kept 15 digits.
				shown := append([]applicant(nil), rows...)
				shown[2].ID = excelNumber(t, rows[2].ID)
				writeXLSX(t, p, "申请人", shown, map[int]bool{2: true})
				return shown
			},
			want: map[string]int{"hit": 2, "no_hit": 1, "invalid": 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			shown := tc.write(t, filepath.Join(f.dir, tc.file))
			job := f.job(map[string]string{"INPUT": tc.file, "SHEET": tc.sheet})
			job.Output.Formats = []string{"csv", "xlsx"}
			sum := f.mustRun(job, pipeline.Options{})
			if !strings.Contains(sum.InputFormat, tc.wantFormat) {
				t.Errorf("input_format %q, want it to mention %q", sum.InputFormat, tc.wantFormat)
			}
			res := checkAccounting(t, f.outDir(), sum, inputValues(shown))
			if got := statusCounts(res); !sameCounts(got, tc.want) {
				t.Errorf("statuses %v, want %v", got, tc.want)
			}
			checkAnswers(t, res, rows)
			eq(t, "exit code", sum.Outcome, summary.OutcomeComplete)
			checkXLSXMatchesCSV(t, f.outDir(), res)

			c := f.counters()
			calls, billed := totalCalls(c)
			sent := int64(tc.want["hit"] + tc.want["no_hit"])
			eq(t, "sandbox calls", calls, sent)
			eq(t, "sandbox billed", billed, sent)
			eq(t, "summary billed", sum.Providers[0].Billed, sent)
			if tc.want["invalid"] > 0 {
				// The damaged ID never left: no call for that person at all.
				eq(t, "calls for the person whose ID Excel rounded", identityCalls(c, rows[2].ID), int64(0))
				errs := readErrors(t, f.outDir())
				if len(errs) != 1 {
					t.Fatalf("errors.csv: %+v, want one line", errs)
				}
				e := errs[0]
				eq(t, "errors.csv row", e.Row, "3")
				eq(t, "errors.csv line (Excel row)", e.Line, "4")
				eq(t, "errors.csv code", e.Code, "id_stored_as_number") // the reader knows the cell is a number
				eq(t, "errors.csv column", e.Column, "身份证号")
				eq(t, "errors.csv status", e.Status, "invalid")
			}
			checkNoSecrets(t, f.outDir())
		})
	}
}

func sameCounts(got, want map[string]int) bool {
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	for k, v := range got {
		if want[k] != v {
			return false
		}
	}
	return true
}

// checkXLSXMatchesCSV: results.xlsx holds the same cells as results.csv
// (IDs stay text, every digit kept).
func checkXLSXMatchesCSV(t *testing.T, dir string, res resultSheet) {
	t.Helper()
	x, err := excelize.OpenFile(filepath.Join(dir, "results.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("Results") // the Summary (and Back-test) sheets come first
	if err != nil {
		t.Fatal(err)
	}
	all := append([][]string{res.header}, res.rows...)
	if len(rows) != len(all) {
		t.Fatalf("results.xlsx has %d rows, results.csv %d", len(rows), len(all))
	}
	for i := range all {
		want := strings.TrimRight(strings.Join(all[i], "\t"), "\t") // GetRows drops trailing empty cells
		got := strings.Join(rows[i], "\t")
		if got != want {
			t.Errorf("results.xlsx row %d = %q, results.csv has %q", i+1, got, want)
		}
	}
}
