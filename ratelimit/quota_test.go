package ratelimit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestQuotaStoreOps(t *testing.T) {
	const d1, d2 = "2026-11-25", "2026-11-26"
	type op struct {
		do       string // reserve, refund, mark, used
		day      string
		limit    int
		wantUsed int
		wantOK   bool
		at       string // day whose count is checked after a non-reserve op (default day)
	}
	tests := []struct {
		name string
		ops  []op
	}{
		{"reserve up to the limit", []op{
			{"reserve", d1, 2, 1, true, ""},
			{"reserve", d1, 2, 2, true, ""},
			{"reserve", d1, 2, 2, false, ""},
			{"used", d1, 0, 2, false, ""},
		}},
		{"refund", []op{
			{"reserve", d1, 1, 1, true, ""},
			{"refund", d1, 0, 0, false, ""},
			{"reserve", d1, 1, 1, true, ""},
			{"refund", d2, 0, 1, false, d1}, // another day: ignored
			{"used", d1, 0, 1, false, ""},
		}},
		{"new day starts at zero", []op{
			{"reserve", d1, 1, 1, true, ""},
			{"reserve", d2, 1, 1, true, ""},
			{"used", d1, 0, 0, false, ""},
			{"refund", d1, 0, 1, false, d2}, // yesterday's refund does not touch today
			{"used", d2, 0, 1, false, ""},
		}},
		{"mark exhausted: the vendor wins", []op{
			{"reserve", d1, 10, 1, true, ""},
			{"mark", d1, 0, 10, false, ""},
			{"reserve", d1, 10, 10, false, ""},
			{"refund", d1, 0, 9, false, ""},
			{"reserve", d1, 10, 9, false, ""}, // still spent after a refund
			{"reserve", d2, 10, 1, true, ""},
		}},
		{"mark exhausted before any reserve", []op{
			{"mark", d1, 0, 0, false, ""},
			{"reserve", d1, 5, 0, false, ""},
		}},
		{"mark for a past day is ignored", []op{
			{"reserve", d2, 3, 1, true, ""},
			{"mark", d1, 0, 1, false, d2},
			{"reserve", d2, 3, 2, true, ""},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t, "")
			f := fp(tc.name)
			for i, o := range tc.ops {
				var used int
				var ok bool
				var err error
				switch o.do {
				case "reserve":
					used, ok, err = s.Reserve(f, o.day, o.limit)
				case "refund":
					err = s.Refund(f, o.day)
				case "mark":
					err = s.MarkExhausted(f, o.day)
				}
				if err != nil {
					t.Fatalf("op %d %s: %v", i, o.do, err)
				}
				if o.do != "reserve" {
					at := o.day
					if o.at != "" {
						at = o.at
					}
					used, err = s.Used(f, at)
					if err != nil {
						t.Fatal(err)
					}
				}
				if used != o.wantUsed || ok != o.wantOK {
					t.Fatalf("op %d %s %s: used=%d ok=%v, want %d %v", i, o.do, o.day, used, ok, o.wantUsed, o.wantOK)
				}
			}
		})
	}
}

func TestQuotaStoreFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "riskbatch")
	s := openStore(t, dir)
	hexFP := fp("juhe+secret")
	if _, _, err := s.Reserve(hexFP, "2026-11-25", 5); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Reserve("juhe:APPKEY-SECRET-123", "2026-11-25", 5); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v, err %v", fi.Mode().Perm(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("%d files, want 2", len(entries))
	}
	for _, e := range entries {
		info, _ := e.Info()
		if info.Mode().Perm() != 0o600 {
			t.Fatalf("%s mode %v", e.Name(), info.Mode().Perm())
		}
		if strings.Contains(e.Name(), "SECRET") || strings.Contains(e.Name(), "APPKEY") {
			t.Fatalf("file name %s carries the credential", e.Name())
		}
		body, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if strings.Contains(string(body), "SECRET") {
			t.Fatalf("file %s carries the credential", e.Name())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, hexFP+".quota")); err != nil {
		t.Fatalf("hex fingerprint not used as the file name: %v", err)
	}
	if _, _, err := s.Reserve(hexFP, "25/11/2026", 5); err == nil {
		t.Fatal("bad day accepted")
	}
	if _, _, err := s.Reserve(hexFP, "2026-11-24", 5); err == nil {
		t.Fatal("reserve for a day older than the file's accepted")
	}

	// A corrupt file is an error, never a reset to zero.
	bad := fp("corrupt")
	if err := os.WriteFile(filepath.Join(dir, bad+".quota"), []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Reserve(bad, "2026-11-25", 5); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("corrupt file: err = %v", err)
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Reserve(hexFP, "2026-11-25", 5); !errors.Is(err, ErrStoreClosed) {
		t.Fatalf("after Close: %v", err)
	}
	// Reopened, the count is still there.
	s2 := openStore(t, dir)
	if used, err := s2.Used(hexFP, "2026-11-25"); used != 1 || err != nil {
		t.Fatalf("reopened used = %d, %v", used, err)
	}
}

