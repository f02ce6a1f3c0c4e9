// Package dryrun is what riskbatch validate and riskbatch hash do: read
// every row of a job's input through the same front half as a run
// (package input: the input opened with the job's options, the providers
// bound, each row prepared behind the Excel check) without a single call.
// Validate reports what a run would do and cost; Hash writes a copy of the
// input with its PII columns replaced by the digests the vendors compute.
// Neither touches the job state: what they need of it (the budget spent by
// earlier passes) the caller reads (pipeline.SpentSoFar).
package dryrun

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/pipeline/redact"
	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/pii"
	"github.com/riskbatch/riskbatch/sinks"
	"github.com/riskbatch/riskbatch/sources"
)

// ValidateOptions are the settings of `riskbatch validate` that do not come
// from the job file.
type ValidateOptions struct {
	Version string
	// Spent reads what earlier passes of an incomplete run of the job in
	// outDir spent, per provider, in calls billed or in doubt
	// (pipeline.SpentSoFar: the job state is the engine's); nil: nothing.
	Spent func(outDir string) map[string]int64
	// Examples is how many examples are kept per reason code (default 5).
	Examples int
}

// Key split methods of a validate estimate.
const (
	SplitQuota = "quota" // calls shared among keys in proportion to their daily_quota
	SplitEven  = "even"  // calls shared evenly (some key has no daily_quota)
)

// Status of a validate-errors.csv line that is a remark, not an error (a
// 15-digit ID converted to 18).
const statusNote = "note"

// statusInvalid is summary.StatusInvalid, the status errors.csv gives an
// invalid pair, for validate-errors.csv and hash's errors file alike.
const statusInvalid = "invalid"

// statusWarning marks an optional value left out of the request in the
// validate error log (a run writes it to warnings.csv).
const statusWarning = "warning"

// CodeUnreadableRow is the reason code of a row the source could not read
// faithfully (ragged, oversized cell); a row whose damage is U+FFFD from a
// wrong encoding gets pii.CodeReplacementChar instead.
const CodeUnreadableRow = "unreadable_row"

// ValidateReport is validate.json and the console table.
type ValidateReport struct {
	Tool        string    `json:"tool"`
	Version     string    `json:"version"`
	Job         string    `json:"job"`
	Input       string    `json:"input"`
	InputFormat string    `json:"input_format"`
	OutputDir   string    `json:"output_dir"`
	CreatedAt   time.Time `json:"created_at"`

	RowsRead       int `json:"rows_read"`
	RowsUnreadable int `json:"rows_unreadable"`
	// RowsValid rows are valid for every provider; RowsInvalid rows are
	// unreadable or invalid for at least one (they add up to RowsRead).
	RowsValid   int            `json:"rows_valid"`
	RowsInvalid int            `json:"rows_invalid"`
	Unreadable  []*ReasonCount `json:"unreadable_by_reason"`

	Providers []*ProviderValidation `json:"providers"`

	// Calls is the sum of the providers' calls.
	Calls int `json:"calls"`
	// Cost sums the providers' estimated costs per currency.
	Cost []CostAmount `json:"estimated_cost"`
	// Seconds is the slowest provider's time under its keys' qps (the
	// providers run side by side); nil when some provider has an unlimited key.
	Seconds *float64 `json:"estimated_seconds"`
	// SlowestProvider names the provider that bounds Seconds.
	SlowestProvider string `json:"slowest_provider,omitempty"`
	// Days is the most days any provider needs under its keys' daily quotas.
	Days int `json:"days_needed"`

	Notes      []string `json:"notes,omitempty"` // about the input file (encoding, duplicate headers)
	ReportFile string   `json:"report_file"`
	ErrorsFile string   `json:"errors_file"`
}

