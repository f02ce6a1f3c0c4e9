package juhe

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/pii"
	"github.com/riskbatch/riskbatch/providers/providertest"
)

func parseCorpus(t testing.TB) [][]byte {
	var out [][]byte
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	out = append(out, providertest.Lines(t, "sim_answers.jsonl")...)
	for _, s := range []string{
		`{"error_code":0,"reason":"ok","result":{"found":1,"idFound":1,"riskScore":88,"riskInfo":[{"riskCode":11003,"riskCodeValue":3},{"riskCode":21001,"riskCodeValue":1},{"riskCode":11003,"riskCodeValue":3}],"orderid":"J1"}}`,
		`{"error_code":0,"result":{"found":1,"riskScore":null,"riskInfo":null}}`,
		`{"error_code":0,"result":{"found":1,"riskInfo":[null]}}`,
		`{"error_code":0,"result":{"found":1.0}}`,
		`{"error_code":0,"result":{"found":"1"}}`,
		`{"error_code":"0","result":{"found":1}}`,
		`{"error_code":null}`, `{"error_code":10011,"reason":"ip"}`, `{"error_code":10020}`, `{"error_code":123456}`,
		`{"Error_Code":0,"result":{"found":1}}`, `{"error_code":0,"result":{"FOUND":1}}`,
		`{"error_code":0,"reason":"a\"b","result":{"found":-1,"orderid":"x\u00e9"}}`,
		`{"error_code":0,"reason":null,"result":{"found":-1,"orderid":null,"idFound":null}}`,
		`{"error_code":0,"result":{"found":1,"riskScore":1e2}}`,
		`{"error_code":0,"result":{"found":1,"orderid":"` + "\xff" + `"}}`,
		`{"error_code":0,"result":{"found":1,"riskInfo":[{"riskCode":1,"riskcode":2}]}}`,
		`{"error_code":0,"result":{"found":1,"riskInfo":{"riskCode":1}}}`,
		`{"error_code":0,"result":[]}`, `{"error_code":0,"result":"x"}`, `{"error_code":0}`,
		`[]`, `null`, ``, `{}`, `{"error_code":0,"result":{"found":1}} x`,
	} {
		out = append(out, []byte(s))
	}
	return out
}

var juheKeys = []string{`"error_code"`, `"reason"`, `"result"`, `"found"`, `"idFound"`, `"riskScore"`, `"riskInfo"`, `"riskCode"`, `"riskCodeValue"`, `"orderid"`}

func TestParseFastMatchesSlow(t *testing.T) {
	c := &Client{}
	providertest.FastMatchesSlow(t, []providertest.Readers{providertest.ReadersOf(c, c.parseSlow)}, parseCorpus(t), providertest.MutateKeys(juheKeys), 5, 300, 40)
}

func FuzzParse(f *testing.F) {
	c := &Client{}
	providertest.Fuzz(f, []providertest.Readers{providertest.ReadersOf(c, c.parseSlow)}, parseCorpus(f))
}

// TestEncodedFormMatchesValues: the request's form is what
// url.Values.Encode wrote, for every option that changes it.
func TestEncodedFormMatchesValues(t *testing.T) {
	key := providers.Key{ID: "k", Credentials: map[string]string{"key": "a+b/c= d", "openid": "JH-openid"}}
	for _, aes := range []bool{false, true} {
		for _, product := range []string{ProductV1, ProductV2} {
			c := &Client{aes: aes, product: product}
			for _, p := range []payload{
				{idcard: "110101199003071234", mobile: "13800138000"},
				{idcard: "abc", mobile: "def", name: "张三", idType: pii.MD5, phoneType: pii.SHA256, nmType: pii.MD5},
				{idcard: "abc", mobile: "def", name: "张 三&", nmType: pii.None, phoneType: pii.SM3},
			} {
				form, err := c.form(key, p)
				if err != nil {
					t.Fatal(err)
				}
				got, err := c.encodedForm(key, p)
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != form.Encode() {
					t.Fatalf("aes %v %s %+v:\n got %s\nwant %s", aes, product, p, got, form.Encode())
				}
			}
		}
	}
	if _, err := (&Client{aes: true}).encodedForm(providers.Key{ID: "k", Credentials: map[string]string{"key": "x"}}, payload{}); err == nil {
		t.Fatal("aes without openid accepted")
	}
}

// BenchmarkParse: the simulator's answers through Parse and parseSlow.
func BenchmarkParse(b *testing.B) {
	c := &Client{}
	providertest.BenchmarkReaders(b, providertest.ReadersOf(c, c.parseSlow), providertest.Lines(b, "sim_answers.jsonl"))
}
