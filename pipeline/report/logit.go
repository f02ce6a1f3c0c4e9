package report

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/optimize"
)

// The incremental value of each vendor: a logistic regression on the
// vendors' WoE-binned scores, cross-validated, against each vendor alone.
//
//   - Rows: labelled rows every provider with a score column answered (hit
//     or no-hit). Row i (0-based, in input order = the data rows of
//     results.csv) is in fold i mod 5.
//   - For each fold k, each provider's score is binned on the other four
//     folds (the training rows) with the back-test's binning (deciles, or
//     monotone with backtest.binning: monotone) and every bin gets its WoE
//     ln((g/G)/(b/B)) over the training rows (G, B: the training rows'
//     goods and bads; 0.5 in an empty cell); an answer without a score is
//     one more bin ("no score", WoE 0 when no training row is in it). A row
//     is in the first bin whose highest training score is at least its
//     score, else the last.
//   - The model is sklearn's LogisticRegression(C=1): minimise
//     Σ log(1 + e^z) − y·z + ||w||² / (2C) over the training rows, z = w₀ +
//     Σ wⱼ·WoEⱼ, the intercept w₀ unpenalised; gonum's L-BFGS on the mean
//     of that objective (the same minimiser), rows with identical WoE
//     vectors pooled (the same objective, exactly).
//   - Each fold-k row gets the fold-k model's z; KS and AUC are computed
//     over the pooled out-of-fold z of every row, as for a score.

const (
	cvFolds = 5
	logitC  = 1.0
	// maxRegProviders bounds the providers in the regression (5 bits of a
	// 64-bit cell key each, ≤ 21 bins + no score).
	maxRegProviders = 8
)

type foldBin struct {
	to  []float64 // highest training score of each bin
	woe []float64 // per bin, then the "no score" bin
}

func (fb *foldBin) index(s float32) int {
	if math.IsNaN(float64(s)) {
		return len(fb.to)
	}
	return binOf(fb.to, float64(s))
}

type regCell struct {
	key                int
	trN, trB, teN, teB int
}

