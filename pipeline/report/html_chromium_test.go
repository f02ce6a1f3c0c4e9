package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// multiReport renders report.html for the three-provider back-test fixture
// (every chart kind: statuses, decisions, distributions, KS, ROC, deciles,
// overlap, CV AUC, months, PSI, cut-offs, monotone bins, list lift), with
// run figures so the status chart has every status.
func multiReport(t *testing.T) []byte {
	t.Helper()
	figs := feedMulti(t, BacktestConfig{Label: "label", DateColumn: "date"})
	figs.run = Run{
		Job: "job.yaml", Input: "in.csv", RowsIn: 600, RowsOK: 540, RowsError: 60, Complete: true,
		Statuses: []string{"hit", "no_hit", "invalid", "failed", "deferred", "skipped"},
		Providers: []RunProvider{
			{Name: "juhe", Status: map[string]int{"hit": 400, "no_hit": 150, "invalid": 30, "failed": 10, "deferred": 5, "skipped": 5}},
			{Name: "td", Status: map[string]int{"hit": 500, "no_hit": 90, "invalid": 10}},
			{Name: "zc", Status: map[string]int{"hit": 300, "no_hit": 280, "failed": 20}},
		},
	}
	var page bytes.Buffer
	if err := figs.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	return page.Bytes()
}

var markRe = regexp.MustCompile(`<(?:rect|line|polyline)\b[^>]*?(?:fill|stroke)="(#[0-9a-f]{6})"[^>]*?data-meaning="([^"]+)"`)

