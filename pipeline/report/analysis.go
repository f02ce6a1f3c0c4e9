package report

import (
	"math"
	"math/bits"
	"slices"
	"sort"
	"strings"
)

// The back-test beyond KS, AUC and IV: cut-off tables, swap-in/swap-out,
// list products, vendor overlap and rank correlation, the incremental
// value of each vendor in a cross-validated logistic regression, monotone
// binning and stability by month. docs/report.md defines every figure.

const (
	// defaultMinBinShare is backtest.min_bin_share's default.
	defaultMinBinShare = 0.05
	// monotoneStart is the number of equal-frequency bins monotone binning
	// starts from.
	monotoneStart = 20
	// psiWatch and psiShift flag a month's PSI.
	psiWatch = 0.1
	psiShift = 0.25
)

// Cutoff is one row of a cut-off table: approve the rows scoring at or
// below the cut (or in the bands up to it), reject the rest.
type Cutoff struct {
	Label string   `json:"label"`
	Score *float64 `json:"score,omitempty"` // approve score ≤ Score (deciles)
	// Approved and Rejected rows; ApprovalRate = Approved / (Approved + Rejected).
	Approved     int      `json:"approved"`
	Rejected     int      `json:"rejected"`
	ApprovalRate *float64 `json:"approval_rate"`
	// BadRateApproved and BadRateRejected are the bad rates of each side.
	BadRateApproved *float64 `json:"bad_rate_approved"`
	BadRateRejected *float64 `json:"bad_rate_rejected"`
	// CumLift is BadRateRejected over the table's bad rate; BadsRejected
	// the share of all bad rows the cut rejects.
	CumLift      *float64 `json:"cum_lift"`
	BadsRejected *float64 `json:"bads_rejected"`
}

// Swap compares the job's row decision with and without one provider's
// vote, over every row.
type Swap struct {
	// NewlyRejected rows are reject with the vote and not without it;
	// NewlyAccepted rows are pass with it and not without it (rows only
	// this provider voted on).
	NewlyRejected SwapRow `json:"newly_rejected"`
	NewlyAccepted SwapRow `json:"newly_accepted"`
	// Changes lists every (without → with) pair of decisions that differ.
	Changes []SwapRow `json:"changes"`
}

// SwapRow counts rows; bad rate over the labelled ones.
type SwapRow struct {
	Without  string   `json:"without,omitempty"`
	With     string   `json:"with,omitempty"`
	Rows     int      `json:"rows"`
	Labelled int      `json:"labelled"`
	Bads     int      `json:"bads"`
	BadRate  *float64 `json:"bad_rate"`
}

// Lists are a provider's list products: how often each code is hit and
// how bad its hits are.
type Lists struct {
	Column   string    `json:"column"`
	Answered int       `json:"answered"`
	BaseRate *float64  `json:"base_bad_rate"` // labelled answered rows
	Any      ListRow   `json:"any"`
	Codes    []ListRow `json:"codes"`
}

// ListRow is one code (or any code): rows answered with it, hit rate over
// the answered rows, bad rate over its labelled rows, lift over BaseRate.
type ListRow struct {
	Code     string   `json:"code"`
	Rows     int      `json:"rows"`
	HitRate  *float64 `json:"hit_rate"`
	Labelled int      `json:"labelled"`
	Bads     int      `json:"bads"`
	BadRate  *float64 `json:"bad_rate"`
	Lift     *float64 `json:"lift"`
}

// OverlapRow is one combination of providers that hit (exactly those).
type OverlapRow struct {
	Label     string   `json:"label"`
	Providers []string `json:"providers"`
	Rows      int      `json:"rows"`
	Labelled  int      `json:"labelled"`
	Bads      int      `json:"bads"`
	BadRate   *float64 `json:"bad_rate"`
}

// RankCorrelation is Spearman's ρ between two scores over the rows both
// scored.
type RankCorrelation struct {
	A        string   `json:"a"`
	B        string   `json:"b"`
	Rows     int      `json:"rows"`
	Spearman *float64 `json:"spearman"`
}

