package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"

	"golang.org/x/text/width"
)

// Inline SVG charts for report.html: drawn here from the figures, so the
// page needs nothing from the network and reads on a phone.
//
// Text size. A chart is drawn in a viewBox chartW units wide and scaled
// to its box, but never above maxScale (the svg's max-width): with the
// page's grid cards at least cardMin px wide, the scale stays between
// about 0.89 and maxScale, so axis labels (axFont) and labels (lblFont)
// render between 10 and 16 px on a phone and on a desktop alike
// (pipeline's TestReportTextSizes measures them in Chromium).
const (
	chartW   = 320.0
	axFont   = 12.0 // tick labels, axis titles, legends (CSS .ax)
	lblFont  = 13.0 // bar and line labels (CSS .lbl)
	maxScale = 1.2
	// Average advance of a character at the two sizes, for layout.
	axChar  = 6.8
	lblChar = 7.4
)

// statusColors and decisionColors are the palette's colours by status and
// by decision.
var (
	statusColors   = map[string]string{}
	decisionColors = map[string]string{}
)

func init() {
	for _, st := range []string{"hit", "no_hit", "invalid", "failed", "deferred", "skipped"} {
		statusColors[st] = color(st)
	}
	for _, d := range []string{"pass", "review", "reject", "no_vote"} {
		decisionColors[d] = color(d)
	}
}

type segment struct {
	name    string
	value   int
	meaning string // palette key
	dash    string // line legends: the series' dash pattern
}

type stackRow struct {
	label string
	segs  []segment
}

func esc(s string) string { return html.EscapeString(s) }

// paint is the fill of a mark of meaning, tagged with it.
func paint(meaning string) string {
	return fmt.Sprintf(`fill="%s" data-meaning="%s"`, color(meaning), esc(meaning))
}

// stroke is the stroke of a line of meaning, tagged with it.
func stroke(meaning, dashes string) string {
	s := fmt.Sprintf(`fill="none" stroke="%s" stroke-width="2" data-meaning="%s"`, color(meaning), esc(meaning))
	if dashes != "" {
		s += fmt.Sprintf(` stroke-dasharray="%s"`, dashes)
	}
	return s
}

// hStack draws one labelled 100% bar per row, segments in order, with a
// legend of the segments that occur.
func hStack(title string, rows []stackRow) template.HTML {
	const barH, gap = 18.0, 10.0
	w := chartW
	var b strings.Builder
	y := 0.0
	seen := map[string]bool{}
	var used []segment
	for _, r := range rows {
		total := 0
		for _, s := range r.segs {
			total += s.value
		}
		fmt.Fprintf(&b, `<text x="0" y="%.1f" class="lbl">%s</text>`, y+lblFont, esc(r.label))
		y += lblFont + 4
		x := 0.0
		for _, s := range r.segs {
			if s.value == 0 || total == 0 {
				continue
			}
			sw := w * float64(s.value) / float64(total)
			fmt.Fprintf(&b, `<rect x="%.2f" y="%.1f" width="%.2f" height="%.0f" %s><title>%s: %s (%s)</title></rect>`,
				x, y, sw, barH, paint(s.meaning), esc(s.name), FormatInt(s.value), FormatRate(ptr(float64(s.value)/float64(total))))
			x += sw
			if !seen[s.name] {
				seen[s.name] = true
				used = append(used, s)
			}
		}
		if total == 0 {
			fmt.Fprintf(&b, `<rect x="0" y="%.1f" width="%.0f" height="%.0f" fill="#eceff1"/>`, y, w, barH)
		}
		y += barH + gap
	}
	y = legend(&b, 0, y+axFont, w, used, false)
	return svgWrap(title, "", w, y+4, b.String())
}

