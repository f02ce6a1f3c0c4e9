package sinks

import (
	"archive/zip"
	"fmt"
	"html"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// zipFiles reads the parts of an XLSX file, XML entities decoded.
func zipFiles(t *testing.T, path string) map[string]string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = html.UnescapeString(string(b)) // &#39; → '

	}
	return out
}

// TestXLSXLeadingSheetsAndHooks: leading sheets come first (the first one
// selected), SheetDone sees every result sheet with its last row before it
// is flushed, BeforeSave fills the leading sheets, and the autofilter's
// defined name still points at the results.
func TestXLSXLeadingSheetsAndHooks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.xlsx")
	var done []string
	spec := SheetSpec{
		Name:  "Summary",
		Title: "run summary",
		Lines: []string{"job: job.yaml"},
		Blocks: []SheetBlock{{
			Title:   "Providers",
			Header:  []string{"provider", "hit rate", "hits"},
			Formats: []string{"", "pct", "int"},
			Rows:    [][]any{{"juhe", 0.75, 300}, {"td", 0.5, nil}},
			Charts:  []SheetChart{{Kind: "col", Title: "Hit rate", Categories: 0, Series: []int{1}, Percent: true}},
		}, {
			Title:  "ROC",
			Header: []string{"fpr", "tpr"},
			Rows:   [][]any{{0.0, 0.0}, {0.5, 0.8}, {1.0, 1.0}},
			Charts: []SheetChart{{Kind: "scatter", Title: "ROC", Categories: 0, Series: []int{1}, Percent: true}, {Kind: "line", Title: "tpr", Categories: 0, Series: []int{1}}},
		}},
	}
	w, err := NewXLSX(path, resultHeader, XLSXOptions{
		MaxRows:       4, // 3 data rows a sheet: two result sheets
		LeadingSheets: []string{"Summary", "Back-test"},
		SheetDone: func(f *excelize.File, sheet string, lastRow int) error {
			done = append(done, fmt.Sprintf("%s:%d", sheet, lastRow))
			return ApplyCondFormats(f, sheet, lastRow, []CondFormat{
				{Column: 5, Formula: `AND(` + ColumnRef(4) + `="hit",` + ColumnRef(5) + `>80)`, Fill: "FFC7CE", Font: "9C0006"},
				{Column: 4, Equals: "hit", Fill: "C6EFCE"},
			})
		},
		BeforeSave: func(f *excelize.File) error { return WriteSheet(f, spec) },
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resultRows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"Results:4", "Results (2):4"}; !slices.Equal(done, want) {
		t.Errorf("SheetDone calls %v, want %v", done, want)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, want := f.GetSheetList(), []string{"Summary", "Back-test", "Results", "Results (2)"}; !slices.Equal(got, want) {
		t.Fatalf("sheets %v, want %v", got, want)
	}
	if f.GetActiveSheetIndex() != 0 {
		t.Errorf("active sheet %d, want 0 (Summary)", f.GetActiveSheetIndex())
	}
	// The summary's cells.
	for cell, want := range map[string]string{"A1": "run summary", "A2": "job: job.yaml", "A4": "Providers", "B5": "hit rate", "A6": "juhe", "B6": "75.0%", "C6": "300", "B7": "50.0%", "C7": ""} {
		if got, _ := f.GetCellValue("Summary", cell); got != want {
			t.Errorf("Summary!%s = %q, want %q", cell, got, want)
		}
	}
	// The results are intact.
	rows, err := f.GetRows("Results (2)")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[1][1] != resultRows[3][1] {
		t.Errorf("Results (2) rows %q", rows)
	}
	cfs, err := f.GetConditionalFormats("Results")
	if err != nil {
		t.Fatal(err)
	}
	if got := cfs["F2:F4"]; len(got) != 1 || got[0].Type != "formula" || got[0].Criteria != `AND($E2="hit",$F2>80)` {
		t.Errorf("conditional formats on Results!F2:F4 = %+v", got)
	}
	if got := cfs["E2:E4"]; len(got) != 1 || got[0].Type != "cell" || got[0].Value != `"hit"` {
		t.Errorf("conditional formats on Results!E2:E4 = %+v", got)
	}

	parts := zipFiles(t, path)
	wb := parts["xl/workbook.xml"]
	if !regexp.MustCompile(`localSheetId="2" name="_xlnm._FilterDatabase"[^>]*>'Results'!\$A\$1:\$G\$4<`).MatchString(wb) {
		t.Errorf("autofilter name of Results not at sheet index 2:\n%s", wb)
	}
	// Three native charts, each over cells of the summary that hold numbers.
	var charts []string
	for name := range parts {
		if strings.HasPrefix(name, "xl/charts/chart") {
			charts = append(charts, name)
		}
	}
	if len(charts) != 3 {
		t.Fatalf("%d charts, want 3: %v", len(charts), charts)
	}
	refRe := regexp.MustCompile(`<(?:c:)?f>'Summary'!\$([A-Z]+)\$(\d+)(?::\$([A-Z]+)\$(\d+))?</(?:c:)?f>`)
	for _, c := range charts {
		refs := refRe.FindAllStringSubmatch(parts[c], -1)
		if len(refs) < 3 {
			t.Errorf("%s: %d cell references, want name, categories and values", c, len(refs))
		}
		for _, r := range refs {
			for _, cell := range []string{r[1] + r[2], r[3] + r[4]} {
				if cell == "" {
					continue
				}
				if v, _ := f.GetCellValue("Summary", cell); v == "" {
					t.Errorf("%s refers to empty cell Summary!%s", c, cell)
				}
			}
		}
	}
}

func TestXLSXLeadingSheetNames(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		leading []string
		want    string
	}{
		{[]string{"Results"}, `duplicate sheet name "Results"`},
		{[]string{"a/b"}, `sheet name "a/b"`},
	} {
		_, err := NewXLSX(filepath.Join(dir, "x.xlsx"), resultHeader, XLSXOptions{LeadingSheets: c.leading})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("leading %q: err %v, want %q", c.leading, err, c.want)
		}
		if l := leftovers(t, dir); len(l) > 0 {
			t.Errorf("temp files left: %v", l)
		}
	}
}