// Incremental is the cross-validated logistic regression on the vendors'
// WoE-binned scores.
type Incremental struct {
	Rows    int     `json:"rows"`
	Bads    int     `json:"bads"`
	Folds   int     `json:"folds"`
	C       float64 `json:"c"`
	Binning string  `json:"binning"`
	Models  []Model `json:"models"`
	// Adds is, per provider, the combined model's AUC and KS minus those
	// of the model without it.
	Adds []Increment `json:"adds,omitempty"`
}

// Model is one regression's out-of-fold KS and AUC.
type Model struct {
	Name      string   `json:"name"`
	Providers []string `json:"providers"`
	KS        *float64 `json:"ks"`
	AUC       *float64 `json:"auc"`
	Gini      *float64 `json:"gini"`
}

// Increment is what one provider adds to the others.
type Increment struct {
	Name string   `json:"name"`
	AUC  *float64 `json:"auc"`
	KS   *float64 `json:"ks"`
}

// DateFigures describe the back-test's date column.
type DateFigures struct {
	Column string `json:"column"`
	Dated  int    `json:"dated"`
	Empty  int    `json:"empty"`
	Bad    int    `json:"bad"`
	// BadExamples are the first unreadable dates, `row N: "value"`.
	BadExamples []string `json:"bad_examples,omitempty"`
}

// MonthFigures are one calendar month's rows.
type MonthFigures struct {
	Month     string          `json:"month"`
	Rows      int             `json:"rows"`
	Labelled  int             `json:"labelled"`
	Bads      int             `json:"bads"`
	BadRate   *float64        `json:"bad_rate"`
	Providers []MonthProvider `json:"providers"`
}

// MonthProvider is one provider in one month: hit rate (hits / answered)
// and the PSI of its score against the first month, flagged "watch" from
// 0.1 and "shift" from 0.25.
type MonthProvider struct {
	Name    string   `json:"name"`
	HitRate *float64 `json:"hit_rate"`
	Scored  int      `json:"scored"`
	PSI     *float64 `json:"psi"`
	Flag    string   `json:"flag,omitempty"`
	// PSINoise is the PSI sampling alone gives on average between two
	// samples of this month's and the first month's size from one
	// distribution: (bins − 1)·(1/n + 1/n₀). A PSI near it is noise.
	PSINoise *float64 `json:"psi_noise"`
}

func finite32(x float32) bool {
	return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0)
}

// monotoneBins bins sorted score groups so the bad rate is monotone: start
// from monotoneStart equal-frequency bins (cutGroups), merge the first
// adjacent pair whose bad rates run against the direction (rising unless
// the groups' AUC is below 0.5; equal rates are fine) until none does,
// then merge the smallest bin below minShare of the rows (the first of
// equal ones) into its neighbour with the closer bad rate (the lower one on
// a tie; the only one at an end) until every bin holds minShare.
func monotoneBins(groups []scoreGroup, minShare float64) []rawBin {
	raw := cutGroups(groups, monotoneStart)
	rising := true
	if _, _, auc, ok := ksAUC(groups); ok && auc < 0.5 {
		rising = false
	}
	for {
		at := -1
		for j := 0; j+1 < len(raw); j++ {
			l, r := raw[j].bads*raw[j+1].rows, raw[j+1].bads*raw[j].rows
			if (rising && l > r) || (!rising && l < r) {
				at = j
				break
			}
		}
		if at < 0 {
			break
		}
		raw = mergeBins(raw, at)
	}
	n := 0
	for _, r := range raw {
		n += r.rows
	}
	rateOf := func(r rawBin) float64 { return float64(r.bads) / float64(r.rows) }
	for len(raw) > 1 {
		j := -1
		for i, r := range raw {
			if float64(r.rows) < minShare*float64(n) && (j < 0 || r.rows < raw[j].rows) {
				j = i
			}
		}
		switch {
		case j < 0:
			return raw
		case j == 0:
			raw = mergeBins(raw, 0)
		case j == len(raw)-1:
			raw = mergeBins(raw, j-1)
		default:
			x := rateOf(raw[j])
			if math.Abs(x-rateOf(raw[j-1])) <= math.Abs(x-rateOf(raw[j+1])) {
				raw = mergeBins(raw, j-1)
			} else {
				raw = mergeBins(raw, j)
			}
		}
	}
	return raw
}

