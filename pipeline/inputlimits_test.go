package pipeline_test

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/dryrun"
	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/pipeline/summary"
	"github.com/riskbatch/riskbatch/sources"
)

// writeWideCSV writes the applicants with extra pass-through columns x1…xN
// after the usual four.
func writeWideCSV(t *testing.T, path string, rows []applicant, extra int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString(strings.Join(header, ","))
	for i := 1; i <= extra; i++ {
		w.WriteString(",x" + strconv.Itoa(i))
	}
	w.WriteString("\n")
	for _, r := range rows {
		w.WriteString(strings.Join(r.values(), ","))
		for i := 1; i <= extra; i++ {
			w.WriteString(",v")
		}
		w.WriteString("\n")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestWideInput: 10,000 input columns run to the end with an XLSX result;
// an input whose columns plus the result columns exceed the 16,384 columns
// of a sheet is refused before any call (exit 2) naming the file and the
// limit, unless the job writes only CSV.
func TestWideInput(t *testing.T) {
	hits := hitPeople(t, 0, 2)
	rows := []applicant{person(hits[0], "R1"), person(hits[1], "R2")}

	f := newFixture(t, nil)
	writeWideCSV(t, filepath.Join(f.dir, "wide.csv"), rows, 10_000-len(header))
	job := f.job(map[string]string{"INPUT": "wide.csv"})
	job.Output.Formats = []string{"csv", "xlsx"}
	sum := f.mustRun(job, pipeline.Options{})
	eq(t, "outcome", sum.Outcome, summary.OutcomeComplete)
	eq(t, "rows ok", sum.RowsOK, 2)
	res := readResults(t, f.outDir())
	if len(res.header) <= 10_000 || res.header[9_999] != "x9996" || res.get(0, "juhe_status") != "hit" {
		t.Errorf("results.csv: %d columns, column 10000 %q, row 1 status %q", len(res.header), res.header[9_999], res.get(0, "juhe_status"))
	}
	if _, err := os.Stat(filepath.Join(f.outDir(), "results.xlsx")); err != nil {
		t.Error(err)
	}

	f2 := newFixture(t, nil)
	path := filepath.Join(f2.dir, "too_wide.csv")
	writeWideCSV(t, path, rows, sources.MaxColumns-len(header)-2)
	job = f2.job(map[string]string{"INPUT": "too_wide.csv"})
	job.Output.Formats = []string{"xlsx"}
	for _, step := range []string{"validate", "run"} {
		var err error
		if step == "validate" {
			_, err = dryrun.Validate(job, dryrun.ValidateOptions{Version: "test", Spent: pipeline.SpentSoFar})
		} else {
			_, err, _ = f2.runJob(job, pipeline.Options{})
		}
		var ie *input.Error
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), path+": 16382 input columns + ") || !strings.Contains(err.Error(), "more than the 16384 columns of an Excel sheet (results.xlsx)") {
			t.Errorf("%s: error %v, want an input error naming the file and the limit", step, err)
		}
	}
	calls, _ := totalCalls(f2.counters())
	eq(t, "calls for a refused input", calls, int64(0))

	job.Output.Formats = []string{"csv"}
	if _, err := dryrun.Validate(job, dryrun.ValidateOptions{Version: "test", Spent: pipeline.SpentSoFar}); err != nil {
		t.Errorf("CSV only: %v", err)
	}
}

// TestInputLimitIsInputError: a file over a sources limit is an input
// error (exit 2) before any call.
func TestInputLimitIsInputError(t *testing.T) {
	f := newFixture(t, nil)
	path := filepath.Join(f.dir, "header.csv")
	writeWideCSV(t, path, nil, sources.MaxColumns) // 16,388 columns
	job := f.job(map[string]string{"INPUT": "header.csv"})
	_, err, _ := f.runJob(job, pipeline.Options{})
	var ie *input.Error
	if !errors.As(err, &ie) || !errors.Is(err, sources.ErrLimit) || !strings.Contains(err.Error(), path+": the header (line 1) has 16388 columns, more than the 16384-column limit") {
		t.Errorf("Run = %v, want an input error naming the file and the column limit", err)
	}
	calls, _ := totalCalls(f.counters())
	eq(t, "calls", calls, int64(0))
}

// TestLateBadByteRun: 300 UTF-8 rows with one \xff in row 299 (issue 11:
// every name used to be mis-decoded as GB18030 and sent). The file is read
// as UTF-8: every other row goes out with its name intact, row 299 is
// unreadable (line, column and byte named) and never sent.
func TestLateBadByteRun(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "sources", "testdata", "utf8_late_bad_byte.csv"))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, nil)
	if err := os.WriteFile(filepath.Join(f.dir, "in.csv"), src, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := f.mustRun(f.job(nil), pipeline.Options{})
	eq(t, "input_encoding", sum.InputEncoding, "utf-8")
	eq(t, "rows in", sum.RowsIn, 300)
	eq(t, "rows out", sum.RowsOut, 300)

	lines := strings.Split(strings.TrimSuffix(string(src), "\n"), "\n")[1:]
	res := readResults(t, f.outDir())
	if len(res.rows) != 300 {
		t.Fatalf("results.csv has %d rows", len(res.rows))
	}
	for i := range res.rows {
		in := strings.Split(lines[i], ",")
		if i == 298 {
			eq(t, "row 299 status", res.get(i, "juhe_status"), "invalid")
			continue
		}
		if res.get(i, "姓名") != in[0] || res.get(i, "juhe_status") == "invalid" {
			t.Errorf("row %d: name %q status %q, want %q sent", i+1, res.get(i, "姓名"), res.get(i, "juhe_status"), in[0])
		}
	}
	errs := readErrors(t, f.outDir())
	if len(errs) != 1 || errs[0].Row != "299" || errs[0].Line != "300" || errs[0].Code != "unreadable_row" ||
		!strings.Contains(errs[0].Message, `line 300 column "姓名": contains invalid characters (U+FFFD): byte 0xFF at byte 4 of the cell is not valid UTF-8`) {
		t.Errorf("errors.csv = %+v, want row 299 unreadable, naming line 300, 姓名 and the byte", errs)
	}
	c := f.counters()
	calls, _ := totalCalls(c)
	eq(t, "sandbox calls", calls, int64(299))
	eq(t, "calls for row 299", identityCalls(c, strings.Split(lines[298], ",")[1]), int64(0))
}
