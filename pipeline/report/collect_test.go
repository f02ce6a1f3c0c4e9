package report

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// feedFixture sends the hand-computed sample through a collector as Juhe
// hits (label in the input's second column), plus rows that must stay out
// of the metrics: labelled no-hits, a failed call, unlabelled rows and
// unreadable labels.
func feedFixture(t *testing.T, cfg Config) (*Collector, *Figures) {
	t.Helper()
	pl := mustCompile(t, cfg, allProviders[:1])
	coll, err := NewCollector(pl, []string{"ref", "Label"})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(coll.Columns()))
	row := func(status, score, label string) {
		v := vals(juheCols)
		if status == "hit" {
			v = vals(juheCols, "score", score, "found", "1")
		}
		coll.Observe([]string{status}, [][]string{v}, []string{"r", label}, out)
	}
	for _, s := range readScored(t, "testdata/scored_small.csv") {
		lbl := "0"
		if s.Bad {
			lbl = "1"
		}
		row("hit", strconv.FormatFloat(s.Score, 'f', -1, 64), lbl)
	}
	row("no_hit", "", "1")
	row("no_hit", "", "0")
	row("no_hit", "", "0")
	row("failed", "", "1")  // labelled, not answered: out of the provider's back-test
	row("hit", "50", "")    // no label: in the distribution, not the back-test
	row("hit", "50", "2")   // not a 0/1 label
	row("hit", "50", "bad") // not a label
	figs := coll.Figures(Run{
		Statuses:  []string{"hit", "no_hit", "failed"},
		Providers: []RunProvider{{Name: "juhe", Type: "juhe", Status: map[string]int{"hit": 23, "no_hit": 3, "failed": 1}, Cost: 13, Currency: "CNY", HitRate: 23.0 / 26}},
	})
	return coll, figs
}

func TestCollectorBacktest(t *testing.T) {
	_, figs := feedFixture(t, Config{Backtest: BacktestConfig{Label: "label"}})
	bt := figs.Backtest
	if bt == nil || len(bt.Providers) != 1 {
		t.Fatalf("backtest figures %+v", bt)
	}
	// 20 + 3 no-hits + 1 failed are labelled; 1 empty, 2 unreadable.
	if bt.RowsLabelled != 24 || bt.Bads != 11 || bt.RowsUnlabelled != 1 || bt.BadLabels != 2 {
		t.Errorf("labelled %d bads %d unlabelled %d bad labels %d, want 24 11 1 2", bt.RowsLabelled, bt.Bads, bt.RowsUnlabelled, bt.BadLabels)
	}
	p := bt.Providers[0]
	if p.ScoreColumn != "score" || p.Answered != 23 || p.Scored != 20 {
		t.Errorf("score %q answered %d scored %d, want score 23 20", p.ScoreColumn, p.Answered, p.Scored)
	}
	near(t, "back-test hit rate", p.HitRate, 20.0/23)
	// The same figures as the hand computation: the extra rows changed nothing.
	near(t, "KS", p.KS, 16.0/33)
	near(t, "AUC", p.AUC, 73.0/99)
	near(t, "Gini", p.Gini, 47.0/99)
	if math.Abs(*p.IV-0.829244) > 5e-6 {
		t.Errorf("IV %v", *p.IV)
	}
	// Juhe's document bands over the scored rows (<60: 16 rows 6 bad;
	// 60–80: 63 bad, 70 good; >80: 88, 88 bad), lift over the answered
	// rows' bad rate 10/23, then the no-hits.
	base := 10.0 / 23
	want := []struct {
		label      string
		rows, bads int
	}{{"< 60", 16, 6}, {"60–80", 2, 1}, {"> 80", 2, 2}, {"no score", 3, 1}}
	got := append(append([]Bin(nil), p.Bands...), p.Unscored)
	if len(got) != len(want) {
		t.Fatalf("bands %+v", got)
	}
	for i, w := range want {
		b := got[i]
		if b.Label != w.label || b.Rows != w.rows || b.Bads != w.bads {
			t.Errorf("band %d = %s %d/%d, want %s %d/%d", i, b.Label, b.Bads, b.Rows, w.label, w.bads, w.rows)
		}
		near(t, "lift of "+w.label, b.Lift, float64(w.bads)/float64(w.rows)/base)
	}
	// The provider's votes follow the same default bands here.
	for i, d := range p.ByDecision {
		w := want[i]
		if d.Rows != w.rows || d.Bads != w.bads {
			t.Errorf("vote %s: %d/%d, want %d/%d", d.Label, d.Bads, d.Rows, w.bads, w.rows)
		}
	}
	// Row decisions: pass 16 (+ the 3 unreadable labels at 50 are pass but
	// unlabelled), review = 60–80 + rows with no vote (no-hits, failed).
	rows := map[string]Bin{}
	for _, b := range bt.ByDecision {
		rows[b.Label] = b
	}
	if rows["pass"].Rows != 16 || rows["review"].Rows != 2+4 || rows["reject"].Rows != 2 {
		t.Errorf("row decisions by label: %+v", bt.ByDecision)
	}
	pf := figs.Providers[0]
	near(t, "hit rate", pf.HitRate, 23.0/26)
	near(t, "cost per hit", pf.CostPerHit, 13.0/23)
	if d := figs.Decisions; d.Rows["pass"] != 19 || d.Rows["review"] != 6 || d.Rows["reject"] != 2 || d.NoVote != 4 {
		t.Errorf("row decisions %+v", d)
	}
	if pf.Decisions["no_vote"] != 4 || pf.Decisions["pass"] != 19 {
		t.Errorf("juhe votes %v", pf.Decisions)
	}
	if pf.Scores == nil || pf.Scores.Count != 23 || pf.Scores.Min != 5 || pf.Scores.Max != 88 {
		t.Errorf("distribution %+v", pf.Scores)
	}
	// It all goes into summary.json.
	b, err := json.Marshal(figs)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"ks":0.4848`, `"auc":0.7373`, `"hit_rate":0.8695`, `"label":"label"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("JSON lacks %s", want)
		}
	}
}

