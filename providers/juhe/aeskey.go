package juhe

import (
	"crypto/md5"
	"encoding/hex"
	"strings"
)

// AESKey derives Juhe's AES-128 key from an account's OpenID: the first 16
// characters of the lowercase hex MD5 of the OpenID (surrounding spaces
// trimmed), used as 16 ASCII bytes. Each field is then encrypted on its own
// with pii.AESECBEncrypt (docs/providers.md, Juhe).
func AESKey(openID string) []byte {
	sum := md5.Sum([]byte(strings.TrimSpace(openID)))
	return []byte(hex.EncodeToString(sum[:])[:16])
}