// ProviderValidation is one provider's part of a validate report. Valid +
// Invalid = rows read; Calls + Duplicates = Valid.
type ProviderValidation struct {
	Name    string         `json:"name"`
	Type    string         `json:"type"`
	Valid   int            `json:"valid"`
	Invalid int            `json:"invalid"` // includes unreadable rows, as in a run
	Reasons []*ReasonCount `json:"invalid_by_reason"`
	Notes   []*ReasonCount `json:"notes"`
	// Warnings are optional values that fail their check: the run leaves
	// them out of the request and still sends the row (warnings.csv).
	Warnings        int            `json:"warnings"`
	WarningsReasons []*ReasonCount `json:"warnings_by_reason"`
	// Duplicates are valid rows whose request equals an earlier row's (after
	// normalization and encoding): the run pays for them once.
	Duplicates        int                `json:"duplicates"`
	DuplicateExamples []DuplicateExample `json:"duplicate_examples"`
	// Calls are the distinct valid requests: what the run sends (retries aside).
	Calls    int           `json:"calls"`
	KeySplit string        `json:"key_split"` // SplitQuota or SplitEven
	Keys     []KeyEstimate `json:"keys"`

	PricePerCall float64 `json:"price_per_call"`
	Cost         float64 `json:"estimated_cost"` // PricePerCall × Calls: every call billed
	Currency     string  `json:"currency,omitempty"`
	// QPS is the sum of the keys' qps; 0 when some key has none (unlimited).
	QPS float64 `json:"qps"`
	// Seconds is Calls / QPS; nil when QPS is 0.
	Seconds *float64 `json:"estimated_seconds"`
	// DailyQuota is the sum of the keys' daily_quota; 0 when some key has none.
	DailyQuota int `json:"daily_quota"`
	// Days is ceil(Calls / DailyQuota); 1 for an unlimited provider with calls.
	Days int `json:"days_needed"`
	// Cache is what the answer cache would serve (those lookups are not in
	// Calls); Budget whether budget.max_cost covers Calls (cachevalidate.go,
	// budget.go). Only for providers with cache: / budget:.
	Cache  *CacheEstimate  `json:"cache,omitempty"`
	Budget *BudgetEstimate `json:"budget,omitempty"`
}

// ReasonCount counts one reason code with the first few examples.
type ReasonCount struct {
	Code     string    `json:"code"`
	Count    int       `json:"count"`
	Examples []Example `json:"examples"`
}

// Example is one row behind a reason. Value is masked, never raw.
type Example struct {
	Row     int    `json:"row"`
	Line    int    `json:"line,omitempty"`
	Column  string `json:"column,omitempty"`
	Value   string `json:"value,omitempty"`
	Message string `json:"message"`
}

// DuplicateExample names a row whose request repeats an earlier row's.
type DuplicateExample struct {
	Row    int `json:"row"`
	Line   int `json:"line,omitempty"`
	SameAs int `json:"same_as_row"`
}

// KeyEstimate is one key's share of a provider's calls.
type KeyEstimate struct {
	ID         string  `json:"id"`
	Calls      int     `json:"calls"`
	QPS        float64 `json:"qps,omitempty"`
	DailyQuota int     `json:"daily_quota,omitempty"`
}

// CostAmount is an estimated cost in one currency ("" when the job names none).
type CostAmount struct {
	Currency string  `json:"currency"`
	Amount   float64 `json:"amount"`
}

// reasonSet accumulates reason codes in first-seen order.
type reasonSet struct {
	max   int
	byKey map[string]*ReasonCount
	order []*ReasonCount
}

func newReasonSet(max int) *reasonSet { return &reasonSet{max: max, byKey: map[string]*ReasonCount{}} }

func (s *reasonSet) add(code string, ex Example) {
	rc := s.byKey[code]
	if rc == nil {
		rc = &ReasonCount{Code: code, Examples: []Example{}}
		s.byKey[code] = rc
		s.order = append(s.order, rc)
	}
	rc.Count++
	if len(rc.Examples) < s.max {
		rc.Examples = append(rc.Examples, ex)
	}
}

// sorted lists reasons by count, most frequent first (ties by code).
func (s *reasonSet) sorted() []*ReasonCount {
	out := append([]*ReasonCount{}, s.order...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Code < out[j].Code
	})
	return out
}

