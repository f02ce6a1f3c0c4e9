package juhe

import (
	"testing"

	"github.com/riskbatch/riskbatch/providers/pii"
)

// TestAESKey: the key is the first 16 characters of the lowercase hex MD5
// of the OpenID, spaces trimmed; md5("test-openid-123") =
// b8b72e206e3d11fb746ecd95a3e21431 (computed independently with md5sum), and
// the encryption under it is openssl's:
//
//	printf %s 17700001111 | openssl enc -aes-128-ecb -K 62386237326532303665336431316662 | base64 -w0
func TestAESKey(t *testing.T) {
	for _, openid := range []string{"test-openid-123", " test-openid-123\n"} {
		if got := string(AESKey(openid)); got != "b8b72e206e3d11fb" {
			t.Fatalf("AESKey(%q) = %q", openid, got)
		}
	}
	if n := len(AESKey("")); n != 16 {
		t.Fatalf("len = %d", n)
	}
	got, err := pii.AESECBEncrypt(AESKey("test-openid-123"), "17700001111")
	if err != nil || got != "Yzf/IUA6O2tz8lmTfkNlhA==" {
		t.Fatalf("AESECBEncrypt under the OpenID key = %q, %v", got, err)
	}
}
