package report

// One colour per meaning, in every chart of report.html and of the
// workbook's Summary and Back-test sheets (docs/report.md#colours). A
// colour never means two things: amber is `review` only, red `reject`
// only. Several providers' series of one meaning (hit rate by month, PSI
// by month) share the meaning's colour and differ by their dash pattern.
var meaningColors = []struct{ meaning, color, doc string }{
	{"hit", "#1565c0", "status hit; hits, the vendor's score and how well it ranks (score distribution, rows hit, ROC, AUC, hit rate)"},
	{"no_hit", "#90a4ae", "status no_hit"},
	{"invalid", "#6d4c41", "status invalid"},
	{"failed", "#ad1457", "status failed"},
	{"deferred", "#7b1fa2", "status deferred"},
	{"skipped", "#263238", "status skipped"},
	{"pass", "#2e7d32", "decision pass; approval rate (rows a cut-off passes)"},
	{"review", "#f9a825", "decision review"},
	{"reject", "#c62828", "decision reject"},
	{"no_vote", "#d7ccc8", "no vote"},
	{"bad", "#ef6c00", "bad rows: bad rate, cumulative bad share, lift"},
	{"good", "#00897b", "good rows: cumulative good share"},
	{"ks", "#64b5f6", "KS (next to AUC)"},
	{"psi", "#9e9d24", "PSI (score shift against the first month)"},
	{"gain", "#5c6bc0", "what a provider adds (AUC gain)"},
	{"reference", "#9e9e9e", "reference lines, dashed: chance, PSI thresholds"},
}

// color is the colour of a meaning ("#rrggbb"); an unknown meaning is the
// reference grey.
func color(meaning string) string {
	for _, m := range meaningColors {
		if m.meaning == meaning {
			return m.color
		}
	}
	return "#9e9e9e"
}

// xlColor is color for an Excel chart: "RRGGBB".
func xlColor(meaning string) string {
	c := color(meaning)
	out := make([]byte, 0, 6)
	for i := 1; i < len(c); i++ {
		ch := c[i]
		if ch >= 'a' && ch <= 'f' {
			ch -= 'a' - 'A'
		}
		out = append(out, ch)
	}
	return string(out)
}

// dashes tell several providers' lines of one meaning apart (SVG
// stroke-dasharray; "" solid).
var dashes = []string{"", "6 3", "2 2", "8 3 2 3", "1 3"}

func dash(i int) string { return dashes[i%len(dashes)] }