// mergeBins merges bin i+1 into bin i.
func mergeBins(raw []rawBin, i int) []rawBin {
	raw[i].to = raw[i+1].to
	raw[i].rows += raw[i+1].rows
	raw[i].bads += raw[i+1].bads
	return append(raw[:i+1], raw[i+2:]...)
}

// cutoffs is the cut-off table over bins in ascending risk: the k-th row
// approves bins 1..k.
func cutoffs(bins []Bin, withScore bool) []Cutoff {
	var n, bads int
	for _, b := range bins {
		n += b.Rows
		bads += b.Bads
	}
	base := rate(bads, n)
	var out []Cutoff
	ar, ab := 0, 0
	for _, b := range bins {
		ar += b.Rows
		ab += b.Bads
		c := Cutoff{Label: b.Label, Approved: ar, Rejected: n - ar,
			ApprovalRate: rate(ar, n), BadRateApproved: rate(ab, ar), BadRateRejected: rate(bads-ab, n-ar),
			BadsRejected: rate(bads-ab, bads)}
		if withScore {
			c.Score = b.To
		}
		if c.BadRateRejected != nil && base != nil && *base > 0 {
			c.CumLift = ptr(*c.BadRateRejected / *base)
		}
		out = append(out, c)
	}
	return out
}

func swapRow(without, with string, c [3]int) SwapRow {
	return SwapRow{Without: without, With: with, Rows: c[0] + c[1] + c[2], Labelled: c[0] + c[1], Bads: c[1], BadRate: rate(c[1], c[0]+c[1])}
}

func (ps *provState) swap() *Swap {
	s := &Swap{}
	var rej, acc [3]int
	for wo := Pass; wo <= Reject; wo++ {
		for wi := Pass; wi <= Reject; wi++ {
			c := ps.swaps[wo][wi]
			if wo == wi || c[0]+c[1]+c[2] == 0 {
				continue
			}
			s.Changes = append(s.Changes, swapRow(wo.String(), wi.String(), c))
			for l := range c {
				if wi == Reject {
					rej[l] += c[l]
				}
				if wi == Pass {
					acc[l] += c[l]
				}
			}
		}
	}
	s.NewlyRejected = swapRow("", "reject", rej)
	s.NewlyAccepted = swapRow("", "pass", acc)
	return s
}

func listRow(code string, c [3]int, answered int, base *float64) ListRow {
	r := ListRow{Code: code, Rows: c[0] + c[1] + c[2], Labelled: c[0] + c[1], Bads: c[1]}
	r.HitRate = rate(r.Rows, answered)
	r.BadRate = rate(r.Bads, r.Labelled)
	if r.BadRate != nil && base != nil && *base > 0 {
		r.Lift = ptr(*r.BadRate / *base)
	}
	return r
}

func (ps *provState) listFigures() *Lists {
	a := &ps.lists
	if ps.plan.list < 0 {
		return nil
	}
	answered := a.answered[0] + a.answered[1] + a.answered[2]
	l := &Lists{Column: ps.plan.listCol, Answered: answered, BaseRate: rate(a.answered[1], a.answered[0]+a.answered[1])}
	l.Any = listRow("any", a.any, answered, l.BaseRate)
	for code, c := range a.codes {
		l.Codes = append(l.Codes, listRow(code, *c, answered, l.BaseRate))
	}
	sort.Slice(l.Codes, func(i, j int) bool {
		if l.Codes[i].Rows != l.Codes[j].Rows {
			return l.Codes[i].Rows > l.Codes[j].Rows
		}
		return l.Codes[i].Code < l.Codes[j].Code
	})
	if o := a.other; o[0]+o[1]+o[2] > 0 {
		l.Codes = append(l.Codes, listRow("other codes", o, answered, l.BaseRate))
	}
	return l
}

// providerExtras adds the per-provider tables; samples are the provider's
// scored labelled rows, sorted by score.
func (c *Collector) providerExtras(ps *provState, pb *ProviderBacktest, samples []Sample) {
	groups := groupScores(samples)
	pb.Monotone = binTable(monotoneBins(groups, c.plan.minShare), pb.Bads, pb.Goods, pb.BadRate)
	if pb.Bads > 0 && pb.Goods > 0 {
		pb.MonotoneIV = ivOf(pb.Monotone)
	}
	pb.Cutoffs = cutoffs(pb.Deciles, true)
	// The named bands in their order (ascending risk), without "other".
	pb.BandCutoffs = cutoffs(pb.Bands[:min(len(pb.Bands), len(ps.plan.bands))], false)
	if c.plan.decisions {
		pb.Swap = ps.swap()
	}
	pb.Lists = ps.listFigures()
}

