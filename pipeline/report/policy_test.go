package report

import (
	"strings"
	"testing"
)

// Result columns of the vendors, as their clients declare them (the
// pipeline tests check the real clients; here the names are enough).
var (
	juheCols     = []string{"score", "found", "id_found", "risk_codes", "orderid"}
	tdCols       = []string{"score", "result", "result_desc", "reasons", "sequence_id"}
	zhichengCols = []string{"fraud_score", "fraud_level", "fraud_level_desc", "risk_hits", "risk_hit_count", "flow_id"}
	accuCols     = []string{"past_overdue_num", "unsettled_overdue_num", "unsettled_overdue_amount_total", "request_id"}
	allProviders = []Provider{
		{Name: "juhe", Type: "juhe", Columns: juheCols},
		{Name: "td", Type: "td", Columns: tdCols},
		{Name: "zc", Type: "zhicheng", Columns: zhichengCols},
		{Name: "aa", Type: "accuauth", Columns: accuCols},
	}
)

func mustCompile(t *testing.T, cfg Config, provs []Provider) *Plan {
	t.Helper()
	pl, errs := Compile(cfg, provs)
	if len(errs) > 0 {
		t.Fatalf("Compile: %s", strings.Join(errs, "\n"))
	}
	return pl
}

// vals builds a provider's values from column=value pairs.
func vals(cols []string, kv ...string) []string {
	out := make([]string, len(cols))
	for i := 0; i < len(kv); i += 2 {
		for j, c := range cols {
			if c == kv[i] {
				out[j] = kv[i+1]
			}
		}
	}
	return out
}

// TestDefaultRules checks each vendor's document defaults at and around
// their boundaries, and that only a hit votes.
func TestDefaultRules(t *testing.T) {
	pl := mustCompile(t, Config{}, allProviders)
	cases := []struct {
		prov   int
		status string
		values []string
		want   Decision
		rule   string
	}{
		{0, "hit", vals(juheCols, "score", "0"), Pass, "Juhe score < 60"},
		{0, "hit", vals(juheCols, "score", "59"), Pass, "Juhe score < 60"},
		{0, "hit", vals(juheCols, "score", "60"), Review, "Juhe score 60–80"},
		{0, "hit", vals(juheCols, "score", "80"), Review, "Juhe score 60–80"},
		{0, "hit", vals(juheCols, "score", "80.5"), Reject, "Juhe score > 80"},
		{0, "hit", vals(juheCols, "score", "100"), Reject, "Juhe score > 80"},
		{0, "hit", vals(juheCols, "score", ""), NoVote, ""},
		{0, "no_hit", vals(juheCols, "score", "90"), NoVote, ""},
		{0, "failed", nil, NoVote, ""},
		{1, "hit", vals(tdCols, "score", "10", "result", "accept"), Pass, "TD accept"},
		{1, "hit", vals(tdCols, "score", "50", "result", "review"), Review, "TD review"},
		{1, "hit", vals(tdCols, "score", "95", "result", "Decline"), Reject, "TD decline"},
		{1, "hit", vals(tdCols, "score", "95", "result", "maybe"), NoVote, ""},
		{2, "hit", vals(zhichengCols, "fraud_level", "1"), Pass, "Zhicheng fraud level 1–2"},
		{2, "hit", vals(zhichengCols, "fraud_level", "2"), Pass, "Zhicheng fraud level 1–2"},
		{2, "hit", vals(zhichengCols, "fraud_level", "3"), Review, "Zhicheng fraud level 3"},
		{2, "hit", vals(zhichengCols, "fraud_level", "4"), Reject, "Zhicheng fraud level 4–5"},
		{2, "hit", vals(zhichengCols, "fraud_level", "5"), Reject, "Zhicheng fraud level 4–5"},
		{2, "hit", vals(zhichengCols, "fraud_level", "0"), NoVote, ""}, // data insufficient
		{2, "deferred", nil, NoVote, ""},
		{3, "hit", vals(accuCols, "unsettled_overdue_num", "0"), Pass, "AccuAuth no unsettled overdue"},
		{3, "hit", vals(accuCols, "unsettled_overdue_num", "2"), Reject, "AccuAuth unsettled overdue"},
		{3, "hit", vals(accuCols), Pass, "AccuAuth no unsettled overdue"},
		{3, "no_hit", vals(accuCols), NoVote, ""},
	}
	for _, c := range cases {
		pp := pl.provs[c.prov]
		d, ri := pp.decide(c.status, c.values)
		rule := ""
		if ri >= 0 {
			rule = pp.rules[ri].name
		}
		if d != c.want || rule != c.rule {
			t.Errorf("%s %s %q: %q by %q, want %q by %q", pp.name, c.status, c.values, d, rule, c.want, c.rule)
		}
	}
}

