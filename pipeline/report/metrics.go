package report

import (
	"math"
	"sort"
)

// Sample is one scored, labelled row of a back-test.
type Sample struct {
	Score float64
	Bad   bool
}

// Metrics are a score's back-test figures over its scored rows. A figure
// that is undefined (no bad rows, or no good rows) is nil.
type Metrics struct {
	Rows    int      `json:"rows"`
	Bads    int      `json:"bads"`
	Goods   int      `json:"goods"`
	BadRate *float64 `json:"bad_rate"`
	// KS is the largest gap between the cumulative score distributions of
	// bad and good rows, taken after each distinct score; KSScore is the
	// score where it is reached (the first one, ascending).
	KS      *float64 `json:"ks"`
	KSScore *float64 `json:"ks_score"`
	// AUC is the Mann–Whitney probability that a bad row scores higher
	// than a good row, ties counted half; Gini = 2·AUC − 1.
	AUC  *float64 `json:"auc"`
	Gini *float64 `json:"gini"`
	// IV is the information value over the deciles.
	IV      *float64 `json:"iv"`
	Deciles []Bin    `json:"deciles"`
	// KSCurve and ROC are the curves behind KS and AUC, thinned to at most
	// curvePoints points for the charts (the figures use every point).
	KSCurve []KSPoint  `json:"ks_curve"`
	ROC     []ROCPoint `json:"roc"`
}

// Bin is one row of a bad-rate table: a decile, a band, or a decision.
type Bin struct {
	Label   string   `json:"label"`
	From    *float64 `json:"score_from,omitempty"` // lowest score in the bin
	To      *float64 `json:"score_to,omitempty"`   // highest score in the bin
	Rows    int      `json:"rows"`
	Bads    int      `json:"bads"`
	Goods   int      `json:"goods"`
	BadRate *float64 `json:"bad_rate"`
	// Lift is the bin's bad rate over the table's base bad rate.
	Lift *float64 `json:"lift"`
	// WoE = ln(good share / bad share) and the bin's IV term, deciles only.
	WoE *float64 `json:"woe,omitempty"`
	IV  *float64 `json:"iv,omitempty"`
	// CumBad and CumGood are the shares of bad and good rows scoring at
	// most To (deciles only).
	CumBad  *float64 `json:"cum_bad,omitempty"`
	CumGood *float64 `json:"cum_good,omitempty"`
}

// KSPoint is a point of the KS chart: the cumulative shares of bad and
// good rows scoring at most Score.
type KSPoint struct {
	Score   float64 `json:"score"`
	CumBad  float64 `json:"cum_bad"`
	CumGood float64 `json:"cum_good"`
}

// ROCPoint is a point of the ROC curve for the cut "score ≥ t is bad":
// the shares of good (FPR) and bad (TPR) rows at or above the cut.
type ROCPoint struct {
	FPR float64 `json:"fpr"`
	TPR float64 `json:"tpr"`
}

const (
	deciles     = 10
	curvePoints = 201
	// emptyCell is what an empty cell of a bin counts as in WoE and IV, so
	// a bin with no bad (or no good) rows has a finite weight of evidence.
	emptyCell = 0.5
)

func ptr(f float64) *float64 { return &f }

// rate is a/b, nil when b is 0.
func rate(a, b int) *float64 {
	if b == 0 {
		return nil
	}
	return ptr(float64(a) / float64(b))
}

