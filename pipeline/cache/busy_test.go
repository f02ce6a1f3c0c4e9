package cache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

// isBusy knows SQLite's busy answer as the driver returns it: a database one connection
// holds exclusively, written by another that does not wait.
func TestIsBusy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	holder, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	ctx := context.Background()
	conn, err := holder.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "CREATE TABLE t(x); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	_, busy := other.Exec("INSERT INTO t VALUES (2)")
	if busy == nil {
		t.Fatal("a write under another connection's exclusive lock succeeded")
	}
	tests := []struct {
		err  error
		want bool
	}{
		{busy, true},
		{fmt.Errorf("cache %s: %w", path, busy), true},
		{errors.New("database is locked"), false}, // words are not the code
		{sql.ErrNoRows, false},
	}
	for _, tc := range tests {
		if got := isBusy(tc.err); got != tc.want {
			t.Errorf("isBusy(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	conn.ExecContext(ctx, "ROLLBACK")
}