// svgWrap wraps a chart's body: its viewBox, its width at scale 1 (the
// page scales it down to fit, and up by at most maxScale) and its title.
// yAxis says what the value axis counts (count, pct, num; "" none), for
// the tests.
func svgWrap(title, yAxis string, w, h float64, body string) template.HTML {
	attr := ""
	if yAxis != "" {
		attr = fmt.Sprintf(` data-yaxis="%s"`, yAxis)
	}
	return template.HTML(fmt.Sprintf(`<svg viewBox="0 0 %.0f %.0f" style="max-width:%.0fpx" role="img" aria-label="%s"%s><title>%s</title>%s</svg>`,
		w, math.Ceil(h), w*maxScale, esc(title), attr, esc(title), body))
}

// Value axis kinds.
const (
	axisCount = "count" // whole numbers: ticks at whole numbers only
	axisPct   = "pct"   // shares 0–1, shown as percentages
	axisNum   = "num"   // any number
)

// ticks returns the axis maximum and its ticks from 0: a round step (1, 2
// or 5 times a power of ten; 25% steps for shares) giving at most five
// intervals; whole numbers only on a count axis.
func ticks(hi float64, kind string) (top float64, out []float64) {
	if !(hi > 0) || math.IsInf(hi, 0) {
		hi = 1
	}
	if kind == axisPct {
		hi = math.Min(hi, 1)
	}
	raw := hi / 5
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * p
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw*(1-1e-9) {
			step = m * p
			break
		}
	}
	if kind == axisCount && step < 1 {
		step = 1
	}
	n := int(math.Ceil(hi/step - 1e-9))
	if n < 1 {
		n = 1
	}
	for i := 0; i <= n; i++ {
		out = append(out, roundTo(float64(i)*step, 9))
	}
	return out[n], out
}

func tickText(v float64, kind string) string {
	if kind == axisPct {
		return fmtNum(math.Round(v*1000)/10) + "%"
	}
	if kind == axisCount {
		return FormatInt(int(math.Round(v)))
	}
	return fmtNum(v)
}

// yTicks draws the value axis: grid lines and tick labels.
func yTicks(b *strings.Builder, left, right, top, ph, max float64, ts []float64, kind string) {
	for _, v := range ts {
		yy := top + ph - ph*v/max
		fmt.Fprintf(b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" class="grid"/><text x="%.0f" y="%.1f" class="ax tick" text-anchor="end">%s</text>`,
			left, right, yy, yy, left-4, yy+axFont*0.35, tickText(v, kind))
	}
}

// catLabels draws category labels under a plot, rotated when they do not
// fit their slot, every k-th when even rotated they would touch; it returns
// the height they take below the plot.
func catLabels(b *strings.Builder, labels []string, x func(int) float64, slot, y float64) float64 {
	longest := 0.0
	for _, l := range labels {
		longest = math.Max(longest, axWidth(l))
	}
	if longest <= slot*0.92 {
		for i, l := range labels {
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" class="ax" text-anchor="middle">%s</text>`, x(i), y+axFont, esc(l))
		}
		return axFont + 6
	}
	every := int(math.Ceil((axFont + 3) / (slot * math.Sin(50*math.Pi/180))))
	if every < 1 {
		every = 1
	}
	for i, l := range labels {
		if i%every != 0 {
			continue
		}
		cx, cy := x(i)+axFont*0.3, y+axFont*0.8
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" class="ax" text-anchor="end" transform="rotate(-40 %.1f %.1f)">%s</text>`,
			cx, cy, cx, cy, esc(l))
	}
	return longest*math.Sin(40*math.Pi/180) + axFont + 8
}

// tickRoom is the room the value axis's labels need left of the plot.
func tickRoom(ts []float64, kind string) float64 {
	n := 0
	for _, v := range ts {
		n = max(n, len(tickText(v, kind)))
	}
	return 8 + float64(n)*axChar
}

// axWidth estimates the width of s at the axis font: a CJK (wide)
// character is about as wide as the font is high, others axChar.
func axWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			w += axFont
		default:
			w += axChar
		}
	}
	return w
}

