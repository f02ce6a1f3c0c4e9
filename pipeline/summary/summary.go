// Package summary is a run's summary.json document and the end-of-run
// table: the statuses of a (row, provider) pair, how a run ended
// (Outcome), and each provider's and key's figures. The engine fills it;
// the outputs write it; cmd reads it for the exit code.
package summary

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/riskbatch/riskbatch/pipeline/compare"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/pipeline/report"
)

// Statuses of a (row, provider) pair in the result sheet.
const (
	StatusHit      = "hit"
	StatusNoHit    = "no_hit"
	StatusInvalid  = "invalid"
	StatusFailed   = "failed"   // retries exhausted (transient) — resumable
	StatusDeferred = "deferred" // quota spent or run stopped before the call — resumable
	StatusSkipped  = "skipped"  // provider stopped by a fatal answer — resumable after fixing the job
)

// Statuses lists every status in display order.
var Statuses = []string{StatusHit, StatusNoHit, StatusInvalid, StatusFailed, StatusDeferred, StatusSkipped}

// Summary is summary.json and the end-of-run table.
type Summary struct {
	Tool        string `json:"tool"`
	Version     string `json:"version"`
	Job         string `json:"job"`
	Input       string `json:"input"`
	InputFormat string `json:"input_format"`
	// InputEncoding is the text encoding the input was read in ("utf-8",
	// "gb18030", …; "xlsx" for a workbook), detected or from the job.
	InputEncoding string    `json:"input_encoding,omitempty"`
	OutputDir     string    `json:"output_dir"`
	Run           int       `json:"run"` // 1 for the first run, +1 per resume
	StartedAt     time.Time `json:"started_at"`
	FinishedAt    time.Time `json:"finished_at"`
	Seconds       float64   `json:"duration_seconds"`
	Complete      bool      `json:"complete"`
	Stopped       string    `json:"stopped,omitempty"` // SIGINT / SIGTERM
	// TrialLimit is N for a `run --limit N` trial: only the first N rows
	// were read, and a later run without --limit reuses their answers.
	TrialLimit int `json:"trial_limit,omitempty"`
	// Shard is "i/n" for one shard of a sharded run (run --shard).
	Shard       string             `json:"shard,omitempty"`
	RowsIn      int                `json:"rows_in"`
	RowsOut     int                `json:"rows_out"`
	RowsOK      int                `json:"rows_ok"`
	RowsError   int                `json:"rows_error"`
	RowsInvalid int                `json:"rows_unreadable"` // rows that could not be read at all
	Providers   []*ProviderSummary `json:"providers"`
	InDoubt     int                `json:"in_doubt_resent"` // calls in doubt from an earlier run, sent again by this one
	JobInDoubt  int64              `json:"job_in_doubt_resent"`
	Notes       []string           `json:"notes,omitempty"`
	// Warnings are what the operator should look at even when the run
	// completed: many invalid rows in the pre-flight, IDs stored as numbers.
	Warnings []string `json:"warnings,omitempty"`
	// Outcome is how the run ended; ExitCode is the process exit code for
	// it (the table is in cmd/riskbatch and docs/state-and-resume.md).
	Outcome    Outcome    `json:"outcome"`
	Failure    string     `json:"failure,omitempty"` // the machine failure that stopped the run (outcome environment)
	ExitCode   int        `json:"exit_code"`
	Resume     string     `json:"resume_command,omitempty"`
	QuotaReset *time.Time `json:"quota_reset_at,omitempty"`
	// Report holds cost per hit, score distributions, decisions and the
	// back-test (docs/report.md).
	Report *report.Figures `json:"report,omitempty"`
	// Changes are what changed since the previous run (compare: in the
	// job; package compare).
	Changes *compare.Summary `json:"changes,omitempty"`
}

