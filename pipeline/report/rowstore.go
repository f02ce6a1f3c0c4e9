package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// What the collector keeps per row for the back-test beyond counters:
// per provider with a score column one float32 (the score, NaN for an
// answer without one, +Inf for no answer), one label byte and, with
// backtest.date_column, a uint16 month index. Everything else (overlap,
// swaps, list hits, months) is counted as rows arrive.

// dateStats reads the application date of each row into a month index.
type dateStats struct {
	dated, empty, bad int
	// examples are the first maxDateExamples unreadable dates, as
	// `row 12: "2026-13-01"` (row = data row in input order, from 1).
	examples []string
}

const maxDateExamples = 5

// month is the row's month index (0: no date or an unreadable one).
func (d *dateStats) month(input []string, idx, row int) uint16 {
	v := ""
	if idx < len(input) {
		v = strings.TrimSpace(input[idx])
	}
	if v == "" {
		d.empty++
		return 0
	}
	y, m, ok := parseDate(v)
	if !ok {
		d.bad++
		if len(d.examples) < maxDateExamples {
			d.examples = append(d.examples, fmt.Sprintf("row %d: %q", row, v))
		}
		return 0
	}
	d.dated++
	return uint16((y-1900)*12 + m)
}

// monthLabel is a month index as YYYY-MM.
func monthLabel(i uint16) string {
	return fmt.Sprintf("%04d-%02d", 1900+(int(i)-1)/12, (int(i)-1)%12+1)
}

// excelEpoch is day 0 of Excel's 1900 date system as Excel counts from
// 1900-03-01 on (serial 61), past its phantom 1900-02-29.
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// parseDate reads YYYY-MM-DD or YYYY/MM/DD (month and day of one or two
// digits, optionally followed by a space or T and a time, which is
// ignored) or an Excel serial date from 61 (1900-03-01) to 2958465
// (9999-12-31), a fraction being the time of day. Years 1900–2999.
func parseDate(v string) (year, month int, ok bool) {
	d := v
	if i := strings.IndexAny(d, " T"); i > 0 {
		d = d[:i]
	}
	for _, sep := range []string{"-", "/"} {
		p := strings.Split(d, sep)
		if len(p) != 3 {
			continue
		}
		if len(p[0]) != 4 || len(p[1]) < 1 || len(p[1]) > 2 || len(p[2]) < 1 || len(p[2]) > 2 {
			return 0, 0, false
		}
		var n [3]int
		for i, s := range p {
			for _, r := range s {
				if r < '0' || r > '9' {
					return 0, 0, false
				}
			}
			n[i], _ = strconv.Atoi(s)
		}
		t := time.Date(n[0], time.Month(n[1]), n[2], 0, 0, 0, 0, time.UTC)
		if t.Year() != n[0] || int(t.Month()) != n[1] || t.Day() != n[2] || n[0] < 1900 || n[0] > 2999 {
			return 0, 0, false
		}
		return n[0], n[1], true
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(x) || x < 61 || x >= 2958466 {
		return 0, 0, false
	}
	t := excelEpoch.AddDate(0, 0, int(math.Floor(x)))
	if t.Year() > 2999 {
		return 0, 0, false
	}
	return t.Year(), int(t.Month()), true
}

// monthAgg counts one calendar month's rows.
type monthAgg struct {
	rows, labelled, bads int
	answered, hits       []int // per provider
}

// observeRow counts the row in the overlap, month and swap tables once
// every provider's status and vote are known.
func (c *Collector) observeRow(status []string, hitMask uint32, month uint16, lbl byte) {
	o := c.overlap[hitMask]
	if o == nil {
		o = new([3]int)
		c.overlap[hitMask] = o
	}
	o[lbl]++
	if c.months != nil && month != 0 {
		ma := c.months[month]
		if ma == nil {
			ma = &monthAgg{answered: make([]int, len(c.provs)), hits: make([]int, len(c.provs))}
			c.months[month] = ma
		}
		ma.rows++
		if lbl != labelNone {
			ma.labelled++
			ma.bads += int(lbl)
		}
		for i := range c.provs {
			switch status[i] {
			case statusHit:
				ma.hits[i]++
				ma.answered[i]++
			case statusNoHit:
				ma.answered[i]++
			}
		}
	}
	if !c.plan.decisions || !c.plan.backtest {
		return
	}
	eff := func(d Decision) Decision {
		if d == NoVote {
			return c.plan.noVote
		}
		return d
	}
	with := NoVote
	for _, d := range c.votes {
		with = max(with, d)
	}
	for v, ps := range c.provs {
		without := NoVote
		for i, d := range c.votes {
			if i != v {
				without = max(without, d)
			}
		}
		ps.swaps[eff(without)][eff(with)][lbl]++
	}
}

// listAgg counts a provider's list hits (risk codes, court and blacklist
// entries) over its answered rows.
type listAgg struct {
	answered [3]int // answered rows by label (good, bad, none)
	any      [3]int // answered rows with at least one item
	codes    map[string]*[3]int
	other    [3]int   // rows with a code past maxListCodes distinct codes
	seen     []string // scratch: this row's codes
}

// maxListCodes bounds the distinct codes kept per provider; rows with
// further codes are counted under "other codes".
const maxListCodes = 500

func (a *listAgg) observe(pp *provPlan, st string, vals []string, lbl byte) {
	if pp.list < 0 {
		return
	}
	a.answered[lbl]++
	if st != statusHit || pp.list >= len(vals) {
		return
	}
	rest := strings.TrimSpace(vals[pp.list])
	if rest == "" {
		return
	}
	a.seen = a.seen[:0]
	for rest != "" {
		var item string
		item, rest, _ = strings.Cut(rest, ";")
		code := listCode(pp.typ, item)
		if code == "" {
			continue
		}
		dup := false
		for _, s := range a.seen {
			if s == code {
				dup = true
				break
			}
		}
		if !dup {
			a.seen = append(a.seen, code)
		}
	}
	if len(a.seen) == 0 {
		return
	}
	a.any[lbl]++
	if a.codes == nil {
		a.codes = map[string]*[3]int{}
	}
	other := false
	for _, code := range a.seen {
		n := a.codes[code]
		if n == nil {
			if len(a.codes) >= maxListCodes {
				other = true
				continue
			}
			n = new([3]int)
			a.codes[strings.Clone(code)] = n
		}
		n[lbl]++
	}
	if other {
		a.other[lbl]++
	}
}

// listCode is the code of one list item: the item without a trailing
// parenthesised level or year ("21001 疑似恶意借贷(高)" → "21001 疑似恶意借贷");
// for Zhicheng the list type and risk detail, the first two parts of
// 名单类型/风险明细/命中项 ("法院诉讼/法院-被执行/银行卡号 (2020)" →
// "法院诉讼/法院-被执行").
func listCode(typ, item string) string {
	s := strings.TrimSpace(item)
	for _, p := range [][2]string{{"(", ")"}, {"（", "）"}} {
		if strings.HasSuffix(s, p[1]) {
			if i := strings.LastIndex(s, p[0]); i > 0 {
				s = strings.TrimSpace(s[:i])
			}
		}
	}
	if n := vendorDefaults(typ).ListPathLevels; n > 0 {
		// Keep the first n levels of a path item as its code.
		cut, rest := 0, s
		for range n {
			i := strings.Index(rest, "/")
			if i < 0 {
				return s
			}
			cut += i + 1
			rest = rest[i+1:]
		}
		s = s[:cut-1]
	}
	return s
}
