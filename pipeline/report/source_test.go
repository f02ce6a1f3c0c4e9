package report

import (
	"bytes"
	"strings"
	"testing"
)

// TestRuleSources: every rules table says where a rule comes from. Juhe's
// 60/80 and TD's result follow the vendors' documents; Zhicheng's fraud
// levels and AccuAuth's unsettled overdue are riskbatch's own suggestion
// (the documents give no rule); a job's rule is "job file" unless it says.
func TestRuleSources(t *testing.T) {
	custom := Config{Decisions: DecisionConfig{Providers: map[string][]RuleConfig{
		"aa": {
			{Name: "big debt", When: "unsettled_overdue_amount_total > 5000", Decision: "reject"},
			{Name: "policy 7", When: "unsettled_overdue_num > 0", Decision: "review", Source: "credit policy 2026-07 §7"},
		},
	}}}
	tests := []struct {
		name string
		cfg  Config
		want map[string]string // provider → source prefix of every rule
	}{
		{"defaults", Config{}, map[string]string{
			"juhe": SourceDocument + ": Juhe", "td": SourceDocument + ": TD",
			"zc": SourceSuggestion + ": the Zhicheng document", "aa": SourceSuggestion + ": the AccuAuth document",
		}},
		{"job rules", custom, map[string]string{"juhe": SourceDocument, "aa": ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl := mustCompile(t, tc.cfg, allProviders)
			coll, err := NewCollector(pl, []string{"ref"})
			if err != nil {
				t.Fatal(err)
			}
			out := make([]string, len(coll.Columns()))
			coll.Observe([]string{"hit", "hit", "hit", "hit"}, [][]string{
				vals(juheCols, "score", "70"), vals(tdCols, "result", "accept"),
				vals(zhichengCols, "fraud_level", "4"), vals(accuCols, "unsettled_overdue_num", "1", "unsettled_overdue_amount_total", "100"),
			}, []string{"r1"}, out)
			figs := coll.Figures(Run{Statuses: []string{"hit"}, Providers: []RunProvider{
				{Name: "juhe", Type: "juhe"}, {Name: "td", Type: "td"}, {Name: "zc", Type: "zhicheng"}, {Name: "aa", Type: "accuauth"},
			}})
			for _, pf := range figs.Providers {
				prefix, ok := tc.want[pf.Name]
				if !ok {
					continue
				}
				for _, rc := range pf.Rules {
					want := prefix
					if tc.name == "job rules" && pf.Name == "aa" {
						want = map[string]string{"big debt": SourceJob, "policy 7": "credit policy 2026-07 §7"}[rc.Rule]
					}
					if !strings.HasPrefix(rc.Source, want) || rc.Source == "" {
						t.Errorf("%s rule %q: source %q, want %q…", pf.Name, rc.Rule, rc.Source, want)
					}
				}
			}
			// The Summary sheet's rules table shows the source beside each rule.
			var rules [][]any
			var header []string
			for _, sh := range figs.Sheets() {
				for _, b := range sh.Blocks {
					if b.Title == "Rules" {
						rules, header = b.Rows, b.Header
					}
				}
			}
			if len(header) == 0 || header[len(header)-1] != "source" {
				t.Fatalf("rules table header %v, want a source column", header)
			}
			for _, r := range rules {
				if prefix, ok := tc.want[r[0].(string)]; ok && tc.name == "defaults" && !strings.HasPrefix(r[len(r)-1].(string), prefix) {
					t.Errorf("rules table row %v: source cell does not start with %q", r, prefix)
				}
			}
			var page bytes.Buffer
			if err := figs.WriteHTML(&page); err != nil {
				t.Fatal(err)
			}
			if tc.name == "defaults" && (!strings.Contains(page.String(), "riskbatch suggestion: the Zhicheng document only says risk rises from level 1 to 5") ||
				!strings.Contains(page.String(), "<th class=\"t\">source</th>")) {
				t.Error("report.html's rules table does not show the sources")
			}
		})
	}
}
