package providers_test

import (
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/providers"
)

// The vendors' zones load from the embedded database with their real
// offsets, and a name that does not load panics instead of falling back.
func TestZone(t *testing.T) {
	at := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	for name, offset := range map[string]int{"Asia/Shanghai": 8 * 3600, "Asia/Jakarta": 7 * 3600, "UTC": 0} {
		loc := providers.Zone(name)
		if _, got := at.In(loc).Zone(); loc.String() != name || got != offset {
			t.Errorf("Zone(%q) = %s with offset %d; want offset %d", name, loc, got, offset)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Zone(\"Mars/Olympus\") did not panic")
		}
	}()
	providers.Zone("Mars/Olympus")
}
