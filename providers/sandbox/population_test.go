package sandbox

import (
	"testing"

	"github.com/riskbatch/riskbatch/providers/pii"
)

func TestPopulationIdentifiersAreValidAndUnique(t *testing.T) {
	p := NewPopulation(7, 5000)
	ids := map[string]int{}
	mobiles := map[string]int{}
	for i := 0; i < p.Size; i++ {
		per := p.Person(i)
		if _, _, err := pii.ChineseID(per.IDCard); err != nil {
			t.Fatalf("person %d id %s: %v", i, per.IDCard, err)
		}
		if _, err := pii.ChineseMobile(per.Mobile); err != nil {
			t.Fatalf("person %d mobile %s: %v", i, per.Mobile, err)
		}
		if _, err := pii.NIK(per.NIK); err != nil {
			t.Fatalf("person %d NIK %s: %v", i, per.NIK, err)
		}
		if _, err := pii.IndonesianMobile(per.IDMobile, pii.IDLocal); err != nil {
			t.Fatalf("person %d Indonesian mobile %s: %v", i, per.IDMobile, err)
		}
		if _, err := pii.Name(per.Name); err != nil {
			t.Fatalf("person %d name %s: %v", i, per.Name, err)
		}
		if j, dup := ids[per.IDCard]; dup {
			t.Fatalf("persons %d and %d share id %s", j, i, per.IDCard)
		}
		if j, dup := mobiles[per.Mobile]; dup {
			t.Fatalf("persons %d and %d share mobile %s", j, i, per.Mobile)
		}
		ids[per.IDCard], mobiles[per.Mobile] = i, i
	}
}

func TestPopulationIsDeterministic(t *testing.T) {
	a, b := NewPopulation(3, 100), NewPopulation(3, 100)
	for i := 0; i < 100; i++ {
		if a.Person(i) != b.Person(i) {
			t.Fatalf("person %d differs between two populations with one seed", i)
		}
	}
	if NewPopulation(4, 100).Person(1).IDCard == a.Person(1).IDCard && NewPopulation(4, 100).Person(1).Mobile == a.Person(1).Mobile {
		t.Fatalf("another seed gives the same person")
	}
}

func TestLookupUnderEveryEncoding(t *testing.T) {
	p := NewPopulation(1, 3000)
	per := p.Person(1234)
	for _, d := range []Digest{Plain, MD5, SHA256, SM3} {
		for _, f := range []struct {
			field Field
			value string
		}{{FieldIDCard, per.IDCard}, {FieldMobile, per.Mobile}, {FieldNIK, per.NIK}, {FieldIDMobile, per.IDMobile}, {FieldAccount, per.AccountID}, {FieldIP, per.IP}, {FieldBlackBox, per.BlackBox}} {
			i, ok := p.Lookup(f.field, d, Encode(d, f.value))
			if !ok || i != 1234 {
				t.Errorf("Lookup(%s, %s) = %d, %v; want 1234", f.field, d, i, ok)
			}
		}
	}
	out := p.Person(p.Size + 10)
	if _, ok := p.Lookup(FieldIDCard, Plain, out.IDCard); ok {
		t.Errorf("an outsider (index ≥ size) was found")
	}
}

func BenchmarkIndexBuild(b *testing.B) {
	for range b.N {
		p := NewPopulation(int64(b.N), 100_000)
		p.Lookup(FieldIDCard, SHA256, "x")
	}
}
