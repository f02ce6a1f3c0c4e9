package report

import (
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
)

// WriteHTML renders report.html: one self-contained page (inline CSS and
// SVG, no script, nothing fetched) with the run facts, each provider's hit
// rate, statuses, cost, score distribution and decisions, and the
// back-test. Every figure carries data-figure="<provider>.<name>" so tests
// and scrapers can find it.
func (f *Figures) WriteHTML(w io.Writer) error {
	return pageTmpl.Execute(w, f.htmlView())
}

type kv struct{ K, V string }

type figCell struct {
	Key   string // data-figure
	Value string
}

type provView struct {
	Name, Type string
	HitRate    figCell
	Cost       figCell
	CostPerHit figCell
	Calls      string
	Billed     string
	Status     []figCell
	Stopped    string
	Dist       template.HTML
	DistNote   string
	Decisions  []figCell
	Rules      []RuleCount
}

type btProvView struct {
	Name, Type, Column string
	Cells              []figCell // KS, AUC, Gini, IV, hit rate, bad rate
	Scored, Answered   string
	KS, ROC, Deciles   template.HTML
	DecileRows         [][]string
	BandRows           [][]string
	DecisionRows       [][]string
	Extra              []tableView // cut-offs, monotone bins, swaps, list hits
}

type htmlView struct {
	Title       string
	Subtitle    string
	Facts       []kv
	Statuses    []string
	Providers   []provView
	StatusChart template.HTML
	Decisions   bool
	DecChart    template.HTML
	RowDec      []figCell
	RowNoVote   string
	NoVote      string
	BT          *BacktestFigures
	BTFacts     []kv
	BTProviders []btProvView
	BTDecisions [][]string
	BTCross     []tableView // overlap, rank correlation, incremental value, months
	Generated   string
}

