package cache

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var ctx = context.Background()

func testKey(i int) Key {
	k, _ := NewKeyer([]byte("0123456789abcdef-test-secret"))
	var id [32]byte
	copy(id[:], fmt.Sprintf("identity-%d", i))
	return k.Key(Scope{Kind: "juhe", Endpoint: "apis.juhe.cn/anti_fraud/queryV2", Columns: []string{"score", "found"}}, id)
}

func entry(i int, fetched time.Time) Entry {
	st := "hit"
	if i%3 == 0 {
		st = "no_hit"
	}
	return Entry{Provider: "juhe", Status: st, Code: "0", Values: []string{strconv.Itoa(i % 100), "1", "21001 命中(高)"}, Fetched: fetched}
}

func open(t *testing.T, path string) *SQLite {
	t.Helper()
	s, err := OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPutGetFlushAndModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(dir, "cache.db")
	s := open(t, path)
	at := time.Date(2026, 3, 1, 1, 2, 3, 4_000_000, time.UTC)
	for i := range 100 {
		if err := s.Put(ctx, testKey(i), entry(i, at)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		e, ok, err := s.Get(ctx, testKey(i))
		if err != nil || !ok {
			t.Fatalf("get %d: ok=%v err=%v", i, ok, err)
		}
		want := entry(i, at)
		if e.Status != want.Status || e.Code != "0" || strings.Join(e.Values, "|") != strings.Join(want.Values, "|") || !e.Fetched.Equal(at) {
			t.Fatalf("entry %d = %+v, want %+v", i, e, want)
		}
	}
	if _, ok, _ := s.Get(ctx, testKey(1000)); ok {
		t.Fatal("an entry never put was found")
	}
	for _, st := range []string{"invalid", "failed", "deferred", "transient", ""} {
		if err := s.Put(ctx, testKey(2000), Entry{Provider: "juhe", Status: st}); err == nil {
			t.Errorf("Put accepted status %q", st)
		}
	}
	// A newer answer replaces an older one, never the reverse.
	later := at.Add(48 * time.Hour)
	s.Put(ctx, testKey(1), Entry{Provider: "juhe", Status: "no_hit", Code: "0", Fetched: later})
	s.Put(ctx, testKey(1), Entry{Provider: "juhe", Status: "hit", Code: "0", Values: []string{"99"}, Fetched: at})
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if e, _, _ := s.Get(ctx, testKey(1)); e.Status != "no_hit" || !e.Fetched.Equal(later) || len(e.Values) != 0 {
		t.Fatalf("entry 1 after an older Put = %+v", e)
	}
	for _, name := range []string{"cache.db", "cache.db-wal", "cache.db-shm"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v, want 0700", fi.Mode().Perm())
	}
	// No identity in clear anywhere in the files.
	for _, name := range []string{"cache.db", "cache.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		if strings.Contains(string(b), "identity-") {
			t.Errorf("%s holds an identity in clear", name)
		}
	}
}

func TestPurgeAndStats(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "cache.db"))
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 30 {
		e := entry(i, day.Add(time.Duration(i)*24*time.Hour))
		if i%2 == 1 {
			e.Provider = "td"
		}
		s.Put(ctx, testKey(i), e)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Entries != 30 || len(st.Providers) != 2 || st.Providers[0].Provider != "juhe" || st.Providers[0].Entries != 15 {
		t.Fatalf("stats %+v", st)
	}
	if hits, nohits := st.Providers[0].Hits, st.Providers[0].NoHits; hits+nohits != 15 || nohits != 5 {
		t.Fatalf("juhe hits %d no-hits %d", hits, nohits)
	}
	// Older than day 10: entries 0–9.
	n, err := s.Purge(ctx, PurgeFilter{OlderThan: day.Add(10 * 24 * time.Hour)})
	if err != nil || n != 10 {
		t.Fatalf("purge older: %d, %v", n, err)
	}
	n, err = s.Purge(ctx, PurgeFilter{Provider: "td"})
	if err != nil || n != 10 {
		t.Fatalf("purge td: %d, %v", n, err)
	}
	st, _ = s.Stats(ctx)
	if st.Entries != 10 || len(st.Providers) != 1 || !st.Providers[0].Oldest.Equal(day.Add(10*24*time.Hour)) {
		t.Fatalf("stats after purge %+v", st)
	}
}

// Two stores on one file (two connections pools, as two processes would
// have) write and read at once.
func TestTwoConnectionsWriteConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	a, b := open(t, path), open(t, path)
	at := time.Unix(1_770_000_000, 0)
	var wg sync.WaitGroup
	for w, s := range []*SQLite{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				if err := s.Put(ctx, testKey(w*10000+i), entry(i, at)); err != nil {
					t.Error(err)
					return
				}
				if i%100 == 0 {
					if _, _, err := s.Get(ctx, testKey((1-w)*10000+i)); err != nil {
						t.Error(err)
						return
					}
				}
			}
			if err := s.Flush(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for w := range 2 {
		for i := range 2000 {
			if _, ok, err := a.Get(ctx, testKey(w*10000+i)); !ok || err != nil {
				t.Fatalf("writer %d entry %d missing (err %v)", w, i, err)
			}
		}
	}
}

