package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/sinks"
)

// expected is testdata/backtest_multi.expected.json, written by
// testdata/reference.py with scikit-learn and pandas.
type expected struct {
	Dates     struct{ Dated, Empty, Bad int } `json:"dates"`
	Providers map[string]struct {
		Rows, Bads   int
		KS, AUC, IV  float64
		IVMonotone   float64   `json:"iv_monotone"`
		MonotoneBins int       `json:"monotone_bins"`
		MonotoneTo   []float64 `json:"monotone_to"`
	} `json:"providers"`
	RankCorrelation map[string]float64            `json:"rank_correlation"`
	Months          map[string]map[string]float64 `json:"months"`
	Regression      map[string]struct {
		Rows, Bads int
		Models     map[string]struct{ KS, AUC float64 }
	} `json:"regression"`
	Overlap map[string]struct{ Rows, Labelled, Bads int } `json:"overlap"`
	Lists   map[string]map[string]struct {
		Rows, Labelled, Bads int
		HitRate              float64 `json:"hit_rate"`
		Lift                 float64
	} `json:"lists"`
}

func readExpected(t *testing.T) expected {
	t.Helper()
	b, err := os.ReadFile("testdata/backtest_multi.expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var e expected
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// feedMulti sends testdata/backtest_multi.csv (three providers, dates,
// labels, list hits) through a collector: input columns date and label.
func feedMulti(t *testing.T, bt BacktestConfig) *Figures {
	t.Helper()
	f, err := os.Open("testdata/backtest_multi.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	pl := mustCompile(t, Config{Backtest: bt}, allProviders[:3])
	coll, err := NewCollector(pl, []string{"date", "label"})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(coll.Columns()))
	provCols := map[string][]string{"juhe": juheCols, "td": tdCols, "zc": zhichengCols}
	for _, r := range recs[1:] {
		var status []string
		var values [][]string
		for _, p := range allProviders[:3] {
			status = append(status, r[col[p.Name+"_status"]])
			v := make([]string, len(provCols[p.Name]))
			for j, c := range provCols[p.Name] {
				if i, ok := col[p.Name+"_"+c]; ok {
					v[j] = r[i]
				}
			}
			values = append(values, v)
		}
		coll.Observe(status, values, []string{r[col["date"]], r[col["label"]]}, out)
	}
	return coll.Figures(Run{})
}

// maxDev is the largest difference nearTo has seen, and how many figures
// it compared (logged by TestAgreesWithSklearn).
var maxDev struct {
	dev float64
	n   int
}

func nearTo(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = undefined, want %.9f", what, want)
		return
	}
	maxDev.dev = max(maxDev.dev, math.Abs(*got-want))
	maxDev.n++
	if math.Abs(*got-want) > tol {
		t.Errorf("%s = %.9f, sklearn/pandas %.9f", what, *got, want)
	}
}

// TestAgreesWithSklearn compares the fixture's figures with the values
// scikit-learn and pandas computed (testdata/reference.py), to 1e-6.
func TestAgreesWithSklearn(t *testing.T) {
	exp := readExpected(t)
	maxDev.dev, maxDev.n = 0, 0
	defer func() {
		t.Logf("%d figures agree with scikit-learn/pandas, largest difference %.3g", maxDev.n, maxDev.dev)
	}()
	for _, binning := range []string{"deciles", "monotone"} {
		t.Run(binning, func(t *testing.T) {
			bt := feedMulti(t, BacktestConfig{Label: "label", DateColumn: "date", Binning: binning}).Backtest
			if binning == "deciles" {
				checkProviders(t, exp, bt)
			}
			inc := bt.Incremental
			want := exp.Regression[binning]
			if inc == nil || inc.Rows != want.Rows || inc.Bads != want.Bads || inc.Binning != binning {
				t.Fatalf("regression %+v, want %d rows %d bads", inc, want.Rows, want.Bads)
			}
			if len(inc.Models) != len(want.Models) {
				t.Errorf("%d models, sklearn %d", len(inc.Models), len(want.Models))
			}
			for _, m := range inc.Models {
				w, ok := want.Models[m.Name]
				if !ok {
					t.Errorf("model %q not in the reference", m.Name)
					continue
				}
				nearTo(t, m.Name+" CV AUC", m.AUC, w.AUC)
				nearTo(t, m.Name+" CV KS", m.KS, w.KS)
			}
			for _, a := range inc.Adds {
				nearTo(t, a.Name+" adds AUC", a.AUC, want.Models["all providers"].AUC-want.Models["all but "+a.Name].AUC)
			}
		})
	}
}

func checkProviders(t *testing.T, exp expected, bt *BacktestFigures) {
	t.Helper()
	for _, pb := range bt.Providers {
		w := exp.Providers[pb.Name]
		if pb.Scored != w.Rows || pb.Bads != w.Bads {
			t.Errorf("%s: %d scored %d bads, reference %d %d", pb.Name, pb.Scored, pb.Bads, w.Rows, w.Bads)
		}
		nearTo(t, pb.Name+" KS", pb.KS, w.KS)
		nearTo(t, pb.Name+" AUC", pb.AUC, w.AUC)
		nearTo(t, pb.Name+" IV", pb.IV, w.IV)
		nearTo(t, pb.Name+" IV (monotone)", pb.MonotoneIV, w.IVMonotone)
		if len(pb.Monotone) != w.MonotoneBins {
			t.Errorf("%s: %d monotone bins, reference %d", pb.Name, len(pb.Monotone), w.MonotoneBins)
		} else {
			for i, b := range pb.Monotone {
				if math.Abs(*b.To-w.MonotoneTo[i]) > 1e-4 {
					t.Errorf("%s monotone bin %d ends at %v, reference %v", pb.Name, i+1, *b.To, w.MonotoneTo[i])
				}
			}
		}
		l := pb.Lists
		if l == nil || len(l.Codes) != len(exp.Lists[pb.Name]) {
			t.Errorf("%s lists %+v, reference %v", pb.Name, l, exp.Lists[pb.Name])
			continue
		}
		for _, c := range l.Codes {
			w, ok := exp.Lists[pb.Name][c.Code]
			if !ok || c.Rows != w.Rows || c.Labelled != w.Labelled || c.Bads != w.Bads {
				t.Errorf("%s list code %q: %d rows %d labelled %d bads, reference %+v", pb.Name, c.Code, c.Rows, c.Labelled, c.Bads, w)
				continue
			}
			nearTo(t, pb.Name+" "+c.Code+" hit rate", c.HitRate, w.HitRate)
			nearTo(t, pb.Name+" "+c.Code+" lift", c.Lift, w.Lift)
		}
	}
	for _, rc := range bt.RankCorrelation {
		nearTo(t, "Spearman "+rc.A+"~"+rc.B, rc.Spearman, exp.RankCorrelation[rc.A+"~"+rc.B])
	}
	if d := bt.Dates; d == nil || d.Dated != exp.Dates.Dated || d.Empty != exp.Dates.Empty || d.Bad != exp.Dates.Bad {
		t.Errorf("dates %+v, reference %+v", bt.Dates, exp.Dates)
	}
	for _, m := range bt.Months {
		for _, mp := range m.Providers {
			nearTo(t, "PSI "+mp.Name+" "+m.Month, mp.PSI, exp.Months[mp.Name][m.Month])
		}
	}
	if len(bt.Overlap) != len(exp.Overlap) {
		t.Errorf("%d overlap rows, reference %d", len(bt.Overlap), len(exp.Overlap))
	}
	for _, o := range bt.Overlap {
		if w := exp.Overlap[o.Label]; o.Rows != w.Rows || o.Labelled != w.Labelled || o.Bads != w.Bads {
			t.Errorf("overlap %q: %d/%d/%d, reference %+v", o.Label, o.Rows, o.Labelled, o.Bads, w)
		}
	}
}

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// TestBacktestGolden pins every back-test figure of the fixture
// (summary.json's report.backtest) to testdata/backtest_multi.golden.json;
// go test -run TestBacktestGolden -update rewrites it after a deliberate
// change.
func TestBacktestGolden(t *testing.T) {
	bt := feedMulti(t, BacktestConfig{Label: "label", DateColumn: "date", Binning: "monotone"}).Backtest
	got, err := json.MarshalIndent(bt, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	const golden = "testdata/backtest_multi.golden.json"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("back-test figures differ from %s (rerun with -update after a deliberate change):\n%s", golden, firstDiff(string(got), string(want)))
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(al), len(bl))
}

// TestBacktestRendered: the Back-test sheet and report.html show the new
// tables with the figures the reference computed.
func TestBacktestRendered(t *testing.T) {
	exp := readExpected(t)
	figs := feedMulti(t, BacktestConfig{Label: "label", DateColumn: "date"})
	sheets := figs.Sheets()
	if len(sheets) != 2 {
		t.Fatalf("%d sheets", len(sheets))
	}
	blocks := map[string]sinks.SheetBlock{}
	for _, b := range sheets[1].Blocks {
		blocks[b.Title] = b
	}
	auc := exp.Regression["deciles"].Models["all providers"].AUC
	for _, c := range []struct {
		block  string
		row    int
		cells  []any
		charts int
	}{
		{"Incremental value: logistic regression on WoE-binned scores (5-fold CV)", 0, []any{"all providers", "juhe + td + zc"}, 1},
		{"Hit overlap: rows by the providers that hit", 0, []any{"none", exp.Overlap["none"].Rows}, 1},
		{"Rank correlation of the scores (Spearman)", 0, []any{"juhe ~ td"}, 0},
		{"Stability by application month", 3, []any{"2026-04"}, 1},
		{"PSI of each score against the first month", 0, []any{"2026-01", 0.0, ""}, 1},
		{"juhe: cut-offs by decile (approve deciles 1..k)", 9, []any{"10", 100.0}, 1},
		{"juhe: cut-offs by band (approve bands up to)", 0, []any{"< 60"}, 0},
		{"td: list hits (reasons)", 0, []any{"any"}, 1},
		{"zc: swap-in / swap-out (row decision with vs without its vote)", 0, []any{"newly rejected", "", "reject"}, 0},
	} {
		b, ok := blocks[c.block]
		if !ok {
			t.Errorf("Back-test sheet lacks block %q", c.block)
			continue
		}
		if c.row >= len(b.Rows) {
			t.Errorf("%s: %d rows", c.block, len(b.Rows))
			continue
		}
		for i, want := range c.cells {
			if got := b.Rows[c.row][i]; got != want {
				t.Errorf("%s row %d cell %d = %v, want %v", c.block, c.row+1, i+1, got, want)
			}
		}
		if len(b.Charts) != c.charts {
			t.Errorf("%s: %d charts, want %d", c.block, len(b.Charts), c.charts)
		}
	}
	if got := blocks["Incremental value: logistic regression on WoE-binned scores (5-fold CV)"].Rows[0][3].(float64); math.Abs(got-auc) > tol {
		t.Errorf("sheet CV AUC %v, sklearn %v", got, auc)
	}
	var page bytes.Buffer
	if err := figs.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	p := page.String()
	for key, want := range map[string]string{
		"model.all_providers.auc":          FormatMetric(&auc),
		"spearman.juhe~zc":                 FormatMetric(ptr(exp.RankCorrelation["juhe~zc"])),
		"juhe.month.2026-04.psi":           FormatMetric(ptr(exp.Months["juhe"]["2026-04"])) + " shift",
		"overlap.juhe~td~zc.rows":          FormatInt(exp.Overlap["juhe + td + zc"].Rows),
		"juhe.cutoff.10.approval_rate":     "100.0%",
		"zc.list.hit_rate":                 "",
		"td.newly_rejected.rows":           "",
		"juhe.monotone.bins":               "1",
		"month.2026-01.bad_rate":           "",
		"juhe.month.2026-01.hit_rate":      "",
		"juhe.band_cutoff.3.approval_rate": "100.0%",
	} {
		re := regexp.MustCompile(`data-figure="` + regexp.QuoteMeta(key) + `">([^<]*)<`)
		m := re.FindStringSubmatch(p)
		switch {
		case m == nil:
			t.Errorf("report.html lacks %s", key)
		case want != "" && !strings.HasPrefix(m[1], want):
			t.Errorf("report.html %s = %q, want %q", key, m[1], want)
		}
	}
	if n := strings.Count(p, "<svg"); n < 20 {
		t.Errorf("report.html has %d charts", n)
	}
}

// TestParseDate: the date formats of backtest.date_column.
func TestParseDate(t *testing.T) {
	for _, c := range []struct {
		in   string
		y, m int
		ok   bool
	}{
		{"2026-01-15", 2026, 1, true},
		{"2026/2/3", 2026, 2, true},
		{"2026-03-05 10:00:00", 2026, 3, true},
		{"2026-03-05T10:00:00Z", 2026, 3, true},
		{"46054", 2026, 2, true},    // Excel serial of 2026-02-01
		{"46054.75", 2026, 2, true}, // with a time of day
		{"61", 1900, 3, true},       // 1900-03-01, past Excel's phantom 1900-02-29
		{"60", 0, 0, false},         // the phantom day itself and before
		{"2026-13-01", 0, 0, false},
		{"2026-02-30", 0, 0, false},
		{"20260105", 0, 0, false}, // an 8-digit number is not a serial
		{"26-01-05", 0, 0, false},
		{"2026-1-5x", 0, 0, false},
		{"yesterday", 0, 0, false},
		{"1899-12-31", 0, 0, false},
	} {
		y, m, ok := parseDate(c.in)
		if ok != c.ok || y != c.y || m != c.m {
			t.Errorf("parseDate(%q) = %d-%d %v, want %d-%d %v", c.in, y, m, ok, c.y, c.m, c.ok)
		}
	}
}

// TestDatesCountedAndNamed: empty and unreadable dates are counted, the
// first unreadable ones named by row; a missing date column is an error.
func TestDatesCountedAndNamed(t *testing.T) {
	pl := mustCompile(t, Config{Backtest: BacktestConfig{Label: "label", DateColumn: "applied"}}, allProviders[:1])
	if _, err := NewCollector(pl, []string{"label"}); err == nil || !strings.Contains(err.Error(), `backtest.date_column names column "applied"`) {
		t.Fatalf("missing date column: %v", err)
	}
	coll, err := NewCollector(pl, []string{"label", "Applied"})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(coll.Columns()))
	for _, d := range []string{"2026-01-02", "", "2026-02-30", "46054", "soon", "2026/03/01"} {
		coll.Observe([]string{"hit"}, [][]string{vals(juheCols, "score", "50")}, []string{"0", d}, out)
	}
	bt := coll.Figures(Run{}).Backtest
	want := DateFigures{Column: "applied", Dated: 3, Empty: 1, Bad: 2, BadExamples: []string{`row 3: "2026-02-30"`, `row 5: "soon"`}}
	if got := bt.Dates; got == nil || got.Dated != want.Dated || got.Empty != want.Empty || got.Bad != want.Bad || strings.Join(got.BadExamples, "|") != strings.Join(want.BadExamples, "|") {
		t.Errorf("dates %+v, want %+v", got, want)
	}
	var months []string
	for _, m := range bt.Months {
		months = append(months, fmt.Sprintf("%s:%d", m.Month, m.Rows))
	}
	if got := strings.Join(months, " "); got != "2026-01:1 2026-02:1 2026-03:1" {
		t.Errorf("months %s", got)
	}
}

