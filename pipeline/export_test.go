package pipeline

import "testing"

// LockJobForTest takes the job lock of outDir as another process would and
// returns its release.
func LockJobForTest(t *testing.T, outDir string) func() {
	t.Helper()
	l, err := lockJob(outDir, "riskbatch run test-holder.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return l.release
}
