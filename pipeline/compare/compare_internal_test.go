package compare

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	// The score and risk-code columns compared are the vendors' report
	// defaults, from the registry.
	_ "github.com/riskbatch/riskbatch/providers/all"
)

// The previous run compare: holds in memory, per row (three vendors): the
// key's digest and the compared cells packed into one string.
func TestCompareBytesPerRow(t *testing.T) {
	const n = 200_000
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "summary.json"), []byte(`{"complete": true, "providers": [{"name": "juhe", "type": "juhe"}, {"name": "zhicheng", "type": "zhicheng"}, {"name": "td", "type": "td"}]}`), 0o644)
	f, err := os.Create(filepath.Join(dir, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "loan_id,身份证号,手机号,decision,decision_rule,juhe_status,juhe_score,juhe_risk_codes,juhe_source,juhe_age_days,zhicheng_status,zhicheng_fraud_score,zhicheng_risk_hits,td_status,td_score,td_reasons")
	for i := range n {
		fmt.Fprintf(w, "L%08d,1101011990%08d,138%08d,review,juhe: score >= 60,hit,%d,21001 命中(高); 11002 多头(中),cache,3,hit,%d,法院/失信/被执行人 (2021),hit,%d,r%d 设备异常\n",
			i, i, i, i%100, i%97, i%89, i%7)
	}
	w.Flush()
	f.Close()
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	prev, err := LoadPrevious(dir, "loan_id")
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	per := float64(ms1.HeapAlloc-ms0.HeapAlloc) / n
	t.Logf("compare: the previous run takes %.0f bytes of heap per row (three vendors, %d rows)", per, n)
	if len(prev.rows) != n || per > 400 {
		t.Errorf("%d rows loaded, %.0f bytes per row", len(prev.rows), per)
	}
	r := unpackSide(prev.rows[keyDigest("L00000042")], len(prev.layout.provs))
	if r.row != 43 || r.dec != "review" || r.label != "L00000042" || len(r.provs) != 3 || r.provs[0].score != "42" || r.provs[0].source != "cache" {
		t.Fatalf("row 43 unpacked as %+v", r)
	}
	runtime.KeepAlive(prev)
}
