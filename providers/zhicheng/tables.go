package zhicheng

// What the document fixes, for the simulator (providers/zhicheng/zhichengsim):
// it answers with the document's wording and validates with the client's
// rules, since both come from the same tables.

// DecodeParams reads a request's params JSON as the gateway does; the code
// is 40006 when it is not a JSON object of the documented shape.
func DecodeParams(raw string) (*Params, string) { return decodeParams(raw) }

// Validate applies the document's business rules (the 44xxx codes) to
// decoded params without fixing anything, as the vendor does.
func Validate(p *Params) *FieldError { return check(p, false, nil) }

// QueryReasons are the document's query_reason values.
func QueryReasons() []string { return append([]string(nil), queryReasons...) }

// ResultMessage is the document's msg for a result code, and whether the
// document lists the code.
func ResultMessage(code string) (string, bool) {
	cl, ok := resultCodes[code]
	return cl.msg, ok
}

// AddrVerdict is one row of the document's personal address result codes
// (table 11): the fixed result text (empty where the answer carries one of
// the listed enum values), risk level, remark and description.
func AddrVerdict(code string) (result, riskLevel, remark, desc string) {
	v := addrCodes[code]
	return v.result, v.riskLevel, v.remark, v.desc
}

// AddrTypeDesc is the document's wording of a personal address detection type.
func AddrTypeDesc(code string) string { return addrTypeDesc(code) }

// RecentPeriods and AddrCounts are the enum values table 11 lists for the
// 4001–4004 and 5001–5003 verdicts.
func RecentPeriods() []string { return append([]string(nil), recentPeriods...) }

// AddrCounts: see RecentPeriods.
func AddrCounts() []string { return append([]string(nil), addrCounts...) }

// CorpResult, CorpEffect and CorpSource are the document's wording of the
// corporate address verdict's codes.
func CorpResult(code string) string { return corpResults[code] }

// CorpEffect: see CorpResult.
func CorpEffect(code string) string { return corpEffect[code] }

// CorpSource: see CorpResult.
func CorpSource(code string) string { return corpSources[code] }

// MarshalJSON encodes v as Zhicheng writes JSON: without HTML escaping
// (addresses and names as written) and without a trailing newline.
func MarshalJSON(v any) ([]byte, error) { return marshalJSON(v) }