func TestDefaultStateDir(t *testing.T) {
	home, _ := os.UserHomeDir()
	tests := []struct {
		env, xdg string
		want     string
	}{
		{"/x/state", "/y", "/x/state"},
		{"", "/y", "/y/riskbatch"},
		{"", "relative", filepath.Join(home, ".local/state/riskbatch")},
		{"", "", filepath.Join(home, ".local/state/riskbatch")},
	}
	for _, tc := range tests {
		t.Setenv("RISKBATCH_STATE_DIR", tc.env)
		t.Setenv("XDG_STATE_HOME", tc.xdg)
		got, err := DefaultStateDir()
		if err != nil || got != tc.want {
			t.Errorf("env=%q xdg=%q: %q, %v; want %q", tc.env, tc.xdg, got, err, tc.want)
		}
	}
}

const (
	childDirEnv   = "RATELIMIT_TEST_CHILD_DIR"
	crossLimit    = 2000
	crossChildren = 3
)

var crossDay = shanghaiAt(2026, 11, 25, 12, 0, 0)

// TestHelperQuotaChild is run by TestQuotaAcrossProcesses in child processes.
func TestHelperQuotaChild(t *testing.T) {
	dir := os.Getenv(childDirEnv)
	if dir == "" {
		t.Skip("helper process for TestQuotaAcrossProcesses")
	}
	// Start together with the others: wait for the parent's go.
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	n, err := drainAcross(dir)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("GRANTED %d\n", n)
}

// drainAcross takes leases on the shared key until it is spent, from a fresh store and pool
// (a "job"), and returns how many it got.
func drainAcross(dir string) (int64, error) {
	s, err := OpenQuotaStore(dir)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	p, err := NewPool(PoolConfig{
		Provider: "cross",
		Keys:     []KeyConfig{{ID: "k", Fingerprint: fp("cross-process"), DailyQuota: crossLimit}},
		Quota:    s,
		Clock:    newFakeClock(crossDay),
	})
	if err != nil {
		return 0, err
	}
	defer p.Close()
	n, errs := drain(p, 4, Sent)
	for _, err := range errs {
		var ee *ExhaustedError
		if !errors.As(err, &ee) {
			return n, err
		}
	}
	return n, nil
}

func TestQuotaAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	type child struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
		out   strings.Builder
	}
	var children []*child
	for range crossChildren {
		c := &child{cmd: exec.Command(os.Args[0], "-test.run=^TestHelperQuotaChild$", "-test.count=1", "-test.v")}
		c.cmd.Env = append(os.Environ(), childDirEnv+"="+dir)
		c.cmd.Stdout = &c.out
		c.cmd.Stderr = &c.out
		var err error
		if c.stdin, err = c.cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
		if err := c.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		children = append(children, c)
	}
	for _, c := range children {
		io.WriteString(c.stdin, "go\n")
		c.stdin.Close()
	}
	var mine int64
	var mineErr error
	var wg sync.WaitGroup
	wg.Go(func() { mine, mineErr = drainAcross(dir) })
	total := int64(0)
	for i, c := range children {
		if err := c.cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v\n%s", i, err, c.out.String())
		}
		var n int64
		for line := range strings.SplitSeq(c.out.String(), "\n") {
			if v, ok := strings.CutPrefix(line, "GRANTED "); ok {
				n, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		t.Logf("child %d granted %d", i, n)
		total += n
	}
	wg.Wait()
	if mineErr != nil {
		t.Fatal(mineErr)
	}
	t.Logf("parent granted %d", mine)
	if total+mine != crossLimit {
		t.Fatalf("%d processes granted %d leases together, want exactly %d", crossChildren+1, total+mine, crossLimit)
	}
}

func TestPoolStartsFromSharedCount(t *testing.T) {
	// A job started after another used the key sees its count (headroom and Stats).
	dir := t.TempDir()
	s := openStore(t, dir)
	for range 7 {
		s.Reserve(fp("k"), "2026-11-25", 10)
	}
	p := newPool(t, PoolConfig{Keys: []KeyConfig{{ID: "k", Fingerprint: fp("k"), DailyQuota: 10}}, Quota: openStore(t, dir), Clock: newFakeClock(day1)})
	if st := stat(t, p, "k"); st.QuotaUsedToday != 7 || st.DailyQuota != 10 {
		t.Fatalf("stats = %+v", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n := 0
	for {
		l, err := p.Acquire(ctx)
		if err != nil {
			asExhausted(t, err)
			break
		}
		n++
		l.Release(Sent, 0)
	}
	if n != 3 {
		t.Fatalf("granted %d, want the 3 left", n)
	}
}
