package all_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riskbatch/riskbatch/providers"
)

// TestOptionTablesInDocs: each vendor's options table in docs/providers.md
// is the one generated from its registration (the Options struct's tags),
// between <!-- options:KIND --> and <!-- /options:KIND -->. Run with
// RISKBATCH_UPDATE_DOCS=1 to rewrite the tables after changing a tag.
func TestOptionTablesInDocs(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "providers.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	update := os.Getenv("RISKBATCH_UPDATE_DOCS") == "1"
	for _, kind := range providers.Kinds() {
		spec, _ := providers.Lookup(kind)
		open, end := "<!-- options:"+kind+" -->\n", "<!-- /options:"+kind+" -->"
		i, j := strings.Index(doc, open), strings.Index(doc, end)
		if i < 0 || j < i {
			t.Errorf("%s: no %q … %q block in %s", kind, strings.TrimSpace(open), end, path)
			continue
		}
		want := providers.OptionTable(spec)
		if got := doc[i+len(open) : j]; got != want {
			if update {
				doc = doc[:i+len(open)] + want + doc[j:]
				continue
			}
			t.Errorf("%s: the options table in %s differs from the registry's; run RISKBATCH_UPDATE_DOCS=1 go test ./providers/all\ngot:\n%s\nwant:\n%s", kind, path, got, want)
		}
	}
	if update {
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRegistryComplete: every vendor module registers every part the rest
// of riskbatch reads from the registry.
func TestRegistryComplete(t *testing.T) {
	for _, kind := range providers.Kinds() {
		spec, _ := providers.Lookup(kind)
		var missing []string
		if spec.Doc == "" {
			missing = append(missing, "Doc")
		}
		if _, err := time.LoadLocation(spec.TimeZone); spec.TimeZone == "" || err != nil {
			missing = append(missing, "TimeZone (an IANA zone)")
		}
		if spec.Market != providers.MarketCN && spec.Market != providers.MarketID {
			missing = append(missing, "Market (cn or id)")
		}
		if u, err := url.Parse(spec.Endpoint); err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || u.Path == "" {
			missing = append(missing, "Endpoint (the document's absolute URL)")
		}
		if len(spec.Credentials) == 0 {
			missing = append(missing, "Credentials")
		}
		if spec.Options == nil {
			missing = append(missing, "Options")
		}
		if spec.Report.Score == "" || len(spec.Report.Rules) == 0 || len(spec.Report.Bands) == 0 {
			missing = append(missing, "Report (score, rules, bands)")
		}
		for _, o := range providers.OptionDocs(spec) {
			if o.Doc == "" || o.Default == "" {
				missing = append(missing, "doc and default of option "+o.Name)
			}
		}
		p, err := spec.New(providers.Config{Name: kind, Endpoint: "http://example.invalid/x", Options: spec.Example})
		if err != nil {
			t.Errorf("%s: Example options do not build a provider: %v", kind, err)
			continue
		}
		kinds := 0
		for _, in := range p.Inputs() {
			if in.Check == "" {
				missing = append(missing, "Check of input "+in.Name)
			}
			if in.Kind != "" {
				kinds++
			}
		}
		if kinds == 0 && kind != "td" { // TD reads events and devices, no personal data of a known kind
			missing = append(missing, "a PII Kind on its personal-data inputs")
		}
		if len(missing) > 0 {
			t.Errorf("%s lacks: %s", kind, strings.Join(missing, "; "))
		}
	}
}