// backtestExtras adds the tables across providers.
func (c *Collector) backtestExtras(bt *BacktestFigures) {
	bt.Binning, bt.MinBinShare = "deciles", c.plan.minShare
	if c.plan.monotone {
		bt.Binning = "monotone"
	}
	// Overlap: every combination of providers that hit, fewest first.
	masks := make([]uint32, 0, len(c.overlap))
	for m := range c.overlap {
		masks = append(masks, m)
	}
	sort.Slice(masks, func(i, j int) bool {
		a, b := bits.OnesCount32(masks[i]), bits.OnesCount32(masks[j])
		if a != b {
			return a < b
		}
		return masks[i] < masks[j]
	})
	for _, m := range masks {
		cnt := c.overlap[m]
		r := OverlapRow{Providers: []string{}, Rows: cnt[0] + cnt[1] + cnt[2], Labelled: cnt[0] + cnt[1], Bads: cnt[1], BadRate: rate(cnt[1], cnt[0]+cnt[1])}
		for i, ps := range c.provs {
			if i < 32 && m&(1<<i) != 0 {
				r.Providers = append(r.Providers, ps.plan.name)
			}
		}
		r.Label = strings.Join(r.Providers, " + ")
		if m == 0 {
			r.Label = "none"
		}
		bt.Overlap = append(bt.Overlap, r)
	}
	var scored []*provState
	for _, ps := range c.provs {
		if ps.plan.score >= 0 {
			scored = append(scored, ps)
		}
	}
	var sc rankScratch
	for i := range scored {
		for j := i + 1; j < len(scored); j++ {
			n, rho := sc.spearman(scored[i].scores, scored[j].scores)
			bt.RankCorrelation = append(bt.RankCorrelation, RankCorrelation{A: scored[i].plan.name, B: scored[j].plan.name, Rows: n, Spearman: rho})
		}
	}
	bt.Incremental = c.incremental(scored)
	if c.months != nil {
		d := c.dates
		bt.Dates = &DateFigures{Column: c.plan.dateCol, Dated: d.dated, Empty: d.empty, Bad: d.bad, BadExamples: d.examples}
		bt.Months = c.monthFigures()
	}
}

// rankScratch holds spearman's buffers, reused from pair to pair.
type rankScratch struct {
	idx, ord []int32
	ra, rb   []float32
}

// spearman is Spearman's ρ of two row-aligned score columns over the rows
// where both are finite: Pearson's correlation of their average ranks.
func (sc *rankScratch) spearman(a, b []float32) (int, *float64) {
	sc.idx = sc.idx[:0]
	for i := range a {
		if i < len(b) && finite32(a[i]) && finite32(b[i]) {
			sc.idx = append(sc.idx, int32(i))
		}
	}
	n := len(sc.idx)
	if n < 2 {
		return n, nil
	}
	sc.ra = sc.avgRanks(sc.ra, a)
	sc.rb = sc.avgRanks(sc.rb, b)
	mean := float64(n+1) / 2
	var sab, saa, sbb float64
	for i := range n {
		x, y := float64(sc.ra[i])-mean, float64(sc.rb[i])-mean
		sab += x * y
		saa += x * x
		sbb += y * y
	}
	if saa == 0 || sbb == 0 {
		return n, nil
	}
	return n, ptr(sab / math.Sqrt(saa*sbb))
}

// avgRanks ranks s over the rows sc.idx (1 = lowest) into r, ties sharing
// their mean rank; r is parallel to sc.idx.
func (sc *rankScratch) avgRanks(r []float32, s []float32) []float32 {
	idx := sc.idx
	sc.ord = sc.ord[:0]
	for i := range idx {
		sc.ord = append(sc.ord, int32(i))
	}
	ord := sc.ord
	sort.Slice(ord, func(i, j int) bool { return s[idx[ord[i]]] < s[idx[ord[j]]] })
	r = slices.Grow(r[:0], len(idx))[:len(idx)]
	for i := 0; i < len(ord); {
		j := i
		for j < len(ord) && s[idx[ord[j]]] == s[idx[ord[i]]] {
			j++
		}
		avg := float32(float64(i+1+j) / 2)
		for k := i; k < j; k++ {
			r[ord[k]] = avg
		}
		i = j
	}
	return r
}

