package pipeline

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/providers"
)

// preflightRows is how many rows are validated locally before the first
// call: enough to see a wrong column mapping or a damaged export, few enough
// to take no noticeable time.
const preflightRows = 1000

// preflightWarnShare is the invalid share that earns a prominent warning.
const preflightWarnShare = 0.20

type preflightResult struct {
	rows     int
	warnings []string
}

// preflight reads the first rows of the input again and prepares them for
// every provider, as the run will, without any call. A share of invalid
// rows above 20% is said prominently (before the first call and again at
// the end); above the job's max_invalid_share the run is refused (exit 2)
// before anything is bought.
func (e *engine) preflight(inPath string) (preflightResult, error) {
	var pf preflightResult
	src, err := input.Open(e.job, inPath)
	if err != nil {
		return pf, err
	}
	defer src.Close()
	type tally struct {
		invalid int
		reasons map[string]int
	}
	tallies := make([]tally, len(e.provs))
	for i := range tallies {
		tallies[i].reasons = map[string]int{}
	}
	for pf.rows < preflightRows {
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return pf, &input.Error{Err: err}
		}
		pf.rows++
		for i, p := range e.provs {
			code := ""
			if row.Err != nil {
				code = "unreadable_row"
			} else if _, err := e.prepareChecked(p, row); err != nil {
				code = "invalid"
				var re *providers.RowError
				if errors.As(err, &re) {
					code = re.Code
				}
			}
			if code != "" {
				tallies[i].invalid++
				tallies[i].reasons[code]++
			}
		}
	}
	if pf.rows == 0 {
		return pf, nil
	}
	var refuse []string
	for i, p := range e.provs {
		t := tallies[i]
		share := float64(t.invalid) / float64(pf.rows)
		if share <= preflightWarnShare && (e.job.MaxInvalidShare == 0 || share <= e.job.MaxInvalidShare) {
			continue
		}
		msg := fmt.Sprintf("%s: %d of the first %d rows (%.0f%%) are invalid and will not be sent (%s); check the file and the column mapping",
			p.cfg.Name, t.invalid, pf.rows, 100*share, topReasons(t.reasons, 3))
		if e.job.MaxInvalidShare > 0 && share > e.job.MaxInvalidShare {
			refuse = append(refuse, msg)
			continue
		}
		pf.warnings = append(pf.warnings, msg)
		e.warnf("%s", msg)
	}
	if len(refuse) > 0 {
		return pf, &input.Error{Err: fmt.Errorf("%s: pre-flight refused the run before any call (max_invalid_share %.0f%% in the job):\n  %s",
			inPath, 100*e.job.MaxInvalidShare, strings.Join(refuse, "\n  "))}
	}
	return pf, nil
}

// topReasons lists the n most frequent reason codes with their counts.
func topReasons(reasons map[string]int, n int) string {
	codes := make([]string, 0, len(reasons))
	for c := range reasons {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool {
		if reasons[codes[i]] != reasons[codes[j]] {
			return reasons[codes[i]] > reasons[codes[j]]
		}
		return codes[i] < codes[j]
	})
	if len(codes) > n {
		codes = codes[:n]
	}
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%s %d", c, reasons[c])
	}
	return strings.Join(parts, ", ")
}