// TestSwap: the row decision with and without each provider's vote.
func TestSwap(t *testing.T) {
	pl := mustCompile(t, Config{Backtest: BacktestConfig{Label: "label"}}, allProviders[:2])
	coll, err := NewCollector(pl, []string{"label"})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(coll.Columns()))
	rows := []struct {
		juhe, td string // Juhe score ("" no-hit), TD result ("" no-hit)
		label    string
	}{
		{"90", "accept", "1"}, // juhe reject, td pass: juhe newly rejects (pass → reject)
		{"90", "accept", "0"},
		{"70", "decline", "1"}, // td newly rejects (review → reject)
		{"10", "", "0"},        // only juhe votes: newly accepted by juhe (no vote = review → pass)
		{"10", "", "1"},
		{"", "review", "0"}, // td's review equals the no-vote review: no change
		{"10", "accept", "0"},
	}
	for _, r := range rows {
		st := []string{"no_hit", "no_hit"}
		v := [][]string{vals(juheCols), vals(tdCols)}
		if r.juhe != "" {
			st[0], v[0] = "hit", vals(juheCols, "score", r.juhe)
		}
		if r.td != "" {
			st[1], v[1] = "hit", vals(tdCols, "score", "50", "result", r.td)
		}
		coll.Observe(st, v, []string{r.label}, out)
	}
	bt := coll.Figures(Run{}).Backtest
	for _, c := range []struct {
		prov                      int
		rejRows, rejBads, accRows int
		accBads                   int
		changes                   string
	}{
		{0, 2, 1, 2, 1, "pass→reject 2; review→pass 2"},
		{1, 1, 1, 0, 0, "review→reject 1"},
	} {
		s := bt.Providers[c.prov].Swap
		var ch []string
		for _, x := range s.Changes {
			ch = append(ch, fmt.Sprintf("%s→%s %d", x.Without, x.With, x.Rows))
		}
		if s.NewlyRejected.Rows != c.rejRows || s.NewlyRejected.Bads != c.rejBads || s.NewlyAccepted.Rows != c.accRows || s.NewlyAccepted.Bads != c.accBads || strings.Join(ch, "; ") != c.changes {
			t.Errorf("%s swap: rejected %d/%d accepted %d/%d changes %q, want %d/%d %d/%d %q", bt.Providers[c.prov].Name,
				s.NewlyRejected.Bads, s.NewlyRejected.Rows, s.NewlyAccepted.Bads, s.NewlyAccepted.Rows, strings.Join(ch, "; "),
				c.rejBads, c.rejRows, c.accBads, c.accRows, c.changes)
		}
	}
}

