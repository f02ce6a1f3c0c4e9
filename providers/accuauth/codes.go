package accuauth

import "github.com/riskbatch/riskbatch/providers"

// statusClass is one documented status string: its HTTP status, the
// document's description and its class (the AccuAuth row of docs/providers.md).
type statusClass struct {
	http    int
	outcome providers.Outcome
	reason  string
	// identity marks a condition of the lookup, not the key: back off on
	// it and retry, deferred when retries are spent (Result.IdentityBackoff).
	identity bool
}

// statuses are the status strings of the document's error table, plus OK,
// and the two the vendor uses on its other APIs (seeds/README.md):
// ABNORMAL_BEHAVIOURS_DETECTED and SOURCE_SERVICE_UNAVAILABLE.
var statuses = map[string]statusClass{
	"OK":               {200, providers.Hit, "", false},
	"NOT_HIT":          {400, providers.NoHit, "Target is not hit", false},
	"INVALID_ARGUMENT": {400, providers.Invalid, "Request parameter is invalid", false},
	// "Same parameters are requested too often" is a frequency condition on
	// this lookup, not a verdict on the row: retried with backoff, then
	// deferred (resumable), never final.
	"ABNORMAL_BEHAVIOURS_DETECTED": {400, providers.Transient, "Same parameters are requested too often", true},
	"UNAUTHORIZED":                 {401, providers.Fatal, "Unauthorized or access is denied", false},
	"KEY_EXPIRED":                  {401, providers.Fatal, "Your API ID has expired", false},
	"NO_PERMISSION":                {403, providers.Fatal, "You are not authorized to use this API", false},
	"OUT_OF_QUOTA":                 {403, providers.Quota, "API calls quota exceeded", false},
	"RATE_LIMIT_EXCEEDED":          {403, providers.Throttled, "API request frequency exceeds the limit", false},
	"NOT_FOUND":                    {404, providers.Fatal, "Requested API cannot be found", false},
	"INTERNAL_ERROR":               {500, providers.Transient, "Internal server error", false},
	"SOURCE_SERVICE_UNAVAILABLE":   {512, providers.Transient, "Source service unavailable", false},
}

// Statuses lists every status string the client classifies, for tests and docs.
func Statuses() []string {
	out := make([]string, 0, len(statuses))
	for s := range statuses {
		out = append(out, s)
	}
	return out
}

// reportFields are the 21 figures of a risk report, in the document's
// table order; ints are counts and days, the rest amounts and rates.
var reportFields = []struct {
	name string
	doc  string
}{
	{"past_overdue_num", "historical overdue orders"},
	{"past_overdue_rate", "historical overdue rate (0–1)"},
	{"past_overdue_amount_max", "historical maximum overdue amount"},
	{"past_overdue_amount_min", "historical minimum overdue amount"},
	{"past_overdue_amount_avg", "historical average overdue amount"},
	{"past_overdue_amount_total", "total historical overdue amount"},
	{"past_overdue_days_max", "historical maximum overdue days"},
	{"past_overdue_days_min", "historical minimum overdue days"},
	{"past_overdue_days_avg", "historical average overdue days"},
	{"past_overdue_3days_num", "orders overdue more than 3 days"},
	{"past_overdue_3days_rate", "rate of orders overdue more than 3 days"},
	{"past_overdue_5days_num", "orders overdue more than 5 days"},
	{"past_overdue_5days_rate", "rate of orders overdue more than 5 days"},
	{"unsettled_overdue_num", "overdue orders not settled"},
	{"unsettled_overdue_amount_avg", "average overdue amount of unsettled orders"},
	{"unsettled_overdue_amount_min", "minimum overdue amount of unsettled orders"},
	{"unsettled_overdue_amount_max", "maximum overdue amount of unsettled orders"},
	{"unsettled_overdue_amount_total", "total overdue amount of unsettled orders"},
	{"unsettled_overdue_days_avg", "average overdue days of unsettled orders"},
	{"unsettled_overdue_days_min", "minimum overdue days of unsettled orders"},
	{"unsettled_overdue_days_max", "maximum overdue days of unsettled orders"},
}

// StatusHTTP is the HTTP status and the document's description of a status
// string, and whether the client knows it; the simulator answers with them.
func StatusHTTP(status string) (httpStatus int, reason string, ok bool) {
	cl, ok := statuses[status]
	return cl.http, cl.reason, ok
}

// ValidGAID reports whether v has the shape of a Google Advertising ID or
// an Apple IDFV (a UUID, dashes optional), the document's gaid.
func ValidGAID(v string) bool { return gaidRe.MatchString(v) }
