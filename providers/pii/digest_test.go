package pii

import (
	"strings"
	"testing"
)

// Known answers computed independently with md5sum, sha256sum and
// `openssl dgst -sm3`; the SM3 vectors are the two examples of the
// standard, GB/T 32905-2016 (appendix A).
func TestHashKnownAnswers(t *testing.T) {
	abcd16 := strings.Repeat("abcd", 16)
	tests := []struct {
		d    Digest
		in   string
		want string
	}{
		{None, "330328199001016789", "330328199001016789"},
		{None, "", ""},
		{MD5, "abc", "900150983cd24fb0d6963f7d28e17f72"},
		{MD5, "330328199001016789", "8b6b80573b24a8d9497ddb5e907f5dbd"},
		{MD5, "330328199001016785", "fbe9f5fc18d32e7f479f379a083a04f2"},
		{MD5, "17700001111", "daee017bd9def47e873f052ae26a297a"},
		{MD5, "张三", "615db57aa314529aaa0fbe95b3e95bd3"},
		{SHA256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{SHA256, "330328199001016789", "180baf385ed0f9e2d1dfdda8fb6fd1d820eff48da17e500f216abe44c786854d"},
		{SHA256, "330328199001016785", "6766ac8192af49fead110a5094155a270890e9152033b9e0491a748cb9dcdf1a"},
		{SHA256, "17700001111", "422c91a2631d98f54f40669beeecaa48bcce7fe25344a4563bdb1f1b7e063ce1"},
		{SM3, "abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"},
		{SM3, abcd16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"},
		{SM3, "", "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"},
		{SM3, "330328199001016785", "c7fdd5740bbccf5b020a9bf98619d834f1aae55fb9428a58917ceb9511aff0b1"},
		{SM3, "17700001111", "bbc5ad40159d76434ef3699a877b6393e953e42b7b1fb9b64c133069a1ce3da2"},
	}
	for _, tt := range tests {
		if got := Hash(tt.d, tt.in); got != tt.want {
			t.Errorf("Hash(%v, %q) = %s, want %s", tt.d, tt.in, got, tt.want)
		}
	}
}

// The documents' example ID 330328199001016789 fails the GB 11643 check
// digit (expected 5): it is a placeholder, not a valid number.
func TestDocExampleIDIsInvalid(t *testing.T) {
	_, _, err := ChineseIDAt("330328199001016789", fixedNow)
	p, ok := err.(*Problem)
	if !ok || p.Code != CodeIDChecksum || p.Reason != "check digit is 9, expected 5" {
		t.Fatalf("got %v", err)
	}
}

func TestHashUnknownPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Hash(Digest(9)) did not panic")
		}
	}()
	Hash(Digest(9), "x")
}

func TestParseDigest(t *testing.T) {
	tests := []struct {
		in   string
		want Digest
		ok   bool
	}{
		{"none", None, true}, {"plain", None, true}, {"0", None, true}, {" NONE ", None, true},
		{"md5", MD5, true}, {"MD5", MD5, true}, {"1", MD5, true},
		{"sha256", SHA256, true}, {"SHA-256", SHA256, true}, {"2", SHA256, true},
		{"sm3", SM3, true}, {"SM3", SM3, true}, {"3", SM3, true},
		{"", None, false}, {"sha1", None, false}, {"4", None, false}, {"aes", None, false},
	}
	for _, tt := range tests {
		got, err := ParseDigest(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseDigest(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestDigestString(t *testing.T) {
	for d, want := range map[Digest]string{None: "none", MD5: "md5", SHA256: "sha256", SM3: "sm3", Digest(7): "Digest(7)"} {
		if got := d.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(d), got, want)
		}
		if d != Digest(7) {
			if back, err := ParseDigest(want); err != nil || back != d {
				t.Errorf("ParseDigest(%q) round trip = %v, %v", want, back, err)
			}
		}
	}
}

func TestDetectHashed(t *testing.T) {
	md5abc := "900150983cd24fb0d6963f7d28e17f72"
	sha := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	tests := []struct {
		in     string
		sixty  Digest
		digest string
		d      Digest
		ok     bool
	}{
		{md5abc, SHA256, md5abc, MD5, true},
		{strings.ToUpper(md5abc), SM3, md5abc, MD5, true},
		{"  " + md5abc + "\u3000", SM3, md5abc, MD5, true},
		{sha, SHA256, sha, SHA256, true},
		{strings.ToUpper(sha), SM3, sha, SM3, true},
		{sha, None, sha, None, true}, // digest of unknown kind
		{sha, MD5, sha, None, true},
		{"330328199001016785", SHA256, "", None, false},
		{"17700001111", SHA256, "", None, false},
		{md5abc[:31], SHA256, "", None, false},
		{md5abc[:31] + "g", SHA256, "", None, false},
		{sha + "0", SHA256, "", None, false},
		{"", SHA256, "", None, false},
	}
	for _, tt := range tests {
		digest, d, ok := DetectHashed(tt.in, tt.sixty)
		if digest != tt.digest || d != tt.d || ok != tt.ok {
			t.Errorf("DetectHashed(%q, %v) = %q, %v, %v; want %q, %v, %v", tt.in, tt.sixty, digest, d, ok, tt.digest, tt.d, tt.ok)
		}
	}
	// A digest produced by Hash is always detected.
	for _, d := range []Digest{MD5, SHA256, SM3} {
		h := Hash(d, "330328199001016785")
		sixty := d
		if d == MD5 {
			sixty = SM3
		}
		if got, gd, ok := DetectHashed(h, sixty); !ok || got != h || gd != d {
			t.Errorf("DetectHashed(Hash(%v)) = %q, %v, %v", d, got, gd, ok)
		}
	}
}

func BenchmarkHashSM3(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Hash(SM3, "330328199001016785")
	}
}

func BenchmarkHashSHA256(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Hash(SHA256, "330328199001016785")
	}
}

func TestIsHex(t *testing.T) {
	for s, want := range map[string]bool{
		"": true, "0123456789abcdef": true, "ABCDEF": true, "d41d8cd98f00b204e9800998ecf8427e": true,
		"g": false, "0x1f": false, " a": false, "ａ": false, "abc\n": false, "-1": false,
	} {
		if got := IsHex(s); got != want {
			t.Errorf("IsHex(%q) = %v; want %v", s, got, want)
		}
	}
}
