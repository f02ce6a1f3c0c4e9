package sandbox

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/riskbatch/riskbatch/providers/pii"
)

// Population is the vendors' database: a seeded synthetic set of people.
// Person i is a pure function of (seed, i), so `riskbatch gen` samples the
// same people the simulators know, and an index ≥ Size is an outsider every
// vendor answers with a no-hit.
type Population struct {
	Seed int64
	Size int

	mu      sync.Mutex
	indexes map[string]map[string]int32 // "field/digest" → value → person index
}

// NewPopulation returns the population for seed with size people.
func NewPopulation(seed int64, size int) *Population {
	if size <= 0 {
		size = 100_000
	}
	return &Population{Seed: seed, Size: size, indexes: map[string]map[string]int32{}}
}

// Address is a postal address in parts.
type Address struct {
	Province, City, County, Address string
}

// String joins the parts the way a user would write the address.
func (a Address) String() string { return a.Province + a.City + a.County + a.Address }

// Person is one synthetic applicant with every identifier the vendors use.
type Person struct {
	Index                int
	Name                 string // Chinese name
	IDCard               string // 18-character resident ID with a valid check digit
	Mobile               string // 11-digit Chinese mobile
	Mobile2              string
	BankNo               string
	Email                string
	QQ                   string
	FamilyTel, CorpTel   string
	FamilyAddr, CorpAddr Address
	CorpName             string
	// Event identity: the account, IP and device of the person's events.
	AccountID, IP, BlackBox string
	// Indonesian twin: the same person as an Indonesian applicant.
	IDName, NIK, IDMobile string // IDMobile in local form 08…
	GAID                  string
}

var (
	surnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗", "欧阳", "司马"}
	given    = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "建国", "晓东", "子涵", "浩然", "雨桐", "思远"}
	// Real 6-digit administrative division codes (county level).
	areas = []struct {
		code                           string
		province, city, county, street string
	}{
		{"110105", "北京市", "北京市", "朝阳区", "建国路"}, {"310115", "上海市", "上海市", "浦东新区", "世纪大道"},
		{"440305", "广东省", "深圳市", "南山区", "科技园路"}, {"330106", "浙江省", "杭州市", "西湖区", "文三路"},
		{"320102", "江苏省", "南京市", "玄武区", "中山路"}, {"510107", "四川省", "成都市", "武侯区", "人民南路"},
		{"420106", "湖北省", "武汉市", "武昌区", "中南路"}, {"370202", "山东省", "青岛市", "市南区", "香港中路"},
		{"330328", "浙江省", "温州市", "文成县", "建设路"}, {"500103", "重庆市", "重庆市", "渝中区", "解放碑路"},
		{"610113", "陕西省", "西安市", "雁塔区", "长安南路"}, {"350203", "福建省", "厦门市", "思明区", "鹭江道"},
		{"430104", "湖南省", "长沙市", "岳麓区", "麓山路"}, {"410105", "河南省", "郑州市", "金水区", "花园路"},
	}
	mobilePrefixes = []string{"130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "155", "158", "159", "166", "177", "180", "181", "186", "187", "188", "189", "199"}
	idFirst        = []string{"Budi", "Siti", "Agus", "Dewi", "Rizky", "Putri", "Andi", "Ayu", "Joko", "Sri", "Eko", "Nur", "Dian", "Wahyu", "Indah"}
	idLast         = []string{"Santoso", "Wijaya", "Pratama", "Saputra", "Hidayat", "Lestari", "Kurniawan", "Setiawan", "Nugroho", "Susanto", "Rahmawati"}
	idProvinces    = []string{"31", "32", "33", "34", "35", "36", "51", "61", "71", "73"}
	corpNames      = []string{"科技有限公司", "贸易有限公司", "信息技术有限公司", "餐饮管理有限公司", "物流有限公司"}
)

// rng returns a generator private to (seed, index, stream), so every vendor
// draws its answer for a person independently of the others.
func (p *Population) rng(index int, stream string) *rand.Rand {
	h := sha256.Sum256([]byte(fmt.Sprintf("%d/%d/%s", p.Seed, index, stream)))
	return rand.New(rand.NewPCG(binary.LittleEndian.Uint64(h[:8]), binary.LittleEndian.Uint64(h[8:16])))
}

// Rand is a deterministic generator for the answer a vendor gives person index.
func (p *Population) Rand(index int, vendor string) *rand.Rand { return p.rng(index, "vendor/"+vendor) }

const birthDays = 15000 // birth dates spread over ~41 years from 1962-01-01