// TestMonotoneBinsHand: a hand-made case of each merge rule.
func TestMonotoneBinsHand(t *testing.T) {
	// 20 distinct scores, one row each, so the 20 starting bins are the
	// scores; bads at 3 (a violation of the rise), 10, 15–20.
	var groups []scoreGroup
	for s := 1; s <= 20; s++ {
		bad := 0
		if s == 3 || s == 10 || s >= 15 {
			bad = 1
		}
		groups = append(groups, scoreGroup{score: float64(s), rows: 1, bads: bad})
	}
	for _, c := range []struct {
		share float64
		want  string
	}{
		// No minimum: 3 (bad) then 4 (good) fall, so they merge (1/2); 5–9
		// are good, below 1/2, and merge in one by one (3–9, 1/7); 10 (bad)
		// absorbs 11–14 the same way (1/5 ≥ 1/7); 15–20 are all bad. Equal
		// rates (1 and 2 at 0) stay apart.
		{0, "1 0/1, 2 0/1, 3–9 1/7, 10–14 1/5, 15 1/1, 16 1/1, 17 1/1, 18 1/1, 19 1/1, 20 1/1"},
		// 30% of 20 rows = 6: the smallest bin first (the first of equal
		// ones): 1 joins its only neighbour (1–2); 15 joins 16 (rate 1,
		// closer than 10–14's 0.2); 17 sits between 15–16 and 18, both at
		// 1: the lower one wins, and so on to 15–20; 1–2 joins 3–9; 10–14
		// (5 rows) is closer to 1–9 (0.11) than to 15–20 (1).
		{0.3, "1–14 2/14, 15–20 6/6"},
	} {
		var got []string
		for _, b := range monotoneBins(groups, c.share) {
			r := fmtNum(b.from)
			if b.to != b.from {
				r += "–" + fmtNum(b.to)
			}
			got = append(got, fmt.Sprintf("%s %d/%d", r, b.bads, b.rows))
		}
		if g := strings.Join(got, ", "); g != c.want {
			t.Errorf("min share %v: %s\n want %s", c.share, g, c.want)
		}
	}
}
