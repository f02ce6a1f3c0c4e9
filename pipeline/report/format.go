package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The renderers format figures the same way everywhere (report.html, the
// console), so a test can look for a figure by formatting it.

// FormatRate formats a share as a percentage with one decimal ("83.4%");
// "—" when undefined.
func FormatRate(p *float64) string {
	if p == nil {
		return "—"
	}
	return strconv.FormatFloat(*p*100, 'f', 1, 64) + "%"
}

// FormatMetric formats KS, AUC, Gini, IV, WoE and lift with three decimals;
// "—" when undefined.
func FormatMetric(p *float64) string {
	if p == nil {
		return "—"
	}
	return strconv.FormatFloat(*p, 'f', 3, 64)
}

// FormatMoney formats a cost with two decimals and its currency.
func FormatMoney(v float64, currency string) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	if currency != "" {
		s += " " + currency
	}
	return s
}

// fmtNum formats a score compactly: 60, 0.25, 1e+06.
func fmtNum(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// FormatInt formats a count with thousands separators.
func FormatInt(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + FormatInt(-n)
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func scoreRange(b Bin) string {
	switch {
	case b.From == nil:
		return ""
	case *b.From == *b.To:
		return fmtNum(*b.From)
	}
	return fmtNum(*b.From) + "–" + fmtNum(*b.To)
}

func fmtSeconds(s float64) string {
	switch {
	case s < 60:
		return fmt.Sprintf("%.1fs", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", int(s)/60, int(s)%60)
	}
	return fmt.Sprintf("%dh%02dm", int(s)/3600, int(s)%3600/60)
}