// Person returns person i (i may be ≥ Size: an outsider with the same shape).
func (p *Population) Person(i int) Person {
	r := p.rng(i, "person")
	day := p.birthDay(i)
	id := p.idCard(i)
	mobile := p.mobile(i)
	suffix2 := (uint64(i)*13 + uint64(p.Seed) + 55_555_555) % 100_000_000
	mobile2 := mobilePrefixes[(i+7)%len(mobilePrefixes)] + fmt.Sprintf("%08d", suffix2)

	name := surnames[r.IntN(len(surnames))] + given[r.IntN(len(given))]
	if r.IntN(3) == 0 {
		name += given[r.IntN(len(given))]
	}
	fam := areas[r.IntN(len(areas))]
	corp := areas[r.IntN(len(areas))]
	per := Person{
		Index:      i,
		Name:       name,
		IDCard:     id,
		Mobile:     mobile,
		Mobile2:    mobile2,
		BankNo:     fmt.Sprintf("6222%015d", (uint64(i)*31+uint64(p.Seed))%1_000_000_000_000_000),
		Email:      fmt.Sprintf("user%d@example.com", i),
		QQ:         fmt.Sprintf("%d", 100000+i*3),
		FamilyTel:  fmt.Sprintf("0%d-%08d", 10+r.IntN(80), r.IntN(100_000_000)),
		CorpTel:    fmt.Sprintf("0%d-%08d", 10+r.IntN(80), r.IntN(100_000_000)),
		FamilyAddr: Address{fam.province, fam.city, fam.county, fmt.Sprintf("%s%d号%d室", fam.street, 1+r.IntN(300), 101+r.IntN(1500))},
		CorpAddr:   Address{corp.province, corp.city, corp.county, fmt.Sprintf("%s%d号", corp.street, 1+r.IntN(500))},
		CorpName:   corp.city[:len(corp.city)] + []string{"华信", "恒通", "东方", "鼎盛", "星辰"}[r.IntN(5)] + corpNames[r.IntN(len(corpNames))],
		AccountID:  accountID(i),
		IP:         ipOf(i),
		BlackBox:   p.blackBox(i),
	}
	// Indonesian twin: NIK = province(2) regency(2) district(2) DDMMYY(+40 for women) serial(4).
	ir := p.rng(i, "id")
	female := ir.IntN(2) == 0
	y, m, d := birthYMD(day)
	dd := d
	if female {
		dd += 40
	}
	per.IDName = idFirst[ir.IntN(len(idFirst))] + " " + idLast[ir.IntN(len(idLast))]
	per.NIK = fmt.Sprintf("%s%02d%02d%02d%02d%02d%04d", idProvinces[(i/birthDays)%len(idProvinces)], 1+(i/birthDays/len(idProvinces))%70, 1+ir.IntN(30), dd, m, y%100, 1+(i/birthDays)%9999)
	per.IDMobile = p.idMobile(i)
	per.GAID = fmt.Sprintf("%x", md5.Sum([]byte(fmt.Sprintf("gaid/%d/%d", p.Seed, i))))
	return per
}

func (p *Population) birthDay(i int) int {
	off := int(uint64(p.Seed) % birthDays)
	return (i + off) % birthDays
}

// idCard is person i's ID number; ids are unique for i < birthDays*1000*len(areas).
func (p *Population) idCard(i int) string {
	seq := (i / birthDays) % 1000
	area := areas[(i/birthDays/1000+int(uint64(p.Seed)%uint64(len(areas))))%len(areas)]
	id17 := area.code + dateFromDays(p.birthDay(i)) + fmt.Sprintf("%03d", seq)
	return id17 + string(CheckDigit(id17))
}

func (p *Population) mobile(i int) string {
	suffix := (uint64(i)*7 + uint64(p.Seed)) % 100_000_000
	return mobilePrefixes[i%len(mobilePrefixes)] + fmt.Sprintf("%08d", suffix)
}

func (p *Population) idMobile(i int) string {
	return fmt.Sprintf("08%d%09d", 1+i%9, (uint64(i)*11+uint64(p.Seed))%1_000_000_000)
}

func accountID(i int) string { return fmt.Sprintf("acct%08d", i) }

