package report

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// readScored reads a testdata sample: "score,label" lines after a header,
// '#' lines being the hand computation.
func readScored(t *testing.T, path string) []Sample {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Sample
	sc := bufio.NewScanner(f)
	header := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !header {
			header = true
			continue
		}
		parts := strings.Split(line, ",")
		s, err := strconv.ParseFloat(parts[0], 64)
		if err != nil {
			t.Fatalf("%s: %q: %v", path, line, err)
		}
		out = append(out, Sample{Score: s, Bad: parts[1] == "1"})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

const tol = 1e-6

func near(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = undefined, want %.6f", what, want)
		return
	}
	if math.Abs(*got-want) > tol {
		t.Errorf("%s = %.6f, want %.6f", what, *got, want)
	}
}

// TestMetricsHandComputed checks every figure against the hand computation
// in testdata/scored_small.csv (ties in KS, AUC and the deciles).
func TestMetricsHandComputed(t *testing.T) {
	m := ComputeMetrics(readScored(t, "testdata/scored_small.csv"))
	if m.Rows != 20 || m.Bads != 9 || m.Goods != 11 {
		t.Fatalf("rows %d bads %d goods %d, want 20 9 11", m.Rows, m.Bads, m.Goods)
	}
	near(t, "bad rate", m.BadRate, 0.45)
	near(t, "KS", m.KS, 16.0/33)
	near(t, "KS score", m.KSScore, 40)
	near(t, "AUC", m.AUC, 73.0/99)
	near(t, "Gini", m.Gini, 47.0/99)
	if m.IV == nil || math.Abs(*m.IV-0.829244) > 5e-6 {
		t.Errorf("IV = %v, want 0.829244 (hand computed to 6 places)", FormatMetric(m.IV))
	}
	type bin struct {
		from, to   float64
		rows, bads int
		lift, iv   float64
	}
	want := []bin{
		{5, 8, 2, 0, 0, 0.149700},
		{12, 15, 5, 2, 0.888889, 0.010343},
		{22, 22, 1, 0, 0, 0.017411},
		{25, 31, 3, 1, 0.740741, 0.034822},
		{40, 40, 1, 0, 0, 0.017411},
		{47, 55, 4, 3, 1.666667, 0.314978},
		{63, 70, 2, 1, 1.111111, 0.004054},
		{88, 88, 2, 2, 2.222222, 0.280525},
	}
	if len(m.Deciles) != len(want) {
		t.Fatalf("%d decile bins, want %d: %+v", len(m.Deciles), len(want), m.Deciles)
	}
	for i, w := range want {
		d := m.Deciles[i]
		if d.Label != strconv.Itoa(i+1) || *d.From != w.from || *d.To != w.to || d.Rows != w.rows || d.Bads != w.bads || d.Goods != w.rows-w.bads {
			t.Errorf("decile %d = %s %v–%v rows %d bads %d goods %d, want %d %v–%v rows %d bads %d",
				i+1, d.Label, *d.From, *d.To, d.Rows, d.Bads, d.Goods, i+1, w.from, w.to, w.rows, w.bads)
		}
		if math.Abs(*d.Lift-w.lift) > 1e-6 || math.Abs(*d.IV-w.iv) > 5e-6 {
			t.Errorf("decile %d lift %.6f IV %.6f, want %.6f %.6f", i+1, *d.Lift, *d.IV, w.lift, w.iv)
		}
	}
	near(t, "cum bad after decile 8", m.Deciles[7].CumBad, 1)
	near(t, "cum good after decile 5", m.Deciles[4].CumGood, 9.0/11)
	// The curves start and end where they must.
	if c := m.KSCurve; len(c) != 13 || c[len(c)-1].CumBad != 1 || c[len(c)-1].CumGood != 1 {
		t.Errorf("KS curve = %+v, want 13 points ending at (1, 1)", c)
	}
	if r := m.ROC; len(r) != 14 || r[0] != (ROCPoint{}) || r[len(r)-1] != (ROCPoint{FPR: 1, TPR: 1}) {
		t.Errorf("ROC = %+v, want 14 points from (0,0) to (1,1)", r)
	}
}

// TestMetricsEdgeCases covers samples whose figures follow from their shape.
func TestMetricsEdgeCases(t *testing.T) {
	mk := func(pairs ...float64) []Sample {
		var s []Sample
		for i := 0; i < len(pairs); i += 2 {
			s = append(s, Sample{Score: pairs[i], Bad: pairs[i+1] == 1})
		}
		return s
	}
	cases := []struct {
		name        string
		in          []Sample
		ks, auc, iv *float64
		deciles     int
	}{
		// Every bad above every good: the curves are apart by everything.
		{"perfect", mk(1, 0, 2, 0, 3, 0, 7, 1, 8, 1), ptr(1), ptr(1), nil, 5},
		// Reversed: AUC 0, KS still 1 (KS is a gap, whatever its sign).
		{"reversed", mk(1, 1, 2, 1, 7, 0, 8, 0), ptr(1), ptr(0), nil, 4},
		// One tie holding everything: no separation, one bin, WoE 0.
		{"all tied", mk(5, 0, 5, 1, 5, 0, 5, 1), ptr(0), ptr(0.5), ptr(0), 1},
		// Bad and good interleaved evenly: AUC 0.5 with ties counted half.
		{"half ties", mk(1, 0, 1, 1, 2, 0, 2, 1), ptr(0), ptr(0.5), ptr(0), 2},
		// Without bad rows nothing is defined but the bins.
		{"no bads", mk(1, 0, 2, 0, 3, 0), nil, nil, nil, 3},
		{"empty", nil, nil, nil, nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := ComputeMetrics(c.in)
			check := func(what string, got, want *float64) {
				switch {
				case want == nil && got != nil && what != "IV":
					t.Errorf("%s = %v, want undefined", what, *got)
				case want != nil:
					near(t, what, got, *want)
				}
			}
			check("KS", m.KS, c.ks)
			check("AUC", m.AUC, c.auc)
			check("IV", m.IV, c.iv)
			if len(m.Deciles) != c.deciles {
				t.Errorf("%d bins, want %d", len(m.Deciles), c.deciles)
			}
			if c.auc != nil {
				near(t, "Gini", m.Gini, 2**c.auc-1)
			}
		})
	}
}

// TestDecilesLargeSample: with distinct scores, ten bins of n/10 rows.
func TestDecilesLargeSample(t *testing.T) {
	var s []Sample
	for i := 0; i < 1000; i++ {
		s = append(s, Sample{Score: float64(i), Bad: i%7 == 0})
	}
	m := ComputeMetrics(s)
	if len(m.Deciles) != 10 {
		t.Fatalf("%d bins, want 10", len(m.Deciles))
	}
	for i, d := range m.Deciles {
		if d.Rows != 100 || *d.From != float64(i*100) || *d.To != float64(i*100+99) {
			t.Errorf("bin %d: %d rows %v–%v, want 100 rows %d–%d", i+1, d.Rows, *d.From, *d.To, i*100, i*100+99)
		}
	}
	if len(m.KSCurve) > curvePoints || len(m.ROC) > curvePoints+1 {
		t.Errorf("curves not thinned: %d KS points, %d ROC points", len(m.KSCurve), len(m.ROC))
	}
	found := false
	for _, p := range m.KSCurve {
		if p.Score == *m.KSScore {
			found = true
		}
	}
	if !found {
		t.Errorf("thinned KS curve lost the KS point (score %v)", *m.KSScore)
	}
}
