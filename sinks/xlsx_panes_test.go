package sinks

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestXLSXFreezeColumns: every result sheet freezes its header row and,
// with FreezeColumns, the first columns (the identifying inputs), also on
// the sheets that follow a full one.
func TestXLSXFreezeColumns(t *testing.T) {
	for _, c := range []struct {
		freeze  int
		xSplit  int
		topLeft string
		active  string
	}{
		{0, 0, "A2", "bottomLeft"},
		{3, 3, "D2", "bottomRight"},
		{len(resultHeader), 0, "A2", "bottomLeft"}, // every column: only the header row
	} {
		t.Run(fmt.Sprint(c.freeze), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "results.xlsx")
			w, err := NewXLSX(path, resultHeader, XLSXOptions{MaxRows: 3, FreezeColumns: c.freeze})
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
			f, err := excelize.OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			for _, sh := range f.GetSheetList() {
				p, err := f.GetPanes(sh)
				if err != nil {
					t.Fatal(err)
				}
				if !p.Freeze || p.YSplit != 1 || p.XSplit != c.xSplit || p.TopLeftCell != c.topLeft || p.ActivePane != c.active {
					t.Errorf("%s panes %+v, want frozen, y 1, x %d, top-left %s, active %s", sh, p, c.xSplit, c.topLeft, c.active)
				}
			}
		})
	}
}
