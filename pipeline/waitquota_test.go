package pipeline_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/summary"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// offsetClock runs in real time, shifted: a quota day can end during a test.
type offsetClock struct{ off time.Duration }

func (c offsetClock) Now() time.Time { return time.Now().Add(c.off) }

// TestWaitForQuota: with --wait-for-quota a nightly job whose keys are spent
// sleeps until the quota day ends (midnight in Asia/Shanghai on the
// client's and the simulator's clocks, two seconds away here) and then
// finishes, instead of deferring rows: exit 0, every row answered, never a
// call over the quota of either day.
func TestWaitForQuota(t *testing.T) {
	midnight := time.Date(2026, 3, 11, 0, 0, 0, 0, ltShanghai)
	start := midnight.Add(-2 * time.Second)
	clock := offsetClock{off: time.Until(start)}
	sb := newLTSandbox(t, func(c *sandbox.Config) {
		c.Limits = map[string]sandbox.Limits{"juhe": {DailyQuota: 4}}
		c.Now = start
	})
	dir := t.TempDir()
	ltInput(t, dir, ltRange(0, 7))
	job := ltJob{Dir: dir, URL: sb.url, StateDir: filepath.Join(dir, "quota"), Keys: []ltKey{
		{ID: "k1", Secret: ltSecret1, DailyQuota: 4},
	}}.load(t)

	sum, log := ltRun(t, job, pipeline.Options{Clock: clock, WaitForQuota: true})
	if sum.Outcome != summary.OutcomeComplete || !sum.Complete || sum.QuotaReset != nil {
		t.Errorf("outcome %s complete %v quota_reset_at %v; want 0, true, none", sum.Outcome, sum.Complete, sum.QuotaReset)
	}
	st := sum.Providers[0].Status
	if st["hit"]+st["no_hit"] != 7 || st["deferred"] != 0 {
		t.Errorf("statuses %v; want all 7 answered, none deferred", st)
	}
	if !strings.Contains(log, "waiting") || !strings.Contains(log, "2026-03-11 00:00 +08") || strings.Count(log, "every key is spent") != 1 {
		t.Errorf("the wait is not announced once with the reset time:\n%s", log)
	}
	c := sb.counters(t)
	if n, _ := ltTotals(c); n != 7 {
		t.Errorf("simulator saw %d calls, want 7", n)
	}
	for day, want := range map[string]int{"2026-03-10": 4, "2026-03-11": 3} {
		if got := c.QuotaUsed["juhe/k1/"+day]; got != want {
			t.Errorf("quota used on %s: %d, want %d (all counters %v)", day, got, want, c.QuotaUsed)
		}
	}
}
