package sinks

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/xuri/excelize/v2"
)

// ChartAnchor is where a chart of a drawing part sits: its top-left and
// bottom-right cells (0-based column and row, as in the drawing XML) with
// the offsets into them in EMU.
type ChartAnchor struct {
	Name                          string
	FromCol, FromColOff           int
	FromRow, FromRowOff           int
	ToCol, ToColOff, ToRow, ToOff int
}

var anchorRe = regexp.MustCompile(`(?s)<xdr:from>(.*?)</xdr:from>\s*<xdr:to>(.*?)</xdr:to>.*?<xdr:cNvPr [^>]*name="([^"]*)"`)
var anchorPosRe = regexp.MustCompile(`<xdr:(col|colOff|row|rowOff)>(-?\d+)</xdr:`)

// sheetChartAnchors reads the chart anchors of sheet from the drawing part
// its relationships name (excelize's GetPictures does not see charts).
func sheetChartAnchors(t *testing.T, parts map[string]string, sheetIndex int) []ChartAnchor {
	t.Helper()
	rels := parts[fmt.Sprintf("xl/worksheets/_rels/sheet%d.xml.rels", sheetIndex+1)]
	m := regexp.MustCompile(`drawings/(drawing\d+\.xml)`).FindStringSubmatch(rels)
	if m == nil {
		return nil
	}
	var out []ChartAnchor
	for _, a := range anchorRe.FindAllStringSubmatch(parts["xl/drawings/"+m[1]], -1) {
		pos := func(s string) map[string]int {
			v := map[string]int{}
			for _, p := range anchorPosRe.FindAllStringSubmatch(s, -1) {
				v[p[1]], _ = strconv.Atoi(p[2])
			}
			return v
		}
		f, to := pos(a[1]), pos(a[2])
		out = append(out, ChartAnchor{Name: a[3], FromCol: f["col"], FromColOff: f["colOff"], FromRow: f["row"], FromRowOff: f["rowOff"],
			ToCol: to["col"], ToColOff: to["colOff"], ToRow: to["row"], ToOff: to["rowOff"]})
	}
	return out
}

// before: cell position a (cell, offset into it) is at or left of / above b.
func before(aCell, aOff, bCell, bOff int) bool {
	return aCell < bCell || (aCell == bCell && aOff <= bOff)
}

// overlap: the two anchored rectangles share an area.
func overlap(a, b ChartAnchor) bool {
	apart := before(a.ToCol, a.ToColOff, b.FromCol, b.FromColOff) || before(b.ToCol, b.ToColOff, a.FromCol, a.FromColOff) ||
		before(a.ToRow, a.ToOff, b.FromRow, b.FromRowOff) || before(b.ToRow, b.ToOff, a.FromRow, a.FromRowOff)
	return !apart
}

