// Package report turns the rows of a run into what risk teams read: a
// decision per row (pass / review / reject, by rules written in the job),
// the figures of each provider (hit rate, cost per hit, score distribution,
// decision counts), a back-test of each provider's score against a label
// column (KS, AUC, Gini, IV, bad rate and lift by decile and by band), and
// the renderings of those figures: summary.json, the Summary and Back-test
// sheets of results.xlsx and report.html.
//
// It sees one row at a time (Observe), in input order, from the pipeline's
// writer goroutine, and keeps O(rows) small state: a float32 score and a
// label byte per scored row per provider.
package report

import (
	"fmt"
	"github.com/riskbatch/riskbatch/providers"
	"math"
	"sort"
	"strings"
)

// Decision is a rule's verdict. Order matters: a row takes the worst
// (largest) decision among its providers.
type Decision uint8

const (
	NoVote Decision = iota // the provider did not answer, or no rule matched
	Pass
	Review
	Reject
)

var decisionNames = [...]string{NoVote: "", Pass: "pass", Review: "review", Reject: "reject"}

// Decisions lists the verdicts in display order.
var Decisions = []Decision{Pass, Review, Reject}

func (d Decision) String() string { return decisionNames[d] }

// ParseDecision reads pass, review or reject.
func ParseDecision(s string) (Decision, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "pass":
		return Pass, true
	case "review":
		return Review, true
	case "reject":
		return Reject, true
	}
	return NoVote, false
}

// DecisionConfig is the job's `decisions` key. Without it every provider
// uses the default rules of its type (DefaultRules), from the vendors'
// documents.
type DecisionConfig struct {
	// Enabled false drops the decision columns and figures (default true).
	Enabled *bool `yaml:"enabled"`
	// NoVote is the decision of a row where no provider voted: every
	// provider without an answer or no rule matching (default review).
	NoVote string `yaml:"no_vote"`
	// Providers gives, by provider name in the job, the rules that replace
	// that provider's defaults. An empty list means the provider never votes.
	Providers map[string][]RuleConfig `yaml:"providers"`
}

// RuleConfig is one rule: when the condition holds for a provider's
// answer, the provider votes the decision. A provider's rules are tried in
// order; the first that matches gives its vote.
type RuleConfig struct {
	Name     string `yaml:"name"`     // shown in decision_rule; default: the condition
	When     string `yaml:"when"`     // condition over the provider's result columns; empty: any answer
	Decision string `yaml:"decision"` // pass, review or reject
	// Source says where the rule comes from, shown in the rules tables: a
	// vendor document (SourceDocument…) or riskbatch's own suggestion
	// (SourceSuggestion…) for the defaults; a job's rule may say it,
	// default SourceJob.
	Source string `yaml:"source"`
}

// Sources of rules (RuleConfig.Source): the first words say whether a
// default follows a vendor's document or is riskbatch's own suggestion.
const (
	SourceDocument   = "vendor document"
	SourceSuggestion = "riskbatch suggestion"
	SourceJob        = "job file"
)

// BacktestConfig is the job's `backtest` key: the label to test each
// provider's score against.
type BacktestConfig struct {
	// Label is the input column holding the outcome: 1 bad, 0 good — or
	// days past due when DPDThreshold is set.
	Label string `yaml:"label"`
	// DPDThreshold makes Label days past due: a row is bad when its days
	// past due are at least the threshold.
	DPDThreshold *float64 `yaml:"dpd_threshold"`
	// Scores gives, by provider name, the numeric result column to test
	// (higher = riskier); defaults per type in DefaultScore.
	Scores map[string]string `yaml:"scores"`
	// Bands gives, by provider name, the score bands of the bad-rate table
	// (first match wins); defaults per type in DefaultBands.
	Bands map[string][]BandConfig `yaml:"bands"`
	// DateColumn is the input column holding the application date
	// (YYYY-MM-DD, YYYY/MM/DD, optionally followed by a time, or an Excel
	// serial date); with it the back-test adds stability by calendar month.
	DateColumn string `yaml:"date_column"`
	// Binning is how the logistic regression bins each score before WoE:
	// "deciles" (default) or "monotone". Both tables are always shown.
	Binning string `yaml:"binning"`
	// MinBinShare is the smallest share of a provider's scored rows a
	// monotone bin may hold (default 0.05).
	MinBinShare *float64 `yaml:"min_bin_share"`
	// Lists gives, by provider name, the result column holding the
	// provider's list hits (risk codes, court and blacklist entries) as
	// items joined with "; "; defaults per type in DefaultList.
	Lists map[string]string `yaml:"lists"`
}

// BandConfig is one band of a provider's back-test table.
type BandConfig struct {
	Name string `yaml:"name"`
	When string `yaml:"when"`
}