// TestRowDecision: the worst vote wins and names every rule that gave it;
// no vote at all is the job's no_vote decision.
func TestRowDecision(t *testing.T) {
	provs := allProviders[:3]
	cases := []struct {
		name   string
		noVote string
		status []string
		values [][]string
		want   []string // juhe_decision, td_decision, zc_decision, decision, decision_rule
	}{
		{"worst wins", "", []string{"hit", "hit", "hit"},
			[][]string{vals(juheCols, "score", "65"), vals(tdCols, "result", "accept"), vals(zhichengCols, "fraud_level", "1")},
			[]string{"review", "pass", "pass", "review", "juhe: Juhe score 60–80"}},
		{"tie at the worst names both", "", []string{"hit", "hit", "hit"},
			[][]string{vals(juheCols, "score", "95"), vals(tdCols, "result", "decline"), vals(zhichengCols, "fraud_level", "3")},
			[]string{"reject", "reject", "review", "reject", "juhe: Juhe score > 80; td: TD decline"}},
		{"a missing answer does not vote", "", []string{"no_hit", "failed", "hit"},
			[][]string{vals(juheCols), nil, vals(zhichengCols, "fraud_level", "2")},
			[]string{"", "", "pass", "pass", "zc: Zhicheng fraud level 1–2"}},
		{"no vote is review", "", []string{"no_hit", "deferred", "hit"},
			[][]string{vals(juheCols), nil, vals(zhichengCols, "fraud_level", "0")},
			[]string{"", "", "", "review", "no provider voted"}},
		{"no vote as configured", "reject", []string{"invalid", "invalid", "invalid"},
			[][]string{nil, nil, nil},
			[]string{"", "", "", "reject", "no provider voted"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pl := mustCompile(t, Config{Decisions: DecisionConfig{NoVote: c.noVote}}, provs)
			coll, err := NewCollector(pl, []string{"name"})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(coll.Columns(), ","); got != "juhe_decision,td_decision,zc_decision,decision,decision_rule" {
				t.Fatalf("columns %s", got)
			}
			out := make([]string, 5)
			coll.Observe(c.status, c.values, []string{"x"}, out)
			if strings.Join(out, "|") != strings.Join(c.want, "|") {
				t.Errorf("decision columns %q, want %q", out, c.want)
			}
		})
	}
}

// TestCustomRules: rules in the job replace a provider's defaults; the
// language's operators.
func TestCustomRules(t *testing.T) {
	cfg := Config{Decisions: DecisionConfig{Providers: map[string][]RuleConfig{
		"juhe": {
			{Name: "blacklist code", When: `risk_codes contains "21001"`, Decision: "reject"},
			{When: "score >= 70 or (found == 1 and id_found != 1)", Decision: "review"},
			{When: "not score > 30", Decision: "pass"},
		},
		"td": {{When: "result in [accept, 'review']", Decision: "pass"}},
	}}}
	pl := mustCompile(t, cfg, allProviders[:2])
	juhe, td := pl.provs[0], pl.provs[1]
	cases := []struct {
		pp     *provPlan
		values []string
		want   Decision
		rule   string
	}{
		{juhe, vals(juheCols, "score", "10", "risk_codes", "21001 疑似恶意借贷(高)"), Reject, "blacklist code"},
		{juhe, vals(juheCols, "score", "75"), Review, "score >= 70 or (found == 1 and id_found != 1)"},
		{juhe, vals(juheCols, "score", "40", "found", "1", "id_found", "-1"), Review, "score >= 70 or (found == 1 and id_found != 1)"},
		{juhe, vals(juheCols, "score", "40", "found", "1", "id_found", "1"), NoVote, ""},
		{juhe, vals(juheCols, "score", "30", "found", "1", "id_found", "1"), Pass, "not score > 30"},
		{td, vals(tdCols, "result", "REVIEW"), Pass, "result in [accept, 'review']"},
		{td, vals(tdCols, "result", "decline"), NoVote, ""},
	}
	for _, c := range cases {
		d, ri := c.pp.decide("hit", c.values)
		rule := ""
		if ri >= 0 {
			rule = c.pp.rules[ri].name
		}
		if d != c.want || rule != c.rule {
			t.Errorf("%s %q: %q by %q, want %q by %q", c.pp.name, c.values, d, rule, c.want, c.rule)
		}
	}
	// An empty list: the provider never votes.
	pl = mustCompile(t, Config{Decisions: DecisionConfig{Providers: map[string][]RuleConfig{"juhe": {}}}}, allProviders[:1])
	if d, _ := pl.provs[0].decide("hit", vals(juheCols, "score", "99")); d != NoVote {
		t.Errorf("juhe with no rules voted %q", d)
	}
}