// maxLabel is the width of the widest label at the axis font.
func maxLabel(labels []string) float64 {
	n := 0.0
	for _, l := range labels {
		n = math.Max(n, axWidth(l))
	}
	return n
}

// columns draws a column chart of values with category labels; kind is
// the value axis (count, pct, num).
func columns(title string, labels []string, values []float64, kind, meaning string) template.HTML {
	const top, ph = 10.0, 150.0
	w := chartW
	hi := 0.0
	for _, v := range values {
		if !math.IsNaN(v) {
			hi = math.Max(hi, v)
		}
	}
	top0, ts := ticks(hi, kind)
	left := tickRoom(ts, kind)
	n := len(values)
	// A rotated first label reaches left of its slot: make room.
	if n > 0 {
		slot := (w - left - 4) / float64(n)
		if reach := maxLabel(labels)*math.Cos(40*math.Pi/180) - slot/2; maxLabel(labels) > slot*0.92 && reach > left {
			left = math.Min(reach, w/3)
		}
	}
	pw := w - left - 4
	var b strings.Builder
	yTicks(&b, left, w-4, top, ph, top0, ts, kind)
	if n == 0 {
		return svgWrap(title, kind, w, top+ph+8, b.String())
	}
	slot := pw / float64(n)
	for i, v := range values {
		if math.IsNaN(v) {
			v = 0
		}
		bh := ph * v / top0
		x := left + slot*float64(i) + slot*0.12
		fmt.Fprintf(&b, `<rect x="%.2f" y="%.2f" width="%.2f" height="%.2f" %s><title>%s: %s</title></rect>`,
			x, top+ph-bh, slot*0.76, bh, paint(meaning), esc(labels[i]), tickText(v, kind))
	}
	below := catLabels(&b, labels, func(i int) float64 { return left + slot*(float64(i)+0.5) }, slot, top+ph+2)
	return svgWrap(title, kind, w, top+ph+2+below, b.String())
}

