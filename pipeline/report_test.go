package pipeline_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/pipeline/summary"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// backtestInput writes n generated applicants with a 0/1 label (from each
// person's latent risk, some of them outsiders: no-hits) as in.csv, and
// blanks the label of row blankLabel (1-based).
func backtestInput(t *testing.T, dir string, n, blankLabel int) [][]string {
	t.Helper()
	cfg := sandbox.GenConfig{Rows: n, Seed: popSeed, Population: popSize, Market: "cn", Unknown: 0.15, Label: true, Draw: 11}
	var rows [][]string
	rows = append(rows, sandbox.GenHeader(cfg))
	if err := pop.Gen(cfg, func(r []string) error {
		rows = append(rows, append([]string(nil), r...))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rows[blankLabel][len(rows[0])-1] = ""
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "in.csv"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}

func (f *fixture) backtestJob(over map[string]string) *jobfile.Job {
	f.t.Helper()
	return f.jobFrom(filepath.Join("testdata", "backtest_job.yaml"), "job.yaml", over)
}

// naiveMetrics is the test's own back-test: every (bad, good) pair for
// AUC, every distinct score as a cut for KS.
func naiveMetrics(scores []float64, bad []bool) (ks, auc float64) {
	var B, G float64
	for _, b := range bad {
		if b {
			B++
		} else {
			G++
		}
	}
	var u float64
	for i := range scores {
		for j := range scores {
			if bad[i] && !bad[j] {
				switch {
				case scores[i] > scores[j]:
					u++
				case scores[i] == scores[j]:
					u += 0.5
				}
			}
		}
	}
	for _, cut := range scores {
		var b, g float64
		for i, s := range scores {
			if s <= cut {
				if bad[i] {
					b++
				} else {
					g++
				}
			}
		}
		ks = math.Max(ks, math.Abs(b/B-g/G))
	}
	return ks, u / (B * G)
}

// TestBacktestRun runs a labelled file through Juhe on the sandbox and
// checks what the analyst reads: the decision columns, the figures in
// summary.json against the test's own computation from the result sheet,
// the Summary and Back-test sheets first in results.xlsx with native charts
// and coloured score cells, and report.html as rendered by Chromium.
func TestBacktestRun(t *testing.T) {
	f := newFixture(t, nil)
	inputs := backtestInput(t, f.dir, 120, 7)
	job := f.backtestJob(nil)
	sum := f.mustRun(job, pipeline.Options{})
	res := checkAccounting(t, f.outDir(), sum, inputs)

	// Decision columns: the row's decision and rule right after the input
	// columns, Juhe's vote after its status; Juhe's document rules,
	// recomputed here.
	if got := res.header[len(inputs[0]) : len(inputs[0])+4]; !slices.Equal(got, []string{"decision", "decision_rule", "juhe_status", "juhe_decision"}) {
		t.Fatalf("columns after the input %q", got)
	}
	counts := map[string]int{}
	var scores []float64
	var bad []bool
	answered := 0
	for i := range res.rows {
		st, score := res.get(i, "juhe_status"), res.get(i, "juhe_score")
		want, rule := "", ""
		if st == summary.StatusHit {
			s, err := strconv.ParseFloat(score, 64)
			if err != nil {
				t.Fatalf("row %d: hit with score %q", i+1, score)
			}
			switch {
			case s > 80:
				want, rule = "reject", "juhe: Juhe score > 80"
			case s >= 60:
				want, rule = "review", "juhe: Juhe score 60–80"
			default:
				want, rule = "pass", "juhe: Juhe score < 60"
			}
		}
		row := want
		if row == "" {
			row, rule = "review", "no provider voted"
		}
		if got := []string{res.get(i, "juhe_decision"), res.get(i, "decision"), res.get(i, "decision_rule")}; !slices.Equal(got, []string{want, row, rule}) {
			t.Errorf("row %d (%s score %q): decisions %q, want %q", i+1, st, score, got, []string{want, row, rule})
		}
		counts[row]++
		label := res.get(i, "label")
		if label == "" || (st != summary.StatusHit && st != summary.StatusNoHit) {
			continue
		}
		answered++
		if st == summary.StatusHit {
			s, _ := strconv.ParseFloat(score, 64)
			scores = append(scores, s)
			bad = append(bad, label == "1")
		}
	}

	// summary.json: the same figures as the test's naive computation.
	disk := readSummary(t, f.outDir())
	rep := disk.Report
	if rep == nil || rep.Backtest == nil || len(rep.Backtest.Providers) != 1 || rep.Decisions == nil {
		t.Fatalf("summary.json report = %+v", rep)
	}
	for _, d := range []string{"pass", "review", "reject"} {
		if rep.Decisions.Rows[d] != counts[d] {
			t.Errorf("summary.json decisions %s = %d, the sheet has %d", d, rep.Decisions.Rows[d], counts[d])
		}
	}
	bt := rep.Backtest
	if bt.RowsLabelled != len(inputs)-1 || bt.RowsUnlabelled != 1 {
		t.Errorf("labelled %d unlabelled %d, want %d 1", bt.RowsLabelled, bt.RowsUnlabelled, len(inputs)-1)
	}
	p := bt.Providers[0]
	ks, auc := naiveMetrics(scores, bad)
	if p.Scored != len(scores) || p.Answered != answered {
		t.Errorf("scored %d answered %d, the sheet has %d %d", p.Scored, p.Answered, len(scores), answered)
	}
	if p.KS == nil || p.AUC == nil || math.Abs(*p.KS-ks) > 1e-9 || math.Abs(*p.AUC-auc) > 1e-9 || math.Abs(*p.Gini-(2*auc-1)) > 1e-9 {
		t.Errorf("KS %v AUC %v Gini %v, want %v %v %v", p.KS, p.AUC, p.Gini, ks, auc, 2*auc-1)
	}
	// The sandbox's scores follow the latent risk the label is drawn from.
	if auc < 0.65 || ks < 0.2 {
		t.Errorf("back-test shows no separation: KS %.3f AUC %.3f", ks, auc)
	}
	hitRate := float64(disk.Providers[0].Status["hit"]) / float64(disk.Providers[0].Status["hit"]+disk.Providers[0].Status["no_hit"])
	pf := rep.Providers[0]
	if pf.HitRate == nil || *pf.HitRate != hitRate || pf.CostPerHit == nil || math.Abs(*pf.CostPerHit-disk.Providers[0].Cost/float64(disk.Providers[0].Status["hit"])) > 1e-9 {
		t.Errorf("hit rate %v cost per hit %v, want %v", pf.HitRate, pf.CostPerHit, hitRate)
	}

	var table bytes.Buffer
	sum.WriteTable(&table)
	if want := fmt.Sprintf("%.3f", ks); !strings.Contains(table.String(), "back-test on label") || !strings.Contains(table.String(), want) {
		t.Errorf("end-of-run table lacks the back-test (KS %s):\n%s", want, table.String())
	}

	checkReportWorkbook(t, filepath.Join(f.outDir(), "results.xlsx"), res)

	// report.html, rendered by a real browser, shows the figures.
	dom := chromiumDOM(t, filepath.Join(f.outDir(), "report.html"))
	for key, want := range map[string]string{
		"juhe.hit_rate":          fmt.Sprintf("%.1f%%", hitRate*100),
		"juhe.ks":                fmt.Sprintf("%.3f", ks),
		"juhe.auc":               fmt.Sprintf("%.3f", auc),
		"juhe.gini":              fmt.Sprintf("%.3f", 2*auc-1),
		"juhe.backtest_hit_rate": fmt.Sprintf("%.1f%%", float64(len(scores))/float64(answered)*100),
		"rows.decision.reject":   strconv.Itoa(counts["reject"]),
	} {
		if !strings.Contains(dom, `data-figure="`+key+`">`+want+`<`) {
			t.Errorf("rendered report.html lacks %s = %s", key, want)
		}
	}
	if strings.Count(dom, "<svg") < 5 {
		t.Errorf("rendered report.html has %d charts, want status, decisions, distribution, KS, ROC, deciles", strings.Count(dom, "<svg"))
	}
}

// checkReportWorkbook: Summary and Back-test come first, with native
// charts, and Juhe's score cells are coloured by the rule that decides them.
func checkReportWorkbook(t *testing.T, path string, res resultSheet) {
	t.Helper()
	x, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if got := x.GetSheetList(); !slices.Equal(got, []string{"Summary", "Back-test", "Results"}) {
		t.Fatalf("results.xlsx sheets %q, want Summary, Back-test, Results", got)
	}
	if x.GetActiveSheetIndex() != 0 {
		t.Errorf("results.xlsx opens on sheet %d, want the Summary", x.GetActiveSheetIndex())
	}
	rows, err := x.GetRows("Summary")
	if err != nil {
		t.Fatal(err)
	}
	var text []string
	for _, r := range rows {
		text = append(text, strings.Join(r, "|"))
	}
	all := strings.Join(text, "\n")
	for _, want := range []string{"riskbatch run summary", "Providers", "juhe|juhe|", "Decisions", "juhe: score distribution", "Back-test"} {
		if !strings.Contains(all, want) {
			t.Errorf("Summary sheet lacks %q:\n%s", want, all)
		}
	}
	col, _ := excelize.ColumnNumberToName(res.col("juhe_score") + 1)
	cfs, err := x.GetConditionalFormats("Results")
	if err != nil {
		t.Fatal(err)
	}
	rng := fmt.Sprintf("%s2:%s%d", col, col, len(res.rows)+1)
	if got := cfs[rng]; len(got) != 3 || !strings.Contains(got[0].Criteria, "--$"+col+"2>80") {
		t.Errorf("juhe_score formats on %s = %+v, want the three Juhe rules", rng, got)
	}
	dcol, _ := excelize.ColumnNumberToName(res.col("decision") + 1)
	if got := cfs[fmt.Sprintf("%s2:%s%d", dcol, dcol, len(res.rows)+1)]; len(got) != 3 {
		t.Errorf("decision column formats = %+v, want pass/review/reject", got)
	}
	checkSummaryLayout(t, x, zipParts(t, path))
	checkNoOverlap(t, "Back-test", zipParts(t, path)["xl/worksheets/_rels/sheet2.xml.rels"], zipParts(t, path))
	for _, sh := range []string{"Summary", "Back-test"} {
		pics := 0
		parts := zipParts(t, path)
		rels := parts[fmt.Sprintf("xl/worksheets/_rels/sheet%d.xml.rels", slices.Index(x.GetSheetList(), sh)+1)]
		if m := regexp.MustCompile(`drawings/drawing\d+\.xml`).FindString(rels); m != "" {
			pics = strings.Count(parts["xl/"+m], "<c:chart ")
		}
		if pics < 3 {
			t.Errorf("%s sheet has %d charts, want several", sh, pics)
		}
	}
}

var (
	drawingAnchorRe = regexp.MustCompile(`(?s)<xdr:from>(.*?)</xdr:from>\s*<xdr:to>(.*?)</xdr:to>.*?<xdr:cNvPr [^>]*descr="([^"]*)"`)
	drawingPosRe    = regexp.MustCompile(`<xdr:(col|colOff|row|rowOff)>(\d+)</xdr:`)
)

// checkSummaryLayout: the Summary sheet's charts each have their own
// place (no two overlap: "Hit rate" used to sit on "Rows by status"), and
// the rules table's rule names fit their column.
func checkSummaryLayout(t *testing.T, x *excelize.File, parts map[string]string) {
	t.Helper()
	names := checkNoOverlap(t, "Summary", parts["xl/worksheets/_rels/sheet1.xml.rels"], parts)
	if !names["Hit rate"] || !names["Rows by status"] {
		t.Errorf("Summary charts %v lack Hit rate or Rows by status", names)
	}
	rows, _ := x.GetRows("Summary")
	for i, r := range rows {
		if len(r) > 0 && r[0] == "Rules" && i+1 < len(rows) && len(rows[i+1]) > 1 && rows[i+1][1] == "rule" {
			w, _ := x.GetColWidth("Summary", "B")
			for _, rr := range rows[i+2:] {
				if len(rr) < 2 || rr[1] == "" {
					break
				}
				if float64(len([]rune(rr[1]))) > w {
					t.Errorf("rule name %q (%d characters) is cut by column B, %.1f wide", rr[1], len([]rune(rr[1])), w)
				}
			}
			return
		}
	}
	t.Error("Summary sheet has no Rules table")
}

// checkNoOverlap reads the chart anchors of the drawing a sheet's
// relationships (rels) name and fails on any two charts that overlap; it
// returns the charts' titles.
func checkNoOverlap(t *testing.T, sheet, rels string, parts map[string]string) map[string]bool {
	t.Helper()
	type box struct {
		name           string
		c0, r0, c1, r1 [2]int // cell and offset
	}
	m := regexp.MustCompile(`drawings/drawing\d+\.xml`).FindString(rels)
	var boxes []box
	for _, a := range drawingAnchorRe.FindAllStringSubmatch(parts["xl/"+m], -1) {
		pos := func(s string) map[string]int {
			v := map[string]int{}
			for _, p := range drawingPosRe.FindAllStringSubmatch(s, -1) {
				v[p[1]], _ = strconv.Atoi(p[2])
			}
			return v
		}
		f, to := pos(a[1]), pos(a[2])
		boxes = append(boxes, box{a[3], [2]int{f["col"], f["colOff"]}, [2]int{f["row"], f["rowOff"]}, [2]int{to["col"], to["colOff"]}, [2]int{to["row"], to["rowOff"]}})
	}
	le := func(a, b [2]int) bool { return a[0] < b[0] || (a[0] == b[0] && a[1] <= b[1]) }
	names := map[string]bool{}
	for i, a := range boxes {
		names[a.name] = true
		for _, b := range boxes[:i] {
			if !(le(a.c1, b.c0) || le(b.c1, a.c0) || le(a.r1, b.r0) || le(b.r1, a.r0)) {
				t.Errorf("%s charts %q (%v,%v)-(%v,%v) and %q (%v,%v)-(%v,%v) overlap", sheet, a.name, a.c0, a.r0, a.c1, a.r1, b.name, b.c0, b.r0, b.c1, b.r1)
			}
		}
	}
	if len(boxes) == 0 {
		t.Errorf("%s sheet: no chart anchors found", sheet)
	}
	return names
}

func zipParts(t *testing.T, path string) map[string]string {
	t.Helper()
	x, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	out := map[string]string{}
	x.Pkg.Range(func(k, v any) bool {
		out[k.(string)] = string(v.([]byte))
		return true
	})
	return out
}

// chromiumDOM renders page in headless Chromium (Debian's chromium) and
// returns the DOM. Without chromium the test fails in CI and is skipped
// elsewhere.
func chromiumDOM(t *testing.T, page string) string {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is not installed (CI=%s): report.html must be rendered by a browser; apt-get install chromium", os.Getenv("CI"))
		}
		t.Skip("chromium is not installed (CI installs it: .ci/run)")
	}
	profile, err := os.MkdirTemp("", "riskbatch-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(profile) // chromium helpers may still be writing; best effort
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	abs, err := filepath.Abs(page)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir="+profile,
		"--window-size=390,844", "--dump-dom", "file://"+abs)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium --dump-dom: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "</html>") {
		t.Fatalf("chromium rendered no page:\n%s", stderr.String())
	}
	return stdout.String()
}

