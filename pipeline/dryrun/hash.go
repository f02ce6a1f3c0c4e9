package dryrun

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/pipeline/redact"
	"github.com/riskbatch/riskbatch/providers/pii"
	"github.com/riskbatch/riskbatch/sinks"
)

// KindSkip leaves a column as it is (HashOptions.Kinds only); the other
// kinds are package input's.
const KindSkip = "skip"

// HashKinds lists the kinds accepted by HashOptions.Kinds.
var HashKinds = []string{input.KindIDCard, input.KindNIK, input.KindMobile, input.KindIDMobile, input.KindName, input.KindEmail, input.KindBankCard, KindSkip}

// HashOptions are the settings of `riskbatch hash`.
type HashOptions struct {
	// Digest is md5, sha256 or sm3 (None is refused: that would copy plaintext).
	Digest pii.Digest
	// NameDigest hashes name columns; None means Digest. Juhe accepts names
	// only as MD5 (nameCryptoType 0–1), so a SHA-256 sample for Juhe uses md5 here.
	NameDigest pii.Digest
	// Out is the output file; "" is <output dir>/hashed.csv. A name ending
	// in .xlsx writes XLSX, anything else CSV.
	Out string
	// IDMobileForm is how Indonesian mobiles are normalized before the
	// digest; it must match the vendor's (AccuAuth options.mobile_form).
	IDMobileForm pii.IDMobileForm
	// Kinds overrides the kind of input columns by header ("skip" leaves one as is).
	Kinds map[string]string
}

// HashReport says what `riskbatch hash` did.
type HashReport struct {
	Input      string        `json:"input"`
	Output     string        `json:"output"`
	ErrorsFile string        `json:"errors_file"`
	Digest     string        `json:"digest"`
	NameDigest string        `json:"name_digest"`
	Rows       int           `json:"rows"`
	RowsErrors int           `json:"rows_with_errors"` // rows with an emptied value or unreadable
	Unreadable int           `json:"rows_unreadable"`
	Columns    []*HashColumn `json:"columns"`
	// Unchanged are input columns a provider reads that are copied as they
	// are (addresses, landlines, QQ…): plaintext, check before sharing.
	Unchanged []string `json:"unchanged_provider_columns"`
}

// HashColumn counts what happened in one hashed column.
type HashColumn struct {
	Header    string `json:"header"`
	Kind      string `json:"kind"`
	Hashed    int    `json:"hashed"`
	Passed    int    `json:"already_hashed"` // 32/64 hex already: passed through
	Converted int    `json:"converted"`      // 15-digit IDs upgraded before hashing
	Emptied   int    `json:"invalid_emptied"`
	Empty     int    `json:"empty"`
	idx       int
}

