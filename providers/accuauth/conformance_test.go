package accuauth_test

import (
	"testing"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/accuauth"
	"github.com/riskbatch/riskbatch/providers/accuauth/accuauthsim"
	"github.com/riskbatch/riskbatch/providers/providertest"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// accuauthCodes is AccuAuth's status table: the document's error codes with
// their HTTP statuses and descriptions, OK, the two statuses the vendor uses on its other APIs
// (ABNORMAL_BEHAVIOURS_DETECTED, SOURCE_SERVICE_UNAVAILABLE), and the
// classification of docs/providers.md (AccuAuth), written out independently
// of codes.go.
var accuauthCodes = []providertest.Code{
	{Code: "OK", HTTP: 200, Outcome: providers.Hit},
	{Code: "NOT_HIT", HTTP: 400, Outcome: providers.NoHit, Message: "Target is not hit"}, // a valid "no record" answer
	{Code: "INVALID_ARGUMENT", HTTP: 400, Outcome: providers.Invalid, Message: "Request parameter is invalid"},
	// A frequency condition of this lookup: backed off and retried, never final.
	{Code: "ABNORMAL_BEHAVIOURS_DETECTED", HTTP: 400, Outcome: providers.Transient, IdentityBackoff: true},
	{Code: "UNAUTHORIZED", HTTP: 401, Outcome: providers.Fatal, Message: "Unauthorized or access is denied"},
	{Code: "KEY_EXPIRED", HTTP: 401, Outcome: providers.Fatal, Message: "Your API ID has expired"},
	{Code: "NO_PERMISSION", HTTP: 403, Outcome: providers.Fatal, Message: "You are not authorized to use this API"},
	{Code: "OUT_OF_QUOTA", HTTP: 403, Outcome: providers.Quota, Message: "API calls quota exceeded"},
	{Code: "RATE_LIMIT_EXCEEDED", HTTP: 403, Outcome: providers.Throttled, Message: "API request frequency exceeds the limit"},
	{Code: "NOT_FOUND", HTTP: 404, Outcome: providers.Fatal, Message: "Requested API cannot be found"},
	{Code: "INTERNAL_ERROR", HTTP: 500, Outcome: providers.Transient, Message: "Internal server error"},
	{Code: "SOURCE_SERVICE_UNAVAILABLE", HTTP: 512, Outcome: providers.Transient},
}

// outcomeOf is a status's outcome in accuauthCodes.
func outcomeOf(status string) providers.Outcome {
	for _, c := range accuauthCodes {
		if c.Code == status {
			return c.Outcome
		}
	}
	panic("status " + status + " is not in the table")
}

func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Vendor{
		Kind: "accuauth", Path: accuauthsim.Path, Sim: &accuauthsim.Sim{},
		Row:      func(per sandbox.Person) map[string]string { return map[string]string{"no_hp": per.IDMobile} },
		Identity: func(per sandbox.Person) string { return per.IDMobile },
		Hit: func(pop *sandbox.Population, i int) bool {
			_, hit := accuauthsim.ReportFor(pop, i)
			return hit
		},
		Codes: accuauthCodes, ClientCodes: accuauth.Statuses(), Unknown: "SOMETHING_NEW",
		// The vendor's own throttling answer carries no Retry-After.
		Throttled: "RATE_LIMIT_EXCEEDED", ThrottledWaitFor: false, Quota: "OUT_OF_QUOTA",
		BadKeys: []providertest.BadKey{
			{Name: "wrong secret", Code: "UNAUTHORIZED", Key: providers.Key{ID: "bad", Credentials: map[string]string{"api_id": "sandbox-aa-id-1", "api_secret": "wrong-secret"}}},
			// A valid id with the other key's secret is no key either.
			{Name: "other key's secret", Code: "UNAUTHORIZED", Key: providers.Key{ID: "mixed", Credentials: map[string]string{"api_id": "sandbox-aa-id-1", "api_secret": "sandbox-aa-secret-2"}}},
		},
		Encodings: []providertest.Encoding{
			{Name: "json", Options: map[string]any{"body": "json"}},
			{Name: "country_code", Options: map[string]any{"mobile_form": "country_code"}},
			{Name: "md5", Options: map[string]any{"mobile_encoding": "md5"}},
			{Name: "md5_country_code_json", Options: map[string]any{"mobile_encoding": "md5", "mobile_form": "country_code", "body": "json"}},
		},
		Compare: []string{"past_overdue_num", "past_overdue_rate", "past_overdue_amount_total", "unsettled_overdue_num", "unsettled_overdue_days_max"},
		DocAnswers: []providertest.DocAnswer{
			// The Response Syntax of section 3: every figure of the report.
			{File: "doc_risk_report.json", Status: 200, Outcome: providers.Hit, Code: "OK", Values: map[string]string{
				"past_overdue_num": "1", "past_overdue_rate": "0.5", "past_overdue_amount_max": "3000", "past_overdue_amount_min": "3000",
				"past_overdue_amount_avg": "3000", "past_overdue_amount_total": "3000", "past_overdue_days_max": "21", "past_overdue_days_min": "21",
				"past_overdue_days_avg": "21", "past_overdue_3days_num": "1", "past_overdue_3days_rate": "0.5", "past_overdue_5days_num": "1",
				"past_overdue_5days_rate": "0.5", "unsettled_overdue_num": "1", "unsettled_overdue_amount_avg": "3000",
				"unsettled_overdue_amount_min": "3000", "unsettled_overdue_amount_max": "3000", "unsettled_overdue_amount_total": "3000",
				"unsettled_overdue_days_avg": "21", "unsettled_overdue_days_min": "21", "unsettled_overdue_days_max": "21",
				"request_id": "TID591cb9fb0e284cf296912a4d0ffea889"}},
			// The error Response Syntax of section 4, with its HTTP status from the table.
			{File: "doc_invalid_argument.json", Status: 400, Outcome: providers.Invalid, Code: "INVALID_ARGUMENT"},
		},
	})
}