// ComputeMetrics computes a score's back-test figures. samples is sorted in
// place by score.
func ComputeMetrics(samples []Sample) Metrics {
	sort.SliceStable(samples, func(a, b int) bool { return samples[a].Score < samples[b].Score })
	m := Metrics{Rows: len(samples)}
	for _, s := range samples {
		if s.Bad {
			m.Bads++
		}
	}
	m.Goods = m.Rows - m.Bads
	m.BadRate = rate(m.Bads, m.Rows)
	groups := groupScores(samples)
	m.Deciles = decileBins(groups, m.Rows, m.Bads, m.Goods, m.BadRate)
	if m.Bads == 0 || m.Goods == 0 {
		return m
	}
	B, G := float64(m.Bads), float64(m.Goods)

	// KS over distinct scores, and the KS curve.
	var cb, cg int
	ks, ksAt := -1.0, 0.0
	curve := make([]KSPoint, 0, len(groups)+1)
	for _, g := range groups {
		cb += g.bads
		cg += g.rows - g.bads
		fb, fg := float64(cb)/B, float64(cg)/G
		if gap := math.Abs(fb - fg); gap > ks+1e-12 {
			ks, ksAt = gap, g.score
		}
		curve = append(curve, KSPoint{Score: g.score, CumBad: fb, CumGood: fg})
	}
	m.KS, m.KSScore = ptr(ks), ptr(ksAt)
	m.KSCurve = thinKS(curve, ksAt)

	// AUC from the rank sum of the bad rows, tied scores sharing their mean
	// rank: exactly the Mann–Whitney count with ties counted half.
	rankSum, pos := 0.0, 0
	for _, g := range groups {
		mid := float64(pos) + float64(g.rows+1)/2
		rankSum += mid * float64(g.bads)
		pos += g.rows
	}
	auc := (rankSum - B*(B+1)/2) / (B * G)
	m.AUC, m.Gini = ptr(auc), ptr(2*auc-1)

	// ROC: cut from the highest score down.
	roc := make([]ROCPoint, 0, len(groups)+1)
	roc = append(roc, ROCPoint{})
	tb, tg := 0, 0
	for i := len(groups) - 1; i >= 0; i-- {
		tb += groups[i].bads
		tg += groups[i].rows - groups[i].bads
		roc = append(roc, ROCPoint{FPR: float64(tg) / G, TPR: float64(tb) / B})
	}
	m.ROC = thinROC(roc)

	iv := 0.0
	for _, d := range m.Deciles {
		iv += *d.IV
	}
	m.IV = ptr(iv)
	return m
}

type scoreGroup struct {
	score      float64
	rows, bads int
}

// groupScores folds sorted samples into one group per distinct score.
func groupScores(s []Sample) []scoreGroup {
	var out []scoreGroup
	for _, x := range s {
		if n := len(out); n > 0 && out[n-1].score == x.Score {
			out[n-1].rows++
			if x.Bad {
				out[n-1].bads++
			}
			continue
		}
		g := scoreGroup{score: x.Score, rows: 1}
		if x.Bad {
			g.bads = 1
		}
		out = append(out, g)
	}
	return out
}

// rawBin is a bin of consecutive score groups.
type rawBin struct {
	from, to   float64
	rows, bads int
}

// cutGroups cuts sorted score groups into at most k equal-frequency bins,
// never splitting a group of tied scores: walking up the scores, a bin is
// closed as soon as the rows so far reach its boundary (j·n/k for the
// j-th), and the next bin aims at the first boundary beyond them. A large
// tie therefore makes fewer, larger bins.
func cutGroups(groups []scoreGroup, k int) []rawBin {
	n := 0
	for _, g := range groups {
		n += g.rows
	}
	var out []rawBin
	cum, j := 0, 1
	open := false
	for _, g := range groups {
		if !open {
			out = append(out, rawBin{from: g.score})
			open = true
		}
		cur := &out[len(out)-1]
		cur.rows += g.rows
		cur.bads += g.bads
		cur.to = g.score
		cum += g.rows
		if cum*k >= j*n {
			open = false
			j = cum*k/n + 1
		}
	}
	return out
}

// decileBins is the decile table of sorted score groups.
func decileBins(groups []scoreGroup, n, bads, goods int, base *float64) []Bin {
	return binTable(cutGroups(groups, deciles), bads, goods, base)
}

