package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// Inline SVG charts for report.html: drawn here from the figures, scaled by
// their viewBox to the page width, so the page needs nothing from the
// network and reads on a phone.

var (
	statusColors = map[string]string{
		"hit": "#2e7d32", "no_hit": "#90a4ae", "invalid": "#f9a825",
		"failed": "#c62828", "deferred": "#6a1b9a", "skipped": "#5d4037",
	}
	decisionColors = map[string]string{"pass": "#2e7d32", "review": "#f9a825", "reject": "#c62828", "no_vote": "#b0bec5"}
	badColor       = "#c62828"
	goodColor      = "#2e7d32"
	accentColor    = "#1565c0"
)

type segment struct {
	name  string
	value int
	color string
}

type stackRow struct {
	label string
	segs  []segment
}

func esc(s string) string { return html.EscapeString(s) }

// hStack draws one labelled 100% bar per row, segments in order, with a
// legend of the segments that occur.
func hStack(title string, rows []stackRow) template.HTML {
	const w, barH, gap, labelH = 320.0, 16.0, 10.0, 14.0
	var b strings.Builder
	y := 0.0
	used := map[string]string{}
	var order []string
	for _, r := range rows {
		total := 0
		for _, s := range r.segs {
			total += s.value
		}
		fmt.Fprintf(&b, `<text x="0" y="%.1f" class="lbl">%s</text>`, y+11, esc(r.label))
		y += labelH
		x := 0.0
		for _, s := range r.segs {
			if s.value == 0 || total == 0 {
				continue
			}
			sw := w * float64(s.value) / float64(total)
			fmt.Fprintf(&b, `<rect x="%.2f" y="%.1f" width="%.2f" height="%.0f" fill="%s"><title>%s: %s (%s)</title></rect>`,
				x, y, sw, barH, s.color, esc(s.name), FormatInt(s.value), FormatRate(ptr(float64(s.value)/float64(total))))
			x += sw
			if _, ok := used[s.name]; !ok {
				used[s.name] = s.color
				order = append(order, s.name)
			}
		}
		if total == 0 {
			fmt.Fprintf(&b, `<rect x="0" y="%.1f" width="%.0f" height="%.0f" fill="#eceff1"/>`, y, w, barH)
		}
		y += barH + gap
	}
	lx := 0.0
	for _, n := range order {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/><text x="%.1f" y="%.1f" class="lbl">%s</text>`,
			lx, y+1, used[n], lx+13, y+10, esc(n))
		lx += 13 + 6.5*float64(len(n)) + 12
		if lx > w-40 {
			lx = 0
			y += 16
		}
	}
	y += 16
	return svgWrap(title, w, y, b.String())
}

func svgWrap(title string, w, h float64, body string) template.HTML {
	return template.HTML(fmt.Sprintf(`<svg viewBox="0 0 %.0f %.0f" role="img" aria-label="%s"><title>%s</title>%s</svg>`,
		w, h, esc(title), esc(title), body))
}

// columns draws a column chart of values (0..max) with category labels.
func columns(title string, labels []string, values []float64, pct bool, color string) template.HTML {
	const w, h, left, bottom, top = 320.0, 190.0, 34.0, 34.0, 8.0
	max := 0.0
	for _, v := range values {
		max = math.Max(max, v)
	}
	if max == 0 {
		max = 1
	}
	if pct {
		max = math.Min(1, niceWidth(max))
	} else {
		max = niceWidth(max)
	}
	var b strings.Builder
	ph := h - bottom - top
	pw := w - left - 4
	for i := 0; i <= 4; i++ {
		v := max * float64(i) / 4
		yy := top + ph - ph*float64(i)/4
		lab := fmtNum(v)
		if pct {
			lab = fmt.Sprintf("%.0f%%", v*100)
		}
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" class="grid"/><text x="%.0f" y="%.1f" class="ax" text-anchor="end">%s</text>`,
			left, w-4, yy, yy, left-3, yy+3, lab)
	}
	n := len(values)
	if n == 0 {
		return svgWrap(title, w, h, b.String())
	}
	slot := pw / float64(n)
	every := 1
	if n > 12 {
		every = 2
	}
	for i, v := range values {
		bh := ph * v / max
		x := left + slot*float64(i) + slot*0.12
		fmt.Fprintf(&b, `<rect x="%.2f" y="%.2f" width="%.2f" height="%.2f" fill="%s"><title>%s: %s</title></rect>`,
			x, top+ph-bh, slot*0.76, bh, color, esc(labels[i]), valueText(v, pct))
		if i%every == 0 {
			cx := left + slot*(float64(i)+0.5)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="ax" text-anchor="end" transform="rotate(-40 %.1f %.1f)">%s</text>`,
				cx+3, h-bottom+12, cx+3, h-bottom+12, esc(labels[i]))
		}
	}
	return svgWrap(title, w, h, b.String())
}

func valueText(v float64, pct bool) string {
	if pct {
		return FormatRate(&v)
	}
	return fmtNum(v)
}

// ksChart draws the cumulative bad and good shares by score with the KS gap.
func ksChart(name string, m Metrics) template.HTML {
	const w, h, left, bottom, top, right = 320.0, 226.0, 34.0, 46.0, 10.0, 8.0
	title := name + ": KS " + FormatMetric(m.KS)
	var b strings.Builder
	if len(m.KSCurve) == 0 {
		return svgWrap(title, w, h, `<text x="160" y="100" class="lbl" text-anchor="middle">not enough bad and good rows</text>`)
	}
	lo, hi := m.KSCurve[0].Score, m.KSCurve[len(m.KSCurve)-1].Score
	if hi == lo {
		hi = lo + 1
	}
	pw, ph := w-left-right, h-top-bottom
	px := func(s float64) float64 { return left + pw*(s-lo)/(hi-lo) }
	py := func(v float64) float64 { return top + ph*(1-v) }
	axes(&b, left, top, pw, ph)
	for i := 0; i <= 4; i++ {
		s := lo + (hi-lo)*float64(i)/4
		if hi-lo >= 8 {
			s = math.Round(s)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="ax" text-anchor="middle">%s</text>`, px(s), h-bottom+13, fmtNum(math.Round(s*100)/100))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="ax" text-anchor="middle">score</text>`, left+pw/2, h-bottom+25)
	var pb, pg strings.Builder
	for _, p := range m.KSCurve {
		fmt.Fprintf(&pb, "%.2f,%.2f ", px(p.Score), py(p.CumBad))
		fmt.Fprintf(&pg, "%.2f,%.2f ", px(p.Score), py(p.CumGood))
	}
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, pg.String(), goodColor)
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, pb.String(), badColor)
	if m.KSScore != nil {
		for _, p := range m.KSCurve {
			if p.Score == *m.KSScore {
				fmt.Fprintf(&b, `<line x1="%.2f" x2="%.2f" y1="%.2f" y2="%.2f" stroke="#263238" stroke-dasharray="3 2"/>`,
					px(p.Score), px(p.Score), py(p.CumBad), py(p.CumGood))
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="lbl">KS %s at %s</text>`, math.Min(px(p.Score)+4, w-110), top+12, FormatMetric(m.KS), fmtNum(p.Score))
			}
		}
	}
	legend(&b, left, h-10, []segment{{name: "good, share at or below", color: goodColor}, {name: "bad, share at or below", color: badColor}})
	return svgWrap(title, w, h, b.String())
}