// TestCompileErrors: every bad rule or key is reported, naming it.
func TestCompileErrors(t *testing.T) {
	dpd := -3.0
	cfg := Config{
		Decisions: DecisionConfig{
			NoVote: "maybe",
			Providers: map[string][]RuleConfig{
				"juhe": {
					{Name: "juhe high score", When: "scroe > 80", Decision: "reject"},
					{When: "score >> 80", Decision: "review"},
					{Name: "bad decision", When: "score < 60", Decision: "accept"},
					{Name: "text order", When: "risk_codes > abc", Decision: "review"},
					{Name: "unbalanced", When: "(score > 1", Decision: "review"},
					{Name: "dangling", When: "score > 1 and", Decision: "review"},
					{Name: "two", When: "score > 1 score < 3", Decision: "review"},
					{Name: "quote", When: `risk_codes contains "abc`, Decision: "review"},
				},
				"jueh": {{When: "score > 1", Decision: "reject"}},
			},
		},
		Backtest: BacktestConfig{
			DPDThreshold: &dpd,
			Scores:       map[string]string{"juhe": "scor", "nobody": "score"},
			Bands:        map[string][]BandConfig{"juhe": {{When: "score < 10"}, {Name: "high", When: "score >"}}},
		},
	}
	_, errs := Compile(cfg, allProviders[:1])
	got := strings.Join(errs, "\n")
	for _, want := range []string{
		`decisions.no_vote: "maybe" is not pass, review or reject`,
		`decisions.providers.jueh: no provider named "jueh" in the job (providers: juhe)`,
		`decisions.providers.juhe rule 1 "juhe high score": when "scroe > 80": unknown column "scroe" (juhe columns: score, found, id_found, risk_codes, orderid)`,
		`decisions.providers.juhe rule 2: when "score >> 80": expected a number or a text but found ">" at 8`,
		`decisions.providers.juhe rule 3 "bad decision": decision "accept" is not pass, review or reject`,
		`decisions.providers.juhe rule 4 "text order": when "risk_codes > abc": risk_codes > needs a number, found text "abc"`,
		`decisions.providers.juhe rule 5 "unbalanced": when "(score > 1": expected ) but found the end`,
		`decisions.providers.juhe rule 6 "dangling": when "score > 1 and": expected a column name but found the end`,
		`decisions.providers.juhe rule 7 "two": when "score > 1 score < 3": unexpected "score" at 11 (join conditions with and / or)`,
		`decisions.providers.juhe rule 8 "quote": when "risk_codes contains \"abc": at 21: unterminated quote`,
		`backtest.label: the input column holding the outcome`,
		`backtest.dpd_threshold: -3 must be positive`,
		`backtest.scores.nobody: no provider named "nobody"`,
		`backtest.scores.juhe: unknown column "scor"`,
		`backtest.bands.juhe band 1: name is required`,
		`backtest.bands.juhe band 2 "high": when "score >": expected a number or a text but found the end`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("errors lack %q; got:\n%s", want, got)
		}
	}
	if len(errs) != 16 {
		t.Errorf("%d errors, want 16:\n%s", len(errs), got)
	}
}

// TestExcelFormulas: a rule renders as the Excel condition that colours the
// result sheet, with the same treatment of empty and text values.
func TestExcelFormulas(t *testing.T) {
	cols := func(name string) (int, error) {
		for i, c := range []string{"score", "result", "codes"} {
			if c == name {
				return i, nil
			}
		}
		t.Fatalf("column %s", name)
		return 0, nil
	}
	ref := func(c int) string { return []string{"$C2", "$D2", "$E2"}[c] }
	cases := []struct{ when, want string }{
		{"score > 80", `AND($C2<>"",IFERROR(--$C2>80,FALSE))`},
		{"score >= 60 and score <= 80", `AND(AND($C2<>"",IFERROR(--$C2>=60,FALSE)),AND($C2<>"",IFERROR(--$C2<=80,FALSE)))`},
		{"result == decline or result != 'a\"b'", `OR(TRIM($D2&"")="decline",TRIM($D2&"")<>"a""b")`},
		{"score in [4, 5]", `OR(AND($C2<>"",IFERROR(--$C2=4,FALSE)),AND($C2<>"",IFERROR(--$C2=5,FALSE)))`},
		{`not codes contains "2*1"`, `NOT(ISNUMBER(SEARCH("2~*1",$E2&"")))`},
		{"", "TRUE"},
	}
	for _, c := range cases {
		e, err := compileCond(c.when, cols)
		if err != nil {
			t.Fatalf("%q: %v", c.when, err)
		}
		if got := e.excel(ref); got != c.want {
			t.Errorf("%q → %s, want %s", c.when, got, c.want)
		}
	}
}
