package dryrun_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/pipeline"
	"github.com/riskbatch/riskbatch/pipeline/dryrun"
	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/pipeline/summary"
	"github.com/riskbatch/riskbatch/providers/pii"
	"github.com/riskbatch/riskbatch/providers/sandbox"
	"github.com/riskbatch/riskbatch/sources"
)

// vhHashJob writes a one-provider Juhe job reading input.
func vhHashJob(t *testing.T, dir, input, sandboxURL, options string) *jobfile.Job {
	t.Helper()
	return vhLoadJob(t, vhWriteJob(t, dir, input, filepath.Join(dir, "out"), sandboxURL, []vhProvider{
		{name: "juhe", product: "queryV2", options: options, keys: []vhKey{{id: "k1", secret: vhSecret1}, {id: "k2", secret: vhSecret2}}},
	}))
}

// TestHashKnownValues: every PII cell of testdata/hash/people.csv becomes
// pii.Hash of its normalized value, for every digest; invalid values are
// left empty and reported; digests pass through; other columns are copied.
func TestHashKnownValues(t *testing.T) {
	people, err := filepath.Abs(filepath.Join("testdata", "hash", "people.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// The normalized value of each cell ("" = stays empty, "=x" = passes
	// through as x), by row: name, ID, mobile.
	norm := [][3]string{
		{"张三", "11010519491231002X", "13812345678"},     // trimmed, x → X, +86 and spaces
		{"陈一", "330328199001016785", "13812345678"},     // 15 → 18 digits; full-width mobile
		{"李四", "", "13812345679"},                       // bad check digit: emptied
		{"王五", "", ""},                                  // Excel scientific notation: emptied
		{"赵六", "=d41d8cd98f00b204e9800998ecf8427e", ""}, // already an MD5: passes (lowercased); empty stays empty
		{"", "110105198005011235", "13812345677"},       // name with a digit: emptied; 0086
	}
	wantErrors := []string{"3|身份证号|id_checksum", "4|身份证号|id_sci_notation", "4|手机号|mobile_sci_notation", "6|姓名|name_digits"}

	tests := []struct {
		digest, name pii.Digest
		out          string
	}{
		{pii.MD5, pii.None, "hashed.csv"},
		{pii.SHA256, pii.None, "hashed.csv"},
		{pii.SM3, pii.None, "hashed.csv"},
		{pii.SHA256, pii.MD5, "sample.xlsx"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s name %s %s", tc.digest, tc.name, tc.out), func(t *testing.T) {
			dir := t.TempDir()
			job := vhHashJob(t, dir, people, "http://127.0.0.1:9", "")
			out := ""
			if tc.out != "hashed.csv" {
				out = filepath.Join(dir, tc.out)
			}
			rep, err := dryrun.Hash(job, dryrun.HashOptions{Digest: tc.digest, NameDigest: tc.name, Out: out})
			if err != nil {
				t.Fatalf("Hash: %v", err)
			}
			wantOut := filepath.Join(dir, "out", "hashed.csv")
			if out != "" {
				wantOut = out
			}
			if rep.Output != wantOut {
				t.Errorf("output %s, want %s", rep.Output, wantOut)
			}
			rows := vhReadSheet(t, rep.Output)
			if strings.Join(rows[0], ",") != "姓名,身份证号,手机号,申请编号" {
				t.Errorf("header %v", rows[0])
			}
			if len(rows) != 1+len(norm) {
				t.Fatalf("%d rows, want %d", len(rows)-1, len(norm))
			}
			nameDigest := tc.name
			if nameDigest == pii.None {
				nameDigest = tc.digest
			}
			for r, want := range norm {
				got := rows[r+1]
				for c, n := range want {
					d := tc.digest
					if c == 0 {
						d = nameDigest
					}
					exp := ""
					switch {
					case strings.HasPrefix(n, "="):
						exp = n[1:]
					case n != "":
						exp = pii.Hash(d, n)
					}
					if got[c] != exp {
						t.Errorf("row %d %s: %q, want %q (%s of %q)", r+1, rows[0][c], got[c], exp, d, n)
					}
				}
				if ref := fmt.Sprintf("R%02d", r+1); got[3] != ref {
					t.Errorf("row %d: reference %q, want %q unchanged", r+1, got[3], ref)
				}
			}

			// The errors file: one line per emptied value, masked.
			recs := vhReadCSV(t, rep.ErrorsFile)
			var lines []string
			for _, rec := range recs[1:] {
				lines = append(lines, rec[0]+"|"+rec[5]+"|"+rec[4])
				for _, raw := range []string{"330328199001016781", "3.30328E+17", "1.38123E+10", "孙7"} {
					if strings.Contains(strings.Join(rec, ","), raw) {
						t.Errorf("errors file reveals %q: %v", raw, rec)
					}
				}
			}
			if strings.Join(lines, " ") != strings.Join(wantErrors, " ") {
				t.Errorf("errors file lines %v, want %v", lines, wantErrors)
			}
			if rep.Rows != 6 || rep.RowsErrors != 3 {
				t.Errorf("report rows %d with errors %d, want 6 3", rep.Rows, rep.RowsErrors)
			}
			byHeader := map[string]*dryrun.HashColumn{}
			for _, c := range rep.Columns {
				byHeader[c.Header] = c
			}
			id := byHeader["身份证号"]
			if id == nil || id.Kind != input.KindIDCard || id.Hashed != 3 || id.Passed != 1 || id.Emptied != 2 || id.Converted != 1 {
				t.Errorf("ID column report %+v", id)
			}
			if m := byHeader["手机号"]; m == nil || m.Kind != input.KindMobile || m.Hashed != 4 || m.Emptied != 1 || m.Empty != 1 {
				t.Errorf("mobile column report %+v", m)
			}
		})
	}
}

// vhReadSheet reads a CSV or XLSX file back through the sources package,
// header first.
func vhReadSheet(t *testing.T, path string) [][]string {
	t.Helper()
	src, err := sources.Open(path, sources.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	out := [][]string{src.Header()}
	for {
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if row.Err != nil {
			t.Errorf("%s row %d: %v", path, row.Num, row.Err)
		}
		out = append(out, row.Values)
	}
}

func TestHashRefusals(t *testing.T) {
	input, err := filepath.Abs(filepath.Join("testdata", "hash", "people.csv"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	job := vhHashJob(t, dir, input, "http://127.0.0.1:9", "")
	tests := []struct {
		name string
		opts dryrun.HashOptions
		want string
	}{
		{"no digest", dryrun.HashOptions{}, "a digest is required"},
		{"output is the input", dryrun.HashOptions{Digest: pii.MD5, Out: input}, "is the input file"},
		{"unknown column", dryrun.HashOptions{Digest: pii.MD5, Kinds: map[string]string{"nope": "name"}}, "no such column"},
		{"unknown kind", dryrun.HashOptions{Digest: pii.MD5, Kinds: map[string]string{"申请编号": "passport"}}, "unknown kind"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dryrun.Hash(job, tc.opts)
			var ce *jobfile.ConfigError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Hash: %v, want a ConfigError containing %q", err, tc.want)
			}
		})
	}
	// --as skips a column, or adds one, validated as its kind: the
	// references are no names (they hold digits), so they are emptied.
	rep, err := dryrun.Hash(job, dryrun.HashOptions{Digest: pii.MD5, Kinds: map[string]string{"申请编号": "name", "手机号": "skip"}})
	if err != nil {
		t.Fatal(err)
	}
	rows := vhReadSheet(t, rep.Output)
	if rows[1][3] != "" || rows[1][2] != "+86 138 1234 5678" || rows[1][0] != pii.Hash(pii.MD5, "张三") {
		t.Errorf("with --as: row 1 = %v", rows[1])
	}
	if recs := vhReadCSV(t, rep.ErrorsFile); len(recs) < 2 || recs[1][5] != "申请编号" || recs[1][4] != "name_digits" {
		t.Errorf("with --as: errors %v", recs)
	}
}

// TestHashEncodingEquivalence: the Juhe provider run on the hashed copy
// (the digests pass through with the matching crypto type) gives the same
// status and result columns as the plaintext run, for MD5, SHA-256 and
// SM3. The order id is left out: the simulator derives it from the request
// as sent, which differs by encoding.
func TestHashEncodingEquivalence(t *testing.T) {
	const seed, size = 5, 400
	pop := sandbox.NewPopulation(seed, size)
	sb := newVHSandbox(t, sandbox.Config{Seed: seed, Population: size, Keys: map[string][]sandbox.KeySpec{"juhe": {
		{ID: "k1", Credentials: map[string]string{"key": vhSecret1}},
		{ID: "k2", Credentials: map[string]string{"key": vhSecret2}},
	}}})

	dir := t.TempDir()
	input := filepath.Join(dir, "people.csv")
	var b strings.Builder
	b.WriteString("姓名,身份证号,手机号,申请编号\n")
	legacy := 0
	for i := 0; i < 40; i++ {
		p := pop.Person(i)
		if i >= 34 {
			p = pop.Person(size + i) // outsiders: no-hits
		}
		id := p.IDCard
		if i%9 == 4 && id[6:8] == "19" {
			id = id[:6] + id[8:17] // the 15-digit legacy form of the same person
			legacy++
		}
		if i%13 == 7 {
			id = strings.ToLower(id) // a lowercase x must hash like X (most IDs have none)
		}
		mobile := p.Mobile
		if i%5 == 1 {
			mobile = "+86 " + mobile[:3] + " " + mobile[3:7] + " " + mobile[7:]
		}
		fmt.Fprintf(&b, "%s,%s,%s,R%02d\n", p.Name, id, mobile, i+1)
	}
	// Outsiders' IDs with members' mobiles: the vendor finds these people
	// by the mobile alone, so the mobile's digest must match too.
	for i := 0; i < 6; i++ {
		m := pop.Person(100 + i).Mobile
		if i%2 == 0 {
			m = "0086-" + m
		}
		fmt.Fprintf(&b, "%s,%s,%s,M%02d\n", pop.Person(size+100+i).Name, pop.Person(size+100+i).IDCard, m, i+1)
	}
	// A row invalid in both: a wrong check digit (plaintext) becomes an empty ID (hashed).
	bad := pop.Person(3).IDCard
	bad = bad[:17] + string("0123456789"[(strings.IndexByte("0123456789X", bad[17])+1)%10])
	fmt.Fprintf(&b, "错号,%s,13800000000,R41\n", bad)
	if err := os.WriteFile(input, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if legacy == 0 {
		t.Fatal("fixture has no 15-digit ID")
	}

	compare := []string{"juhe_status", "juhe_score", "juhe_found", "juhe_id_found", "juhe_risk_codes"}
	results := func(job *jobfile.Job) map[string][]string {
		t.Helper()
		sum, err := pipeline.Run(context.Background(), job, pipeline.Options{Version: "test"})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if sum.Outcome != summary.OutcomeComplete {
			t.Fatalf("run outcome %s", sum.Outcome)
		}
		recs := vhReadCSV(t, filepath.Join(job.Resolve(job.Output.Dir), "results.csv"))
		col := map[string]int{}
		for i, h := range recs[0] {
			col[h] = i
		}
		out := map[string][]string{}
		for _, r := range recs[1:] {
			var v []string
			for _, c := range compare {
				i, ok := col[c]
				if !ok {
					t.Fatalf("results.csv has no column %s: %v", c, recs[0])
				}
				v = append(v, r[i])
			}
			out[r[col["申请编号"]]] = v
		}
		return out
	}

	plainDir := filepath.Join(dir, "plain")
	if err := os.MkdirAll(plainDir, 0o755); err != nil {
		t.Fatal(err)
	}
	plain := results(vhHashJob(t, plainDir, input, sb.url, ""))
	statuses := map[string]int{}
	for _, v := range plain {
		statuses[v[0]]++
	}
	if statuses["hit"] == 0 || statuses["no_hit"] == 0 || statuses["invalid"] != 1 || len(plain) != 47 {
		t.Fatalf("plaintext run: statuses %v over %d rows; want hits, no-hits and one invalid", statuses, len(plain))
	}

	hexRe := regexp.MustCompile(`^[0-9a-f]{32}([0-9a-f]{32})?$`)
	for _, tc := range []struct {
		digest   pii.Digest
		hashed64 string
	}{{pii.MD5, ""}, {pii.SHA256, "sha256"}, {pii.SM3, "sm3"}} {
		t.Run(tc.digest.String(), func(t *testing.T) {
			sub := filepath.Join(dir, tc.digest.String())
			if err := os.MkdirAll(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			// Juhe takes names only as MD5.
			rep, err := dryrun.Hash(vhHashJob(t, sub, input, sb.url, ""), dryrun.HashOptions{Digest: tc.digest, NameDigest: pii.MD5, Out: filepath.Join(sub, "hashed.csv")})
			if err != nil {
				t.Fatalf("Hash: %v", err)
			}
			rows := vhReadSheet(t, rep.Output)
			for _, r := range rows[1:] {
				for c := 0; c < 3; c++ {
					if r[c] != "" && !hexRe.MatchString(r[c]) {
						t.Errorf("%s: %s %q is not a digest", r[3], rows[0][c], r[c])
					}
				}
			}
			opts := ""
			if tc.hashed64 != "" {
				opts = "      hashed_64: " + tc.hashed64 + "\n"
			}
			runDir := filepath.Join(sub, "run")
			if err := os.MkdirAll(runDir, 0o755); err != nil {
				t.Fatal(err)
			}
			hashed := results(vhHashJob(t, runDir, rep.Output, sb.url, opts))
			for ref, want := range plain {
				if got := hashed[ref]; strings.Join(got, "|") != strings.Join(want, "|") {
					t.Errorf("%s: hashed run %v, plaintext run %v", ref, got, want)
				}
			}
		})
	}
	if sb.hits.Load() == 0 {
		t.Error("the runs made no call: the comparison proves nothing")
	}
}