// Enabled reports whether the job asks for a back-test.
func (b BacktestConfig) Enabled() bool {
	return b.Label != "" || b.DPDThreshold != nil || len(b.Scores) > 0 || len(b.Bands) > 0 ||
		b.DateColumn != "" || b.Binning != "" || b.MinBinShare != nil || len(b.Lists) > 0
}

// The defaults of each vendor type come from its vendor module
// (providers.Spec.Report): the rules, the back-tested score, the bands and
// the list-hits column. Two vendors' rules follow their documents (Juhe's
// 60 / 80, TD's own result); Zhicheng's and AccuAuth's are riskbatch's own
// suggestion, and every rules table says which (Source).

func vendorDefaults(typ string) providers.ReportDefaults {
	spec, _ := providers.Lookup(typ)
	return spec.Report
}

// DefaultRules are the rules of a vendor type when the job gives none.
func DefaultRules(typ string) []RuleConfig {
	var out []RuleConfig
	for _, r := range vendorDefaults(typ).Rules {
		src := SourceSuggestion
		if r.FromDocument {
			src = SourceDocument
		}
		if r.Why != "" {
			src += ": " + r.Why
		}
		out = append(out, RuleConfig{Name: r.Name, When: r.When, Decision: r.Decision, Source: src})
	}
	return out
}

// DefaultScore is the back-tested column of a vendor type.
func DefaultScore(typ string) string { return vendorDefaults(typ).Score }

// DefaultBands are the bands of a vendor type.
func DefaultBands(typ string) []BandConfig {
	var out []BandConfig
	for _, b := range vendorDefaults(typ).Bands {
		out = append(out, BandConfig{Name: b.Name, When: b.When})
	}
	return out
}

// DefaultList is the list-product column of a vendor type ("" none).
func DefaultList(typ string) string { return vendorDefaults(typ).List }

// Config is what the report takes from the job.
type Config struct {
	Decisions DecisionConfig
	Backtest  BacktestConfig
}

// Provider describes one provider of the job.
type Provider struct {
	Name string // the job's name (column prefix)
	Type string
	// Columns are the provider's result column names, without the prefix,
	// in the order of its values. Nil means unknown: conditions are parsed
	// but their column names not checked (the provider failed to build,
	// which is reported elsewhere).
	Columns []string
	// Currency and PricePerCall are used for cost per hit (filled by the caller).
}

type rule struct {
	name     string
	when     expr
	decision Decision
	source   string // RuleConfig.Source
}

type band struct {
	name string
	when expr
}

// provPlan is one provider's compiled rules, score and bands.
type provPlan struct {
	name, typ string
	cols      []string
	rules     []rule
	score     int // column index, -1 none
	scoreCol  string
	bands     []band
	list      int // column of the list hits, -1 none
	listCol   string
}

// Plan is the compiled decision policy and back-test setup.
type Plan struct {
	decisions bool
	noVote    Decision
	backtest  bool
	label     string
	dpd       *float64
	dateCol   string
	monotone  bool    // the regression bins monotone (else deciles)
	minShare  float64 // smallest share of a monotone bin
	provs     []*provPlan
}

// columnResolver resolves a column of provider p by name, with or without
// the provider prefix.
func columnResolver(p Provider) func(string) (int, error) {
	return func(name string) (int, error) {
		if p.Columns == nil {
			return 0, nil
		}
		for _, n := range []string{name, strings.TrimPrefix(name, p.Name+"_")} {
			for i, c := range p.Columns {
				if strings.EqualFold(c, n) {
					return i, nil
				}
			}
		}
		return 0, fmt.Errorf("unknown column %q (%s columns: %s)", name, p.Name, strings.Join(p.Columns, ", "))
	}
}