// ProviderSummary is one provider's figures.
type ProviderSummary struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Status     map[string]int `json:"status"` // every status, adding up to rows_in
	Calls      int64          `json:"calls"`  // HTTP attempts this run
	Billed     int64          `json:"billed"`
	Cost       float64        `json:"cost"`
	Currency   string         `json:"currency,omitempty"`
	Retries    int64          `json:"retries"`
	Throttled  int64          `json:"throttled"`
	InDoubt    int64          `json:"in_doubt"` // attempts whose answer never came after the request was sent
	Reused     int64          `json:"reused"`   // answers taken from the journal of an earlier run
	Deduped    int64          `json:"calls_saved"`
	Warnings   int            `json:"warnings"` // optional values left out of requests (warnings.csv); those rows were still sent
	HitRate    float64        `json:"hit_rate"` // hits / (hits + no-hits)
	Stopped    string         `json:"stopped,omitempty"`
	QuotaReset *time.Time     `json:"quota_reset_at,omitempty"`
	Cache      *CacheSummary  `json:"cache,omitempty"`  // the answer cache's figures, for a provider with cache:
	Budget     *BudgetSummary `json:"budget,omitempty"` // budget.max_cost and what was spent over all passes
	JobTotal   *PassTotals    `json:"job_total,omitempty"`
	Keys       []KeySummary   `json:"keys"`
}

// KeySummary is one key's figures (never its credentials).
type KeySummary struct {
	ID             string  `json:"id"`
	Calls          int64   `json:"calls"`
	Billed         int64   `json:"billed"`
	Throttled      int64   `json:"throttled"`
	Retries        int64   `json:"retries"`
	InDoubt        int64   `json:"in_doubt"`
	QuotaUsedToday int64   `json:"quota_used_today"`
	DailyQuota     int     `json:"daily_quota,omitempty"`
	State          string  `json:"state"`
	QPS            float64 `json:"qps,omitempty"`
}

// WriteTable prints the short end-of-run table.
func (s *Summary) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "\nrows in %d · out %d · ok %d · with errors %d   (%.1fs)\n", s.RowsIn, s.RowsOut, s.RowsOK, s.RowsError, s.Seconds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "provider\t%s\tcalls\tbilled\tcost\tsaved\tin doubt\twarnings\t\n", strings.Join(Statuses, "\t"))
	for _, p := range s.Providers {
		var b strings.Builder
		for _, st := range Statuses {
			fmt.Fprintf(&b, "%d\t", p.Status[st])
		}
		fmt.Fprintf(tw, "%s\t%s%d\t%d\t%s\t%d\t%d\t%d\t\n", p.Name, b.String(), p.Calls, p.Billed, FormatCost(p.Cost, p.Currency), p.Deduped, p.InDoubt, p.Warnings)
	}
	tw.Flush()
	for _, p := range s.Providers {
		for _, k := range p.Keys {
			quota := ""
			if k.DailyQuota > 0 {
				quota = fmt.Sprintf(" quota %d/%d today", k.QuotaUsedToday, k.DailyQuota)
			}
			fmt.Fprintf(w, "  %s key %s: %d calls, %d billed, %d throttled, %d retries, %d in doubt,%s %s\n",
				p.Name, k.ID, k.Calls, k.Billed, k.Throttled, k.Retries, k.InDoubt, quota, k.State)
		}
		if p.Stopped != "" {
			fmt.Fprintf(w, "  %s stopped: %s\n", p.Name, p.Stopped)
		}
		if p.Cache != nil {
			fmt.Fprintln(w, cacheLine(p))
		}
		if p.Budget != nil {
			fmt.Fprintln(w, budgetLine(p))
		}
	}
	writeJobTotals(w, s) // after a resume: the job over every pass
	s.Changes.WriteChanges(w)
	if s.Report != nil {
		s.Report.WriteText(w)
	}
	for _, n := range s.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// RoundCost removes float dust from a cost (0.1 × 2268 is
// 226.79999999999998 in binary floating point): costs are kept to a
// millionth, far below any currency's smallest unit.
func RoundCost(c float64) float64 { return math.Round(c*1e6) / 1e6 }

// FormatCost shows a cost with its currency: two decimals, none for
// currencies without minor units in practice (IDR, JPY, KRW, VND).
func FormatCost(c float64, currency string) string {
	switch strings.ToUpper(currency) {
	case "IDR", "JPY", "KRW", "VND":
		return strings.TrimSpace(fmt.Sprintf("%.0f %s", c, currency))
	}
	return strings.TrimSpace(fmt.Sprintf("%.2f %s", c, currency))
}