func (f *Figures) htmlView() htmlView {
	r := f.run
	v := htmlView{
		Title:    "riskbatch report",
		Subtitle: r.Job,
		Statuses: r.Statuses,
		Generated: fmt.Sprintf("%s · %s", strings.TrimSpace(r.GeneratedBy),
			r.FinishedAt.Format("2006-01-02 15:04:05 -07:00")),
	}
	state := "complete"
	if !r.Complete {
		state = "incomplete — resume with: " + r.Resume
	}
	v.Facts = []kv{
		{"input", r.Input},
		{"output", r.OutputDir},
		{"started", r.StartedAt.Format(time.DateTime)},
		{"duration", fmtSeconds(r.Seconds)},
		{"rows in", FormatInt(r.RowsIn)},
		{"rows ok", FormatInt(r.RowsOK) + " (every provider hit or no-hit)"},
		{"rows with an error", FormatInt(r.RowsError)},
		{"unreadable rows", FormatInt(r.Unreadable)},
		{"state", fmt.Sprintf("%s (exit code %d)", state, r.ExitCode)},
	}
	for i := len(r.Headline) - 1; i >= 0; i-- { // what changed since the previous run, first
		v.Facts = append([]kv{{"changes", r.Headline[i]}}, v.Facts...)
	}
	var statusRows []stackRow
	var decRows []stackRow
	for i, pf := range f.Providers {
		var rp RunProvider
		if i < len(r.Providers) {
			rp = r.Providers[i]
		}
		pv := provView{
			Name: pf.Name, Type: pf.Type,
			HitRate:    figCell{pf.Name + ".hit_rate", FormatRate(pf.HitRate)},
			Cost:       figCell{pf.Name + ".cost", FormatMoney(pf.Cost, pf.Currency)},
			CostPerHit: figCell{pf.Name + ".cost_per_hit", "—"},
			Calls:      FormatInt(int(rp.Calls)),
			Billed:     FormatInt(int(rp.Billed)),
			Stopped:    rp.Stopped,
		}
		if pf.CostPerHit != nil {
			pv.CostPerHit.Value = FormatMoney(*pf.CostPerHit, pf.Currency)
		}
		sr := stackRow{label: pf.Name}
		for _, st := range r.Statuses {
			pv.Status = append(pv.Status, figCell{pf.Name + ".status." + st, FormatInt(rp.Status[st])})
			sr.segs = append(sr.segs, segment{name: st, value: rp.Status[st], meaning: st})
		}
		statusRows = append(statusRows, sr)
		if d := pf.Scores; d != nil {
			labels := make([]string, len(d.Bins))
			vals := make([]float64, len(d.Bins))
			for j, b := range d.Bins {
				labels[j], vals[j] = b.Label, float64(b.Count)
			}
			pv.Dist = columns(pf.Name+" "+d.Column+" distribution", labels, vals, axisCount, "hit")
			if d.Count > 0 {
				pv.DistNote = fmt.Sprintf("%s over %s hits: min %s, median %s, mean %s, max %s", d.Column, FormatInt(d.Count),
					fmtNum(d.Min), fmtNum(d.Median), fmtNum(roundTo(d.Mean, 2)), fmtNum(d.Max))
			} else {
				pv.DistNote = "no scores"
			}
		}
		if pf.Decisions != nil {
			v.Decisions = true
			dr := stackRow{label: pf.Name}
			for _, d := range []string{"pass", "review", "reject", "no_vote"} {
				pv.Decisions = append(pv.Decisions, figCell{pf.Name + ".decision." + d, FormatInt(pf.Decisions[d])})
				dr.segs = append(dr.segs, segment{name: strings.ReplaceAll(d, "_", " "), value: pf.Decisions[d], meaning: d})
			}
			decRows = append(decRows, dr)
			pv.Rules = pf.Rules
		}
		v.Providers = append(v.Providers, pv)
	}
	v.StatusChart = hStack("status by provider", statusRows)
	if d := f.Decisions; d != nil {
		dr := stackRow{label: "row decision"}
		for _, k := range []string{"pass", "review", "reject"} {
			v.RowDec = append(v.RowDec, figCell{"rows.decision." + k, FormatInt(d.Rows[k])})
			dr.segs = append(dr.segs, segment{name: k, value: d.Rows[k], meaning: k})
		}
		v.RowNoVote = FormatInt(d.NoVote) + " → " + d.NoVoteDecision
		v.NoVote = fmt.Sprintf("%s rows had no vote from any provider and are %s.", FormatInt(d.NoVote), d.NoVoteDecision)
		v.DecChart = hStack("decisions", append([]stackRow{dr}, decRows...))
	}
	if bt := f.Backtest; bt != nil {
		v.BT = bt
		lbl := bt.Label + " (1 = bad, 0 = good)"
		if bt.DPDThreshold != nil {
			lbl = fmt.Sprintf("%s (days past due; bad at %s or more)", bt.Label, fmtNum(*bt.DPDThreshold))
		}
		v.BTFacts = []kv{
			{"label", lbl},
			{"labelled rows", FormatInt(bt.RowsLabelled)},
			{"bad rows", FormatInt(bt.Bads)},
			{"bad rate", FormatRate(bt.BadRate)},
		}
		if bt.RowsUnlabelled+bt.BadLabels > 0 {
			v.BTFacts = append(v.BTFacts, kv{"rows left out", fmt.Sprintf("%s without a label, %s with an unreadable label",
				FormatInt(bt.RowsUnlabelled), FormatInt(bt.BadLabels))})
		}
		v.BTDecisions = binRows(bt.ByDecision, false)
		for _, pb := range bt.Providers {
			bv := btProvView{Name: pb.Name, Type: pb.Type, Column: pb.ScoreColumn,
				Scored: FormatInt(pb.Scored), Answered: FormatInt(pb.Answered)}
			bv.Cells = []figCell{
				{pb.Name + ".ks", FormatMetric(pb.KS)},
				{pb.Name + ".auc", FormatMetric(pb.AUC)},
				{pb.Name + ".gini", FormatMetric(pb.Gini)},
				{pb.Name + ".iv", FormatMetric(pb.IV)},
				{pb.Name + ".backtest_hit_rate", FormatRate(pb.HitRate)},
				{pb.Name + ".bad_rate", FormatRate(pb.BadRate)},
			}
			bv.KS = ksChart(pb.Name, pb.Metrics)
			bv.ROC = rocChart(pb.Name, pb.Metrics)
			labels := make([]string, len(pb.Deciles))
			vals := make([]float64, len(pb.Deciles))
			for j, d := range pb.Deciles {
				labels[j] = d.Label
				if d.BadRate != nil {
					vals[j] = *d.BadRate
				}
			}
			bv.Deciles = columns(pb.Name+": bad rate by decile", labels, vals, axisPct, "bad")
			bv.DecileRows = binRows(pb.Deciles, true)
			bv.BandRows = binRows(append(append([]Bin(nil), pb.Bands...), pb.Unscored), false)
			bv.DecisionRows = binRows(pb.ByDecision, false)
			bv.Extra = f.providerViews(pb)
			v.BTProviders = append(v.BTProviders, bv)
		}
		v.BTCross = f.crossViews()
	}
	return v
}

func roundTo(x float64, places int) float64 {
	p := 1.0
	for range places {
		p *= 10
	}
	return float64(int64(x*p+0.5*sign(x))) / p
}