func ipOf(i int) string {
	return fmt.Sprintf("10.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255)
}

func (p *Population) blackBox(i int) string {
	return fmt.Sprintf("bb%x", sha256.Sum256([]byte(fmt.Sprintf("bb/%d/%d", p.Seed, i))))[:26]
}

func birthYMD(day int) (y, m, d int) {
	t := epoch.AddDate(0, 0, day)
	return t.Year(), int(t.Month()), t.Day()
}

func dateFromDays(day int) string {
	y, m, d := birthYMD(day)
	return fmt.Sprintf("%04d%02d%02d", y, m, d)
}

// CheckDigit computes the GB 11643-1999 check character of a 17-digit prefix.
func CheckDigit(id17 string) byte {
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(id17[i]-'0') * weights[i]
	}
	return "10X98765432"[sum%11]
}

// Field names the identifiers a vendor can look people up by.
type Field string

const (
	FieldIDCard     Field = "idcard"
	FieldMobile     Field = "mobile"
	FieldName       Field = "name"
	FieldNIK        Field = "nik"
	FieldIDMobile   Field = "id_mobile" // Indonesian mobile, local form 08…
	FieldIDMobile62 Field = "id_mobile62"
	FieldAccount    Field = "account_id"
	FieldIP         Field = "ip"
	FieldBlackBox   Field = "black_box"
)

// Digest names the encodings the vendors accept for an identifier.
type Digest string

const (
	Plain  Digest = "plain"
	MD5    Digest = "md5"
	SHA256 Digest = "sha256"
	SM3    Digest = "sm3"
)

// Encode applies a digest to a value (lowercase hex).
func Encode(d Digest, v string) string {
	// The vendors' digests are the client's: one implementation (pii), so
	// the simulator cannot drift from what riskbatch sends.
	switch d {
	case MD5:
		return pii.Hash(pii.MD5, v)
	case SHA256:
		return pii.Hash(pii.SHA256, v)
	case SM3:
		return pii.Hash(pii.SM3, v)
	}
	return v
}

// fieldValue computes one identifier of person i without building the
// whole person (index builds touch every person).
func (p *Population) fieldValue(i int, f Field) string {
	switch f {
	case FieldIDCard:
		return p.idCard(i)
	case FieldMobile:
		return p.mobile(i)
	case FieldIDMobile:
		return p.idMobile(i)
	case FieldIDMobile62:
		return "62" + strings.TrimPrefix(p.idMobile(i), "0")
	case FieldAccount:
		return accountID(i)
	case FieldIP:
		return ipOf(i)
	case FieldBlackBox:
		return p.blackBox(i)
	}
	per := p.Person(i)
	switch f {
	case FieldName:
		return per.Name
	case FieldNIK:
		return per.NIK
	}
	return ""
}

// Lookup finds the person whose field, encoded with d, equals value.
// Indexes are built on first use per (field, digest).
func (p *Population) Lookup(f Field, d Digest, value string) (int, bool) {
	if d != Plain {
		value = strings.ToLower(value)
	}
	idx := p.index(f, d)
	i, ok := idx[value]
	return int(i), ok
}

func (p *Population) index(f Field, d Digest) map[string]int32 {
	key := string(f) + "/" + string(d)
	p.mu.Lock()
	defer p.mu.Unlock()
	if m, ok := p.indexes[key]; ok {
		return m
	}
	m := make(map[string]int32, p.Size)
	for i := 0; i < p.Size; i++ {
		m[Encode(d, p.fieldValue(i, f))] = int32(i)
	}
	p.indexes[key] = m
	return m
}

var epoch = time.Date(1962, 1, 1, 0, 0, 0, 0, time.UTC)

// Risk is person i's latent propensity to default, in [0, 1). Vendors' scores
// are noisy functions of it and `riskbatch gen` draws back-test labels from
// it, so a back-test on sandbox data shows real (synthetic) separation.
func (p *Population) Risk(i int) float64 {
	r := p.rng(i, "risk")
	// A skewed distribution: most people are low risk, a tail is high.
	u := r.Float64()
	return u * u
}

// DeriveDigits returns n decimal digits derived from parts, for vendor ids
// that must be identical when the same request is sent again.
func DeriveDigits(n int, parts ...string) string {
	h := sha256.New()
	for _, s := range parts {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	sum := h.Sum(nil)
	out := make([]byte, 0, n)
	for len(out) < n {
		for _, b := range sum {
			if len(out) == n {
				break
			}
			out = append(out, '0'+b%10)
		}
		next := sha256.Sum256(sum)
		sum = next[:]
	}
	return string(out)
}

// DeriveHex returns n lowercase hex characters derived from parts.
func DeriveHex(n int, parts ...string) string {
	h := sha256.New()
	for _, s := range parts {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	s := hex.EncodeToString(h.Sum(nil))
	for len(s) < n {
		next := sha256.Sum256([]byte(s))
		s += hex.EncodeToString(next[:])
	}
	return s[:n]
}
