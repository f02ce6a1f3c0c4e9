package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// input returns a generated applicant file of rows rows for the market's
// vendors, from the cache when an identical one was made before (1M-row
// XLSX takes minutes). Scenario 4 asks for clean rows (no invalid or
// duplicate row) so every row is one call and the run lasts --rate-for.
func (b *bench) input(rows int, format, market string, clean bool) (string, error) {
	c := b.c
	cfg := sandbox.GenConfig{Rows: rows, Seed: c.Seed, Population: c.Population, Market: market,
		Invalid: c.Invalid, Duplicates: c.Duplicates, Unknown: c.Unknown}
	if clean {
		cfg.Invalid, cfg.Duplicates = 0, 0
	}
	name := fmt.Sprintf("gen-%s-seed%d-pop%d-rows%d-dup%g-unk%g-inv%g.%s", market, c.Seed, c.Population, rows, cfg.Duplicates, cfg.Unknown, cfg.Invalid, format)
	path := filepath.Join(c.CacheDir, name)
	if st, err := os.Stat(path); err == nil && st.Size() > 0 {
		return path, nil
	}
	b.logf("generating %s (%d rows)", path, rows)
	start := time.Now()
	if err := c.Generate(cfg, format, path); err != nil {
		return "", fmt.Errorf("bench: generate input: %w", err)
	}
	b.logf("generated in %.1fs", time.Since(start).Seconds())
	return path, nil
}

// scenarioPipeline is scenario 1 (no latency) or 2 (latency): the
// pipeline's vendors, no limits, and the bare-client baseline on the same
// requests.
func (b *bench) scenarioPipeline(ctx context.Context, scenario string, rows, conc int, lat, jit time.Duration) error {
	vendors, err := lookupVendors(pipelineVendors...)
	if err != nil {
		return err
	}
	input, err := b.input(rows, "csv", vendors[0].market, false)
	if err != nil {
		return err
	}
	if err := b.sb.admin.SetLatency(ctx, lat, jit); err != nil {
		return err
	}
	defer b.sb.admin.SetLatency(context.WithoutCancel(ctx), 0, 0)
	for _, v := range vendors {
		if err := b.sb.admin.SetLimits(ctx, v.kind, sandbox.Limits{}); err != nil {
			return err
		}
	}
	// The baseline runs before and after the pipeline and the ratio uses
	// their mean: on a shared machine the CPU left to us drifts, and one
	// baseline a minute away from the run measured the drift as much as
	// the pipeline.
	var bases []*Result
	if !b.c.NoBaseline {
		base, err := b.baseline(ctx, scenario, "before", input, vendors, conc)
		if err != nil {
			return err
		}
		b.add(base)
		bases = append(bases, base)
	} else if err := b.warmUp(ctx, input, vendors); err != nil {
		return err
	}
	name := fmt.Sprintf("s%s-%dvendors-%d", scenario, len(vendors), rows)
	job, out, err := b.writeJob(jobSpec{name: name, input: input, format: "csv", conc: conc, vendors: vendors, nkeys: 1})
	if err != nil {
		return err
	}
	if err := b.sb.admin.Reset(ctx); err != nil {
		return err
	}
	res, err := b.runJob(ctx, scenario, name, job, out)
	if err != nil {
		return err
	}
	res.Note = fmt.Sprintf("%s, concurrency %d", kinds(vendors), conc)
	if lat > 0 {
		res.Note += fmt.Sprintf(", latency %s±%s", lat, jit)
	}
	b.add(res)
	if len(bases) == 0 {
		return nil
	}
	after, err := b.baseline(ctx, scenario, "after", input, vendors, conc)
	if err != nil {
		return err
	}
	b.add(after)
	bases = append(bases, after)
	var callsPerS, cpuPerCall float64
	for _, base := range bases {
		callsPerS += base.CallsPerS / float64(len(bases))
		cpuPerCall += (base.CPUS + base.SandboxCPUS) / float64(base.Calls) / float64(len(bases))
	}
	ratio := res.CallsPerS / callsPerS
	// The same ratio from CPU time (the run's and the sandbox's per call),
	// which the load of other processes moves much less than wall time.
	cpuRatio := cpuPerCall / ((res.CPUS + res.SandboxCPUS) / float64(res.Calls))
	res.Extra = map[string]float64{"ratio_to_baseline": ratio, "cpu_ratio_to_baseline": cpuRatio}
	res.Note += fmt.Sprintf(", %.0f%% of the baselines' mean calls/s (%.0f%% by CPU per call)", ratio*100, cpuRatio*100)
	if bases[0].Calls != res.Calls {
		res.Note += fmt.Sprintf(" (baseline sent %d calls)", bases[0].Calls)
	}
	if scenario == "1" {
		b.target("scenario 1: calls/s vs baseline", ratio, ">= 0.70", ratio >= 0.70)
	}
	return nil
}

func kinds(vs []vendor) string {
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = v.kind
	}
	return strings.Join(names, "+")
}

