package report

import (
	"math"
	"slices"
	"time"
)

// Run is what the renderers show about the run itself, filled by the
// pipeline from its summary.
type Run struct {
	Tool        string
	Version     string
	Job         string
	Input       string
	OutputDir   string
	StartedAt   time.Time
	FinishedAt  time.Time
	Seconds     float64
	Complete    bool
	ExitCode    int
	Resume      string
	RowsIn      int
	RowsOK      int
	RowsError   int
	Unreadable  int
	Statuses    []string // display order
	Providers   []RunProvider
	GeneratedBy string // "riskbatch 1.2.3"
	// Headline are lines shown at the top of the Summary sheet and
	// report.html: what changed since the previous run (compare:).
	Headline []string
}

// RunProvider is one provider's run figures.
type RunProvider struct {
	Name     string
	Type     string
	Status   map[string]int
	Calls    int64
	Billed   int64
	Cost     float64
	Currency string
	HitRate  float64 // hits / (hits + no-hits)
	Stopped  string
}

// Figures are the report's figures: summary.json's "report" and what the
// Summary sheet, the Back-test sheet and report.html show.
type Figures struct {
	Providers []ProviderFigures `json:"providers"`
	Decisions *DecisionFigures  `json:"decisions,omitempty"`
	Backtest  *BacktestFigures  `json:"backtest,omitempty"`

	run Run
}

// ProviderFigures are one provider's figures.
type ProviderFigures struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// HitRate is hits / (hits + no-hits); nil when the provider answered nothing.
	HitRate *float64 `json:"hit_rate"`
	// CostPerHit is cost / hits; nil without hits.
	CostPerHit *float64 `json:"cost_per_hit"`
	Cost       float64  `json:"cost"`
	Currency   string   `json:"currency,omitempty"`
	// Scores is the distribution of the score column over hits.
	Scores *Distribution `json:"score_distribution,omitempty"`
	// Decisions counts the provider's votes: pass, review, reject, and
	// no_vote (no answer, or no rule matched).
	Decisions map[string]int `json:"decisions,omitempty"`
	// Rules counts how often each rule gave the provider's vote.
	Rules []RuleCount `json:"rules,omitempty"`
}

// RuleCount is how often a rule fired.
type RuleCount struct {
	Rule     string `json:"rule"`
	Decision string `json:"decision"`
	Rows     int    `json:"rows"`
	// Source is where the rule comes from: a vendor document, riskbatch's
	// suggestion, or the job file (RuleConfig.Source).
	Source string `json:"source"`
}