// TestReportColours: every coloured mark of every chart says what it
// means, and one colour means one thing across the whole page (amber is
// review and nothing else); the palette itself has no colour twice.
func TestReportColours(t *testing.T) {
	page := string(multiReport(t))
	byColour := map[string]map[string]bool{}
	byMeaning := map[string]map[string]bool{}
	marks := markRe.FindAllStringSubmatch(page, -1)
	for _, m := range marks {
		c, mean := m[1], m[2]
		if byColour[c] == nil {
			byColour[c] = map[string]bool{}
		}
		if byMeaning[mean] == nil {
			byMeaning[mean] = map[string]bool{}
		}
		byColour[c][mean] = true
		byMeaning[mean][c] = true
	}
	if len(marks) < 100 {
		t.Fatalf("%d coloured marks found", len(marks))
	}
	for c, ms := range byColour {
		if len(ms) != 1 {
			t.Errorf("colour %s means %v", c, keys(ms))
		}
	}
	for m, cs := range byMeaning {
		if len(cs) != 1 {
			t.Errorf("%s is drawn in %v", m, keys(cs))
		}
	}
	// Every data mark carries its meaning: no coloured rect or line
	// without one (grid lines, frames and empty bars are not coloured by
	// the palette).
	for _, m := range regexp.MustCompile(`<(?:rect|polyline)\b[^>]*>`).FindAllString(page, -1) {
		if !strings.Contains(m, "data-meaning=") && !strings.Contains(m, `fill="none"`) && !strings.Contains(m, `fill="#eceff1"`) {
			t.Errorf("mark without a meaning: %s", m)
		}
	}
	seen := map[string]string{}
	for _, mc := range meaningColors {
		if other, ok := seen[mc.color]; ok {
			t.Errorf("palette: %s and %s share %s", other, mc.meaning, mc.color)
		}
		seen[mc.color] = mc.meaning
	}
	if color("review") == color("invalid") {
		t.Error("review and invalid share a colour")
	}
	t.Logf("%d marks, %d colours, each one meaning", len(marks), len(byColour))
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestTicks: count axes tick at whole numbers (never 12.5), shares at
// round percentages, at most five intervals, the top at or above the data.
func TestTicks(t *testing.T) {
	for _, c := range []struct {
		hi   float64
		kind string
		want string
	}{
		{50, axisCount, "0 10 20 30 40 50"},
		{73, axisCount, "0 20 40 60 80"},
		{3, axisCount, "0 1 2 3"},
		{1, axisCount, "0 1"},
		{0, axisCount, "0 1"},
		{227, axisCount, "0 50 100 150 200 250"},
		{0.55, axisPct, "0 0.2 0.4 0.6"},
		{1, axisPct, "0 0.2 0.4 0.6 0.8 1"},
		{0.12, axisPct, "0 0.05 0.1 0.15"},
		{0.3, axisNum, "0 0.1 0.2 0.3"},
	} {
		top, ts := ticks(c.hi, c.kind)
		var got []string
		for _, v := range ts {
			got = append(got, strconv.FormatFloat(v, 'g', -1, 64))
		}
		if strings.Join(got, " ") != c.want || top < c.hi || top != ts[len(ts)-1] {
			t.Errorf("ticks(%v, %s) = %v (top %v), want %s", c.hi, c.kind, got, top, c.want)
		}
	}
}

// measureScript writes, after layout, every SVG text's rendered font size
// (its computed font-size times the scale of its screen transform), whether
// it stays inside its svg's box, and its axis role into a <pre
// id="measure"> of the parent page (the report runs in an iframe).
const measureScript = `<script>
(function(){
  var out=[];
  document.querySelectorAll('svg text').forEach(function(el){
    var fs=parseFloat(getComputedStyle(el).fontSize);
    var m=el.getScreenCTM();
    var svg=el.ownerSVGElement, r=el.getBoundingClientRect(), s=svg.getBoundingClientRect();
    out.push({text:el.textContent, px:fs*Math.sqrt(m.a*m.a+m.b*m.b), tick:el.classList.contains('tick'),
      axis:svg.getAttribute('data-yaxis')||'', chart:svg.getAttribute('aria-label'),
      inside:r.left>=s.left-1&&r.right<=s.right+1&&r.top>=s.top-1&&r.bottom<=s.bottom+1});
  });
  var pre=document.createElement('pre');
  pre.id='measure';
  pre.textContent=JSON.stringify({width:document.documentElement.clientWidth,texts:out});
  parent.document.body.appendChild(pre);
})();
</script>`

type measuredText struct {
	Text   string  `json:"text"`
	PX     float64 `json:"px"`
	Tick   bool    `json:"tick"`
	Axis   string  `json:"axis"`
	Chart  string  `json:"chart"`
	Inside bool    `json:"inside"`
}

// chromium runs headless Chromium (Debian's chromium) on page with args.
// Without chromium the test fails in CI and is skipped elsewhere, like
// pipeline's TestBacktestRun.
func chromium(t *testing.T, args ...string) []byte {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is not installed (CI=%s): report.html must be measured in a browser; apt-get install chromium", os.Getenv("CI"))
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
	cmd := exec.CommandContext(ctx, bin, append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir=" + profile}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

// TestReportTextSizes renders report.html in Chromium at 1280 and 390 px
// wide and measures every SVG text: each renders between 10 and 16 px,
// stays inside its chart, and a count axis shows whole numbers only.
// Screenshots of both widths are saved in the test's temp dir (and in
// $RISKBATCH_SCREENSHOTS when set, to look at).
func TestReportTextSizes(t *testing.T) {
	page := multiReport(t)
	dir := t.TempDir()
	plain := filepath.Join(dir, "report.html")
	if err := os.WriteFile(plain, page, 0o644); err != nil {
		t.Fatal(err)
	}
	measured := bytes.Replace(page, []byte("</body>"), []byte(measureScript+"</body>"), 1)
	// Headless Chromium's window is at least 500 px wide, so the page is
	// laid out in an iframe of the width under test (srcdoc: same origin
	// as its parent, which the script writes its figures into).
	frame := func(width int, doc []byte) string {
		path := filepath.Join(dir, fmt.Sprintf("frame-%d-%d.html", width, len(doc)))
		wrapper := fmt.Sprintf(`<!doctype html><html><body style="margin:0"><iframe style="border:0;display:block;width:%dpx;height:20000px" srcdoc="%s"></iframe></body></html>`,
			width, html.EscapeString(string(doc)))
		if err := os.WriteFile(path, []byte(wrapper), 0o644); err != nil {
			t.Fatal(err)
		}
		return "file://" + path
	}
	for _, width := range []int{1280, 390} {
		t.Run(strconv.Itoa(width), func(t *testing.T) {
			dom := string(chromium(t, fmt.Sprintf("--window-size=%d,900", max(width, 500)+20), "--dump-dom", frame(width, measured)))
			m := regexp.MustCompile(`(?s)<pre id="measure">(.*?)</pre>`).FindStringSubmatch(dom)
			if m == nil {
				t.Fatalf("no measurements in the rendered page (%d bytes)", len(dom))
			}
			var got struct {
				Width int            `json:"width"`
				Texts []measuredText `json:"texts"`
			}
			if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &got); err != nil {
				t.Fatal(err)
			}
			if got.Width != width {
				t.Errorf("page laid out %d px wide, want %d", got.Width, width)
			}
			if len(got.Texts) < 200 {
				t.Fatalf("%d SVG texts measured", len(got.Texts))
			}
			lo, hi := math.Inf(1), 0.0
			var loText, hiText measuredText
			ticks := map[string]int{}
			for _, x := range got.Texts {
				if x.PX < lo {
					lo, loText = x.PX, x
				}
				if x.PX > hi {
					hi, hiText = x.PX, x
				}
				if x.PX < 10 || x.PX > 16 {
					t.Errorf("%q in %q renders at %.1f px, want 10–16", x.Text, x.Chart, x.PX)
				}
				if !x.Inside {
					t.Errorf("%q sticks out of its chart %q", x.Text, x.Chart)
				}
				if x.Tick {
					ticks[x.Axis]++
					switch x.Axis {
					case axisCount:
						if !regexp.MustCompile(`^\d{1,3}(,\d{3})*$`).MatchString(x.Text) {
							t.Errorf("count axis of %q ticks at %q, want a whole number", x.Chart, x.Text)
						}
					case axisPct:
						if !regexp.MustCompile(`^\d+(\.\d)?%$`).MatchString(x.Text) {
							t.Errorf("share axis of %q ticks at %q", x.Chart, x.Text)
						}
					}
				}
			}
			if ticks[axisCount] == 0 || ticks[axisPct] == 0 {
				t.Errorf("tick labels measured per axis kind: %v", ticks)
			}
			t.Logf("%d px wide: %d SVG texts from %.1f px (%q in %q) to %.1f px (%q in %q); tick labels %v",
				width, len(got.Texts), lo, loText.Text, loText.Chart, hi, hiText.Text, hiText.Chart, ticks)

			shot := filepath.Join(dir, fmt.Sprintf("report-%d.png", width))
			chromium(t, fmt.Sprintf("--window-size=%d,4000", width+20), "--screenshot="+shot, frame(width, page))
			if st, err := os.Stat(shot); err != nil || st.Size() == 0 {
				t.Errorf("screenshot %s: %v", shot, err)
			}
			if keep := os.Getenv("RISKBATCH_SCREENSHOTS"); keep != "" {
				b, _ := os.ReadFile(shot)
				if err := os.WriteFile(filepath.Join(keep, filepath.Base(shot)), b, 0o644); err != nil {
					t.Error(err)
				}
			}
			t.Logf("screenshot %s", shot)
		})
	}
}