// TestSummarySheetLayout: a block's charts stand side by side, each in
// its own anchor cell, no chart covers another or a table, and every
// table column is as wide as its longest text (CJK counting double), so
// a rule name is not cut.
func TestSummarySheetLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.xlsx")
	rule := "Juhe medium risk (score 60–80)"
	cjk := "聚合中风险规则：分数六十至八十" // 15 wide characters: 30 units
	spec := SheetSpec{
		Name:  "Summary",
		Title: "run summary",
		Lines: []string{"job: a rather long line of text under the title that runs on over empty cells"},
		Blocks: []SheetBlock{{
			Title:   "Providers",
			Header:  []string{"provider", "type", "hit", "no_hit", "invalid", "hit rate", "cost", "cost per hit"},
			Formats: []string{"", "", "int", "int", "int", "pct", "money", "money"},
			Rows:    [][]any{{"juhe", "juhe", 300, 100, 2, 0.75, 1234567.5, 4115.23}, {"zhicheng", "zhicheng", 10, 20, 0, 0.33, 0.0, nil}},
			Note:    "a note that is much longer than any column and runs on to the right of it",
			Charts: []SheetChart{
				{Kind: "col", Title: "Hit rate", Categories: 0, Series: []int{5}, Percent: true},
				{Kind: "bar_stacked", Title: "Rows by status", Categories: 0, Series: []int{2, 3, 4}},
			},
		}, {
			Title:   "Decisions",
			Header:  []string{"", "pass", "review", "reject"},
			Formats: []string{"", "int", "int", "int"},
			Rows:    [][]any{{"rows", 1, 2, 3}},
			Charts:  []SheetChart{{Kind: "bar_stacked", Title: "Decisions", Categories: 0, Series: []int{1, 2, 3}}},
		}, {
			Title:   "Rules",
			Header:  []string{"provider", "rule", "decision", "rows", "source"},
			Formats: []string{"", "", "", "int", ""},
			Rows: [][]any{
				{"juhe", rule, "review", 12, "vendor document: Juhe's riskScore guidance (below 60 low risk, above 80 high risk and decline)"},
				{"zhicheng", cjk, "reject", 3, "job file"},
			},
		}, {
			Title:  "Three charts",
			Header: []string{"x", "a", "b", "c"},
			Rows:   [][]any{{"1", 1, 2, 3}, {"2", 2, 3, 4}},
			Charts: []SheetChart{
				{Kind: "col", Title: "a", Categories: 0, Series: []int{1}},
				{Kind: "col", Title: "b", Categories: 0, Series: []int{2}},
				{Kind: "line", Title: "c", Categories: 0, Series: []int{3}},
			},
		}},
	}
	w, err := NewXLSX(path, resultHeader, XLSXOptions{LeadingSheets: []string{"Summary"}, BeforeSave: func(f *excelize.File) error { return WriteSheet(f, spec) }})
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

	anchors := sheetChartAnchors(t, zipFiles(t, path), 0)
	if len(anchors) != 6 {
		t.Fatalf("%d chart anchors, want 6: %+v", len(anchors), anchors)
	}
	for i, a := range anchors {
		t.Logf("%s: from col %d row %d (+%d EMU) to col %d row %d", a.Name, a.FromCol, a.FromRow, a.FromColOff, a.ToCol, a.ToRow)
		if a.FromCol < 8 {
			t.Errorf("%s starts in column %d, over the Providers table (8 columns)", a.Name, a.FromCol)
		}
		for _, b := range anchors[:i] {
			if a.FromCol == b.FromCol && a.FromRow == b.FromRow && a.FromColOff == b.FromColOff && a.FromRowOff == b.FromRowOff {
				t.Errorf("%s and %s have the same anchor", a.Name, b.Name)
			}
			if overlap(a, b) {
				t.Errorf("%s %+v overlaps %s %+v", a.Name, a, b.Name, b)
			}
		}
	}
	// The two charts of the Providers block stand side by side at its top row.
	if a, b := anchors[0], anchors[1]; a.FromRow != b.FromRow || b.FromCol <= a.ToCol {
		t.Errorf("Providers charts not side by side: %+v %+v", a, b)
	}

	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for col, want := range map[string]float64{
		"B": textWidth(rule),                 // the rule name, not cut
		"A": textWidth("zhicheng"),           // provider names
		"G": textWidth("1,234,567.50"),       // money as shown
		"H": textWidth("cost per hit") * 1.1, // a bold header
	} {
		got, err := f.GetColWidth("Summary", col)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("column %s width %.1f (text %.1f)", col, got, want)
		if got < want+1 {
			t.Errorf("column %s is %.1f wide, its longest text needs %.1f", col, got, want)
		}
	}
	// A CJK rule name counts double: 30 units, wider than the Latin one.
	if textWidth(cjk) != 30 {
		t.Errorf("textWidth(%q) = %v, want 30", cjk, textWidth(cjk))
	}
	got, _ := f.GetColWidth("Summary", "B")
	if got < 32 {
		t.Errorf("column B is %.1f wide, the CJK rule name needs 30 + padding", got)
	}
	// The source column is the Rules block's last: its text runs on over
	// empty cells and does not make column E (invalid counts) 60 wide.
	if got, _ := f.GetColWidth("Summary", "E"); got > 20 {
		t.Errorf("column E is %.1f wide: a run-on source text widened it", got)
	}
	if !slices.Contains(f.GetSheetList(), "Results") {
		t.Error("results sheet missing")
	}
}