// Outcome is how a run ended. The process exit code for each outcome and
// each of the engine's error kinds is decided in one place, the table in
// cmd/riskbatch (exitcodes.go); the engine only says what happened.
type Outcome string

const (
	// OutcomeComplete: every (row, provider) pair is final (hit, no_hit, invalid).
	OutcomeComplete Outcome = "complete"
	// OutcomeIncomplete: rows deferred (quota, budget, a provider whose
	// endpoint is unreachable) or failed after retries; resume continues.
	OutcomeIncomplete Outcome = "incomplete"
	// OutcomeProviderStopped: a provider was stopped by a fatal answer
	// (credentials, permission) or a wrong URL (404, scheme or TLS mismatch).
	OutcomeProviderStopped Outcome = "provider_stopped"
	// OutcomeEnvironment: the journal or an output could not be written
	// (disk full, read-only, permissions); the run stopped like on a signal.
	OutcomeEnvironment Outcome = "environment"
	// OutcomeSIGINT and OutcomeSIGTERM: stopped by a signal; resumable.
	OutcomeSIGINT  Outcome = "SIGINT"
	OutcomeSIGTERM Outcome = "SIGTERM"
)

// CacheSummary is a provider's use of the answer cache in this pass.
type CacheSummary struct {
	MaxAge    string  `json:"max_age"`
	Served    int64   `json:"served"`     // lookups answered from the cache: no call
	CostSaved float64 `json:"cost_saved"` // served × price_per_call
	Stored    int64   `json:"stored"`     // vendor answers written to the cache
	Expired   int64   `json:"expired"`    // cached answers older than max_age, bought again
	Refreshed int64   `json:"refreshed"`  // young answers bought again by cache.refresh_share
}

// cacheLine is the console line of a provider's cache figures.
func cacheLine(p *ProviderSummary) string {
	c := p.Cache
	return fmt.Sprintf("  %s cache (max_age %s): %d served (%.2f%s saved), %d stored, %d expired and bought again, %d refreshed",
		p.Name, c.MaxAge, c.Served, c.CostSaved, currencySuffix(p.Currency), c.Stored, c.Expired, c.Refreshed)
}

func currencySuffix(c string) string {
	if c == "" {
		return ""
	}
	return " " + c
}

// BudgetSummary is a provider's cap in summary.json.
type BudgetSummary struct {
	MaxCost float64 `json:"max_cost"`
	// Spent is the cost billed or in doubt over all passes of the job;
	// SpentThisPass this pass's part.
	Spent         float64 `json:"spent"`
	SpentThisPass float64 `json:"spent_this_pass"`
	Reached       bool    `json:"reached"`
}

// budgetLine is the console line of a provider's cap.
func budgetLine(p *ProviderSummary) string {
	b := p.Budget
	state := "within the cap"
	if b.Reached {
		state = "cap reached: remaining rows deferred"
	}
	return fmt.Sprintf("  %s budget: max_cost %s, spent %s over all passes (%s this pass), %s",
		p.Name, jobfile.Money(b.MaxCost, p.Currency), jobfile.Money(b.Spent, p.Currency), jobfile.Money(b.SpentThisPass, p.Currency), state)
}

// PassTotals are a provider's figures over every pass of the job.
type PassTotals struct {
	Passes int     `json:"passes"`
	Calls  int64   `json:"calls"`  // HTTP attempts that left
	Billed int64   `json:"billed"` // billed answers
	Cost   float64 `json:"cost"`   // billed × price_per_call
	// InDoubt are calls whose request left but whose answer never came
	// (a crash, a timeout after sending): possibly billed, each sent again.
	InDoubt int64 `json:"in_doubt"`
}

// writeJobTotals prints the job totals after a resume (pass 2 on).
func writeJobTotals(w io.Writer, s *Summary) {
	if s.Run < 2 {
		return
	}
	var parts []string
	for _, p := range s.Providers {
		t := p.JobTotal
		if t == nil {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %d calls, %d billed, %s, %d in doubt", p.Name, t.Calls, t.Billed, jobfile.Money(t.Cost, p.Currency), t.InDoubt))
	}
	fmt.Fprintf(w, "job total over %d passes: %s\n", s.Run, strings.Join(parts, "; "))
}
