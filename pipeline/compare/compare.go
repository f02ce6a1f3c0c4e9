// Package compare is what changed between two runs
// (docs/cache.md#what-changed-since-last-night): a result sheet's rows
// against an earlier output folder's, for a job's compare: key (the engine
// feeds it each row as it is written) and for riskbatch diff (two finished
// folders). It reads output folders (summary.json, results.csv or
// results.xlsx) and writes changes.csv and the Changes sheet's layout; it
// knows nothing of the job state, which its callers judge (StateFunc).
package compare

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/riskbatch/riskbatch/pipeline/report"
	"github.com/riskbatch/riskbatch/providers/pii"
	"github.com/riskbatch/riskbatch/sinks"
	"github.com/riskbatch/riskbatch/sources"
)

// What changed since the last run:
// the rows of this run's result sheet against an earlier output folder's,
// matched by a key column (a loan id) or else by the identity (normalised
// ID number and mobile). Per row: the decision got worse or better; per
// provider: the status changed, risk codes appeared or cleared, the score
// moved by at least score_change; rows new and gone; and each side's
// source and age when the provider has an answer cache.

// Config is the job's compare key.
type Config struct {
	// Previous is an earlier output folder, or a glob of dated folders
	// (../out/*): the newest complete one other than this run's.
	Previous string `yaml:"previous"`
	// Key is the input column that identifies a row across runs (a loan
	// id); empty: the normalised ID number and mobile.
	Key string `yaml:"key"`
	// ScoreChange is the smallest score move reported (default 10).
	ScoreChange float64 `yaml:"score_change"`
}

// Change kinds in changes.csv.
const (
	NewRow        = "new_row"
	GoneRow       = "gone_row"
	Worse         = "decision_worse"
	Better        = "decision_better"
	StatusChanged = "status_changed"
	NewCodes      = "new_risk_codes"
	ClearedCodes  = "cleared_risk_codes"
	ScoreUp       = "score_up"
	ScoreDown     = "score_down"
)

const (
	// FileName is changes.csv, in the output folder (riskbatch diff: in
	// NEW_DIR unless --out says otherwise).
	FileName = "changes.csv"
	// SheetName is the Changes sheet of results.xlsx.
	SheetName           = "Changes"
	defaultScoreChange  = 10
	maxChangeSheetLines = 100_000
	// statusHit is the <provider>_status of an answer with data
	// (summary.StatusHit, which the result sheets this package reads
	// were written with): only then are codes and scores compared.
	statusHit = "hit"
)

// Kinds lists the kinds in the order of the counts.
var Kinds = []string{Worse, Better, NewCodes, ClearedCodes, ScoreUp, ScoreDown, StatusChanged, NewRow, GoneRow}

// Summary is summary.json's "changes" and the counts at the top of
// the Summary sheet and report.html.
type Summary struct {
	Previous     string         `json:"previous"`
	Key          string         `json:"key"` // the key column, or "identity"
	ScoreChange  float64        `json:"score_change"`
	RowsCompared int            `json:"rows_compared"` // rows found on both sides
	Counts       map[string]int `json:"counts"`        // by change kind
	File         string         `json:"file"`
	Note         string         `json:"note,omitempty"`
}

// Headline is the one-line account of the changes.
func (c *Summary) Headline() string {
	if c == nil {
		return ""
	}
	if c.Note != "" && c.Previous == "" {
		return "changes: " + c.Note
	}
	var parts []string
	for _, k := range Kinds {
		parts = append(parts, fmt.Sprintf("%s %d", strings.ReplaceAll(k, "_", " "), c.Counts[k]))
	}
	return fmt.Sprintf("changes since %s (%d rows matched by %s): %s", c.Previous, c.RowsCompared, c.Key, strings.Join(parts, " · "))
}

// Change is one line of changes.csv.
type Change struct {
	Key               string
	OldRow, NewRow    int
	Kind              string
	Provider          string
	Detail            string
	Old, New          string
	OldSource, OldAge string
	NewSource, NewAge string
}

// Header is changes.csv's header; Change.Record is a line of it.
var Header = []string{"key", "old_row", "new_row", "change", "provider", "detail", "old", "new", "old_source", "old_age_days", "new_source", "new_age_days"}