// monthFigures are the months in calendar order with each provider's hit
// rate and PSI against the first month with its scores.
func (c *Collector) monthFigures() []MonthFigures {
	keys := make([]uint16, 0, len(c.months))
	for m := range c.months {
		keys = append(keys, m)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	out := make([]MonthFigures, len(keys))
	pos := map[uint16]int{}
	for i, m := range keys {
		ma := c.months[m]
		pos[m] = i
		out[i] = MonthFigures{Month: monthLabel(m), Rows: ma.rows, Labelled: ma.labelled, Bads: ma.bads, BadRate: rate(ma.bads, ma.labelled)}
		for p, ps := range c.provs {
			out[i].Providers = append(out[i].Providers, MonthProvider{Name: ps.plan.name, HitRate: rate(ma.hits[p], ma.answered[p])})
		}
	}
	for p, ps := range c.provs {
		if ps.plan.score < 0 {
			continue
		}
		psi := psiByMonth(ps.scores, c.rowMonths)
		for m, v := range psi {
			mp := &out[pos[m]].Providers[p]
			mp.Scored = v.n
			mp.PSI = v.psi
			if !v.base {
				mp.PSINoise = ptr(float64(v.bins-1) * (1/float64(v.n) + 1/float64(v.n0)))
			}
			if v.psi != nil {
				switch {
				case *v.psi >= psiShift:
					mp.Flag = "shift"
				case *v.psi >= psiWatch:
					mp.Flag = "watch"
				}
			}
		}
	}
	return out
}

type monthPSI struct {
	n, bins, n0 int
	base        bool // the first month, the baseline
	psi         *float64
}

// psiByMonth is the PSI of each month's scores against the first month
// with scores: bins are the first month's deciles (cutGroups); a score
// falls in the first bin whose highest score is at least it, else the
// last; PSI = Σ (a − e)·ln(a / e) over the bins, a and e the month's and
// the first month's shares, an empty cell counting emptyCell rows.
func psiByMonth(scores []float32, months []uint16) map[uint16]monthPSI {
	first := uint16(0)
	for i, m := range months {
		if m != 0 && i < len(scores) && finite32(scores[i]) && (first == 0 || m < first) {
			first = m
		}
	}
	if first == 0 {
		return nil
	}
	var base []Sample
	for i, m := range months {
		if m == first && finite32(scores[i]) {
			base = append(base, Sample{Score: float64(scores[i])})
		}
	}
	sort.Slice(base, func(i, j int) bool { return base[i].Score < base[j].Score })
	raw := cutGroups(groupScores(base), deciles)
	to := make([]float64, len(raw))
	for i, r := range raw {
		to[i] = r.to
	}
	counts := map[uint16][]int{}
	for i, m := range months {
		if m == 0 || !finite32(scores[i]) {
			continue
		}
		c := counts[m]
		if c == nil {
			c = make([]int, len(to))
			counts[m] = c
		}
		c[binOf(to, float64(scores[i]))]++
	}
	e := counts[first]
	ne := 0
	for _, x := range e {
		ne += x
	}
	out := map[uint16]monthPSI{}
	for m, c := range counts {
		n := 0
		for _, x := range c {
			n += x
		}
		psi := 0.0
		for j := range c {
			a, b := smooth(c[j])/float64(n), smooth(e[j])/float64(ne)
			psi += (a - b) * math.Log(a/b)
		}
		out[m] = monthPSI{n: n, bins: len(to), n0: ne, base: m == first, psi: ptr(psi)}
	}
	return out
}

// binOf is the first bin whose highest score (to) is at least s, else the
// last.
func binOf(to []float64, s float64) int {
	i := sort.SearchFloat64s(to, s)
	if i >= len(to) {
		i = len(to) - 1
	}
	return i
}
