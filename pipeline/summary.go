package pipeline

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/riskbatch/riskbatch/pipeline/compare"
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
	writeJobTotals(w, s) // after a resume: the job over every pass (passes.go)
	s.Changes.WriteChanges(w)
	if s.Report != nil {
		s.Report.WriteText(w)
	}
	for _, n := range s.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// roundCost removes float dust from a cost (0.1 × 2268 is
// 226.79999999999998 in binary floating point): costs are kept to a
// millionth, far below any currency's smallest unit.
func roundCost(c float64) float64 { return math.Round(c*1e6) / 1e6 }

// FormatCost shows a cost with its currency: two decimals, none for
// currencies without minor units in practice (IDR, JPY, KRW, VND).
func FormatCost(c float64, currency string) string {
	switch strings.ToUpper(currency) {
	case "IDR", "JPY", "KRW", "VND":
		return strings.TrimSpace(fmt.Sprintf("%.0f %s", c, currency))
	}
	return strings.TrimSpace(fmt.Sprintf("%.2f %s", c, currency))
}