// Hash writes a copy of the job's input with the PII columns the
// providers read replaced by the lowercase hex digest of the normalized
// value — the same normalization the providers apply, so the digest of a
// person matches the vendor's. Other columns are copied unchanged; a value
// already a digest (32 or 64 hex) passes through; a value that fails
// validation is left EMPTY (never a digest of garbage) and reported in
// <out>-errors.csv (masked). It makes no network call.
func Hash(job *jobfile.Job, opts HashOptions) (*HashReport, error) {
	if opts.Digest == pii.None {
		return nil, jobfile.Errorf("hash: a digest is required (md5, sha256 or sm3)")
	}
	if opts.NameDigest == pii.None {
		opts.NameDigest = opts.Digest
	}
	red := redact.New(job.Secrets())
	inPath := job.Resolve(job.Input.File)
	out := opts.Out
	if out == "" {
		out = filepath.Join(job.Resolve(job.Output.Dir), "hashed.csv")
	}
	out, err := filepath.Abs(out)
	if err != nil {
		return nil, fmt.Errorf("hash: output %q: %w", opts.Out, err)
	}
	if sameFile(inPath, out) {
		return nil, jobfile.Errorf("hash: the output %s is the input file: choose another --out", out)
	}
	ext := filepath.Ext(out)
	errPath := strings.TrimSuffix(out, ext) + "-errors.csv"

	src, bound, err := input.OpenBound(job, inPath, input.ForCopy)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	header := src.Header()
	rep := &HashReport{Input: inPath, Output: out, ErrorsFile: errPath, Digest: opts.Digest.String(), NameDigest: opts.NameDigest.String()}
	kinds, unchanged, err := hashColumns(bound, header, opts.Kinds)
	if err != nil {
		return nil, err
	}
	rep.Unchanged = unchanged
	for i, k := range kinds {
		if k != "" {
			rep.Columns = append(rep.Columns, &HashColumn{Header: header[i], Kind: k, idx: i})
		}
	}
	if len(rep.Columns) == 0 {
		return nil, jobfile.Errorf("hash: no PII column to hash: the job's providers bind none of id, NIK, mobile, name, e-mail or bank card in %s", inPath)
	}

	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return nil, fmt.Errorf("hash: output dir: %w", err)
	}
	bom := true
	if job.Output.CSVBOM != nil {
		bom = *job.Output.CSVBOM
	}
	var w sinks.RowWriter
	if strings.EqualFold(ext, ".xlsx") {
		// Every cell as text: a digest or an ID must never become a number.
		w, err = sinks.NewXLSX(out, header, sinks.XLSXOptions{SheetName: "Hashed"})
	} else {
		w, err = sinks.NewCSV(out, header, sinks.CSVOptions{BOM: bom})
	}
	if err != nil {
		return nil, err
	}
	defer w.Abort() // a no-op after Commit
	errLog, err := sinks.NewErrorLog(errPath, sinks.CSVOptions{BOM: bom})
	if err != nil {
		return nil, err
	}
	defer errLog.Abort()

	buf := make([]string, len(header))
	for {
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &input.Error{Err: err}
		}
		rep.Rows++
		rowErr := false
		if row.Err != nil {
			// Still written (one line per input row); its PII cells go through
			// validation like any other, so U+FFFD values are emptied.
			rep.Unreadable++
			rowErr = true
			if err := errLog.Write(sinks.ErrorRecord{Row: row.Num, Line: row.Line, Status: statusInvalid, Code: CodeUnreadableRow,
				Message: "row could not be read: " + red.Redact(row.Err.Error())}); err != nil {
				return nil, err
			}
		}
		copy(buf, row.Values)
		for _, c := range rep.Columns {
			raw := row.Values[c.idx]
			d := opts.Digest
			if c.Kind == input.KindName {
				d = opts.NameDigest
			}
			v, passed, note, perr := hashValue(c.Kind, raw, d, opts.IDMobileForm)
			switch {
			case perr != nil:
				c.Emptied++
				rowErr = true
				masked := input.MaskerFor(c.Kind)(raw)
				msg := fmt.Sprintf("column %q (%s): %s; left empty", c.Header, masked, perr.Reason)
				if err := errLog.Write(sinks.ErrorRecord{Row: row.Num, Line: row.Line, Status: statusInvalid, Code: perr.Code, Column: c.Header, Message: msg}); err != nil {
					return nil, err
				}
			case v == "":
				c.Empty++
			case passed:
				c.Passed++
			default:
				c.Hashed++
				if note != "" {
					c.Converted++
				}
			}
			buf[c.idx] = v
		}
		if rowErr {
			rep.RowsErrors++
		}
		if err := w.Write(buf); err != nil {
			return nil, err
		}
	}
	if rep.Rows == 0 {
		return nil, &input.Error{Err: fmt.Errorf("%s: %w", inPath, input.ErrNoRows)}
	}
	if err := w.Commit(); err != nil {
		return nil, err
	}
	if err := errLog.Commit(); err != nil {
		return nil, err
	}
	return rep, nil
}

