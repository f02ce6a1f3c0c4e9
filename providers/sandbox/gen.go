package sandbox

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"
)

// GenConfig describes a synthetic applicant file drawn from the population
// the simulators know (same seed and size as the sandbox).
type GenConfig struct {
	Rows       int
	Seed       int64 // population seed (the sandbox's)
	Population int
	Market     string  // "cn" (Juhe, Zhicheng, TD columns) or "id" (AccuAuth)
	Invalid    float64 // share of rows with damage a validator must catch
	Duplicates float64 // share of rows repeating an earlier person
	Unknown    float64 // share of people outside the population (no-hits)
	Label      bool    // add a 0/1 `label` column drawn from the latent risk (back-tests)
	// Draw seeds the row sampling (default: Seed); two files with one Draw are identical.
	Draw int64
}

// GenHeader returns the columns of a generated file.
func GenHeader(cfg GenConfig) []string {
	var h []string
	if cfg.Market == "id" {
		h = []string{"nama", "nik", "no_hp", "email", "gaid", "bankcard"}
	} else {
		h = []string{"姓名", "身份证号", "手机号", "手机号2", "银行卡号", "email", "qq",
			"family_tel", "corp_tel", "family_province", "family_city", "family_county", "family_address",
			"corp_province", "corp_city", "corp_county", "corp_address", "corp_name",
			"contact1_name", "contact1_mobile", "contact1_type", "contact2_name", "contact2_mobile", "contact2_type",
			"account_id", "ip", "black_box", "event_time", "decision_event", "ext_channel_id", "detail_marketing_id"}
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
	base := time.Date(2026, 10, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	events := []string{"marketing", "get_coupon", "withdraw", "invite", "activate", "marketing_exchange"}
	contactTypes := []string{"SPOUSE", "PARENTS", "FRIEND", "COLLEAGUE", "RELATIVES", "CHILD"}
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
			copy(row, []string{per.IDName, per.NIK, mob, strings.ToLower(strings.ReplaceAll(per.IDName, " ", ".")) + "@mail.co.id", per.GAID, per.BankNo[:16]})
			if r.Float64() < cfg.Invalid {
				switch r.IntN(3) {
				case 0:
					row[2] = strings.TrimPrefix(per.IDMobile, "0") // lost leading zero
				case 1:
					row[1] = per.NIK[:12] // short NIK
				default:
					row[2] = "08123"
				}
			}
		} else {
			c1 := p.Person((i + 17) % p.Size)
			c2 := p.Person((i + 4242) % p.Size)
			ev := base.Add(time.Duration(n) * 37 * time.Second)
			copy(row, []string{
				per.Name, per.IDCard, per.Mobile, per.Mobile2, per.BankNo, per.Email, per.QQ,
				per.FamilyTel, per.CorpTel, per.FamilyAddr.Province, per.FamilyAddr.City, per.FamilyAddr.County, per.FamilyAddr.Address,
				per.CorpAddr.Province, per.CorpAddr.City, per.CorpAddr.County, per.CorpAddr.Address, per.CorpName,
				c1.Name, c1.Mobile, contactTypes[i%len(contactTypes)], c2.Name, c2.Mobile, contactTypes[(i+3)%len(contactTypes)],
				per.AccountID, per.IP, per.BlackBox, ev.Format("2006-01-02 15:04:05"), events[i%len(events)],
				fmt.Sprintf("ch%02d", i%7), fmt.Sprintf("M%05d", i%10000),
			})
			if r.Float64() < cfg.Invalid {
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

// damage breaks a Chinese row the way real files break.
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