// ksChart draws the cumulative bad and good shares by score with the KS gap.
func ksChart(name string, m Metrics) template.HTML {
	const left, top, right, ph = 44.0, 10.0, 18.0, 150.0
	w := chartW
	title := name + ": KS " + FormatMetric(m.KS)
	var b strings.Builder
	if len(m.KSCurve) == 0 {
		return svgWrap(title, "", w, 120, `<text x="160" y="60" class="lbl" text-anchor="middle">not enough bad and good rows</text>`)
	}
	lo, hi := m.KSCurve[0].Score, m.KSCurve[len(m.KSCurve)-1].Score
	if hi == lo {
		hi = lo + 1
	}
	pw := w - left - right
	px := func(s float64) float64 { return left + pw*(s-lo)/(hi-lo) }
	py := func(v float64) float64 { return top + ph*(1-v) }
	axes(&b, left, top, pw, ph)
	for i := 0; i <= 4; i++ {
		s := lo + (hi-lo)*float64(i)/4
		if hi-lo >= 8 {
			s = math.Round(s)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="ax" text-anchor="middle">%s</text>`, px(s), top+ph+axFont+4, fmtNum(math.Round(s*100)/100))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="ax" text-anchor="middle">score</text>`, left+pw/2, top+ph+2*axFont+8)
	var pb, pg strings.Builder
	for _, p := range m.KSCurve {
		fmt.Fprintf(&pb, "%.2f,%.2f ", px(p.Score), py(p.CumBad))
		fmt.Fprintf(&pg, "%.2f,%.2f ", px(p.Score), py(p.CumGood))
	}
	fmt.Fprintf(&b, `<polyline points="%s" %s/>`, pg.String(), stroke("good", ""))
	fmt.Fprintf(&b, `<polyline points="%s" %s/>`, pb.String(), stroke("bad", ""))
	if m.KSScore != nil {
		for _, p := range m.KSCurve {
			if p.Score == *m.KSScore {
				fmt.Fprintf(&b, `<line x1="%.2f" x2="%.2f" y1="%.2f" y2="%.2f" stroke="#263238" stroke-dasharray="3 2"/>`,
					px(p.Score), px(p.Score), py(p.CumBad), py(p.CumGood))
				label := "KS " + FormatMetric(m.KS) + " at " + fmtNum(p.Score)
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="lbl">%s</text>`,
					math.Max(left+4, math.Min(px(p.Score)+4, w-right-float64(len(label))*lblChar)), top+lblFont+2, esc(label))
			}
		}
	}
	y := legend(&b, 0, top+ph+3*axFont+14, w, []segment{{name: "good: share at or below", meaning: "good"}, {name: "bad: share at or below", meaning: "bad"}}, true)
	return svgWrap(title, axisPct, w, y+4, b.String())
}

// rocChart draws the ROC curve against the diagonal.
func rocChart(name string, m Metrics) template.HTML {
	const left, top, right, ph = 44.0, 10.0, 84.0, 180.0
	w := chartW
	title := name + ": ROC, AUC " + FormatMetric(m.AUC)
	var b strings.Builder
	if len(m.ROC) == 0 {
		return svgWrap(title, "", w, 120, `<text x="160" y="60" class="lbl" text-anchor="middle">not enough bad and good rows</text>`)
	}
	pw := w - left - right
	px := func(v float64) float64 { return left + pw*v }
	py := func(v float64) float64 { return top + ph*(1-v) }
	axes(&b, left, top, pw, ph)
	for i := 0; i <= 2; i++ {
		v := float64(i) / 2
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="ax" text-anchor="middle">%s</text>`, px(v), top+ph+axFont+4, tickText(v, axisPct))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="ax" text-anchor="middle">false positive rate (good)</text>`, left+pw/2, top+ph+2*axFont+8)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="4 3" data-meaning="reference"/>`, px(0), py(0), px(1), py(1), color("reference"))
	var pts strings.Builder
	for _, p := range m.ROC {
		fmt.Fprintf(&pts, "%.2f,%.2f ", px(p.FPR), py(p.TPR))
	}
	fmt.Fprintf(&b, `<polyline points="%s" %s/>`, pts.String(), stroke("hit", ""))
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="lbl">AUC %s</text>`, px(1)+6, py(0.55), FormatMetric(m.AUC))
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="lbl">Gini %s</text>`, px(1)+6, py(0.55)+lblFont+4, FormatMetric(m.Gini))
	return svgWrap(title, axisPct, w, top+ph+2*axFont+14, b.String())
}

// axes draws a 0–100% value axis and the plot's frame.
func axes(b *strings.Builder, left, top, pw, ph float64) {
	_, ts := ticks(1, axisPct)
	yTicks(b, left, left+pw, top, ph, 1, ts, axisPct)
	fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#b0bec5"/>`, left, top, pw, ph)
}

// legend draws swatches (bars) or line samples (lines) with their names
// from (x, y), wrapping within w; it returns the baseline of its last line.
func legend(b *strings.Builder, x, y, w float64, items []segment, lines bool) float64 {
	x0 := x
	for _, it := range items {
		iw := 16 + axWidth(it.name)
		if x > x0 && x+iw > w {
			x, y = x0, y+axFont+6
		}
		if lines {
			d := ""
			if it.dash != "" {
				d = fmt.Sprintf(` stroke-dasharray="%s"`, it.dash)
			}
			fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="2.5" data-meaning="%s"%s/>`,
				x, x+13, y-axFont*0.35, y-axFont*0.35, color(it.meaning), esc(it.meaning), d)
		} else {
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="11" height="11" %s/>`, x, y-10, paint(it.meaning))
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" class="ax">%s</text>`, x+16, y, esc(it.name))
		x += iw + 12
	}
	return y
}