// TestBacktestLabelMissing: a label column absent from the input is an
// input error before any call, leaving no job state behind.
func TestBacktestLabelMissing(t *testing.T) {
	f := newFixture(t, nil)
	backtestInput(t, f.dir, 5, 1)
	job := f.backtestJob(map[string]string{"LABEL": "bad_flag"})
	_, err, _ := f.runJob(job, pipeline.Options{})
	var ie *input.Error
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), `backtest.label names column "bad_flag", which is not in the file`) {
		t.Fatalf("err = %v, want an input error naming bad_flag", err)
	}
	if _, err := os.Stat(filepath.Join(f.outDir(), ".state", "manifest.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("job state left behind: %v", err)
	}
	if calls, _ := totalCalls(f.counters()); calls != 0 {
		t.Errorf("%d calls made", calls)
	}
}

// TestDecisionRulesInJob: rules are data in the job; a bad one is a
// configuration error naming it, found when the job loads.
func TestDecisionRulesInJob(t *testing.T) {
	dir := t.TempDir()
	base := `input: {file: in.csv}
output: {dir: out}
providers:
  - name: juhe
    type: juhe
    endpoint: http://127.0.0.1:1/anti_fraud/queryV2
    keys: [{id: k1, credentials: {key: abc}}]
`
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"good", `decisions:
  no_vote: pass
  providers:
    juhe:
      - {name: "juhe high", when: "score >= 85", decision: reject}
      - {when: "score < 85", decision: pass}
backtest:
  label: dpd
  dpd_threshold: 30
  bands:
    juhe: [{name: low, when: "score < 50"}, {name: high, when: "score >= 50"}]
`, nil},
		{"bad rule", `decisions:
  providers:
    juhe:
      - {name: "juhe high score", when: "scroe > 80", decision: reject}
      - {when: "score > 1", decision: maybe}
`, []string{
			`decisions.providers.juhe rule 1 "juhe high score": when "scroe > 80": unknown column "scroe" (juhe columns: score, found, id_found, risk_codes, orderid)`,
			`decisions.providers.juhe rule 2: decision "maybe" is not pass, review or reject`,
		}},
		{"unknown key", "decisions:\n  provider: {}\n", []string{"field provider not found"}},
		{"backtest without label", "backtest:\n  scores: {juhe: found}\n", []string{"backtest.label: the input column holding the outcome"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name+".yaml")
			if err := os.WriteFile(path, []byte(base+c.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			job, err := pipeline.LoadJob(path, func(string) (string, bool) { return "", false })
			if c.want == nil {
				if err != nil {
					t.Fatalf("LoadJob: %v", err)
				}
				if job.Decisions.NoVote != "pass" || *job.Backtest.DPDThreshold != 30 {
					t.Errorf("decoded %+v %+v", job.Decisions, job.Backtest)
				}
				return
			}
			var ce *jobfile.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a ConfigError", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}