// hashColumns decides the kind of every input column from the canonical
// fields the providers bind to it (overrides by header win). A provider
// whose vendor keeps its quota day in Indonesia reads Indonesian numbers:
// its ID field is a NIK and its mobiles are Indonesian. Columns a provider
// reads that are of no hashable kind are returned as unchanged.
func hashColumns(bound []input.Bound, header []string, over map[string]string) ([]string, []string, error) {
	kinds := make([]string, len(header))
	from := make([]string, len(header)) // provider/field that decided, for the conflict message
	var unchanged []string
	seenUnchanged := map[string]bool{}
	for _, bp := range bound {
		for _, in := range bp.Prov.Inputs() {
			col := bp.Binding.Column(in.Name)
			if col == "" {
				continue
			}
			i := slices.Index(header, col)
			if i < 0 {
				continue
			}
			k := input.KindOf(in)
			if k == "" {
				if !seenUnchanged[col] {
					seenUnchanged[col] = true
					unchanged = append(unchanged, col)
				}
				continue
			}
			who := bp.Cfg.Name + "." + in.Name
			if kinds[i] != "" && kinds[i] != k {
				return nil, nil, jobfile.Errorf("hash: column %q is read as %s by %s and as %s by %s: say which with --as %q=KIND",
					col, kinds[i], from[i], k, who, col)
			}
			kinds[i], from[i] = k, who
		}
	}
	for col, k := range over {
		i := slices.Index(header, col)
		if i < 0 {
			return nil, nil, jobfile.Errorf("hash: --as %q: no such column (columns: %s)", col, strings.Join(header, ", "))
		}
		if !validKind(k) {
			return nil, nil, jobfile.Errorf("hash: --as %q=%q: unknown kind (want one of %s)", col, k, strings.Join(HashKinds, ", "))
		}
		kinds[i] = k
		if k == KindSkip {
			kinds[i] = ""
		}
		if seenUnchanged[header[i]] && k != KindSkip {
			unchanged = removeString(unchanged, header[i])
		}
	}
	sort.Strings(unchanged)
	return kinds, unchanged, nil
}

// hashValue normalizes raw as kind and returns its digest. An empty value
// stays empty; a value that is already a digest passes through
// (lowercased); a value that fails validation returns the problem and no
// value. note is set when a 15-digit ID was converted.
func hashValue(kind, raw string, d pii.Digest, form pii.IDMobileForm) (v string, passed bool, note string, p *pii.Problem) {
	if strings.TrimSpace(raw) == "" {
		return "", false, "", nil
	}
	if digest, _, ok := pii.DetectHashed(raw, pii.SHA256); ok {
		return digest, true, "", nil
	}
	var norm string
	var err error
	switch kind {
	case input.KindIDCard:
		norm, note, err = pii.ChineseID(raw)
	case input.KindNIK:
		norm, err = pii.NIK(raw)
	case input.KindMobile:
		norm, err = pii.ChineseMobile(raw)
	case input.KindIDMobile:
		norm, err = pii.IndonesianMobile(raw, form)
	case input.KindName:
		norm, err = pii.Name(raw)
	case input.KindEmail:
		norm, err = pii.Email(raw)
	case input.KindBankCard:
		norm, err = pii.BankCard(raw)
	default:
		return raw, false, "", nil
	}
	if err != nil {
		var pr *pii.Problem
		if !errors.As(err, &pr) {
			pr = &pii.Problem{Code: "invalid", Reason: err.Error()}
		}
		return "", false, "", pr
	}
	return pii.Hash(d, norm), false, note, nil
}

func validKind(k string) bool {
	for _, v := range HashKinds {
		if v == k {
			return true
		}
	}
	return false
}

func removeString(ss []string, s string) []string {
	out := ss[:0]
	for _, v := range ss {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}

// sameFile reports whether a and b name the same existing file.
func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false
	}
	return os.SameFile(fa, fb)
}

// WriteTable prints what hash did, per column.
func (r *HashReport) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "\n%d rows · %d with an emptied value or unreadable · digest %s (names %s)\n", r.Rows, r.RowsErrors, r.Digest, r.NameDigest)
	for _, c := range r.Columns {
		// No column padding: CJK headers are two cells wide and would misalign.
		fmt.Fprintf(w, "  %s (%s): hashed %d, already hashed %d, invalid (left empty) %d, empty %d", c.Header, c.Kind, c.Hashed, c.Passed, c.Emptied, c.Empty)
		if c.Converted > 0 {
			fmt.Fprintf(w, ", 15-digit IDs converted %d", c.Converted)
		}
		fmt.Fprintln(w)
	}
	if len(r.Unchanged) > 0 {
		fmt.Fprintf(w, "warning: copied as they are (plaintext; check before sharing): %s\n", strings.Join(r.Unchanged, ", "))
	}
	fmt.Fprintf(w, "written: %s, %s\n", r.Output, r.ErrorsFile)
}
