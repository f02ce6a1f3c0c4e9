package pipeline_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
)

// columnsJob writes the back-test job with output.columns set to cols
// (none: the key left out) and loads it.
func (f *fixture) columnsJob(cols []string) (*jobfile.Job, error) {
	f.t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "backtest_job.yaml"))
	if err != nil {
		f.t.Fatal(err)
	}
	text := string(src)
	if cols != nil {
		text = strings.Replace(text, "  formats: [xlsx, csv]\n", fmt.Sprintf("  formats: [xlsx, csv]\n  columns: [%s]\n", strings.Join(cols, ", ")), 1)
	}
	path := filepath.Join(f.dir, "job.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		f.t.Fatal(err)
	}
	return pipeline.LoadJob(path, f.env(nil))
}

// xlsxView is what results.xlsx shows of the Results sheet: its header,
// frozen panes and the number of colour rules per column header.
type xlsxView struct {
	header []string
	panes  excelize.Panes
	rules  map[string]int
}

func readXLSXView(t *testing.T, path string) xlsxView {
	t.Helper()
	x, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("Results")
	if err != nil || len(rows) == 0 {
		t.Fatalf("Results sheet: %v", err)
	}
	v := xlsxView{header: rows[0], rules: map[string]int{}}
	if v.panes, err = x.GetPanes("Results"); err != nil {
		t.Fatal(err)
	}
	cfs, err := x.GetConditionalFormats("Results")
	if err != nil {
		t.Fatal(err)
	}
	for rng, fs := range cfs {
		col, _, err := excelize.SplitCellName(strings.Split(rng, ":")[0])
		if err != nil {
			t.Fatal(err)
		}
		n, _ := excelize.ColumnNameToNumber(col)
		v.rules[v.header[n-1]] = len(fs)
	}
	return v
}

// TestResultColumnOrder: the row's decision and rule come right after the
// input columns, then each provider's status, vote and answer; the header
// row and the identifying input columns are frozen; output.columns
// chooses, orders and drops result columns, in results.xlsx and
// results.csv alike, with the colours following their columns.
func TestResultColumnOrder(t *testing.T) {
	f := newFixture(t, nil)
	inputs := backtestInput(t, f.dir, 40, 3)
	nIn := len(inputs[0])
	job, err := f.columnsJob(nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := f.mustRun(job, pipeline.Options{})
	def := checkAccounting(t, f.outDir(), sum, inputs)
	wantResult := []string{"decision", "decision_rule", "juhe_status", "juhe_decision", "juhe_score", "juhe_found", "juhe_id_found", "juhe_risk_codes", "juhe_orderid"}
	if got := def.header[nIn:]; !slices.Equal(got, wantResult) {
		t.Fatalf("result columns of results.csv %q, want %q", got, wantResult)
	}
	if got := job.ResultColumns(); !slices.Equal(got, wantResult) {
		t.Errorf("Job.ResultColumns() = %q, want %q", got, wantResult)
	}
	t.Logf("results.csv: %d input columns, then %s", nIn, strings.Join(def.header[nIn:], ", "))
	xv := readXLSXView(t, filepath.Join(f.outDir(), "results.xlsx"))
	if !slices.Equal(xv.header, def.header) {
		t.Errorf("results.xlsx header %q, results.csv %q", xv.header, def.header)
	}
	// 姓名, 身份证号, 手机号 are the first three columns: frozen with the header.
	t.Logf("panes: freeze %v x_split %d y_split %d top_left %s active %s", xv.panes.Freeze, xv.panes.XSplit, xv.panes.YSplit, xv.panes.TopLeftCell, xv.panes.ActivePane)
	if !xv.panes.Freeze || xv.panes.XSplit != 3 || xv.panes.YSplit != 1 || xv.panes.TopLeftCell != "D2" {
		t.Errorf("panes %+v, want the header row and columns A–C (name, ID, mobile) frozen", xv.panes)
	}
	for col, n := range map[string]int{"juhe_score": 3, "decision": 3, "juhe_decision": 3} {
		if xv.rules[col] != n {
			t.Errorf("%s has %d colour rules, want %d (all: %v)", col, xv.rules[col], n, xv.rules)
		}
	}

	// Chosen and reordered: the same values under the same names.
	chosen := []string{"juhe_score", "decision", "juhe_status", "decision_rule"}
	job, err = f.columnsJob(chosen)
	if err != nil {
		t.Fatal(err)
	}
	f.mustRun(job, pipeline.Options{})
	res := readResults(t, f.outDir())
	if want := append(append([]string(nil), def.header[:nIn]...), chosen...); !slices.Equal(res.header, want) {
		t.Fatalf("results.csv header with output.columns %q, want %q", res.header, want)
	}
	for i := range res.rows {
		for _, c := range res.header {
			if res.get(i, c) != def.get(i, c) {
				t.Errorf("row %d %s = %q, the default order has %q", i+1, c, res.get(i, c), def.get(i, c))
			}
		}
	}
	xv = readXLSXView(t, filepath.Join(f.outDir(), "results.xlsx"))
	if !slices.Equal(xv.header, res.header) {
		t.Errorf("results.xlsx header %q, results.csv %q", xv.header, res.header)
	}
	if xv.rules["juhe_score"] != 3 || xv.rules["decision"] != 3 {
		t.Errorf("colour rules %v, want 3 on juhe_score and on decision", xv.rules)
	}

	// Without juhe_status the score's colours (guarded by it) are left out.
	job, err = f.columnsJob([]string{"decision", "juhe_score"})
	if err != nil {
		t.Fatal(err)
	}
	f.mustRun(job, pipeline.Options{})
	xv = readXLSXView(t, filepath.Join(f.outDir(), "results.xlsx"))
	if got := xv.header[nIn:]; !slices.Equal(got, []string{"decision", "juhe_score"}) {
		t.Errorf("header %q", got)
	}
	if xv.rules["juhe_score"] != 0 || xv.rules["decision"] != 3 {
		t.Errorf("colour rules %v, want none on juhe_score (no status column) and 3 on decision", xv.rules)
	}
}

// TestOutputColumnsUnknown: a name that is not a result column is a job
// file error naming it, with the nearest name.
func TestOutputColumnsUnknown(t *testing.T) {
	f := newFixture(t, nil)
	_, err := f.columnsJob([]string{"decison", "juhe_scroe", "juhe_status", "juhe_status", "姓名"})
	var ce *jobfile.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a ConfigError", err)
	}
	for _, want := range []string{
		`output.columns: unknown result column "decison" (did you mean decision?)`,
		`output.columns: unknown result column "juhe_scroe" (did you mean juhe_score?)`,
		`output.columns: "juhe_status" is listed twice`,
		`output.columns: unknown result column "姓名"`,
		"output.columns: the result columns of this job are decision, decision_rule, juhe_status, juhe_decision, juhe_score, juhe_found, juhe_id_found, juhe_risk_codes, juhe_orderid (the input columns always come first and are not listed)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	t.Logf("%v", err)
}