// scenarioMemory is scenario 3: one vendor, CSV → CSV and XLSX → XLSX at
// every size; the growth between sizes in bytes per row.
func (b *bench) scenarioMemory(ctx context.Context, sizes []int) error {
	vendors, err := lookupVendors(singleVendor)
	if err != nil {
		return err
	}
	v := vendors[0]
	if err := b.sb.admin.SetLatency(ctx, 0, 0); err != nil {
		return err
	}
	if err := b.sb.admin.SetLimits(ctx, v.kind, sandbox.Limits{}); err != nil {
		return err
	}
	for _, format := range []string{"csv", "xlsx"} {
		var prev *Result
		for _, n := range sizes {
			input, err := b.input(n, format, v.market, false)
			if err != nil {
				return err
			}
			if err := b.warmUp(ctx, input, vendors); err != nil {
				return err
			}
			name := fmt.Sprintf("s3-%s-%s-%d", v.kind, format, n)
			job, out, err := b.writeJob(jobSpec{name: name, input: input, format: format, conc: b.c.Conc, vendors: vendors, nkeys: 1})
			if err != nil {
				return err
			}
			if err := b.sb.admin.Reset(ctx); err != nil {
				return err
			}
			res, err := b.runJob(ctx, "3", name, job, out)
			if err != nil {
				return err
			}
			res.Note = fmt.Sprintf("%s, %s → %s", v.kind, format, format)
			if prev != nil && res.Rows > prev.Rows {
				per := (res.PeakRSSMB - prev.PeakRSSMB) * (1 << 20) / float64(res.Rows-prev.Rows)
				res.Extra = map[string]float64{"rss_growth_bytes_per_row": per}
				res.Note += fmt.Sprintf(", RSS growth %.0f B/row since %d rows", per, prev.Rows)
			}
			if n >= 1_000_000 {
				limit := 150.0
				if format == "xlsx" {
					limit = 400
				}
				b.target(fmt.Sprintf("scenario 3: %s peak RSS at %d rows (MB)", format, n), res.PeakRSSMB, fmt.Sprintf("<= %.0f", limit), res.PeakRSSMB <= limit)
			}
			b.add(res)
			prev = res
		}
	}
	return nil
}

// scenarioRate is scenario 4: two keys of one vendor at the configured QPS
// each, the sandbox enforcing the same rate; achieved rate from raw.jsonl.
func (b *bench) scenarioRate(ctx context.Context) error {
	c := b.c
	vendors, err := lookupVendors(singleVendor)
	if err != nil {
		return err
	}
	v := vendors[0]
	total := 2 * c.QPS
	rows := int(math.Ceil(total*c.RateFor.Seconds())) + 1
	input, err := b.input(rows, "csv", v.market, true)
	if err != nil {
		return err
	}
	if err := b.sb.admin.SetLatency(ctx, 0, 0); err != nil {
		return err
	}
	if err := b.warmUp(ctx, input, vendors); err != nil {
		return err
	}
	if err := b.sb.admin.SetLimits(ctx, v.kind, sandbox.Limits{QPS: c.QPS, Burst: c.SBBurst}); err != nil {
		return err
	}
	defer b.sb.admin.SetLimits(context.WithoutCancel(ctx), v.kind, sandbox.Limits{})
	if err := b.sb.admin.Reset(ctx); err != nil {
		return err
	}
	name := fmt.Sprintf("s4-rate-2x%gqps", c.QPS)
	job, out, err := b.writeJob(jobSpec{name: name, input: input, format: "csv", conc: c.Conc, vendors: vendors, nkeys: 2, qps: c.QPS})
	if err != nil {
		return err
	}
	res, err := b.runJob(ctx, "4", name, job, out)
	if err != nil {
		return err
	}
	achieved, perKey, err := achievedRate(filepath.Join(out, "raw.jsonl"))
	if err != nil {
		return err
	}
	counters, err := b.sb.admin.Counters(ctx, v.kind)
	if err != nil {
		return err
	}
	res.Extra = map[string]float64{"configured_qps": total, "achieved_qps": achieved, "fidelity": achieved / total}
	keys := make([]string, 0, len(perKey))
	for k := range perKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		res.Extra["achieved_qps_"+k] = perKey[k]
		parts = append(parts, fmt.Sprintf("%s %.2f", k, perKey[k]))
	}
	var sbCalls int64
	for _, kc := range counters.Keys {
		sbCalls += kc.Calls
	}
	res.Note = fmt.Sprintf("%s, 2 keys × %g QPS (sandbox burst %d): achieved %.2f of %g QPS (%.1f%%; %s), %d throttled, sandbox saw %d calls",
		v.kind, c.QPS, c.SBBurst, achieved, total, achieved/total*100, strings.Join(parts, ", "), res.Throttled, sbCalls)
	b.target("scenario 4: achieved / configured QPS", achieved/total, ">= 0.98", achieved/total >= 0.98)
	b.target("scenario 4: throttled answers", float64(res.Throttled), "== 0", res.Throttled == 0)
	b.add(res)
	return nil
}

// achievedRate is the rate of HTTP attempts in raw.jsonl between the first
// and the last, overall and per key.
func achievedRate(path string) (float64, map[string]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	type span struct {
		first, last time.Time
		n           int
	}
	var all span
	keys := map[string]*span{}
	add := func(s *span, t time.Time) {
		if s.n == 0 || t.Before(s.first) {
			s.first = t
		}
		if s.n == 0 || t.After(s.last) {
			s.last = t
		}
		s.n++
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var rec struct {
			Time time.Time `json:"time"`
			Key  string    `json:"key"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return 0, nil, fmt.Errorf("bench: %s: %w", path, err)
		}
		add(&all, rec.Time)
		s := keys[rec.Key]
		if s == nil {
			s = &span{}
			keys[rec.Key] = s
		}
		add(s, rec.Time)
	}
	if err := sc.Err(); err != nil {
		return 0, nil, fmt.Errorf("bench: %s: %w", path, err)
	}
	rate := func(s *span) float64 {
		d := s.last.Sub(s.first).Seconds()
		if s.n < 2 || d <= 0 {
			return 0
		}
		return float64(s.n-1) / d
	}
	per := map[string]float64{}
	for k, s := range keys {
		per[k] = rate(s)
	}
	return rate(&all), per, nil
}
