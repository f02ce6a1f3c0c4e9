package report

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"testing"
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

func nearTo(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = undefined, want %.9f", what, want)
		return
	}
	if math.Abs(*got-want) > tol {
		t.Errorf("%s = %.9f, sklearn/pandas %.9f", what, *got, want)
	}
}

// TestAgreesWithSklearn compares the fixture's figures with the values
// scikit-learn and pandas computed (testdata/reference.py), to 1e-6.
func TestAgreesWithSklearn(t *testing.T) {
	exp := readExpected(t)
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
