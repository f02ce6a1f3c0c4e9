package sandbox

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// GenConfig describes a synthetic applicant file drawn from the population
// the simulators know (same seed and size as the sandbox).
type GenConfig struct {
	Rows       int
	Seed       int64 // population seed (the sandbox's)
	Population int
	Market     string  // "cn" (Chinese applicants) or "id" (Indonesian); the vendors' simulators add their columns (GenColumns)
	Invalid    float64 // share of rows with damage a validator must catch
	Duplicates float64 // share of rows repeating an earlier person
	Unknown    float64 // share of people outside the population (no-hits)
	Label      bool    // add a 0/1 `label` column drawn from the latent risk (back-tests)
	// Draw seeds the row sampling (default: Seed); two files with one Draw are identical.
	Draw int64
}

// GenColumns are columns a vendor's simulator adds to a generated file of
// one market, after the market's person columns (name, ID number, mobile):
// the inputs its client reads beyond those. Simulators register them with
// RegisterGenColumns, so this package names no vendor's inputs.
type GenColumns struct {
	Market string // "cn" or "id"
	// Order places the group among the market's groups, lower first. The
	// file's column order is part of gen's output, so a group keeps its Order.
	Order int
	Names []string
	// Cells fills the group's cells (len(Names)) for row n of the file
	// (0-based), which is about person i of p; it must draw nothing from a
	// shared generator, so one group never changes another's cells.
	Cells func(p *Population, n, i int, per *Person, cells []string)
}

var (
	genMu   sync.Mutex
	genCols []GenColumns
)

// RegisterGenColumns adds a vendor's columns to generated files; simulators
// call it from init.
func RegisterGenColumns(g GenColumns) {
	genMu.Lock()
	defer genMu.Unlock()
	genCols = append(genCols, g)
}

// genGroups returns the market's registered groups in Order.
func genGroups(market string) []GenColumns {
	genMu.Lock()
	defer genMu.Unlock()
	var out []GenColumns
	for _, g := range genCols {
		if g.Market == market {
			out = append(out, g)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Order < out[b].Order })
	return out
}

// personColumns are a market's columns about the person: the identifiers
// every vendor of the market reads, named the way the market's files name
// them. Damage (invalid rows) hits these.
func personColumns(market string) []string {
	if market == "id" {
		return []string{"nama", "nik", "no_hp"}
	}
	return []string{"姓名", "身份证号", "手机号"}
}

// GenHeader returns the columns of a generated file.
func GenHeader(cfg GenConfig) []string {
	h := personColumns(cfg.Market)
	for _, g := range genGroups(cfg.Market) {
		h = append(h, g.Names...)
	}
	if cfg.Label {
		h = append(h, "label")
	}
	return h
}

// Damage kinds Gen injects into invalid rows, each one a validator must name.
var damageKinds = []string{"id_sci_notation", "id_checksum", "mobile_length", "name_digits", "id_missing", "replacement_char", "id_excel_truncated"}

