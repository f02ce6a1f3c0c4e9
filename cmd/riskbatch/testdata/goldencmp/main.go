// Command goldencmp checks that two riskbatch binaries (or two saved output
// trees) produce the same outputs for the sample jobs: results.csv,
// errors.csv and warnings.csv byte for byte, summary.json without its
// times, and the journal and raw.jsonl line sets after dropping what
// legitimately varies between runs (times, latencies, request sequence
// numbers and the journal's per-line CRC, which covers the sequence number,
// and the row number: when two rows make the same request, which of them
// calls and which reuses the answer depends on timing; results.csv shows
// every row's answer either way). Lines are compared as sorted sets because
// workers finish in any order.
//
//	go run ./cmd/riskbatch/testdata/goldencmp -run /tmp/rb-before -dir /tmp/gold    # take goldens
//	go run ./cmd/riskbatch/testdata/goldencmp -run /tmp/rb-after -dir /tmp/new      # a new tree
//	go run ./cmd/riskbatch/testdata/goldencmp /tmp/gold /tmp/new                    # compare
//
// With -run, the samples/ folder (-samples) is copied into -dir and the three
// sample jobs are run there with `BIN run --no-progress`.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

var jobs = []string{"job.yaml", "job-indonesia.yaml", "job-backtest.yaml"}
var outs = []string{"sample", "sample-id", "backtest"}

func main() {
	bin := flag.String("run", "", "riskbatch binary to run the sample jobs with")
	dir := flag.String("dir", "", "with -run: folder to copy samples/ into and run in")
	samples := flag.String("samples", "samples", "with -run: the samples folder")
	flag.Parse()
	if *bin != "" {
		if err := runSamples(*bin, *dir, *samples); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: goldencmp -run BIN -dir DIR | goldencmp DIR_A DIR_B")
		os.Exit(2)
	}
	diffs := 0
	for _, o := range outs {
		a := filepath.Join(flag.Arg(0), "out", o)
		b := filepath.Join(flag.Arg(1), "out", o)
		for _, c := range []struct {
			name string
			norm func([]byte) ([]byte, error)
		}{
			{"results.csv", same},
			{"errors.csv", same},
			{"warnings.csv", same},
			{"summary.json", summary},
			{".state/journal.log", journal},
			{"raw.jsonl", rawlog},
		} {
			if err := compare(filepath.Join(a, c.name), filepath.Join(b, c.name), c.norm); err != nil {
				fmt.Printf("DIFF %s/%s: %v\n", o, c.name, err)
				diffs++
			} else {
				fmt.Printf("same %s/%s\n", o, c.name)
			}
		}
	}
	if diffs > 0 {
		os.Exit(1)
	}
}

func runSamples(bin, dir, samples string) error {
	if dir == "" {
		return fmt.Errorf("-run needs -dir")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := exec.Command("cp", "-r", samples, filepath.Join(dir, "samples")).Run(); err != nil {
		return fmt.Errorf("copy samples: %w", err)
	}
	for _, j := range jobs {
		cmd := exec.Command(bin, "run", "--no-progress", filepath.Join("samples", j))
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", j, err, out)
		}
	}
	return nil
}

func compare(a, b string, norm func([]byte) ([]byte, error)) error {
	da, err := os.ReadFile(a)
	if err != nil {
		return err
	}
	db, err := os.ReadFile(b)
	if err != nil {
		return err
	}
	if da, err = norm(da); err != nil {
		return fmt.Errorf("%s: %w", a, err)
	}
	if db, err = norm(db); err != nil {
		return fmt.Errorf("%s: %w", b, err)
	}
	if bytes.Equal(da, db) {
		return nil
	}
	la, lb := strings.Split(string(da), "\n"), strings.Split(string(db), "\n")
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return fmt.Errorf("first difference at normalised line %d:\n  - %s\n  + %s", i+1, x, y)
		}
	}
	return fmt.Errorf("differ")
}

func same(b []byte) ([]byte, error) { return b, nil }

// summary drops the run's times; everything else (counts, costs, the
// report's figures) must be equal.
func summary(b []byte) ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	delete(m, "started_at")
	delete(m, "finished_at")
	delete(m, "duration_seconds")
	return json.MarshalIndent(m, "", " ")
}

var (
	crcPrefix = regexp.MustCompile(`^[0-9a-f]{8} `)
	seqField  = regexp.MustCompile(`"q":[0-9]+,`)
	rowField  = regexp.MustCompile(`^\{"t":"([a-z])","r":[0-9]+,`)
	rawRow    = regexp.MustCompile(`^\{"row":[0-9]+,`)
	timeField = regexp.MustCompile(`^\{"time":"[^"]*",`)
	latField  = regexp.MustCompile(`,"latency_ms":[0-9.eE+-]+,`)
)

// journal: the line as written, without its CRC and request sequence number.
func journal(b []byte) ([]byte, error) {
	return lines(b, func(l string) (string, error) {
		if !crcPrefix.MatchString(l) {
			return "", fmt.Errorf("journal line without a CRC: %.80s", l)
		}
		l = crcPrefix.ReplaceAllString(l, "")
		if n := len(seqField.FindAllStringIndex(l, -1)); n != 1 {
			return "", fmt.Errorf("%d sequence fields in %.80s", n, l)
		}
		if !rowField.MatchString(l) {
			return "", fmt.Errorf("journal line without a row: %.80s", l)
		}
		l = rowField.ReplaceAllString(l, `{"t":"$1",`)
		return seqField.ReplaceAllString(l, ""), nil
	})
}

// rawlog: the line as written (the answer's bytes included), without its
// time and latency.
func rawlog(b []byte) ([]byte, error) {
	return lines(b, func(l string) (string, error) {
		if !timeField.MatchString(l) || !latField.MatchString(l) {
			return "", fmt.Errorf("raw.jsonl line without time or latency: %.80s", l)
		}
		l = timeField.ReplaceAllString(l, "{")
		l = rawRow.ReplaceAllString(l, "{")
		return latField.ReplaceAllString(l, ","), nil
	})
}

func lines(b []byte, f func(string) (string, error)) ([]byte, error) {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		l, err := f(sc.Text())
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	sort.Strings(out)
	return []byte(strings.Join(out, "\n")), nil
}