// Distribution is a score column's distribution over a provider's hits.
type Distribution struct {
	Column string    `json:"column"`
	Count  int       `json:"count"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	Mean   float64   `json:"mean"`
	Median float64   `json:"median"`
	Bins   []HistBin `json:"bins"`
}

// HistBin is one bar of a histogram: From ≤ score < To (the last bar
// includes To).
type HistBin struct {
	Label string  `json:"label"`
	From  float64 `json:"from"`
	To    float64 `json:"to"`
	Count int     `json:"count"`
}

// DecisionFigures are the row decisions.
type DecisionFigures struct {
	// Rows counts rows by decision (pass, review, reject); rows where no
	// provider voted are counted under NoVoteDecision and in NoVote too.
	Rows           map[string]int `json:"rows"`
	NoVote         int            `json:"no_vote"`
	NoVoteDecision string         `json:"no_vote_decision"`
}

// BacktestFigures are the back-test of every provider's score.
type BacktestFigures struct {
	Label        string   `json:"label"`
	DPDThreshold *float64 `json:"dpd_threshold,omitempty"`
	// RowsLabelled rows carry a usable label; RowsUnlabelled are empty, and
	// BadLabels hold something else (counted out of every figure).
	RowsLabelled   int      `json:"rows_labelled"`
	RowsUnlabelled int      `json:"rows_unlabelled"`
	BadLabels      int      `json:"bad_labels"`
	Bads           int      `json:"bads"`
	BadRate        *float64 `json:"bad_rate"`
	// ByDecision is the bad rate of the row decisions (lift over BadRate).
	ByDecision []Bin              `json:"by_decision,omitempty"`
	Providers  []ProviderBacktest `json:"providers"`
	// Binning is what the regression bins scores with (deciles or
	// monotone); MinBinShare the monotone bins' smallest share.
	Binning     string  `json:"binning"`
	MinBinShare float64 `json:"min_bin_share"`
	// Overlap counts rows by the combination of providers that hit.
	Overlap []OverlapRow `json:"overlap"`
	// RankCorrelation is Spearman's ρ of each pair of scores.
	RankCorrelation []RankCorrelation `json:"rank_correlation"`
	// Incremental is the cross-validated regression on all scores against
	// each alone.
	Incremental *Incremental `json:"incremental,omitempty"`
	// Dates and Months: with backtest.date_column, the dates read and the
	// figures by calendar month.
	Dates  *DateFigures   `json:"dates,omitempty"`
	Months []MonthFigures `json:"months,omitempty"`
}

// ProviderBacktest is one provider's back-test.
type ProviderBacktest struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	ScoreColumn string `json:"score_column"`
	// Answered labelled rows got hit or no_hit; Scored of them carry a
	// score. HitRate = Scored / Answered.
	Answered int      `json:"answered"`
	Scored   int      `json:"scored"`
	HitRate  *float64 `json:"hit_rate"`
	Metrics
	// Bands is the bad rate by the provider's bands over the scored rows,
	// then "other" when some scored row fits no band; lift is over the bad
	// rate of the answered rows (AnsweredBadRate).
	Bands []Bin `json:"bands"`
	// Unscored are the answered rows without a score (no-hits), compared
	// with the same base.
	Unscored        Bin      `json:"unscored"`
	AnsweredBadRate *float64 `json:"answered_bad_rate"`
	// ByDecision is the bad rate by the provider's vote.
	ByDecision []Bin `json:"by_decision,omitempty"`
	// Monotone is the monotone binning of the scored rows, MonotoneIV its IV.
	Monotone   []Bin    `json:"monotone_bins"`
	MonotoneIV *float64 `json:"iv_monotone"`
	// Cutoffs approve deciles 1..k; BandCutoffs the bands up to k.
	Cutoffs     []Cutoff `json:"cutoffs"`
	BandCutoffs []Cutoff `json:"band_cutoffs"`
	// Swap is the row decision with against without the provider's vote.
	Swap *Swap `json:"swap,omitempty"`
	// Lists are the provider's list products by code.
	Lists *Lists `json:"lists,omitempty"`
}

// Figures computes the figures at the end of the run.
func (c *Collector) Figures(run Run) *Figures {
	f := &Figures{run: run}
	for i, ps := range c.provs {
		pp := ps.plan
		pf := ProviderFigures{Name: pp.name, Type: pp.typ}
		if i < len(run.Providers) {
			rp := run.Providers[i]
			pf.Cost, pf.Currency = rp.Cost, rp.Currency
			hits, nohits := rp.Status[statusHit], rp.Status[statusNoHit]
			if hits+nohits > 0 {
				pf.HitRate = ptr(rp.HitRate)
			}
			if hits > 0 {
				pf.CostPerHit = ptr(rp.Cost / float64(hits))
			}
		}
		if pp.score >= 0 {
			pf.Scores = distribution(pp.scoreCol, ps.scores)
		}
		if c.plan.decisions {
			pf.Decisions = map[string]int{"no_vote": ps.dec[NoVote]}
			for _, d := range Decisions {
				pf.Decisions[d.String()] = ps.dec[d]
			}
			for j, r := range pp.rules {
				pf.Rules = append(pf.Rules, RuleCount{Rule: r.name, Decision: r.decision.String(), Rows: ps.ruleFires[j], Source: r.source})
			}
		}
		f.Providers = append(f.Providers, pf)
	}
	if c.plan.decisions {
		df := &DecisionFigures{Rows: map[string]int{}, NoVote: c.rowDec[NoVote], NoVoteDecision: c.plan.noVote.String()}
		for _, d := range Decisions {
			df.Rows[d.String()] = c.rowDec[d]
		}
		df.Rows[c.plan.noVote.String()] += c.rowDec[NoVote]
		f.Decisions = df
	}
	if c.plan.backtest {
		f.Backtest = c.backtest()
	}
	return f
}

func (c *Collector) backtest() *BacktestFigures {
	bt := &BacktestFigures{
		Label: c.plan.label, DPDThreshold: c.plan.dpd,
		RowsLabelled: c.labelled, RowsUnlabelled: c.noLabel, BadLabels: c.badLabels,
		Bads: c.bads, BadRate: rate(c.bads, c.labelled),
	}
	if c.plan.decisions {
		var counts [4][2]int
		counts = c.rowDecBad
		nv := c.plan.noVote
		counts[nv][0] += counts[NoVote][0]
		counts[nv][1] += counts[NoVote][1]
		bt.ByDecision = decisionBins(counts, bt.BadRate, false)
	}
	// One buffer of samples, as large as the largest provider's, serves
	// every provider in turn.
	most := 0
	for _, ps := range c.provs {
		n := 0
		for j, s := range ps.scores {
			if finite32(s) && c.rowLabels[j] != labelNone {
				n++
			}
		}
		most = max(most, n)
	}
	buf := make([]Sample, 0, most)
	for _, ps := range c.provs {
		pp := ps.plan
		if pp.score < 0 {
			continue
		}
		pb := ProviderBacktest{Name: pp.name, Type: pp.typ, ScoreColumn: pp.scoreCol, Answered: ps.answered}
		samples := buf[:0]
		for j, s := range ps.scores {
			if l := c.rowLabels[j]; finite32(s) && l != labelNone {
				samples = append(samples, Sample{Score: float64(s), Bad: l == labelBad})
			}
		}
		pb.Scored = len(samples)
		pb.AnsweredBadRate = rate(ps.answeredBad, ps.answered)
		pb.HitRate = rate(pb.Scored, pb.Answered)
		pb.Metrics = ComputeMetrics(samples)
		// Bands and the "no score" row cover every answered row, so their
		// lift is over the answered rows' bad rate (deciles: scored rows).
		base := rate(ps.answeredBad, ps.answered)
		for j := range ps.bandRows {
			label := "other"
			if j < len(pp.bands) {
				label = pp.bands[j].name
			} else if ps.bandRows[j] == 0 {
				continue
			}
			pb.Bands = append(pb.Bands, makeBin(label, ps.bandRows[j], ps.bandBads[j], base))
		}
		pb.Unscored = makeBin("no score", ps.unscored, ps.unscoredBad, base)
		if c.plan.decisions {
			pb.ByDecision = decisionBins(ps.decBad, base, true)
		}
		c.providerExtras(ps, &pb, samples)
		bt.Providers = append(bt.Providers, pb)
	}
	c.backtestExtras(bt)
	return bt
}

func makeBin(label string, rows, bads int, base *float64) Bin {
	b := Bin{Label: label, Rows: rows, Bads: bads, Goods: rows - bads, BadRate: rate(bads, rows)}
	if b.BadRate != nil && base != nil && *base > 0 {
		b.Lift = ptr(*b.BadRate / *base)
	}
	return b
}

// decisionBins is the bad-rate table of decisions; withNoVote adds the
// rows without a vote.
func decisionBins(counts [4][2]int, base *float64, withNoVote bool) []Bin {
	var out []Bin
	for _, d := range Decisions {
		out = append(out, makeBin(d.String(), counts[d][0]+counts[d][1], counts[d][1], base))
	}
	if withNoVote {
		out = append(out, makeBin("no vote", counts[NoVote][0]+counts[NoVote][1], counts[NoVote][1], base))
	}
	return out
}

// distribution summarises scores: small integer ranges get one bar per
// value, anything else ten bars of a round width.
func distribution(col string, scores []float32) *Distribution {
	hits := 0
	for _, x := range scores {
		if finite32(x) {
			hits++
		}
	}
	// One float32 per hit (the scores are float32 already).
	s := make([]float32, 0, hits)
	ints := true
	sum := 0.0
	for _, x := range scores {
		if !finite32(x) {
			continue
		}
		v := float64(x)
		s = append(s, x)
		sum += v
		if v != math.Trunc(v) {
			ints = false
		}
	}
	d := &Distribution{Column: col, Count: len(s)}
	if len(s) == 0 {
		return d
	}
	slices.Sort(s)
	d.Min, d.Max, d.Mean = float64(s[0]), float64(s[len(s)-1]), sum/float64(len(s))
	if n := len(s); n%2 == 1 {
		d.Median = float64(s[n/2])
	} else {
		d.Median = (float64(s[n/2-1]) + float64(s[n/2])) / 2
	}
	if ints && d.Max-d.Min <= 20 {
		for v := d.Min; v <= d.Max; v++ {
			d.Bins = append(d.Bins, HistBin{Label: fmtNum(v), From: v, To: v + 1})
		}
		for _, x := range s {
			d.Bins[int(float64(x)-d.Min)].Count++
		}
		return d
	}
	width := niceWidth((d.Max - d.Min) / 10)
	start := math.Floor(d.Min/width) * width
	n := int(math.Ceil((d.Max - start) / width))
	if n < 1 {
		n = 1
	}
	for i := 0; i < n; i++ {
		from, to := start+float64(i)*width, start+float64(i+1)*width
		label := fmtNum(from) + "–" + fmtNum(to)
		if ints && width >= 2 {
			hi := to - 1
			if i == n-1 && d.Max > hi {
				hi = d.Max
			}
			label = fmtNum(from) + "–" + fmtNum(hi)
		}
		d.Bins = append(d.Bins, HistBin{Label: label, From: from, To: to})
	}
	for _, x := range s {
		i := int((float64(x) - start) / width)
		if i >= n {
			i = n - 1
		}
		d.Bins[i].Count++
	}
	return d
}

// niceWidth rounds a bin width up to 1, 2, 2.5 or 5 times a power of ten.
func niceWidth(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if raw <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}
