package pii

import "testing"

func TestMask(t *testing.T) {
	sha := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	md5 := "900150983CD24FB0D6963F7D28E17F72"
	tests := []struct {
		name string
		f    func(string) string
		in   string
		want string
	}{
		{"id18", MaskID, "330328199001016785", "330328********6785"},
		{"idX", MaskID, "11010519491231002X", "110105********002X"},
		{"nik", MaskID, "3174011203900001", "317401******0001"},
		{"id15", MaskID, "330328900101678", "330328*****1678"},
		{"idShort8", MaskID, "12345678", "12****78"},
		{"idShort3", MaskID, "123", "***"},
		{"idEmpty", MaskID, "", ""},
		{"idSha", MaskID, sha, "ba7816…"},
		{"idMD5", MaskID, md5, "900150…"},

		{"cn", MaskMobile, "17700001111", "177****1111"},
		{"id12", MaskMobile, "081234567890", "0812****7890"},
		{"id13cc", MaskMobile, "6281234567890", "6281*****7890"},
		{"id10", MaskMobile, "0812345678", "081***5678"},
		{"short", MaskMobile, "1234567", "1*****7"},
		{"mobSM3", MaskMobile, sha, "ba7816…"},

		{"zh2", MaskName, "张三", "张*"},
		{"zh3", MaskName, "李小明", "李**"},
		{"compound4", MaskName, "欧阳娜娜", "欧阳**"},
		{"compound3", MaskName, "欧阳娜", "欧阳*"},
		{"compound2", MaskName, "欧阳", "欧*"},
		{"minority", MaskName, "阿卜杜拉·买买提", "阿*******"},
		{"latin", MaskName, "John Smith", "J*** S****"},
		{"latinPunct", MaskName, "Mary-Jane O'Neil", "M***-**** O'****"},
		{"one", MaskName, "A", "*"},
		{"nameEmpty", MaskName, "", ""},
		{"nameMD5", MaskName, md5, "900150…"},

		{"email", MaskEmail, "alice@example.com", "a***@example.com"},
		{"email1", MaskEmail, "a@example.com", "***@example.com"},
		{"emailZh", MaskEmail, "张三@example.cn", "张***@example.cn"},
		{"emailNoAt", MaskEmail, "alice", "a***e"},
		{"emailHash", MaskEmail, sha, "ba7816…"},

		{"gen", MaskGeneric, "secret", "s****t"},
		{"gen3", MaskGeneric, "abc", "a*c"},
		{"gen2", MaskGeneric, "ab", "**"},
		{"gen1", MaskGeneric, "a", "*"},
		{"gen0", MaskGeneric, "", ""},
		{"genZh", MaskGeneric, "浙江省杭州市", "浙****市"},
		{"genHash", MaskGeneric, " " + md5 + " ", "900150…"},
	}
	for _, tt := range tests {
		if got := tt.f(tt.in); got != tt.want {
			t.Errorf("%s: mask(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}