// Record is the change as a line of changes.csv.
func (c Change) Record() []string {
	row := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	return []string{c.Key, row(c.OldRow), row(c.NewRow), c.Kind, c.Provider, c.Detail, c.Old, c.New, c.OldSource, c.OldAge, c.NewSource, c.NewAge}
}

// Header aliases of the identity columns when no key column is named.
var (
	idAliases     = []string{"身份证号", "身份证号码", "证件号码", "证件号", "idcard", "id_card", "id_no", "idno", "nik"}
	mobileAliases = []string{"手机号", "手机号码", "mobile", "phone", "手机"}
)

// sideLayout is where a result sheet keeps what is compared.
type sideLayout struct {
	key, id, mobile, decision int
	provs                     []provLayout
}

type provLayout struct {
	name, kind                              string
	status, score, codes, source, age, vote int
}

type sideRow struct {
	row   int
	key   string
	label string // what changes.csv shows as the key
	dec   string
	provs []provCells
}

type provCells struct{ status, score, codes, source, age string }

func findCol(header []string, names ...string) int {
	for _, n := range names {
		for i, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), n) {
				return i
			}
		}
	}
	return -1
}

// layoutOf finds the compared columns in a result header; kinds maps the
// provider names to their types.
func layoutOf(header []string, kinds map[string]string, key string) (sideLayout, error) {
	l := sideLayout{key: -1, decision: findCol(header, "decision")}
	if key != "" {
		if l.key = findCol(header, key); l.key < 0 {
			return l, fmt.Errorf("compare.key: no column %q", key)
		}
	} else {
		l.id, l.mobile = findCol(header, idAliases...), findCol(header, mobileAliases...)
		if l.id < 0 && l.mobile < 0 {
			return l, errors.New("compare: no ID number or mobile column to match rows by; name the key column (compare.key)")
		}
	}
	names := make([]string, 0, len(kinds))
	for n := range kinds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		st := findCol(header, n+"_status")
		if st < 0 {
			continue
		}
		k := kinds[n]
		pl := provLayout{name: n, kind: k, status: st, score: -1, codes: -1,
			source: findCol(header, n+"_source"), age: findCol(header, n+"_age_days"), vote: findCol(header, n+"_decision")}
		// The score and risk-code (list hits, "; "-joined) columns are the
		// vendor module's report defaults.
		if c := report.DefaultScore(k); c != "" {
			pl.score = findCol(header, n+"_"+c)
		}
		if c := report.DefaultList(k); c != "" {
			pl.codes = findCol(header, n+"_"+c)
		}
		l.provs = append(l.provs, pl)
	}
	return l, nil
}

func cell(vals []string, i int) string {
	if i < 0 || i >= len(vals) {
		return ""
	}
	return vals[i]
}

// identityKey is the normalised ID number and mobile, hashed (the index
// holds no PII in clear), and a masked label for changes.csv.
func identityKey(id, mobile string) (string, string) {
	if n, _, err := pii.ChineseID(id); err == nil {
		id = n
	}
	if n, err := pii.ChineseMobile(mobile); err == nil {
		mobile = n
	}
	id, mobile = strings.ToUpper(strings.TrimSpace(id)), strings.TrimSpace(mobile)
	sum := sha256.Sum256([]byte(id + "\x00" + mobile))
	label := pii.MaskID(id)
	if mobile != "" {
		if label != "" {
			label += " "
		}
		label += pii.MaskMobile(mobile)
	}
	return hex.EncodeToString(sum[:16]), label
}

func (l *sideLayout) row(num int, vals []string) *sideRow {
	r := &sideRow{row: num, dec: cell(vals, l.decision), provs: make([]provCells, len(l.provs))}
	if l.key >= 0 {
		r.key = strings.TrimSpace(cell(vals, l.key))
		r.label = r.key
	} else {
		r.key, r.label = identityKey(cell(vals, l.id), cell(vals, l.mobile))
	}
	for i, p := range l.provs {
		r.provs[i] = provCells{status: cell(vals, p.status), score: cell(vals, p.score), codes: cell(vals, p.codes), source: cell(vals, p.source), age: cell(vals, p.age)}
	}
	return r
}

// Previous is the other side, held in memory by key: a 16-byte digest
// of the key and the compared cells packed into one string per row (about
// 230 bytes a row with three vendors' codes, TestCompareBytesPerRow).
type Previous struct {
	dir    string
	layout sideLayout
	rows   map[[16]byte]packedRow
	order  [][16]byte // keys in the previous sheet's order (for gone rows)
	dups   int
}

