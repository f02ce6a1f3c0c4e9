package main

import (
	"strings"
	"testing"
)

// Flag values bench refuses (package bench's *ConfigError) and a stray
// argument are usage errors: exit 2 before anything starts.
func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--scenario", "5"},
		{"bench", "--scenario", "1,x"},
		{"bench", "--sizes", "0"},
		{"bench", "--rows", "0"},
		{"bench", "extra"},
		{"bench", "child", "--usage", "x"},
	} {
		r := runCLI(t, t.TempDir(), args...)
		if r.code != 2 {
			t.Errorf("riskbatch %s: want exit 2 (usage); got %s", strings.Join(args, " "), r)
		}
	}
}
