package providers_test

import (
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/providers"
)

// An endpoint is an absolute URL; the error for one that is not never
// repeats it (it may hold a misplaced credential).
func TestCheckEndpoint(t *testing.T) {
	const wantErr = "endpoint is not an absolute URL (want https://host/path)"
	for _, tc := range []struct {
		endpoint string
		ok       bool
		host     string
	}{
		{"https://api.tongdun.cn/fraud/promo/v2", true, "api.tongdun.cn"},
		{"http://127.0.0.1:8089/anti_fraud/queryV2", true, "127.0.0.1:8089"},
		{"http://apis.juhe.cn", true, "apis.juhe.cn"},
		{"not-a-url", false, ""},
		{"apis.juhe.cn/anti_fraud/queryV2?key=SECRET-KEY", false, ""},
		{"/anti_fraud/queryV2", false, ""},
		{"https://", false, ""},
		{"http://a b/?partner_key=SECRET-KEY", false, ""},
		{"", false, ""},
	} {
		u, err := providers.CheckEndpoint(tc.endpoint)
		if tc.ok {
			if err != nil || u.Host != tc.host {
				t.Errorf("CheckEndpoint(%q) = %v, %v; want host %s", tc.endpoint, u, err, tc.host)
			}
			continue
		}
		if err == nil {
			t.Errorf("CheckEndpoint(%q) accepted it", tc.endpoint)
			continue
		}
		if got := err.Error(); got != wantErr {
			t.Errorf("CheckEndpoint(%q): error %q; want %q (never the value)", tc.endpoint, got, wantErr)
		}
	}
}

// ReadConfig decodes the options (an unknown key is refused before the
// endpoint is looked at) and checks the endpoint.
func TestReadConfig(t *testing.T) {
	type options struct {
		Channel string `yaml:"channel"`
	}
	o, u, err := providers.ReadConfig[options](providers.Config{Endpoint: "https://api.tongdun.cn/fraud/promo/v2", Options: map[string]any{"channel": "web"}})
	if err != nil || o.Channel != "web" || u.Path != "/fraud/promo/v2" {
		t.Fatalf("ReadConfig = %+v, %v, %v", o, u, err)
	}
	if _, _, err := providers.ReadConfig[options](providers.Config{Endpoint: "not-a-url", Options: map[string]any{"chanel": "web"}}); err == nil || !strings.Contains(err.Error(), "did you mean channel?") {
		t.Errorf("an unknown option: %v", err)
	}
	if _, _, err := providers.ReadConfig[options](providers.Config{Endpoint: "not-a-url"}); err == nil || err.Error() != "endpoint is not an absolute URL (want https://host/path)" {
		t.Errorf("a bad endpoint: %v", err)
	}
}