// Len is the number of rows held (the first row of each key).
func (p *Previous) Len() int { return len(p.rows) }

type packedRow struct {
	row  int32
	data string // label, decision, then per provider status, score, codes, source, age; length-prefixed
}

func keyDigest(key string) [16]byte {
	s := sha256.Sum256([]byte(key))
	return [16]byte(s[:16])
}

func packSide(r *sideRow) packedRow {
	var b []byte
	put := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	put(r.label)
	put(r.dec)
	for _, p := range r.provs {
		put(p.status)
		put(p.score)
		put(p.codes)
		put(p.source)
		put(p.age)
	}
	return packedRow{row: int32(r.row), data: string(b)}
}

func unpackSide(p packedRow, nprovs int) *sideRow {
	data := p.data
	get := func() string {
		n, w := binary.Uvarint([]byte(data[:min(len(data), binary.MaxVarintLen64)]))
		if w <= 0 || uint64(len(data)-w) < n {
			data = ""
			return ""
		}
		s := data[w : w+int(n)]
		data = data[w+int(n):]
		return s
	}
	r := &sideRow{row: int(p.row), provs: make([]provCells, nprovs)}
	r.label = get()
	r.dec = get()
	for i := range r.provs {
		r.provs[i] = provCells{status: get(), score: get(), codes: get(), source: get(), age: get()}
	}
	return r
}

// resultKinds reads provider name → type from an output folder's summary.json.
func resultKinds(dir string) (map[string]string, bool, error) {
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		return nil, false, fmt.Errorf("%s has no summary.json: not a riskbatch output folder, or its run never finished", dir)
	}
	var s struct {
		Complete  bool `json:"complete"`
		Providers []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"providers"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, false, fmt.Errorf("%s/summary.json: %v", dir, err)
	}
	kinds := map[string]string{}
	for _, p := range s.Providers {
		kinds[p.Name] = p.Type
	}
	return kinds, s.Complete, nil
}

// resultsFile is an output folder's result sheet: results.csv, else results.xlsx.
func resultsFile(dir string) (string, error) {
	for _, n := range []string{"results.csv", "results.xlsx"} {
		p := filepath.Join(dir, n)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s has no results.csv or results.xlsx", dir)
}

// openResults opens a result sheet: results.csv, or the Results sheet of
// results.xlsx (the first sheets are the report's).
func openResults(path string) (sources.Reader, error) {
	opts := sources.Options{Encoding: "utf-8"}
	if strings.HasSuffix(path, ".xlsx") {
		opts.Sheet = "Results"
	}
	return sources.Open(path, opts)
}

// StateFunc says what an output folder's job state says of its run:
// whether the folder has one and whether that run completed
// (pipeline.StateExists). The job state is the engine's, so the callers
// read it; a folder without one is judged by its summary.json.
type StateFunc func(outDir string) (exists, complete bool)

// runComplete says whether an output folder's run completed: its job
// state's manifest, else its summary.json.
func runComplete(dir string, state StateFunc) bool {
	if exists, complete := state(dir); exists {
		return complete
	}
	_, complete, err := resultKinds(dir)
	return err == nil && complete
}

// ResolvePrevious picks the previous output folder: DIR as given (refused
// when incomplete), or for a glob the newest complete match other than
// self. note says what was skipped; "" dir with no error: nothing to
// compare with (a first night).
func ResolvePrevious(pattern, self string, state StateFunc) (dir, note string, err error) {
	selfAbs, _ := filepath.Abs(self)
	if !strings.ContainsAny(pattern, "*?[") {
		if _, err := os.Stat(pattern); err != nil {
			return "", "", fmt.Errorf("compare.previous %s: %v", pattern, err)
		}
		if !runComplete(pattern, state) {
			return "", "", fmt.Errorf("compare.previous %s holds an incomplete run: resume it first (or compare with another folder)", pattern)
		}
		return pattern, "", nil
	}
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return "", "", fmt.Errorf("compare.previous %q: %v", pattern, err)
	}
	type cand struct {
		dir string
		t   time.Time
	}
	var cands []cand
	skipped := 0
	for _, m := range matches {
		abs, _ := filepath.Abs(m)
		if abs == selfAbs {
			continue
		}
		fi, err := os.Stat(filepath.Join(m, "summary.json"))
		if err != nil {
			continue
		}
		if !runComplete(m, state) {
			skipped++
			continue
		}
		cands = append(cands, cand{m, fi.ModTime()})
	}
	if len(cands) == 0 {
		if skipped > 0 {
			return "", "", fmt.Errorf("compare.previous %q: the %d earlier run(s) it matches are incomplete: resume one first", pattern, skipped)
		}
		return "", "no earlier run matches " + pattern + " (a first run)", nil
	}
	sort.Slice(cands, func(a, b int) bool {
		if !cands[a].t.Equal(cands[b].t) {
			return cands[a].t.After(cands[b].t)
		}
		return cands[a].dir > cands[b].dir
	})
	if skipped > 0 {
		note = fmt.Sprintf("%d incomplete run(s) matching %s skipped", skipped, pattern)
	}
	return cands[0].dir, note, nil
}