func (c *Collector) incremental(scored []*provState) *Incremental {
	if !c.plan.backtest || len(scored) == 0 {
		return nil
	}
	if len(scored) > maxRegProviders {
		scored = scored[:maxRegProviders]
	}
	P := len(scored)
	inc := &Incremental{Folds: cvFolds, C: logitC, Binning: "deciles"}
	if c.plan.monotone {
		inc.Binning = "monotone"
	}
	n := len(c.rowLabels)
	inPop := func(i int) bool {
		if c.rowLabels[i] == labelNone {
			return false
		}
		for _, ps := range scored {
			if math.IsInf(float64(ps.scores[i]), 1) {
				return false
			}
		}
		return true
	}
	var foldG, foldB [cvFolds]int
	for i := 0; i < n; i++ {
		if inPop(i) {
			if c.rowLabels[i] == labelBad {
				foldB[i%cvFolds]++
			} else {
				foldG[i%cvFolds]++
			}
		}
	}
	totG, totB := 0, 0
	for k := range cvFolds {
		totG += foldG[k]
		totB += foldB[k]
	}
	inc.Rows, inc.Bads = totG+totB, totB
	if totG == 0 || totB == 0 {
		return inc
	}

	// Bins and WoE per provider and fold, from the training rows.
	bins := make([][cvFolds]foldBin, P)
	var idx []int32 // reused from provider to provider
	for p, ps := range scored {
		idx = idx[:0]
		var nsG, nsB [cvFolds]int // answers without a score, by fold
		for i := 0; i < n; i++ {
			if !inPop(i) {
				continue
			}
			if math.IsNaN(float64(ps.scores[i])) {
				if c.rowLabels[i] == labelBad {
					nsB[i%cvFolds]++
				} else {
					nsG[i%cvFolds]++
				}
				continue
			}
			idx = append(idx, int32(i))
		}
		sort.Slice(idx, func(a, b int) bool { return ps.scores[idx[a]] < ps.scores[idx[b]] })
		var groups []scoreGroup
		for k := range cvFolds {
			groups = groups[:0]
			for _, i := range idx {
				if int(i)%cvFolds == k {
					continue
				}
				s, bad := float64(ps.scores[i]), 0
				if c.rowLabels[i] == labelBad {
					bad = 1
				}
				if m := len(groups); m > 0 && groups[m-1].score == s {
					groups[m-1].rows++
					groups[m-1].bads += bad
					continue
				}
				groups = append(groups, scoreGroup{score: s, rows: 1, bads: bad})
			}
			var raw []rawBin
			if c.plan.monotone {
				raw = monotoneBins(groups, c.plan.minShare)
			} else {
				raw = cutGroups(groups, deciles)
			}
			G, B := totG-foldG[k], totB-foldB[k]
			fb := foldBin{}
			for _, r := range raw {
				fb.to = append(fb.to, r.to)
				fb.woe = append(fb.woe, woeOf(r.rows-r.bads, r.bads, G, B))
			}
			g, b := nsG, nsB
			var sg, sb int
			for j := range cvFolds {
				if j != k {
					sg += g[j]
					sb += b[j]
				}
			}
			w := 0.0
			if sg+sb > 0 {
				w = woeOf(sg, sb, G, B)
			}
			fb.woe = append(fb.woe, w)
			bins[p][k] = fb
		}
	}

	// The models: all providers, each alone, all but each.
	type spec struct {
		name string
		set  []int
	}
	var specs []spec
	all := make([]int, P)
	for p := range all {
		all[p] = p
	}
	if P >= 2 {
		specs = append(specs, spec{"all providers", all})
	}
	for p, ps := range scored {
		specs = append(specs, spec{ps.plan.name + " alone", []int{p}})
	}
	if P >= 3 {
		for p, ps := range scored {
			var set []int
			for q := range P {
				if q != p {
					set = append(set, q)
				}
			}
			specs = append(specs, spec{"all but " + ps.plan.name, set})
		}
	}
	pooled := make([][]scoreGroup, len(specs))
	for k := range cvFolds {
		// One cell per combination of bins over the rows.
		cells := map[int]*regCell{}
		for i := 0; i < n; i++ {
			if !inPop(i) {
				continue
			}
			key := 0
			for p, ps := range scored {
				key = key<<5 | bins[p][k].index(ps.scores[i])
			}
			cl := cells[key]
			if cl == nil {
				cl = &regCell{key: key}
				cells[key] = cl
			}
			bad := 0
			if c.rowLabels[i] == labelBad {
				bad = 1
			}
			if i%cvFolds == k {
				cl.teN++
				cl.teB += bad
			} else {
				cl.trN++
				cl.trB += bad
			}
		}
		for m, sp := range specs {
			// Pool the cells over the model's providers.
			sub := map[int]*regCell{}
			var order []int
			for _, cl := range cells {
				key := 0
				for _, p := range sp.set {
					key = key<<5 | (cl.key>>(5*(P-1-p)))&31
				}
				s := sub[key]
				if s == nil {
					s = &regCell{key: key}
					sub[key] = s
					order = append(order, key)
				}
				s.trN += cl.trN
				s.trB += cl.trB
				s.teN += cl.teN
				s.teB += cl.teB
			}
			sort.Ints(order)
			x := make([][]float64, len(order))
			nn := make([]float64, len(order))
			bb := make([]float64, len(order))
			for j, key := range order {
				s := sub[key]
				x[j] = make([]float64, len(sp.set))
				for q := range sp.set {
					bin := (key >> (5 * (len(sp.set) - 1 - q))) & 31
					x[j][q] = bins[sp.set[q]][k].woe[bin]
				}
				nn[j], bb[j] = float64(s.trN), float64(s.trB)
			}
			w := fitLogit(x, nn, bb, logitC)
			for j, key := range order {
				s := sub[key]
				if s.teN == 0 {
					continue
				}
				z := w[0]
				for q, v := range x[j] {
					z += w[q+1] * v
				}
				pooled[m] = append(pooled[m], scoreGroup{score: z, rows: s.teN, bads: s.teB})
			}
		}
	}
	auc := map[string]Model{}
	for m, sp := range specs {
		g := pooled[m]
		sort.Slice(g, func(a, b int) bool { return g[a].score < g[b].score })
		merged := g[:0]
		for _, x := range g {
			if l := len(merged); l > 0 && merged[l-1].score == x.score {
				merged[l-1].rows += x.rows
				merged[l-1].bads += x.bads
				continue
			}
			merged = append(merged, x)
		}
		md := Model{Name: sp.name}
		for _, p := range sp.set {
			md.Providers = append(md.Providers, scored[p].plan.name)
		}
		if ks, _, a, ok := ksAUC(merged); ok {
			md.KS, md.AUC, md.Gini = ptr(ks), ptr(a), ptr(2*a-1)
		}
		inc.Models = append(inc.Models, md)
		auc[sp.name] = md
	}
	if P >= 2 {
		top := auc["all providers"]
		for p, ps := range scored {
			without := auc["all but "+ps.plan.name]
			if P == 2 {
				without = auc[scored[1-p].plan.name+" alone"]
			}
			d := Increment{Name: ps.plan.name}
			if top.AUC != nil && without.AUC != nil {
				d.AUC = ptr(*top.AUC - *without.AUC)
				d.KS = ptr(*top.KS - *without.KS)
			}
			inc.Adds = append(inc.Adds, d)
		}
	}
	return inc
}

// fitLogit fits an L2 logistic regression (sklearn's convention, C) on
// pooled rows: x[j] the features of cell j, n[j] its rows, b[j] its bads.
// It returns the intercept then the weights.
func fitLogit(x [][]float64, n, b []float64, C float64) []float64 {
	d := 0
	if len(x) > 0 {
		d = len(x[0])
	}
	N := 0.0
	for _, v := range n {
		N += v
	}
	if N == 0 {
		return make([]float64, d+1)
	}
	z := func(w []float64, j int) float64 {
		s := w[0]
		for q, v := range x[j] {
			s += w[q+1] * v
		}
		return s
	}
	f := func(w []float64) float64 {
		s := 0.0
		for j := range x {
			zz := z(w, j)
			s += n[j]*softplus(zz) - b[j]*zz
		}
		for _, v := range w[1:] {
			s += v * v / (2 * C)
		}
		return s / N
	}
	grad := func(g, w []float64) {
		for i := range g {
			g[i] = 0
		}
		for j := range x {
			r := n[j]*sigmoid(z(w, j)) - b[j]
			g[0] += r
			for q, v := range x[j] {
				g[q+1] += r * v
			}
		}
		for i := 1; i < len(g); i++ {
			g[i] += w[i] / C
		}
		for i := range g {
			g[i] /= N
		}
	}
	// An error with a result (a line search that cannot improve on a
	// point already at the optimum to rounding) keeps the best point found.
	res, _ := optimize.Minimize(optimize.Problem{Func: f, Grad: grad}, make([]float64, d+1),
		&optimize.Settings{GradientThreshold: 1e-11, MajorIterations: 10000}, &optimize.LBFGS{})
	if res == nil {
		return make([]float64, d+1)
	}
	return res.X
}

func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}