func sign(x float64) float64 {
	if x < 0 {
		return -1
	}
	return 1
}

// binRows formats a bad-rate table; deciles add the score range, WoE, IV
// and cumulative shares.
func binRows(bins []Bin, decile bool) [][]string {
	var out [][]string
	for _, b := range bins {
		row := []string{b.Label}
		if decile {
			row = append(row, scoreRange(b))
		}
		row = append(row, FormatInt(b.Rows), FormatInt(b.Bads), FormatRate(b.BadRate), FormatMetric(b.Lift))
		if decile {
			row = append(row, FormatRate(b.CumBad), FormatRate(b.CumGood), FormatMetric(b.WoE), FormatMetric(b.IV))
		}
		out = append(out, row)
	}
	return out
}

var pageTmpl = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} — {{.Subtitle}}</title>
<style>
:root{--fg:#1c2529;--muted:#5f6b70;--line:#dfe5e8;--bg:#f5f7f8;--card:#fff;--accent:#1565c0}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Noto Sans","PingFang SC","Microsoft YaHei",sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:980px;margin:0 auto;padding:12px}
h1{font-size:1.35rem;margin:.4rem 0 .1rem}
h2{font-size:1.15rem;margin:1.6rem 0 .5rem;border-bottom:2px solid var(--line);padding-bottom:.2rem}
h3{font-size:1rem;margin:1rem 0 .4rem}
h4{font-size:.9rem;margin:.1rem 0;font-weight:600}
.sub{color:var(--muted);margin:0 0 .8rem;overflow-wrap:anywhere}
.grid{display:grid;gap:10px;grid-template-columns:repeat(auto-fill,minmax(min(100%,312px),1fr))}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.kpis{display:grid;gap:8px;grid-template-columns:repeat(auto-fill,minmax(130px,1fr));margin:.5rem 0}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:8px 10px}
.kpi b{display:block;font-size:1.3rem;font-variant-numeric:tabular-nums}
.kpi span{color:var(--muted);font-size:.8rem}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:.3rem 0}
table{border-collapse:collapse;font-size:.87rem;font-variant-numeric:tabular-nums;min-width:100%}
th,td{padding:4px 7px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th:first-child,td:first-child,th.t,td.t{text-align:left}
th{background:#eef2f4;font-weight:600}
dl.facts{display:grid;grid-template-columns:minmax(7em,max-content) 1fr;gap:2px 12px;margin:.3rem 0;font-size:.9rem}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;overflow-wrap:anywhere}
svg{width:100%;height:auto;display:block;margin:.4rem 0}
svg .lbl{font-size:13px;fill:var(--fg)}
svg .ax{font-size:12px;fill:var(--muted)}
svg .grid{stroke:#eceff1}
.note{color:var(--muted);font-size:.85rem}
.warn{color:#b71c1c}
footer{color:var(--muted);font-size:.8rem;margin:2rem 0 1rem}
</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
<p class="sub">{{.Subtitle}}</p>
<dl class="facts">{{range .Facts}}<dt>{{.K}}</dt><dd>{{.V}}</dd>{{end}}</dl>

<h2>Providers</h2>
<div class="kpis">{{range .Providers}}<div class="kpi"><span>{{.Name}} hit rate</span><b data-figure="{{.HitRate.Key}}">{{.HitRate.Value}}</b><span>cost per hit <i data-figure="{{.CostPerHit.Key}}">{{.CostPerHit.Value}}</i></span></div>{{end}}</div>
{{.StatusChart}}
<div class="scroll"><table>
<tr><th>provider</th>{{range .Statuses}}<th>{{.}}</th>{{end}}<th>hit rate</th><th>calls</th><th>billed</th><th>cost</th><th>cost per hit</th></tr>
{{range .Providers}}<tr><td>{{.Name}}{{if ne .Name .Type}} <span class="note">{{.Type}}</span>{{end}}</td>{{range .Status}}<td data-figure="{{.Key}}">{{.Value}}</td>{{end}}<td>{{.HitRate.Value}}</td><td>{{.Calls}}</td><td>{{.Billed}}</td><td data-figure="{{.Cost.Key}}">{{.Cost.Value}}</td><td>{{.CostPerHit.Value}}</td></tr>
{{end}}</table></div>
<p class="note">Hit rate = hits / (hits + no-hits). Cost = billed calls × price per call.</p>
{{range .Providers}}{{if .Stopped}}<p class="warn">{{.Name}} stopped: {{.Stopped}}</p>{{end}}{{end}}

{{if .Decisions}}<h2>Decisions</h2>
{{.DecChart}}
<div class="scroll"><table>
<tr><th></th><th>pass</th><th>review</th><th>reject</th><th>no vote</th></tr>
<tr><td>rows</td>{{range .RowDec}}<td data-figure="{{.Key}}">{{.Value}}</td>{{end}}<td data-figure="rows.no_vote">{{.RowNoVote}}</td></tr>
{{range .Providers}}<tr><td>{{.Name}}</td>{{range .Decisions}}<td data-figure="{{.Key}}">{{.Value}}</td>{{end}}</tr>
{{end}}</table></div>
<p class="note">A row takes the worst vote of its providers; a provider votes only on a hit, by its first matching rule. {{.NoVote}}</p>
<h3>Rules</h3>
<div class="scroll"><table>
<tr><th>provider</th><th class="t">rule</th><th class="t">decision</th><th>rows</th><th class="t">source</th></tr>
{{range $p := .Providers}}{{range .Rules}}<tr><td>{{$p.Name}}</td><td class="t">{{.Rule}}</td><td class="t">{{.Decision}}</td><td>{{.Rows}}</td><td class="t">{{.Source}}</td></tr>
{{end}}{{end}}</table></div>
{{end}}

<h2>Score distribution</h2>
<div class="grid">{{range .Providers}}{{if .Dist}}<div class="card"><h4>{{.Name}}</h4>{{.Dist}}<p class="note">{{.DistNote}}</p></div>{{end}}{{end}}</div>

{{with .BT}}<h2 id="backtest">Back-test</h2>
<dl class="facts">{{range $.BTFacts}}<dt>{{.K}}</dt><dd>{{.V}}</dd>{{end}}</dl>
<div class="scroll"><table>
<tr><th>provider</th><th class="t">score</th><th>KS</th><th>AUC</th><th>Gini</th><th>IV</th><th>hit rate</th><th>bad rate</th><th>scored</th></tr>
{{range $.BTProviders}}<tr><td>{{.Name}}</td><td class="t">{{.Column}}</td>{{range .Cells}}<td data-figure="{{.Key}}">{{.Value}}</td>{{end}}<td>{{.Scored}} / {{.Answered}}</td></tr>
{{end}}</table></div>
<p class="note">Over labelled rows the provider answered. Hit rate = scored / answered. KS: largest gap between the cumulative score distributions of bad and good rows. AUC: chance a bad row scores above a good one (ties half); Gini = 2·AUC − 1. IV over equal-frequency deciles (tied scores kept together; 0.5 in empty cells). Higher scores must mean riskier.</p>
{{if $.BTDecisions}}<h3>Bad rate by row decision</h3>
<div class="scroll"><table><tr><th>decision</th><th>rows</th><th>bads</th><th>bad rate</th><th>lift</th></tr>
{{range $.BTDecisions}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table></div>{{end}}
{{range $.BTCross}}{{template "table" .}}{{end}}
{{range $.BTProviders}}<h3>{{.Name}} <span class="note">{{.Column}}</span></h3>
<div class="grid"><div class="card"><h4>KS</h4>{{.KS}}</div><div class="card"><h4>ROC</h4>{{.ROC}}</div><div class="card"><h4>bad rate by decile <span class="note">(1 = lowest scores)</span></h4>{{.Deciles}}</div></div>
<div class="scroll"><table><tr><th>decile</th><th>scores</th><th>rows</th><th>bads</th><th>bad rate</th><th>lift</th><th>cum bad</th><th>cum good</th><th>WoE</th><th>IV</th></tr>
{{range .DecileRows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table></div>
<div class="scroll"><table><tr><th>band</th><th>rows</th><th>bads</th><th>bad rate</th><th>lift</th></tr>
{{range .BandRows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table></div>
{{if .DecisionRows}}<div class="scroll"><table><tr><th>{{.Name}} vote</th><th>rows</th><th>bads</th><th>bad rate</th><th>lift</th></tr>
{{range .DecisionRows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table></div>{{end}}
{{range .Extra}}{{template "table" .}}{{end}}
{{end}}{{end}}
<footer>{{.Generated}} · figures defined in docs/report.md</footer>
</main>
</body>
</html>
{{define "table"}}<h4>{{.Title}}</h4>
{{if .Charts}}<div class="grid">{{range .Charts}}<div class="card">{{.}}</div>{{end}}</div>{{end}}
<div class="scroll"><table><tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td{{if .Key}} data-figure="{{.Key}}"{{end}}>{{.Value}}</td>{{end}}</tr>
{{end}}</table></div>
{{if .Note}}<p class="note">{{.Note}}</p>{{end}}
{{end}}`))
