package pii

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/emmansun/gmsm/sm3"
)

// Digest is a hash the vendors accept. Values are the Juhe crypto-type
// numbers (idCryptoType / phoneCryptoType / nameCryptoType).
type Digest int

const (
	None   Digest = 0
	MD5    Digest = 1
	SHA256 Digest = 2
	SM3    Digest = 3
)

// ParseDigest accepts (case-insensitive, surrounding spaces ignored)
// "none"/"plain"/"0", "md5"/"1", "sha256"/"sha-256"/"2", "sm3"/"3".
func ParseDigest(s string) (Digest, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "none", "plain", "0":
		return None, nil
	case "md5", "1":
		return MD5, nil
	case "sha256", "sha-256", "2":
		return SHA256, nil
	case "sm3", "3":
		return SM3, nil
	}
	return None, fmt.Errorf("pii: unknown digest %q (want none, md5, sha256 or sm3)", s)
}

func (d Digest) String() string {
	switch d {
	case None:
		return "none"
	case MD5:
		return "md5"
	case SHA256:
		return "sha256"
	case SM3:
		return "sm3"
	}
	return "Digest(" + strconv.Itoa(int(d)) + ")"
}

// Hash returns the lowercase hex digest of s (its UTF-8 bytes). None returns
// s unchanged. Hash does not normalize: normalize first (ChineseID upper-cases
// a trailing x, as the vendors expect). An unknown Digest is a programming
// error and panics rather than silently sending the raw value.
func Hash(d Digest, s string) string {
	switch d {
	case None:
		return s
	case MD5:
		sum := md5.Sum([]byte(s))
		return hex.EncodeToString(sum[:])
	case SHA256:
		sum := sha256.Sum256([]byte(s))
		return hex.EncodeToString(sum[:])
	case SM3:
		sum := sm3.Sum([]byte(s))
		return hex.EncodeToString(sum[:])
	}
	panic("pii: Hash with unknown " + d.String())
}

// DetectHashed reports whether s (surrounding spaces ignored) is already a
// digest: 32 hex digits → MD5; 64 hex digits → sixtyFour, which must be
// SHA256 or SM3 (the job says which, since both are 64 hex). Case-insensitive;
// digest is lowercased. For 64 hex digits with any other sixtyFour, ok is true
// but d is None: "a digest of unknown kind" — never send it as plain text.
func DetectHashed(s string, sixtyFour Digest) (digest string, d Digest, ok bool) {
	s = trimSpace(s)
	if (len(s) != 32 && len(s) != 64) || !IsHex(s) {
		return "", None, false
	}
	digest = strings.ToLower(s)
	if len(s) == 32 {
		return digest, MD5, true
	}
	if sixtyFour == SHA256 || sixtyFour == SM3 {
		return digest, sixtyFour, true
	}
	return digest, None, true
}

// IsHex reports whether s holds only hex digits, either case (a digest
// computed upstream, a key fingerprint); "" is vacuously hex, so callers
// check the length they expect.
func IsHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// isDigest: 32 or 64 hex digits, no trimming.
func isDigest(s string) bool { return (len(s) == 32 || len(s) == 64) && IsHex(s) }
