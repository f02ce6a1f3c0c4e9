package sinks

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s mismatch (go test -update to accept)\n got: %q\nwant: %q", name, got, want)
	}
}

// leftovers returns temp files left in dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			out = append(out, e.Name())
		}
	}
	return out
}

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

// resultHeader / resultRows are the shared fixture: Chinese text, an
// 18-digit ID ending in X, an ID that would lose digits as a float, mobiles,
// quoting hazards and numeric columns with non-numeric values.
var resultHeader = []string{"姓名", "身份证号", "手机号", "备注", "juhe_status", "juhe_score", "amount"}

var resultRows = [][]string{
	{"张三", "110101199003074578", "13800138000", "普通", "hit", "85", "1234.50"},
	{"李四", "11010119900307457X", "13900139000", "含,逗号", "no_hit", "", "-0.5"},
	{"王五", "330328198001019999", "+8613700137000", "含\"引号\"", "invalid", "N/A", "1e3"},
	{"Zoë O'Neil", "440305200012312345", "013700137000", "多行\n第二行", "failed", "99", "0x10"},
	{" 前导空格", "510104197706066666", "15000150000", "=SUM(A1)", "deferred", "-1", "Inf"},
	{"", "", "", "", "skipped", "1e400", "007"},
}