// Validate reads every row of the job's input through the same source,
// bindings and Prepare the run uses, and reports what a run would do before
// any money is spent: rows read, unreadable rows, invalid rows per provider
// by reason code, duplicate requests, calls per provider and key, and the
// estimated cost, duration and days. It never makes a network call (no
// sandbox, no NewHTTPRequest) and never touches the job state.
//
// It writes validate.json and validate-errors.csv (the columns of
// errors.csv, values masked) into the output directory. Invalid rows are
// not an error: the report counts them. Errors are *ConfigError or
// *input.Error (exit 2) for a bad job or input, others for I/O.
func Validate(job *jobfile.Job, opts ValidateOptions) (*ValidateReport, error) {
	if opts.Examples <= 0 {
		opts.Examples = 5
	}
	red := redact.New(job.Secrets())
	inPath := job.Resolve(job.Input.File)
	outDir := job.Resolve(job.Output.Dir)
	var spent map[string]int64
	if opts.Spent != nil {
		spent = opts.Spent(outDir)
	}

	// What the run would refuse before its first call (a missing column,
	// a sheet too wide, the back-test's label column) is refused here too.
	src, bound, err := input.OpenBound(job, inPath, input.ForResults)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	header := src.Header()
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("output dir: %w", err)
	}
	bom := true
	if job.Output.CSVBOM != nil {
		bom = *job.Output.CSVBOM
	}
	rep := &ValidateReport{
		Tool: "riskbatch", Version: opts.Version, Job: job.Path, Input: inPath, InputFormat: src.Format(),
		OutputDir: outDir, CreatedAt: time.Now(), Notes: src.Warnings(),
		ReportFile: filepath.Join(outDir, "validate.json"), ErrorsFile: filepath.Join(outDir, "validate-errors.csv"),
	}
	errLog, err := sinks.NewErrorLog(rep.ErrorsFile, sinks.CSVOptions{BOM: bom})
	if err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			_ = errLog.Abort()
		}
	}()

	type provState struct {
		bp      input.Bound
		pv      *ProviderValidation
		reasons *reasonSet
		notes   *reasonSet
		warns   *reasonSet
		seen    map[[16]byte]int // request digest → first row that made it
		served  int              // distinct lookups the answer cache would serve
	}
	states := make([]*provState, len(bound))
	for i, bp := range bound {
		states[i] = &provState{
			bp:      bp,
			pv:      &ProviderValidation{Name: bp.Cfg.Name, Type: bp.Cfg.Type, DuplicateExamples: []DuplicateExample{}},
			reasons: newReasonSet(opts.Examples),
			notes:   newReasonSet(opts.Examples),
			warns:   newReasonSet(opts.Examples),
			seen:    map[[16]byte]int{},
		}
	}
	probe := openCacheProbe(job, bound) // the answer cache, read only (cachevalidate.go)
	defer probe.close()
	unreadable := newReasonSet(opts.Examples)
	var excel input.ExcelCheck // XLSX ID/mobile cells stored as numbers, as in a run (package input)
	maskers := columnMaskers(bound, header)

	for {
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &input.Error{Err: err}
		}
		rep.RowsRead++
		if row.Err != nil {
			// As in a run: an unreadable row is invalid for every provider and
			// never prepared.
			rep.RowsUnreadable++
			rep.RowsInvalid++
			code, ex := unreadableExample(row, header, maskers, red)
			unreadable.add(code, ex)
			if err := errLog.Write(sinks.ErrorRecord{Row: row.Num, Line: row.Line, Status: statusInvalid, Code: code, Column: ex.Column, Message: ex.Message}); err != nil {
				return nil, err
			}
			for _, st := range states {
				st.pv.Invalid++
				st.reasons.add(code, ex)
			}
			continue
		}
		rowOK := true
		for _, st := range states {
			rec := providers.Record{Row: row.Num, Binding: st.bp.Binding, Values: row.Values}
			req, err := excel.Prepare(st.bp, rec, row)
			if err != nil {
				rowOK = false
				code, column, msg := input.Invalid(err, red)
				masked := ""
				var re *providers.RowError
				if errors.As(err, &re) {
					masked = re.Masked
				}
				st.pv.Invalid++
				st.reasons.add(code, Example{Row: row.Num, Line: row.Line, Column: column, Value: masked, Message: msg})
				if err := errLog.Write(sinks.ErrorRecord{Row: row.Num, Line: row.Line, Provider: st.pv.Name, Status: statusInvalid, Code: code, Column: column, Message: msg}); err != nil {
					return nil, err
				}
				continue
			}
			st.pv.Valid++
			for _, w := range req.Warnings {
				st.pv.Warnings++
				wr := input.WarningRecord(red, row.Num, row.Line, st.pv.Name, statusWarning, w)
				st.warns.add(w.Code, Example{Row: row.Num, Line: row.Line, Column: w.Column, Value: w.Masked, Message: wr.Message})
				if err := errLog.Write(wr); err != nil {
					return nil, err
				}
			}
			for _, n := range req.Notes {
				n = red.Redact(n)
				st.notes.add(n, Example{Row: row.Num, Line: row.Line, Message: n})
				if err := errLog.Write(sinks.ErrorRecord{Row: row.Num, Line: row.Line, Provider: st.pv.Name, Status: statusNote, Code: statusNote, Message: n}); err != nil {
					return nil, err
				}
			}
			var d [16]byte
			copy(d[:], req.Dedupe[:])
			if first, dup := st.seen[d]; dup {
				st.pv.Duplicates++
				if len(st.pv.DuplicateExamples) < opts.Examples {
					st.pv.DuplicateExamples = append(st.pv.DuplicateExamples, DuplicateExample{Row: row.Num, Line: row.Line, SameAs: first})
				}
				continue
			}
			st.seen[d] = row.Num
			if probe.serves(st.pv.Name, req) {
				st.served++
				continue
			}
			st.pv.Calls++
		}
		if rowOK {
			rep.RowsValid++
		} else {
			rep.RowsInvalid++
		}
	}
	rep.Notes = append(rep.Notes, excel.Warnings()...)
	if rep.RowsRead == 0 {
		return nil, &input.Error{Err: fmt.Errorf("%s: %w", inPath, input.ErrNoRows)}
	}

	rep.Unreadable = unreadable.sorted()
	costs := map[string]float64{}
	var currencies []string
	for _, st := range states {
		pv := st.pv
		pv.Reasons = st.reasons.sorted()
		pv.Notes = st.notes.sorted()
		pv.WarningsReasons = st.warns.sorted()
		estimate(pv, st.bp.Cfg)
		probe.estimate(pv, st.bp.Cfg, st.served)
		budgetEstimate(spent, pv, st.bp.Cfg)
		rep.Calls += pv.Calls
		if _, ok := costs[pv.Currency]; !ok {
			currencies = append(currencies, pv.Currency)
		}
		costs[pv.Currency] += pv.Cost
		rep.Providers = append(rep.Providers, pv)
		if pv.Days > rep.Days {
			rep.Days = pv.Days
		}
	}
	for _, c := range currencies {
		rep.Cost = append(rep.Cost, CostAmount{Currency: c, Amount: costs[c]})
	}
	// The providers run side by side: the slowest one bounds the run, and an
	// unlimited one is never the bound.
	for _, pv := range rep.Providers {
		if pv.Seconds != nil && (rep.Seconds == nil || *pv.Seconds > *rep.Seconds) {
			s := *pv.Seconds
			rep.Seconds = &s
			rep.SlowestProvider = pv.Name
		}
	}

	if err := errLog.Commit(); err != nil {
		return nil, err
	}
	committed = true
	if err := sinks.WriteJSONAtomic(rep.ReportFile, rep, 0o644); err != nil {
		return nil, err
	}
	return rep, nil
}

