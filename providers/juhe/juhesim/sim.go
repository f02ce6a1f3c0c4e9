// Package juhesim simulates Juhe's two anti-fraud products for the sandbox
// (docs/sandbox.md): it registers with providers/sandbox and shares with the
// client only what the document fixes (product names, error and risk codes,
// the AES key rule).
package juhesim

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/juhe"
	"github.com/riskbatch/riskbatch/providers/pii"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

func init() { sandbox.RegisterVendor(func() sandbox.Vendor { return Sim{} }) }

// Sim simulates both Juhe products at their real paths.
type Sim struct{}

var shanghai = providers.Zone(juhe.TimeZone) // the client's registered zone

// Name implements sandbox.Vendor.
func (Sim) Name() string { return "juhe" }

// Paths implements sandbox.Vendor.
func (Sim) Paths() []string { return []string{"/anti_fraud/query", "/anti_fraud/queryV2"} }

// Location implements sandbox.Vendor.
func (Sim) Location() *time.Location { return shanghai }

// DefaultKeys implements sandbox.Vendor.
func (Sim) DefaultKeys() []sandbox.KeySpec {
	return []sandbox.KeySpec{
		{ID: "juhe-1", Credentials: map[string]string{"key": "sandbox-juhe-key-1", "openid": "sandbox-openid-1"}},
		{ID: "juhe-2", Credentials: map[string]string{"key": "sandbox-juhe-key-2", "openid": "sandbox-openid-2"}},
	}
}

