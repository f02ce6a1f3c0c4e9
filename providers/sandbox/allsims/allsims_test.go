package allsims_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/providers"
	_ "github.com/riskbatch/riskbatch/providers/all"
	"github.com/riskbatch/riskbatch/providers/sandbox"
	_ "github.com/riskbatch/riskbatch/providers/sandbox/allsims"
)

// TestEveryVendorHasASimulator: the sandbox serves every registered
// provider kind, so `sandbox: true` works for any job.
func TestEveryVendorHasASimulator(t *testing.T) {
	got := sandbox.New(sandbox.Config{Population: 1}).Vendors()
	want := slices.Sorted(slices.Values(providers.Kinds()))
	if !slices.Equal(got, want) {
		t.Fatalf("simulators %v, provider kinds %v", got, want)
	}
}

// TestGenHeader pins the generated files' columns: the market's person
// columns, then the simulators' groups in their Order (Zhicheng's, TD's;
// AccuAuth's). The order is part of `riskbatch gen`'s output.
func TestGenHeader(t *testing.T) {
	for _, tc := range []struct {
		cfg  sandbox.GenConfig
		want string
	}{
		{sandbox.GenConfig{Market: "cn"}, "姓名,身份证号,手机号,手机号2,银行卡号,email,qq," +
			"family_tel,corp_tel,family_province,family_city,family_county,family_address," +
			"corp_province,corp_city,corp_county,corp_address,corp_name," +
			"contact1_name,contact1_mobile,contact1_type,contact2_name,contact2_mobile,contact2_type," +
			"account_id,ip,black_box,event_time,decision_event,ext_channel_id,detail_marketing_id"},
		{sandbox.GenConfig{Market: "id", Label: true}, "nama,nik,no_hp,email,gaid,bankcard,label"},
	} {
		if got := strings.Join(sandbox.GenHeader(tc.cfg), ","); got != tc.want {
			t.Errorf("%s: header\n got %s\nwant %s", tc.cfg.Market, got, tc.want)
		}
	}
}