// estimate fills a provider's key split, cost, time and days from its calls
// and the job's keys.
func estimate(pv *ProviderValidation, pc *jobfile.ProviderConfig) {
	pv.PricePerCall = pc.PricePerCall
	pv.Currency = pc.Currency
	pv.Cost = math.Round(pc.PricePerCall*float64(pv.Calls)*1e6) / 1e6 // no float dust in the JSON
	limitedQPS, limitedQuota := true, true
	for _, k := range pc.Keys {
		pv.QPS += k.QPS
		pv.DailyQuota += k.DailyQuota
		if k.QPS <= 0 {
			limitedQPS = false
		}
		if k.DailyQuota <= 0 {
			limitedQuota = false
		}
	}
	if !limitedQPS {
		pv.QPS = 0 // a key without qps is not rate-bound: no time estimate
	}
	if !limitedQuota {
		pv.DailyQuota = 0
	}
	if pv.QPS > 0 {
		s := float64(pv.Calls) / pv.QPS
		pv.Seconds = &s
	}
	switch {
	case pv.Calls == 0:
		pv.Days = 0
	case pv.DailyQuota > 0:
		pv.Days = (pv.Calls + pv.DailyQuota - 1) / pv.DailyQuota
	default:
		pv.Days = 1
	}

	// Split the calls over the keys: in proportion to daily_quota when every
	// key has one (a key cannot take more than its quota a day), else
	// evenly. Largest remainders keep the sum exact.
	weights := make([]float64, len(pc.Keys))
	pv.KeySplit = SplitEven
	if limitedQuota {
		pv.KeySplit = SplitQuota
	}
	total := 0.0
	for i, k := range pc.Keys {
		weights[i] = 1
		if limitedQuota {
			weights[i] = float64(k.DailyQuota)
		}
		total += weights[i]
	}
	pv.Keys = make([]KeyEstimate, len(pc.Keys))
	type rem struct {
		i int
		r float64
	}
	rems := make([]rem, len(pc.Keys))
	given := 0
	for i, k := range pc.Keys {
		share := float64(pv.Calls) * weights[i] / total
		n := int(math.Floor(share))
		pv.Keys[i] = KeyEstimate{ID: k.ID, Calls: n, QPS: k.QPS, DailyQuota: k.DailyQuota}
		rems[i] = rem{i, share - float64(n)}
		given += n
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for j := 0; given < pv.Calls; j++ {
		pv.Keys[rems[j%len(rems)].i].Calls++
		given++
	}
}

// columnMaskers picks a mask per input column from the canonical field a
// provider binds to it; unbound columns get the generic mask.
func columnMaskers(bound []input.Bound, header []string) []func(string) string {
	m := make([]func(string) string, len(header))
	for _, bp := range bound {
		for _, in := range bp.Prov.Inputs() {
			col := bp.Binding.Column(in.Name)
			for i, h := range header {
				if col != "" && h == col && m[i] == nil {
					m[i] = input.MaskerFor(string(in.Kind))
				}
			}
		}
	}
	for i := range m {
		if m[i] == nil {
			m[i] = pii.MaskGeneric
		}
	}
	return m
}

// unreadableExample describes an unreadable row. The reason code is
// replacement_char when a cell the source flagged holds U+FFFD (a file read
// with the wrong encoding; the same code the pii validators use), else
// unreadable_row. The message names file, line and column, never a value.
func unreadableExample(row sources.Row, header []string, maskers []func(string) string, red *redact.Redactor) (string, Example) {
	code := CodeUnreadableRow
	ex := Example{Row: row.Num, Line: row.Line, Message: "row could not be read: " + red.Redact(row.Err.Error())}
	var cells []*sources.CellError
	collectCellErrors(row.Err, &cells)
	for _, ce := range cells {
		if ce.Column == "" {
			continue
		}
		for i, h := range header {
			if h != ce.Column || i >= len(row.Values) {
				continue
			}
			if ex.Column == "" {
				ex.Column = h
				ex.Value = maskers[i](row.Values[i])
			}
			if strings.ContainsRune(row.Values[i], '\ufffd') {
				code = pii.CodeReplacementChar
				ex.Column, ex.Value = h, maskers[i](row.Values[i])
			}
		}
		if code == pii.CodeReplacementChar {
			break
		}
	}
	return code, ex
}

// collectCellErrors gathers the *sources.CellError values of a row error,
// which may join several.
func collectCellErrors(err error, out *[]*sources.CellError) {
	if ce, ok := err.(*sources.CellError); ok {
		*out = append(*out, ce)
		return
	}
	if m, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range m.Unwrap() {
			collectCellErrors(e, out)
		}
		return
	}
	var ce *sources.CellError
	if errors.As(err, &ce) {
		*out = append(*out, ce)
	}
}

