package zhicheng_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/providertest"
	"github.com/riskbatch/riskbatch/providers/sandbox"
	"github.com/riskbatch/riskbatch/providers/zhicheng"
	"github.com/riskbatch/riskbatch/providers/zhicheng/zhichengsim"
)

// zhichengCodes is Zhicheng's result code table as docs/providers.md
// (Zhicheng) classifies it, written out independently of codes.go: ranges
// expanded over the codes the document lists.
func zhichengCodes() []providertest.Code {
	var out []providertest.Code
	add := func(c providertest.Code, codes ...int) {
		for _, n := range codes {
			c.Code = strconv.Itoa(n)
			out = append(out, c)
		}
	}
	span := func(from, to int) []int {
		var s []int
		for c := from; c <= to; c++ {
			s = append(s, c)
		}
		return s
	}
	// 44001–44027 as listed by the document (44003 and 44006 do not exist).
	add(providertest.Code{Outcome: providers.Invalid}, slices.DeleteFunc(span(44001, 44027), func(c int) bool { return c == 44003 || c == 44006 })...)
	add(providertest.Code{Outcome: providers.Invalid}, 44054, 44055, 44062)
	add(providertest.Code{Outcome: providers.Transient}, 50000, 50001, 50201, 50203, 50204, 54000)
	add(providertest.Code{Outcome: providers.Quota}, 50106)
	add(providertest.Code{Outcome: providers.Quota, Permanent: true}, 50107, 50500)
	add(providertest.Code{Outcome: providers.Fatal}, span(40000, 40005)...)
	// One row's params (ParamsRejected); the pipeline stops after 3 in a row.
	add(providertest.Code{Outcome: providers.Invalid, ParamsRejected: true}, 40006)
	add(providertest.Code{Outcome: providers.Fatal}, span(44050, 44053)...)
	add(providertest.Code{Outcome: providers.Fatal}, 44061, 50202)
	add(providertest.Code{Outcome: providers.Fatal}, span(50101, 50105)...)
	add(providertest.Code{Outcome: providers.Fatal}, span(50108, 50112)...)
	return out
}

// zhichengOutcome is a code's outcome in zhichengCodes.
func zhichengOutcome(code string) providers.Outcome {
	for _, c := range zhichengCodes() {
		if c.Code == code {
			return c.Outcome
		}
	}
	panic("code " + code + " is not in the table")
}

func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Vendor{
		Kind: zhichengsim.VendorName, Path: "/submit", Sim: zhichengsim.Sim{},
		Row: func(per sandbox.Person) map[string]string {
			return map[string]string{"姓名": per.Name, "身份证号": per.IDCard, "手机号": per.Mobile}
		},
		Identity: func(per sandbox.Person) string { return per.IDCard },
		Hit: func(pop *sandbox.Population, i int) bool {
			_, hit := zhichengsim.Subject(pop, i)
			return hit
		},
		Codes: zhichengCodes(), ClientCodes: zhicheng.ResultCodes(), Unknown: "99999",
		Throttled: "HTTP 429", ThrottledWaitFor: true, Quota: "50106",
		BadKeys: []providertest.BadKey{
			{Name: "wrong sign", Code: "50102", Key: providers.Key{ID: "x", Credentials: map[string]string{"user_name": "sandbox_testusr", "sign": "secret-WRONG-sign"}}},
			{Name: "unknown user", Code: "50101", Key: providers.Key{ID: "x", Credentials: map[string]string{"user_name": "nobody_testusr", "sign": "secret-WRONG-sign"}}},
			{Name: "other key's sign", Code: "50102", Key: providers.Key{ID: "x", Credentials: map[string]string{"user_name": "sandbox_testusr", "sign": "sandbox-zc-sign-2"}}},
		},
	})
}