// Serve implements sandbox.Vendor: key check, decoding (digests, AES),
// the shared admission (forced codes, faults, QPS, quota), validation, then
// the person's deterministic answer.
func (Sim) Serve(s *sandbox.Server, w http.ResponseWriter, r *http.Request) {
	product := juhe.ProductV1
	if strings.HasSuffix(r.URL.Path, "/queryV2") {
		product = juhe.ProductV2
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	// ParseForm reads the body only for application/x-www-form-urlencoded,
	// as Juhe does: a POST with another content type loses its parameters.
	if err := r.ParseForm(); err != nil {
		writeCode(w, 237001)
		return
	}
	f := r.Form
	appkey := f.Get("key")
	var creds map[string]string
	keyID, ok := s.FindKey("juhe", func(c map[string]string) bool {
		if appkey != "" && c["key"] == appkey {
			creds = c
			return true
		}
		return false
	})
	if !ok {
		writeCode(w, 10001)
		return
	}

	idc, mob, name := f.Get("idcard"), f.Get("mobile"), f.Get("realname")
	aes := f.Get("ency") == "1"
	if product == juhe.ProductV2 {
		aes = aes || f.Get("encyr") == "1"
	}
	idType, e1 := cryptoType(f.Get("idCryptoType"), 3)
	phType, e2 := cryptoType(f.Get("phoneCryptoType"), 3)
	nmType, e3 := cryptoType(f.Get("nameCryptoType"), 1)
	badParam := !e1 || !e2 || !e3
	if aes && !badParam {
		openid := creds["openid"]
		if openid == "" {
			writeCode(w, 10004)
			return
		}
		k := juhe.AESKey(openid)
		var err error
		for _, p := range []*string{&idc, &mob, &name} {
			if *p == "" {
				continue
			}
			if *p, err = pii.AESECBDecrypt(k, *p); err != nil {
				badParam = true
			}
		}
	}

	pop := s.Population()
	pid, idOK := -1, false
	if !badParam && idc != "" {
		pid, idOK = pop.Lookup(sandbox.FieldIDCard, digestOf(idType), idc)
	}
	mid, mOK := -1, false
	if !badParam && mob != "" {
		mid, mOK = pop.Lookup(sandbox.FieldMobile, digestOf(phType), mob)
	}
	identity := idc
	if idOK {
		identity = pop.Person(pid).IDCard
	} else if mOK {
		identity = pop.Person(mid).IDCard
	}

	v := s.Admit(w, r, "juhe", keyID, identity)
	switch {
	case v.Handled:
		return
	case v.Forced != "":
		code, err := strconv.Atoi(v.Forced)
		if err != nil {
			code = 237003
		}
		writeCode(w, code)
		return
	case v.Throttled:
		sandbox.WriteThrottled(w, v.RetryAfter)
		return
	case v.OverQuota:
		writeCode(w, 10012)
		return
	}

	if badParam || !validField(idc, idType, 18) || !validField(mob, phType, 11) || (name != "" && !validName(name, nmType)) {
		writeCode(w, 237001)
		return
	}

	who, known := pid, idOK
	if !known {
		who, known = mid, mOK
	}
	res := map[string]any{
		"orderid": "J" + sandbox.DeriveDigits(21, product, idc, mob, name),
		"idFound": pick(idOK, 1, -1),
	}
	score, codes, levels, hit := AnswerFor(pop, who, product)
	if !known || !hit {
		res["found"] = -1
		res["riskScore"] = pick(product == juhe.ProductV1, 99, -1)
	} else {
		res["found"] = 1
		res["riskScore"] = score
		if score > 0 {
			info := make([]map[string]int, len(codes))
			for i := range codes {
				info[i] = map[string]int{"riskCode": codes[i], "riskCodeValue": levels[i]}
			}
			res["riskInfo"] = info
		}
	}
	s.Bill("juhe", keyID)
	writeJSON(w, map[string]any{"reason": "成功", "result": res, "error_code": 0})
}

// AnswerFor is person i's deterministic Juhe answer for a product: whether
// Juhe has a record, the score (a noisy function of the latent risk) and
// the risk codes with their levels.
func AnswerFor(pop *sandbox.Population, i int, product string) (score int, codes, levels []int, hit bool) {
	if i < 0 {
		return 0, nil, nil, false
	}
	r := pop.Rand(i, "juhe")
	hit = r.Float64() < 0.85
	score = int(math.Round(pop.Risk(i)*105 + r.NormFloat64()*10))
	score = max(0, min(100, score))
	list := juhe.RiskCodes(product)
	cr := pop.Rand(i, "juhe/"+product)
	if score >= 40 {
		n := 1 + cr.IntN(3)
		seen := map[int]bool{}
		for len(codes) < n {
			c := list[cr.IntN(len(list))]
			if seen[c] {
				continue
			}
			seen[c] = true
			lvl := 1
			switch {
			case score > 80:
				lvl = 3
			case score >= 60:
				lvl = 2
			}
			if cr.IntN(4) == 0 && lvl > 1 {
				lvl--
			}
			codes = append(codes, c)
			levels = append(levels, lvl)
		}
	}
	return score, codes, levels, hit
}

func cryptoType(s string, maxType int) (pii.Digest, bool) {
	if s == "" {
		return pii.None, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > maxType {
		return pii.None, false
	}
	return pii.Digest(n), true
}

func digestOf(d pii.Digest) sandbox.Digest {
	switch d {
	case pii.MD5:
		return sandbox.MD5
	case pii.SHA256:
		return sandbox.SHA256
	case pii.SM3:
		return sandbox.SM3
	}
	return sandbox.Plain
}

// validField checks a value's shape for its crypto type: plain values have
// their fixed length, digests their hex length.
func validField(v string, d pii.Digest, plainLen int) bool {
	switch d {
	case pii.None:
		return len(v) == plainLen
	case pii.MD5:
		return len(v) == 32 && pii.IsHex(v)
	default:
		return len(v) == 64 && pii.IsHex(v)
	}
}

// validName: a plain name has at most 30 characters, an MD5 name is 32 hex.
func validName(v string, d pii.Digest) bool {
	if d == pii.MD5 {
		return len(v) == 32 && pii.IsHex(v)
	}
	return len([]rune(v)) <= 30
}

func pick(cond bool, a, b int) int {
	if cond {
		return a
	}
	return b
}

// writeCode answers an error_code the way Juhe does: HTTP 200, result null.
func writeCode(w http.ResponseWriter, code int) {
	reason := "未知错误"
	if r, ok := juhe.ErrorReason(code); ok {
		reason = r
	}
	writeJSON(w, map[string]any{"reason": reason, "result": nil, "error_code": code})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	b, _ := json.Marshal(v)
	_, _ = w.Write(b)
}