// WriteTable prints the report for a person: totals, one line per provider,
// reasons with examples, key shares and the estimate.
func (r *ValidateReport) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "\nrows read %d · unreadable %d · valid for every provider %d · invalid for at least one %d\n",
		r.RowsRead, r.RowsUnreadable, r.RowsValid, r.RowsInvalid)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "provider\tvalid\tinvalid\tduplicates\tcalls\tcost\tqps\ttime\tquota/day\tdays\t\n")
	for _, p := range r.Providers {
		qps, quota := "unlimited", "unlimited"
		if p.QPS > 0 {
			qps = trimFloat(p.QPS)
		}
		if p.DailyQuota > 0 {
			quota = fmt.Sprint(p.DailyQuota)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%d\t\n", p.Name, p.Valid, p.Invalid, p.Duplicates, p.Calls,
			jobfile.Money(p.Cost, p.Currency), qps, fmtSeconds(p.Seconds), quota, p.Days)
	}
	tw.Flush()

	for _, p := range r.Providers {
		if len(p.Reasons) > 0 {
			fmt.Fprintf(w, "\n%s: invalid rows by reason\n", p.Name)
			writeReasons(w, p.Reasons)
		}
		if len(p.Notes) > 0 {
			fmt.Fprintf(w, "%s: notes (rows still sent)\n", p.Name)
			writeReasons(w, p.Notes)
		}
		if p.Warnings > 0 {
			fmt.Fprintf(w, "%s: %d warning(s): optional values left out of the request (rows still sent)\n", p.Name, p.Warnings)
			writeReasons(w, p.WarningsReasons)
		}
		if len(p.DuplicateExamples) > 0 {
			var ex []string
			for _, d := range p.DuplicateExamples {
				ex = append(ex, fmt.Sprintf("row %d = row %d", d.Row, d.SameAs))
			}
			fmt.Fprintf(w, "%s: %d duplicate request(s), paid once: %s\n", p.Name, p.Duplicates, strings.Join(ex, ", "))
		}
		writeNightly(w, p) // answer cache and budget (cachevalidate.go)
	}
	fmt.Fprintln(w)
	for _, p := range r.Providers {
		split := "evenly (some key has no daily_quota)"
		if p.KeySplit == SplitQuota {
			split = "in proportion to daily_quota"
		}
		fmt.Fprintf(w, "%s keys, calls split %s:", p.Name, split)
		for _, k := range p.Keys {
			fmt.Fprintf(w, " %s %d", k.ID, k.Calls)
		}
		fmt.Fprintln(w)
	}

	var costs []string
	for _, c := range r.Cost {
		costs = append(costs, jobfile.Money(c.Amount, c.Currency))
	}
	when := "no time estimate (some key has no qps limit)"
	if r.Seconds != nil {
		when = fmt.Sprintf("about %s of calls under the keys' qps (bound by %s)", fmtSeconds(r.Seconds), r.SlowestProvider)
	}
	fmt.Fprintf(w, "estimate: %d call(s), %s, %d day(s) under daily quotas, cost %s (every call billed)\n",
		r.Calls, when, r.Days, strings.Join(costs, " + "))
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	fmt.Fprintf(w, "written: %s, %s\n", r.ReportFile, r.ErrorsFile)
}

func writeReasons(w io.Writer, rs []*ReasonCount) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, rc := range rs {
		var ex []string
		for _, e := range rc.Examples {
			s := fmt.Sprintf("row %d", e.Row)
			if e.Column != "" {
				s += " " + e.Column
			}
			if e.Value != "" {
				s += " " + e.Value
			}
			ex = append(ex, s)
		}
		more := ""
		if rc.Count > len(rc.Examples) {
			more = ", …"
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s%s\n", rc.Code, rc.Count, strings.Join(ex, "; "), more)
	}
	tw.Flush()
}

func trimFloat(f float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", f), "0"), ".")
}

// fmtSeconds prints a duration for people: 0.25s, 22.5s, 1h2m3s; "—" when
// there is no estimate.
func fmtSeconds(s *float64) string {
	if s == nil {
		return "—"
	}
	switch {
	case *s < 10:
		return trimFloat(math.Round(*s*100)/100) + "s"
	case *s < 60:
		return trimFloat(math.Round(*s*10)/10) + "s"
	}
	return (time.Duration(math.Round(*s)) * time.Second).String()
}