// binTable turns bins into table rows labelled 1, 2, …: bad rate, lift
// over base, cumulative shares, WoE and IV term (emptyCell in an empty
// cell).
func binTable(raw []rawBin, bads, goods int, base *float64) []Bin {
	out := make([]Bin, len(raw))
	cb, cg := 0, 0
	for i, r := range raw {
		b := &out[i]
		b.From, b.To = ptr(r.from), ptr(r.to)
		b.Rows, b.Bads = r.rows, r.bads
		b.Label = itoa(i + 1)
		b.Goods = b.Rows - b.Bads
		b.BadRate = rate(b.Bads, b.Rows)
		if base != nil && *base > 0 {
			b.Lift = ptr(*b.BadRate / *base)
		}
		cb += b.Bads
		cg += b.Goods
		if bads > 0 {
			b.CumBad = ptr(float64(cb) / float64(bads))
		}
		if goods > 0 {
			b.CumGood = ptr(float64(cg) / float64(goods))
		}
		if bads > 0 && goods > 0 {
			woe := woeOf(b.Goods, b.Bads, goods, bads)
			pg, pb := smooth(b.Goods)/float64(goods), smooth(b.Bads)/float64(bads)
			b.WoE, b.IV = ptr(woe), ptr((pg-pb)*woe)
		}
	}
	return out
}

// smooth is a cell count with an empty cell counted as emptyCell.
func smooth(n int) float64 {
	if n == 0 {
		return emptyCell
	}
	return float64(n)
}

// woeOf is ln((g/G) / (b/B)) with empty cells counted as emptyCell,
// computed as ln(g′·B / (b′·G)) with g′, b′ the doubled counts (1 for an
// empty cell): one division of two exact integers, so bins with the same
// bad-to-good ratio get bit-identical WoE (and tie in a regression on it).
func woeOf(g, b, G, B int) float64 {
	return math.Log(float64(doubled(g)*B) / float64(doubled(b)*G))
}

// doubled is 2n, or 1 for an empty cell (emptyCell = 0.5 doubled).
func doubled(n int) int {
	if n == 0 {
		return 1
	}
	return 2 * n
}

// ivOf sums the IV terms of a bin table (nil when undefined).
func ivOf(bins []Bin) *float64 {
	iv := 0.0
	for _, d := range bins {
		if d.IV == nil {
			return nil
		}
		iv += *d.IV
	}
	return ptr(iv)
}

// ksAUC is KS (and where it is first reached) and AUC of sorted score
// groups, as ComputeMetrics defines them; ok is false without bad or good
// rows.
func ksAUC(groups []scoreGroup) (ks, ksAt, auc float64, ok bool) {
	var B, G float64
	for _, g := range groups {
		B += float64(g.bads)
		G += float64(g.rows - g.bads)
	}
	if B == 0 || G == 0 {
		return 0, 0, 0, false
	}
	var cb, cg int
	ks = -1
	rankSum, pos := 0.0, 0
	for _, g := range groups {
		cb += g.bads
		cg += g.rows - g.bads
		if gap := math.Abs(float64(cb)/B - float64(cg)/G); gap > ks+1e-12 {
			ks, ksAt = gap, g.score
		}
		rankSum += (float64(pos) + float64(g.rows+1)/2) * float64(g.bads)
		pos += g.rows
	}
	return ks, ksAt, (rankSum - B*(B+1)/2) / (B * G), true
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// thinKS keeps at most curvePoints points of the KS curve, always the
// first, the last and the one where KS is reached.
func thinKS(c []KSPoint, at float64) []KSPoint {
	if len(c) <= curvePoints {
		return c
	}
	step := float64(len(c)-1) / float64(curvePoints-2)
	var out []KSPoint
	kept := false
	for i := 0.0; int(math.Round(i)) < len(c); i += step {
		p := c[int(math.Round(i))]
		if !kept && p.Score >= at {
			if p.Score > at {
				for _, q := range c {
					if q.Score == at {
						out = append(out, q)
					}
				}
			}
			kept = true
		}
		out = append(out, p)
	}
	if last := c[len(c)-1]; out[len(out)-1] != last {
		out = append(out, last)
	}
	return out
}

func thinROC(c []ROCPoint) []ROCPoint {
	if len(c) <= curvePoints {
		return c
	}
	step := float64(len(c)-1) / float64(curvePoints-1)
	var out []ROCPoint
	for i := 0.0; int(math.Round(i)) < len(c); i += step {
		out = append(out, c[int(math.Round(i))])
	}
	if last := c[len(c)-1]; out[len(out)-1] != last {
		out = append(out, last)
	}
	return out
}