// The helper process: writes entries from CACHE_HELPER_FROM, flushing every
// 100 and saying so on stdout, until killed or CACHE_HELPER_N are written.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv("CACHE_HELPER_PATH")
	if path == "" {
		t.Skip("helper process")
	}
	from, _ := strconv.Atoi(os.Getenv("CACHE_HELPER_FROM"))
	n, _ := strconv.Atoi(os.Getenv("CACHE_HELPER_N"))
	s, err := OpenSQLite(path)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	at := time.Unix(1_770_000_000, 0)
	for i := 0; n == 0 || i < n; i++ {
		if err := s.Put(ctx, testKey(from+i), entry(i, at)); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		if (i+1)%100 == 0 {
			if err := s.Flush(); err != nil {
				fmt.Println("error", err)
				os.Exit(1)
			}
			fmt.Println("flushed", i+1)
		}
	}
	if err := s.Close(); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("done")
	os.Exit(0)
}

func helper(t *testing.T, path string, from, n int) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "CACHE_HELPER_PATH="+path, "CACHE_HELPER_FROM="+strconv.Itoa(from), "CACHE_HELPER_N="+strconv.Itoa(n))
	return cmd
}

// Two processes write one store at once; every entry of both is there.
func TestTwoProcessesWriteConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	var outs [2][]byte
	var errs [2]error
	var wg sync.WaitGroup
	for p := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[p], errs[p] = helper(t, path, p*100000, 3000).CombinedOutput()
		}()
	}
	wg.Wait()
	for p := range 2 {
		if errs[p] != nil || !strings.Contains(string(outs[p]), "done") {
			t.Fatalf("process %d: %v\n%s", p, errs[p], outs[p])
		}
	}
	s := open(t, path)
	st, err := s.Stats(ctx)
	if err != nil || st.Entries != 6000 {
		t.Fatalf("entries %d (want 6000), %v", st.Entries, err)
	}
	for p := range 2 {
		for _, i := range []int{0, 1499, 2999} {
			if _, ok, _ := s.Get(ctx, testKey(p*100000+i)); !ok {
				t.Fatalf("process %d entry %d missing", p, i)
			}
		}
	}
}

// SIGKILL in the middle of writing: the database is consistent and every
// entry flushed before the kill is there.
func TestSIGKILLWhileWriting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	cmd := helper(t, path, 0, 0)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	flushed := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "flushed ") {
			flushed, _ = strconv.Atoi(strings.TrimPrefix(line, "flushed "))
			if flushed >= 2000 {
				break
			}
		}
		if strings.HasPrefix(line, "error") {
			t.Fatal(line)
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix
		t.Fatal(err)
	}
	cmd.Wait()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q, %v", check, err)
	}
	db.Close()
	s := open(t, path)
	st, _ := s.Stats(ctx)
	if st.Entries < int64(flushed) {
		t.Fatalf("%d entries after the kill, %d were flushed before it", st.Entries, flushed)
	}
	for i := range flushed {
		if _, ok, _ := s.Get(ctx, testKey(i)); !ok {
			t.Fatalf("flushed entry %d lost", i)
		}
	}
	t.Logf("killed after %d flushed entries; %d in the store", flushed, st.Entries)
}

func TestSecretCreatedOnceAndShared(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	var got [8][]byte
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := LoadSecret(dir)
			if err != nil {
				t.Error(err)
			}
			got[i] = b
		}()
	}
	wg.Wait()
	for i := range got {
		if string(got[i]) != string(got[0]) || len(got[0]) != 32 {
			t.Fatalf("secret %d differs or is short", i)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, SecretFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", fi, err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temp files left: %v", ents)
	}
}

func TestKeyDependsOnEveryPart(t *testing.T) {
	k1, _ := NewKeyer([]byte("secret-one-0123456789"))
	k2, _ := NewKeyer([]byte("secret-two-0123456789"))
	sc := Scope{Kind: "juhe", Endpoint: "apis.juhe.cn/anti_fraud/queryV2", Columns: []string{"score"}}
	var id, id2 [32]byte
	id2[0] = 1
	base := k1.Key(sc, id)
	for name, k := range map[string]Key{
		"secret":   k2.Key(sc, id),
		"identity": k1.Key(sc, id2),
		"kind":     k1.Key(Scope{Kind: "td", Endpoint: sc.Endpoint, Columns: sc.Columns}, id),
		"endpoint": k1.Key(Scope{Kind: "juhe", Endpoint: "apis.juhe.cn/anti_fraud/query", Columns: sc.Columns}, id),
		"columns":  k1.Key(Scope{Kind: "juhe", Endpoint: sc.Endpoint, Columns: []string{"score", "found"}}, id),
	} {
		if k == base {
			t.Errorf("the key does not depend on the %s", name)
		}
	}
	if k1.Key(sc, id) != base {
		t.Error("the key is not deterministic")
	}
	if _, err := NewKeyer([]byte("short")); err == nil {
		t.Error("a short secret was accepted")
	}
}

// With share 1/7 every key is refreshed exactly once in any 7 days in a row.
func TestRefreshRotates(t *testing.T) {
	day := time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)
	perDay := make([]int, 7)
	for i := range 7000 {
		k := testKey(i)
		n := 0
		for d := range 7 {
			if Refresh(k, 1.0/7, day.AddDate(0, 0, d)) {
				n++
				perDay[d]++
			}
		}
		if n != 1 {
			t.Fatalf("key %d refreshed %d times in 7 days", i, n)
		}
	}
	for d, n := range perDay {
		if n < 800 || n > 1200 {
			t.Errorf("day %d refreshes %d of 7000 (want about 1000)", d, n)
		}
	}
	if Refresh(testKey(1), 0, day) || !Refresh(testKey(1), 1, day) {
		t.Error("share 0 / 1")
	}
}
