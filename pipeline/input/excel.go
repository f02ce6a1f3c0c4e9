package input

import (
	"fmt"
	"strings"
	"sync"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/sources"
)

// Reason codes of Excel damage: an ID number or a mobile number that an
// XLSX sheet stores as a number (typed or pasted into a column not
// formatted as text). Excel keeps 15 significant digits and no leading
// zero: an 18-digit ID has lost its last digits for good, and validating
// the digits that are left would only say "bad checksum".
const (
	CodeIDStoredAsNumber     = "id_stored_as_number"
	CodeMobileStoredAsNumber = "mobile_stored_as_number"
)

// ExcelCheck finds, before Prepare, the provider inputs bound to an
// ID-number or mobile column whose cell the XLSX reader flagged numeric
// (sources.Row.Numeric), turns the pair invalid with a message saying what
// happened and how to fix the sheet, and warns once per run and column.
// Rows without numeric cells (every CSV row) cost one nil check. It is
// safe for concurrent use by the run's workers.
type ExcelCheck struct {
	mu     sync.Mutex
	cols   map[*providers.Binding][]numberCol // per bound provider, computed once
	warned map[string]bool                    // columns already warned about
	notes  []string                           // the warnings, in order
}

// numberCol is a provider input bound to a column that must hold text.
type numberCol struct {
	idx    int    // column in the header
	column string // its header
	kind   string // KindIDCard, KindNIK, KindMobile or KindIDMobile
	field  string // the provider's canonical field
}

// Check returns a *providers.RowError when one of the provider's ID or
// mobile inputs is a damaged number (nil otherwise), and a console warning
// to print the first time a column is seen holding numbers ("" otherwise).
func (c *ExcelCheck) Check(provType string, prov providers.Provider, b *providers.Binding, row sources.Row) (damage error, warning string) {
	if row.Numeric == nil {
		return nil, ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cols, ok := c.cols[b]
	if !ok {
		cols = numberColumns(provType, prov, b)
		if c.cols == nil {
			c.cols = map[*providers.Binding][]numberCol{}
		}
		c.cols[b] = cols
	}
	for _, nc := range cols {
		if nc.idx >= len(row.Numeric) || !row.Numeric[nc.idx] {
			continue
		}
		if !c.warned[nc.column] {
			if c.warned == nil {
				c.warned = map[string]bool{}
			}
			c.warned[nc.column] = true
			warning = numberWarning(nc)
			c.notes = append(c.notes, warning)
		}
		if damage != nil {
			continue
		}
		if code, reason := numberDamage(nc, row.Values[nc.idx]); code != "" {
			damage = &providers.RowError{Field: nc.field, Column: nc.column, Code: code, Reason: reason}
		}
	}
	return damage, warning
}

// Warnings returns the warnings given so far (for summary.json).
func (c *ExcelCheck) Warnings() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.notes...)
}

// numberColumns lists the provider's inputs whose PII kind (as the vendor
// module declares it) is an ID number or a mobile, with their columns.
func numberColumns(provType string, prov providers.Provider, b *providers.Binding) []numberCol {
	var out []numberCol
	for _, in := range prov.Inputs() {
		col := b.Column(in.Name)
		if col == "" {
			continue
		}
		switch k := KindOf(in); k {
		case KindIDCard, KindNIK, KindMobile, KindIDMobile:
			if i := indexOf(b.Header, col); i >= 0 {
				out = append(out, numberCol{idx: i, column: col, kind: k, field: in.Name})
			}
		}
	}
	return out
}

// numberDamage decides whether a numeric cell has lost information. An ID
// number always has: 18 (or NIK 16) digits exceed Excel's 15 significant
// digits, and a final X cannot be a number. A mobile stored as a number
// keeps its digits when it is a plain integer (11-digit Chinese mobiles fit
// exactly), so it is only damage in scientific or decimal notation, or for
// an Indonesian mobile that lost its leading 0. The message never holds
// the value.
func numberDamage(nc numberCol, v string) (code, msg string) {
	const fix = "format the column as Text in Excel, re-enter or re-import the numbers, and export again"
	switch nc.kind {
	case KindIDCard, KindNIK:
		what := "ID number"
		if nc.kind == KindNIK {
			what = "NIK"
		}
		return CodeIDStoredAsNumber, fmt.Sprintf("the %s is stored as a number in the XLSX sheet, not as text: Excel keeps only 15 significant digits, so its last digits are lost and it cannot be sent; %s", what, fix)
	}
	plain := v != "" && strings.Trim(v, "0123456789") == ""
	if plain && (nc.kind == KindMobile || strings.HasPrefix(v, "62")) {
		return "", ""
	}
	lost := "its digits are in scientific or decimal notation"
	if plain {
		lost = "its leading 0 is lost"
	}
	return CodeMobileStoredAsNumber, fmt.Sprintf("the mobile number is stored as a number in the XLSX sheet, not as text: %s, so it cannot be sent; %s", lost, fix)
}

// numberWarning is the console warning for a column holding numbers.
func numberWarning(nc numberCol) string {
	switch nc.kind {
	case KindIDCard, KindNIK:
		return fmt.Sprintf("column %q holds ID numbers stored as numbers, not text: Excel has cut them to 15 digits; those rows are invalid (%s) and not sent. Format the column as Text in Excel and export again", nc.column, CodeIDStoredAsNumber)
	}
	return fmt.Sprintf("column %q holds mobile numbers stored as numbers, not text: the ones Excel damaged (scientific notation, lost leading 0) are invalid (%s) and not sent. Format the column as Text in Excel and export again", nc.column, CodeMobileStoredAsNumber)
}

// Prepare is Prepare behind the check, for the dry run (validate): the
// same *providers.RowError a run turns into the pair's invalid result.
func (c *ExcelCheck) Prepare(bp Bound, rec providers.Record, row sources.Row) (*providers.Request, error) {
	if damage, _ := c.Check(bp.Cfg.Type, bp.Prov, bp.Binding, row); damage != nil {
		return nil, damage
	}
	return bp.Prov.Prepare(rec)
}