// LoadPrevious reads an output folder's result sheet into memory; key is
// the column rows are matched by ("": the identity).
func LoadPrevious(dir, key string) (*Previous, error) {
	kinds, _, err := resultKinds(dir)
	if err != nil {
		return nil, err
	}
	path, err := resultsFile(dir)
	if err != nil {
		return nil, err
	}
	src, err := openResults(path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	lay, err := layoutOf(src.Header(), kinds, key)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	prev := &Previous{dir: dir, layout: lay, rows: map[[16]byte]packedRow{}}
	for {
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		r := lay.row(row.Num, row.Values)
		if r.key == "" {
			continue
		}
		d := keyDigest(r.key)
		if _, dup := prev.rows[d]; dup {
			prev.dups++
			continue // the first row with a key is the one compared
		}
		prev.rows[d] = packSide(r)
		prev.order = append(prev.order, d)
	}
	return prev, nil
}

var decisionRank = map[string]int{"pass": 1, "review": 2, "reject": 3}

func splitCodes(s string) map[string]bool {
	out := map[string]bool{}
	for _, c := range strings.Split(s, ";") {
		if c = strings.TrimSpace(c); c != "" {
			out[c] = true
		}
	}
	return out
}

func diffCodes(a, b map[string]bool) []string {
	var out []string
	for c := range b {
		if !a[c] {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

// Comparer compares the rows of a new result sheet with a previous run's.
// New, then Observe for each row in order, then Finish.
type Comparer struct {
	cfg      Summary
	prev     *Previous
	layout   sideLayout
	seen     map[[16]byte]struct{}
	changes  []Change
	emit     func(Change) error
	newDup   int
	matched  int
	provsIdx []int // new provider index → previous provider index (-1 none)
}

// New compares the result sheet with this header against prev; kinds maps
// its provider names to their types, scoreChange is the smallest score move
// reported (0: the default, 10); emit, if not nil, gets every change as it
// is found (changes.csv), while the first 100,000 are kept for the sheet.
func New(prev *Previous, header []string, kinds map[string]string, key string, scoreChange float64, emit func(Change) error) (*Comparer, error) {
	lay, err := layoutOf(header, kinds, key)
	if err != nil {
		return nil, err
	}
	if scoreChange <= 0 {
		scoreChange = defaultScoreChange
	}
	k := key
	if k == "" {
		k = "identity"
	}
	c := &Comparer{prev: prev, layout: lay, seen: map[[16]byte]struct{}{}, emit: emit,
		cfg: Summary{Previous: prev.dir, Key: k, ScoreChange: scoreChange, Counts: map[string]int{}}}
	for _, kind := range Kinds {
		c.cfg.Counts[kind] = 0
	}
	for _, p := range lay.provs {
		j := -1
		for i, q := range prev.layout.provs {
			if q.name == p.name {
				j = i
			}
		}
		c.provsIdx = append(c.provsIdx, j)
	}
	return c, nil
}

// Key is what rows are matched by: the key column, or "identity".
func (c *Comparer) Key() string { return c.cfg.Key }

// Changes are the changes found so far, at most the first 100,000 (the
// Changes sheet's).
func (c *Comparer) Changes() []Change { return c.changes }

func (c *Comparer) add(ch Change) error {
	c.cfg.Counts[ch.Kind]++
	if len(c.changes) < maxChangeSheetLines {
		c.changes = append(c.changes, ch)
	}
	if c.emit != nil {
		return c.emit(ch)
	}
	return nil
}

// Observe compares one new row (its output cells).
func (c *Comparer) Observe(num int, vals []string) error {
	r := c.layout.row(num, vals)
	if r.key == "" {
		return nil
	}
	d := keyDigest(r.key)
	if _, seen := c.seen[d]; seen {
		c.newDup++
		return nil
	}
	c.seen[d] = struct{}{}
	pr, found := c.prev.rows[d]
	if !found {
		return c.add(Change{Key: r.label, NewRow: num, Kind: NewRow, New: r.dec})
	}
	old := unpackSide(pr, len(c.prev.layout.provs))
	c.matched++
	base := Change{Key: r.label, OldRow: old.row, NewRow: num}
	if ro, rn := decisionRank[old.dec], decisionRank[r.dec]; ro > 0 && rn > 0 && ro != rn {
		ch := base
		ch.Kind, ch.Old, ch.New = Better, old.dec, r.dec
		if rn > ro {
			ch.Kind = Worse
		}
		if err := c.add(ch); err != nil {
			return err
		}
	}
	for i, p := range c.layout.provs {
		j := c.provsIdx[i]
		if j < 0 {
			continue
		}
		o, n := old.provs[j], r.provs[i]
		pc := base
		pc.Provider = p.name
		pc.OldSource, pc.OldAge, pc.NewSource, pc.NewAge = o.source, o.age, n.source, n.age
		if o.status != n.status {
			ch := pc
			ch.Kind, ch.Old, ch.New = StatusChanged, o.status, n.status
			if err := c.add(ch); err != nil {
				return err
			}
		}
		if o.status == statusHit && n.status == statusHit {
			oc, nc := splitCodes(o.codes), splitCodes(n.codes)
			if added := diffCodes(oc, nc); len(added) > 0 {
				ch := pc
				ch.Kind, ch.Detail, ch.Old, ch.New = NewCodes, strings.Join(added, "; "), o.codes, n.codes
				if err := c.add(ch); err != nil {
					return err
				}
			}
			if cleared := diffCodes(nc, oc); len(cleared) > 0 {
				ch := pc
				ch.Kind, ch.Detail, ch.Old, ch.New = ClearedCodes, strings.Join(cleared, "; "), o.codes, n.codes
				if err := c.add(ch); err != nil {
					return err
				}
			}
			of, e1 := strconv.ParseFloat(strings.TrimSpace(o.score), 64)
			nf, e2 := strconv.ParseFloat(strings.TrimSpace(n.score), 64)
			if e1 == nil && e2 == nil && (nf-of >= c.cfg.ScoreChange || of-nf >= c.cfg.ScoreChange) {
				ch := pc
				ch.Kind, ch.Old, ch.New = ScoreUp, o.score, n.score
				if nf < of {
					ch.Kind = ScoreDown
				}
				ch.Detail = fmt.Sprintf("%+g", nf-of)
				if err := c.add(ch); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Finish adds the gone rows and returns the summary.
func (c *Comparer) Finish() (*Summary, error) {
	for _, k := range c.prev.order {
		if _, seen := c.seen[k]; seen {
			continue
		}
		old := unpackSide(c.prev.rows[k], len(c.prev.layout.provs))
		if err := c.add(Change{Key: old.label, OldRow: old.row, Kind: GoneRow, Old: old.dec}); err != nil {
			return nil, err
		}
	}
	c.cfg.RowsCompared = c.matched
	var notes []string
	if c.prev.dups > 0 {
		notes = append(notes, fmt.Sprintf("%d row(s) of the previous run repeat a key (the first is compared)", c.prev.dups))
	}
	if c.newDup > 0 {
		notes = append(notes, fmt.Sprintf("%d row(s) of this run repeat a key (the first is compared)", c.newDup))
	}
	if total := c.total(); total > len(c.changes) {
		notes = append(notes, fmt.Sprintf("the %s sheet shows the first %d of %d changes; %s has them all", SheetName, len(c.changes), total, FileName))
	}
	if len(notes) > 0 {
		c.cfg.Note = strings.Join(notes, "; ")
	}
	return &c.cfg, nil
}

func (c *Comparer) total() int {
	n := 0
	for _, v := range c.cfg.Counts {
		n += v
	}
	return n
}

// Sheet is the Changes sheet of results.xlsx: the counts, then the first
// changes (changes.csv has them all).
func Sheet(sum *Summary, changes []Change) sinks.SheetSpec {
	spec := sinks.SheetSpec{Name: SheetName, Title: "What changed since the previous run"}
	if sum == nil {
		spec.Lines = []string{"no comparison"}
		return spec
	}
	if sum.Previous == "" {
		spec.Lines = []string{sum.Note}
		return spec
	}
	spec.Lines = []string{fmt.Sprintf("previous run: %s · rows matched by %s: %d · score moves of at least %g", sum.Previous, sum.Key, sum.RowsCompared, sum.ScoreChange)}
	if sum.Note != "" {
		spec.Lines = append(spec.Lines, sum.Note)
	}
	counts := sinks.SheetBlock{Title: "Counts", Header: []string{"change", "count"}, Formats: []string{"", "int"}}
	for _, k := range Kinds {
		counts.Rows = append(counts.Rows, []any{k, sum.Counts[k]})
	}
	list := sinks.SheetBlock{Title: "Changes", Header: Header, Formats: make([]string, len(Header))}
	for _, ch := range changes {
		rec := ch.Record()
		row := make([]any, len(rec))
		for i, v := range rec {
			row[i] = v
		}
		list.Rows = append(list.Rows, row)
	}
	if len(list.Rows) == 0 {
		list.Note = "no change"
	}
	spec.Blocks = []sinks.SheetBlock{counts, list}
	return spec
}

// DiffOptions are `riskbatch diff`'s settings.
type DiffOptions struct {
	Key         string
	ScoreChange float64
	Out         string // changes.csv path; default NEW_DIR/changes.csv
}

// FolderError is an output folder riskbatch diff cannot compare: not an
// output folder, an incomplete run, no result sheet, no column to match
// rows by. It is the command line's mistake, not a failure (cmd: exit 2).
type FolderError struct{ Msg string }

func (e *FolderError) Error() string { return e.Msg }

func folderErr(format string, args ...any) error {
	return &FolderError{Msg: fmt.Sprintf(format, args...)}
}

// Diff compares two output folders' result sheets and writes changes.csv.
// Both runs must be complete (state reads their job state). A folder that
// cannot be compared is a *FolderError.
func Diff(oldDir, newDir string, state StateFunc, opts DiffOptions) (*Summary, error) {
	for _, d := range []string{oldDir, newDir} {
		if _, err := os.Stat(filepath.Join(d, "summary.json")); err != nil {
			return nil, folderErr("%s has no summary.json: not a riskbatch output folder", d)
		}
		if !runComplete(d, state) {
			return nil, folderErr("%s holds an incomplete run: resume it first", d)
		}
	}
	prev, err := LoadPrevious(oldDir, opts.Key)
	if err != nil {
		return nil, folderErr("%v", err)
	}
	kinds, _, err := resultKinds(newDir)
	if err != nil {
		return nil, folderErr("%v", err)
	}
	path, err := resultsFile(newDir)
	if err != nil {
		return nil, folderErr("%v", err)
	}
	src, err := openResults(path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	out := opts.Out
	if out == "" {
		out = filepath.Join(newDir, FileName)
	}
	w, err := sinks.NewCSV(out, Header, sinks.CSVOptions{BOM: true})
	if err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			_ = w.Abort()
		}
	}()
	c, err := New(prev, src.Header(), kinds, opts.Key, opts.ScoreChange, func(ch Change) error { return w.Write(ch.Record()) })
	if err != nil {
		return nil, folderErr("%s: %v", path, err)
	}
	for {
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if err := c.Observe(row.Num, row.Values); err != nil {
			return nil, err
		}
	}
	sum, err := c.Finish()
	if err != nil {
		return nil, err
	}
	if err := w.Commit(); err != nil {
		return nil, err
	}
	committed = true
	sum.File = out
	return sum, nil
}

// WriteChanges prints the counts for the console.
func (c *Summary) WriteChanges(w io.Writer) {
	if c == nil {
		return
	}
	fmt.Fprintln(w, c.Headline())
	if c.Note != "" && c.Previous != "" {
		fmt.Fprintf(w, "note: %s\n", c.Note)
	}
	if c.File != "" {
		fmt.Fprintf(w, "written: %s\n", c.File)
	}
}

// HeadlineLines are the lines at the top of the Summary sheet and
// report.html.
func (c *Summary) HeadlineLines() []string {
	if c == nil {
		return nil
	}
	return []string{c.Headline()}
}