// Gen produces cfg.Rows rows, calling emit with each (the slice is reused).
func (p *Population) Gen(cfg GenConfig, emit func(row []string) error) error {
	if cfg.Rows < 0 {
		return fmt.Errorf("gen: rows must not be negative")
	}
	draw := cfg.Draw
	if draw == 0 {
		draw = cfg.Seed
	}
	r := rand.New(rand.NewPCG(uint64(draw), 0x6e6e))
	header := GenHeader(cfg)
	groups := genGroups(cfg.Market)
	row := make([]string, len(header))
	var seen []int
	// People are drawn without replacement (a seeded permutation of the
	// population, another of the outsiders) so the only repeated people are
	// the --duplicates share: drawing with replacement would add accidental
	// repeats (37% of the rows when rows = population) that dedupe then
	// silently saves, skewing both the proportions and any benchmark.
	insiders := newPermutation(r, uint64(p.Size))
	outsiders := newPermutation(r, outsiderSpace)
	var nIn, nOut uint64
	for n := 0; n < cfg.Rows; n++ {
		var i int
		u := r.Float64()
		switch {
		case u < cfg.Duplicates && len(seen) > 0:
			i = seen[r.IntN(len(seen))]
		case u >= cfg.Duplicates && u < cfg.Duplicates+cfg.Unknown:
			i = p.Size + int(outsiders.at(nOut))
			nOut++
		default: // a fresh person (also the first row when a duplicate was drawn)
			i = int(insiders.at(nIn))
			nIn++
		}
		seen = append(seen, i)
		if len(seen) > 10_000 {
			seen = seen[len(seen)-10_000:]
		}
		per := p.Person(i)
		if cfg.Market == "id" {
			mob := per.IDMobile
			switch r.IntN(3) {
			case 1:
				mob = "62" + strings.TrimPrefix(mob, "0")
			case 2:
				mob = "+62 " + strings.TrimPrefix(mob, "0")
			}
			row[0], row[1], row[2] = per.IDName, per.NIK, mob
		} else {
			row[0], row[1], row[2] = per.Name, per.IDCard, per.Mobile
		}
		at := 3
		for _, g := range groups {
			g.Cells(p, n, i, &per, row[at:at+len(g.Names)])
			at += len(g.Names)
		}
		if r.Float64() < cfg.Invalid {
			if cfg.Market == "id" {
				damageID(row, r.IntN(3), &per)
			} else {
				damage(row, damageKinds[r.IntN(len(damageKinds))])
			}
		}
		if cfg.Label {
			lbl := "0"
			if p.rng(i, "label").Float64() < p.Risk(i)*0.6 {
				lbl = "1"
			}
			row[len(row)-1] = lbl
		}
		if err := emit(row); err != nil {
			return err
		}
	}
	return nil
}

// damageID breaks an Indonesian row's person columns the way real files
// break them.
func damageID(row []string, kind int, per *Person) {
	switch kind {
	case 0:
		row[2] = strings.TrimPrefix(per.IDMobile, "0") // lost leading zero
	case 1:
		row[1] = per.NIK[:12] // short NIK
	default:
		row[2] = "08123"
	}
}

// outsiderSpace is how many distinct outsiders (no-hits) Gen draws from
// before repeating one.
const outsiderSpace = 10_000_000

// permutation maps 0, 1, 2, ... to distinct values in [0, n) (an affine
// permutation, a*k+b mod n with a coprime to n); after n draws it repeats.
type permutation struct{ a, b, n uint64 }

func newPermutation(r *rand.Rand, n uint64) permutation {
	if n <= 1 {
		return permutation{a: 1, n: max(n, 1)}
	}
	a := 1 + r.Uint64N(n-1)
	for gcd(a, n) != 1 {
		a = 1 + r.Uint64N(n-1)
	}
	return permutation{a: a, b: r.Uint64N(n), n: n}
}

func (p permutation) at(k uint64) uint64 {
	// a, k < n ≤ 2^32 in practice, so a*(k mod n) fits in 64 bits.
	return (p.a*(k%p.n) + p.b) % p.n
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// damage breaks a Chinese row's person columns the way real files break them.
func damage(row []string, kind string) {
	switch kind {
	case "id_sci_notation":
		row[1] = fmt.Sprintf("%.5E", mustFloat(row[1]))
	case "id_checksum":
		last := row[1][17]
		repl := byte('0')
		if last == '0' {
			repl = '1'
		}
		row[1] = row[1][:17] + string(repl)
	case "mobile_length":
		row[2] = row[2][:10]
	case "name_digits":
		row[0] += "2"
	case "id_missing":
		row[1] = ""
	case "replacement_char":
		_, size := utf8.DecodeRuneInString(row[0])
		row[0] = "\ufffd" + row[0][size:] // what a GBK file read as UTF-8 looks like
	case "id_excel_truncated":
		row[1] = row[1][:15] + "000"
		if row[1][17] == CheckDigit(row[1][:17]) {
			row[1] = row[1][:14] + "1000"
		}
	}
}

func mustFloat(s string) float64 {
	var f float64
	fmt.Sscanf(s, "%g", &f)
	return f
}
