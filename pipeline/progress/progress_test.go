package progress

import (
	"testing"
	"time"
)

func TestSnapshotText(t *testing.T) {
	tests := []struct {
		name      string
		s         Snapshot
		line, bar string
	}{
		{"known total",
			Snapshot{Rows: 250, Total: 1000, Calls: 300, Billed: 240, Errors: 3, Throttled: 1, Elapsed: 50 * time.Second, Cost: []string{"24.00 CNY"}},
			"progress: 250/1000 rows (25.0%), 5 rows/s, ETA 2m30s · 300 calls, 240 billed, cost 24.00 CNY · 3 rows with errors · 1 throttled · 50s elapsed",
			"rows · 300 calls · 24.00 CNY · 3 errors · 1 throttled"},
		{"unknown total, waiting",
			Snapshot{Rows: 10, Calls: 10, Billed: 10, Elapsed: 2 * time.Second, Cost: []string{"1.00 CNY", "500.00 IDR"}, Waiting: "waiting for juhe's quota"},
			"progress: 10 rows, 5 rows/s · 10 calls, 10 billed, cost 1.00 CNY + 500.00 IDR · 0 rows with errors · 0 throttled · 2s elapsed; waiting for juhe's quota",
			"rows · 10 calls · 1.00 CNY + 500.00 IDR · 0 errors · 0 throttled (waiting for juhe's quota)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.line(); got != tt.line {
				t.Errorf("line:\n%s\nwant:\n%s", got, tt.line)
			}
			if got := tt.s.barDescription(); got != tt.bar {
				t.Errorf("barDescription:\n%s\nwant:\n%s", got, tt.bar)
			}
		})
	}
}