// rocChart draws the ROC curve against the diagonal.
func rocChart(name string, m Metrics) template.HTML {
	const w, h, left, bottom, top, right = 320.0, 250.0, 34.0, 30.0, 10.0, 76.0
	title := name + ": ROC, AUC " + FormatMetric(m.AUC)
	var b strings.Builder
	if len(m.ROC) == 0 {
		return svgWrap(title, w, h, `<text x="160" y="100" class="lbl" text-anchor="middle">not enough bad and good rows</text>`)
	}
	pw, ph := w-left-right, h-top-bottom
	px := func(v float64) float64 { return left + pw*v }
	py := func(v float64) float64 { return top + ph*(1-v) }
	axes(&b, left, top, pw, ph)
	for i := 0; i <= 4; i++ {
		v := float64(i) / 4
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="ax" text-anchor="middle">%.2g</text>`, px(v), h-bottom+13, v)
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="ax" text-anchor="middle">false positive rate (good)</text>`, left+pw/2, h-3)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#90a4ae" stroke-dasharray="4 3"/>`, px(0), py(0), px(1), py(1))
	var pts strings.Builder
	for _, p := range m.ROC {
		fmt.Fprintf(&pts, "%.2f,%.2f ", px(p.FPR), py(p.TPR))
	}
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, pts.String(), accentColor)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="lbl">AUC %s</text>`, px(1)+6, py(0.55), FormatMetric(m.AUC))
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="lbl">Gini %s</text>`, px(1)+6, py(0.55)+15, FormatMetric(m.Gini))
	return svgWrap(title, w, h, b.String())
}

func axes(b *strings.Builder, left, top, pw, ph float64) {
	for i := 0; i <= 4; i++ {
		yy := top + ph*float64(i)/4
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="grid"/><text x="%.1f" y="%.1f" class="ax" text-anchor="end">%.0f%%</text>`,
			left, left+pw, yy, yy, left-3, yy+3, 100-25*float64(i))
	}
	fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#b0bec5"/>`, left, top, pw, ph)
}

// legend draws a one-line legend of line colours.
func legend(b *strings.Builder, x, y float64, items []segment) {
	for _, it := range items {
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="12" height="3" fill="%s"/><text x="%.1f" y="%.1f" class="ax">%s</text>`,
			x, y-4, it.color, x+15, y, esc(it.name))
		x += 15 + 4.6*float64(len(it.name)) + 14
	}
}
