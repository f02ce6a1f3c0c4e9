package all_test

import (
	"testing"

	"github.com/riskbatch/riskbatch/providers"
	_ "github.com/riskbatch/riskbatch/providers/all"
)

// prepare builds a provider of kind with options and prepares one row.
func prepare(t *testing.T, kind string, opts map[string]any, header, row []string) *providers.Request {
	t.Helper()
	spec, ok := providers.Lookup(kind)
	if !ok {
		t.Fatalf("no provider %s", kind)
	}
	endpoint := map[string]string{"juhe": "http://apis.juhe.cn/anti_fraud/queryV2", "accuauth": "https://api.example.com/check/risk_report"}[kind]
	p, err := spec.New(providers.Config{Name: kind, Endpoint: endpoint, Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := providers.NewBinding(header, p.Inputs(), nil)
	req, err := p.Prepare(providers.Record{Row: 1, Binding: b, Values: row})
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// The answer cache keys on Request.Identity: the normalised identity, the
// same whatever digest the job sends (the wire digest Dedupe differs), and
// different for another person or when an answer-changing field changes.
func TestIdentityIgnoresEncoding(t *testing.T) {
	h := []string{"姓名", "身份证号", "手机号"}
	row := []string{"张三", "110101199003074477", "13800138000"}
	plain := prepare(t, "juhe", nil, h, row)
	if plain.Identity == ([32]byte{}) {
		t.Fatal("juhe leaves Identity empty")
	}
	for _, o := range []map[string]any{
		{"id_crypto": "md5", "phone_crypto": "sha256"},
		{"id_crypto": "sm3", "phone_crypto": "md5", "name_crypto": "md5", "aes": true},
	} {
		r := prepare(t, "juhe", o, h, row)
		if r.Dedupe == plain.Dedupe {
			t.Errorf("%v: the wire digest should differ", o)
		}
		if r.Identity != plain.Identity {
			t.Errorf("%v: the identity differs from the plaintext request's", o)
		}
	}
	// Formatting the normaliser removes is the same identity.
	if r := prepare(t, "juhe", nil, h, []string{"张三", "110101199003074477", "+86 138-0013-8000"}); r.Identity != plain.Identity {
		t.Error("a +86 mobile is another identity")
	}
	if r := prepare(t, "juhe", nil, h, []string{"张三", "110101199003074477", "13800138001"}); r.Identity == plain.Identity {
		t.Error("another mobile is the same identity")
	}
	if r := prepare(t, "juhe", map[string]any{"realname": false}, h, row); r.Identity == plain.Identity {
		t.Error("without the name (realname: false) the answer may differ: another identity")
	}

	ah := []string{"mobile", "nik"}
	arow := []string{"081234567890", ""}
	a1 := prepare(t, "accuauth", nil, ah, arow)
	a2 := prepare(t, "accuauth", map[string]any{"mobile_encoding": "md5"}, ah, arow)
	if a1.Identity == ([32]byte{}) || a1.Identity != a2.Identity || a1.Dedupe == a2.Dedupe {
		t.Error("accuauth: mobile_md5 should keep the identity and change the wire digest")
	}
}