// TestCollectorDPDLabel: days past due against a threshold.
func TestCollectorDPDLabel(t *testing.T) {
	thr := 30.0
	pl := mustCompile(t, Config{Backtest: BacktestConfig{Label: "dpd", DPDThreshold: &thr}}, allProviders[:1])
	coll, err := NewCollector(pl, []string{"DPD "})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(coll.Columns()))
	for _, c := range []struct{ score, dpd string }{{"10", "0"}, {"20", "29"}, {"90", "30"}, {"80", "45.5"}, {"50", "-1"}, {"50", "n/a"}, {"50", ""}} {
		coll.Observe([]string{"hit"}, [][]string{vals(juheCols, "score", c.score)}, []string{c.dpd}, out)
	}
	bt := coll.Figures(Run{}).Backtest
	if bt.RowsLabelled != 4 || bt.Bads != 2 || bt.BadLabels != 2 || bt.RowsUnlabelled != 1 {
		t.Errorf("labelled %d bads %d bad labels %d unlabelled %d, want 4 2 2 1", bt.RowsLabelled, bt.Bads, bt.BadLabels, bt.RowsUnlabelled)
	}
	near(t, "AUC", bt.Providers[0].AUC, 1)
}

// TestMissingLabelColumn names the column and the file's columns.
func TestMissingLabelColumn(t *testing.T) {
	pl := mustCompile(t, Config{Backtest: BacktestConfig{Label: "bad_flag"}}, allProviders[:1])
	_, err := NewCollector(pl, []string{"name", "label"})
	if err == nil || !strings.Contains(err.Error(), `backtest.label names column "bad_flag", which is not in the file`) || !strings.Contains(err.Error(), "name, label") {
		t.Fatalf("err = %v", err)
	}
}

// TestDecisionsOff: no decision columns and no decision figures.
func TestDecisionsOff(t *testing.T) {
	off := false
	_, figs := feedFixture(t, Config{Decisions: DecisionConfig{Enabled: &off}, Backtest: BacktestConfig{Label: "label"}})
	if figs.Decisions != nil || figs.Providers[0].Decisions != nil || figs.Backtest.ByDecision != nil {
		t.Errorf("decision figures with decisions off: %+v", figs)
	}
}

// TestHTMLSelfContained: report.html carries the figures, fetches nothing.
func TestHTMLSelfContained(t *testing.T) {
	_, figs := feedFixture(t, Config{Backtest: BacktestConfig{Label: "label"}})
	figs.run.FinishedAt = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	if err := figs.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for key, want := range map[string]string{
		"juhe.ks": "0.485", "juhe.auc": "0.737", "juhe.gini": "0.475", "juhe.iv": "0.829",
		"juhe.hit_rate": "88.5%", "juhe.backtest_hit_rate": "87.0%", "juhe.cost_per_hit": "0.57 CNY",
		"rows.decision.reject": "2",
	} {
		if !strings.Contains(page, `data-figure="`+key+`">`+want+`<`) {
			t.Errorf("report.html lacks %s = %s", key, want)
		}
	}
	if m := regexp.MustCompile(`(?i)(src|href)\s*=|@import|url\(|<script|<link`).FindString(page); m != "" {
		t.Errorf("report.html refers to something outside itself: %q", m)
	}
}