// Compile checks and compiles the job's decision rules and back-test setup
// against the job's providers. Every problem is returned, each naming the
// rule or key at fault; the plan is nil when there is any.
func Compile(cfg Config, provs []Provider) (*Plan, []string) {
	var errs []string
	add := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	pl := &Plan{decisions: cfg.Decisions.Enabled == nil || *cfg.Decisions.Enabled, noVote: Review}
	if s := cfg.Decisions.NoVote; s != "" {
		d, ok := ParseDecision(s)
		if !ok {
			add("decisions.no_vote: %q is not pass, review or reject", s)
		}
		pl.noVote = d
	}
	byName := map[string]Provider{}
	var names []string
	for _, p := range provs {
		byName[p.Name] = p
		names = append(names, p.Name)
	}
	unknown := func(key string, m []string) {
		for _, n := range m {
			if _, ok := byName[n]; !ok {
				add("%s.%s: no provider named %q in the job (providers: %s)", key, n, n, strings.Join(names, ", "))
			}
		}
	}
	unknown("decisions.providers", sortedKeys(cfg.Decisions.Providers))
	bt := cfg.Backtest
	pl.backtest = bt.Enabled()
	if pl.backtest {
		pl.label, pl.dpd = strings.TrimSpace(bt.Label), bt.DPDThreshold
		if pl.label == "" {
			add("backtest.label: the input column holding the outcome (1 bad / 0 good, or days past due with dpd_threshold) is required")
		}
		if pl.dpd != nil && *pl.dpd <= 0 {
			add("backtest.dpd_threshold: %v must be positive (a row is bad when its days past due reach it)", *pl.dpd)
		}
		pl.dateCol = strings.TrimSpace(bt.DateColumn)
		switch strings.ToLower(strings.TrimSpace(bt.Binning)) {
		case "", "deciles":
		case "monotone":
			pl.monotone = true
		default:
			add("backtest.binning: %q is not deciles or monotone", bt.Binning)
		}
		pl.minShare = defaultMinBinShare
		if bt.MinBinShare != nil {
			pl.minShare = *bt.MinBinShare
			if pl.minShare < 0 || pl.minShare >= 0.5 || math.IsNaN(pl.minShare) {
				add("backtest.min_bin_share: %v must be at least 0 and below 0.5 (a share of the scored rows)", *bt.MinBinShare)
			}
		}
	}
	unknown("backtest.scores", sortedKeys(bt.Scores))
	unknown("backtest.bands", sortedKeys(bt.Bands))
	unknown("backtest.lists", sortedKeys(bt.Lists))

	for _, p := range provs {
		pp := &provPlan{name: p.Name, typ: p.Type, cols: p.Columns, score: -1, list: -1}
		cols := columnResolver(p)
		rules, custom := cfg.Decisions.Providers[p.Name]
		where := "decisions.providers." + p.Name
		if !custom {
			rules, where = DefaultRules(p.Type), "default rules of "+p.Type
		}
		for i, rc := range rules {
			at := fmt.Sprintf("%s rule %d", where, i+1)
			if rc.Name != "" {
				at += fmt.Sprintf(" %q", rc.Name)
			}
			d, ok := ParseDecision(rc.Decision)
			if !ok {
				add("%s: decision %q is not pass, review or reject", at, rc.Decision)
			}
			e, err := compileCond(rc.When, cols)
			if err != nil {
				add("%s: when %q: %v", at, rc.When, err)
				continue
			}
			name := rc.Name
			if name == "" {
				name = strings.TrimSpace(rc.When)
				if name == "" {
					name = "any answer"
				}
			}
			src := strings.TrimSpace(rc.Source)
			if src == "" {
				src = SourceJob
			}
			pp.rules = append(pp.rules, rule{name: name, when: e, decision: d, source: src})
		}
		scoreCol, set := bt.Scores[p.Name]
		if !set {
			scoreCol = DefaultScore(p.Type)
		}
		if scoreCol = strings.TrimSpace(scoreCol); scoreCol != "" {
			i, err := cols(scoreCol)
			switch {
			case err != nil && set:
				add("backtest.scores.%s: %v", p.Name, err)
			case err == nil:
				pp.score, pp.scoreCol = i, scoreCol
				if p.Columns != nil {
					pp.scoreCol = p.Columns[i]
				}
			}
		}
		listCol, set := bt.Lists[p.Name]
		if !set {
			listCol = DefaultList(p.Type)
		}
		if listCol = strings.TrimSpace(listCol); listCol != "" {
			i, err := cols(listCol)
			switch {
			case err != nil && set:
				add("backtest.lists.%s: %v", p.Name, err)
			case err == nil:
				pp.list, pp.listCol = i, listCol
				if p.Columns != nil {
					pp.listCol = p.Columns[i]
				}
			}
		}
		bands, set := bt.Bands[p.Name]
		where = "backtest.bands." + p.Name
		if !set {
			bands, where = DefaultBands(p.Type), "default bands of "+p.Type
		}
		for i, bc := range bands {
			at := fmt.Sprintf("%s band %d", where, i+1)
			if bc.Name == "" {
				add("%s: name is required", at)
			} else {
				at += fmt.Sprintf(" %q", bc.Name)
			}
			e, err := compileCond(bc.When, cols)
			if err != nil {
				add("%s: when %q: %v", at, bc.When, err)
				continue
			}
			pp.bands = append(pp.bands, band{name: bc.Name, when: e})
		}
		pl.provs = append(pl.provs, pp)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return pl, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// DecisionsEnabled reports whether the plan adds decision columns.
func (pl *Plan) DecisionsEnabled() bool { return pl.decisions }

// BacktestLabel is the label column of the back-test ("" without one).
func (pl *Plan) BacktestLabel() string {
	if !pl.backtest {
		return ""
	}
	return pl.label
}

// decide gives provider p's vote on one answer: the first matching rule.
func (pp *provPlan) decide(status string, vals []string) (Decision, int) {
	if status != statusHit {
		return NoVote, -1
	}
	for i, r := range pp.rules {
		if r.when.eval(vals) {
			return r.decision, i
		}
	}
	return NoVote, -1
}

// Statuses the report distinguishes (the pipeline's status strings).
const (
	statusHit   = "hit"
	statusNoHit = "no_hit"
)
