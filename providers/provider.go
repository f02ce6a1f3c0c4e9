// Package providers defines what riskbatch needs from a vendor: how to turn
// an input row into a request, how to read the vendor's answer into the
// outcome taxonomy, and which result columns it produces.
//
// A vendor lives in one sub-package (client and simulator side by side) and
// registers itself with Register from an init function; the binary imports
// the sub-packages in one place (providers/all). Nothing else changes to add
// a vendor.
//
// Providers do not perform I/O themselves: the pipeline owns the HTTP client,
// rate limits, retries and journaling, so a provider stays a pure, testable
// translation between rows and wire formats.
package providers

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Outcome is the class every vendor answer lands in (docs/providers.md, the outcome taxonomy).
type Outcome string

const (
	Hit       Outcome = "hit"       // answered with data
	NoHit     Outcome = "no_hit"    // answered, nothing on record
	Invalid   Outcome = "invalid"   // the vendor rejected this row's data; never retried
	Transient Outcome = "transient" // network error, 5xx, unparseable body, "system busy": retry
	Throttled Outcome = "throttled" // slow down: lower the key's rate, honour Retry-After, retry
	Quota     Outcome = "quota"     // key exhausted (daily or for good): retire it, rotate
	Fatal     Outcome = "fatal"     // credentials, permission, wrong URL: stop the key, no retry
)

// Final reports whether the outcome ends the (row, provider) pair.
func (o Outcome) Final() bool { return o == Hit || o == NoHit || o == Invalid }

// Scope says what a quota or throttling answer applies to.
type Scope int

const (
	ScopeKey      Scope = iota // the key that made the call
	ScopeProvider              // every key of the provider from this host (Juhe 10011, per IP)
)

// Result is a classified vendor answer.
type Result struct {
	Outcome Outcome
	// Code is the vendor's own code ("0", "10000", "NOT_HIT", "200") or
	// "HTTP 503" when the answer carried no vendor code.
	Code string
	// Message is the vendor's reason text (may echo PII; callers mask or drop it in logs).
	Message string
	// Values are the result columns, aligned with Provider.Columns(), for Hit and NoHit.
	Values []string
	// RetryAfter is the vendor's requested pause, when it gave one.
	RetryAfter time.Duration
	// Scope applies to Quota and Throttled.
	Scope Scope
	// Permanent marks a Quota answer that means the balance or total is used
	// up (not reset at midnight).
	Permanent bool
	// Unknown marks a vendor code the document does not list: it is treated
	// as Transient once, then reported with its raw body.
	Unknown bool
	// IdentityBackoff marks a Transient answer about this lookup, not the
	// key (AccuAuth ABNORMAL_BEHAVIOURS_DETECTED: the same parameters were
	// requested too often). The key's rate is left alone; the lookup is
	// retried with the retry policy's backoff, and when the retries are
	// spent the pair is deferred (resumable) under the vendor's code, never
	// a final status.
	IdentityBackoff bool
	// ParamsRejected marks an Invalid answer that rejects the request's
	// params as a whole (Zhicheng 40006 params 格式不对) rather than one
	// value: the row is invalid, and the pipeline stops the provider when
	// the vendor answers it for ParamsRejectedStop distinct rows in a row
	// (riskbatch is then building params the vendor rejects).
	ParamsRejected bool
	// BodyJSON reports that Parse read the body as one valid JSON value
	// (json.Valid would say so), so the raw log need not check it again.
	BodyJSON bool
}

// ParamsRejectedStop is how many consecutive ParamsRejected answers, for
// distinct rows, stop a provider.
const ParamsRejectedStop = 3

// Input describes one input field a provider reads from the row.
//
// A Required field is one the vendor's document requires: the provider
// cannot run without its column, and a value failing Check makes the row
// invalid (never sent). Any other field is optional: a value failing Check
// is left out of the request and reported in Request.Warnings, so an
// optional field never costs the lookup — unless Check says the field is
// conditionally required (e.g. by a job option).
type Input struct {
	Name     string   // canonical field name used in the job's column mapping, e.g. "idcard"
	Aliases  []string // default header names, Chinese and English, matched case-insensitively
	Required bool     // required by the vendor: the column must be in the file; a bad value makes the row invalid
	Doc      string   // one line for docs and error messages
	// Kind says what personal data the field holds, if any: it decides how
	// riskbatch hashes it (`riskbatch hash`), masks it (errors.csv, mask_pii),
	// checks it for Excel damage and shards by it. Empty: not personal data
	// of a known kind (masked generically).
	Kind PIIKind
	// Check says how a value is checked before it is sent (normalization,
	// format, limits, and the document's rule it follows), for the docs'
	// input tables.
	Check string
}

// PIIKind is the kind of personal data an input holds.
type PIIKind string

// The kinds of personal data riskbatch knows how to normalise, hash and mask.
const (
	PIIIDCard   PIIKind = "idcard"    // Chinese resident ID number (18 characters; 15 converted)
	PIINIK      PIIKind = "nik"       // Indonesian NIK (16 digits)
	PIIMobile   PIIKind = "mobile"    // Chinese mobile (11 digits)
	PIIIDMobile PIIKind = "id_mobile" // Indonesian mobile (08…, 62…)
	PIIPhone    PIIKind = "phone"     // a landline (not hashed; masked like a mobile)
	PIIName     PIIKind = "name"      // a person's name
	PIIEmail    PIIKind = "email"     // an e-mail address
	PIIBankCard PIIKind = "bank_card" // a bank card number
)

// Column describes one output column (the sheet header is "<provider>_<Name>").
type Column struct {
	Name    string
	Numeric bool // written as a number cell in XLSX when it parses
	Doc     string
}

// The markets riskbatch knows (Spec.Market): the sandbox's population has
// Chinese and Indonesian applicants.
const (
	MarketCN = "cn" // China: resident ID, Chinese mobile
	MarketID = "id" // Indonesia: NIK, Indonesian mobile
)

// Key is one set of credentials for a provider.
type Key struct {
	ID          string            // shown in logs
	Credentials map[string]string // provider-specific names: key, openid, user_name, sign, ...
}

// Request is a prepared call for one row, independent of the key that will send it.
type Request struct {
	// Dedupe identifies the lookup: two rows with equal Dedupe would send
	// identical requests (after normalization and encoding), so one answer
	// serves both. Providers derive it from everything that goes on the wire
	// except credentials.
	Dedupe [32]byte
	// Identity identifies the lookup independently of how it is encoded on
	// the wire: a digest (DedupeKey) of the normalised plaintext fields and
	// the options that change the vendor's answer, never of a per-key or
	// per-account encoding (Juhe's AES, a digest option). The answer cache
	// keys on it (an HMAC of it); zero means the lookup is not cached.
	Identity [32]byte
	// Payload is provider-private.
	Payload any
	// Notes are non-fatal remarks about the row for the error log (e.g. a
	// 15-digit ID converted to 18).
	Notes []string
	// Warnings are optional fields whose value failed its check and was left
	// out of the request; the row is still sent (warnings.csv).
	Warnings []*RowError
}

// Provider translates rows to one vendor API and back. Implementations must
// be safe for concurrent use after construction.
type Provider interface {
	// Inputs lists the fields the provider reads.
	Inputs() []Input
	// Columns lists the result columns.
	Columns() []Column
	// Prepare normalizes, validates and encodes one row. A row the vendor
	// would reject returns a *RowError and is never sent.
	Prepare(rec Record) (*Request, error)
	// NewHTTPRequest builds the HTTP request for a prepared row with a key.
	NewHTTPRequest(ctx context.Context, key Key, req *Request) (*http.Request, error)
	// Parse classifies an HTTP answer (status, headers, body).
	Parse(status int, header http.Header, body []byte) Result
	// DefaultBilled lists the outcomes or vendor codes that are billed by
	// default (docs/providers.md, classification by vendor); the job's billed_outcomes overrides it.
	DefaultBilled() []string
}

// Spec is what a vendor sub-package registers.
type Spec struct {
	Kind string // job file "type", e.g. "juhe"
	Doc  string
	// Credentials lists the credential names a key needs; required ones are
	// checked when the job loads.
	Credentials []Credential
	// TimeZone is the vendor's quota day (IANA name).
	TimeZone string
	// Market is the country whose people the vendor looks up (MarketCN,
	// MarketID): the synthetic applicants `riskbatch gen` and `riskbatch
	// bench` draw for it have that country's columns.
	Market string
	// Endpoint is the production API URL the vendor's document gives (what
	// `riskbatch init` writes; a deployment may point elsewhere).
	Endpoint string
	// New builds a provider from the job's options (decode them with
	// DecodeOptions so unknown keys are rejected) and endpoint URL.
	New func(cfg Config) (Provider, error)
	// Options returns a new value of the provider's options struct: its
	// yaml and doc tags describe every option (`riskbatch providers`).
	Options func() any
	// Example are options that build a provider for documentation (the
	// required ones filled in); nil when the defaults do.
	Example map[string]any
	// Report holds the vendor's defaults for the decision policy and the
	// back-test, used when the job gives none.
	Report ReportDefaults
}

// ReportDefaults are a vendor's defaults for the report: which result
// column is its score, how its answers vote (pass / review / reject), its
// bands, and which column holds its list hits.
type ReportDefaults struct {
	Score string        // the back-tested result column (higher = riskier)
	Rules []DefaultRule // in order; the first match is the vendor's vote
	Bands []DefaultBand // the back-test's bands, first match wins
	List  string        // the result column of list hits ("; "-joined), "" none
	// ListPathLevels keeps the first n levels of a list item written as a
	// path ("法院诉讼/法院-被执行/…") as its code; 0 keeps the whole item.
	ListPathLevels int
}

// DefaultRule is one default decision rule over the vendor's result
// columns (the report's rule language: "score > 80", "result == decline").
type DefaultRule struct {
	Name, When, Decision string
	// FromDocument: the vendor's document gives this rule; otherwise it is
	// riskbatch's own suggestion. Why says which words of the document, or
	// why riskbatch suggests it; both are shown beside the rule.
	FromDocument bool
	Why          string
}

// DefaultBand is one band of the back-test table.
type DefaultBand struct{ Name, When string }

// Credential names one credential of a key.
type Credential struct {
	Name     string
	Required bool
	Doc      string
}

// Config is what a provider gets from the job.
type Config struct {
	Name     string         // the provider's name in the job (column prefix)
	Endpoint string         // full API URL
	Options  map[string]any // provider options from the job, decoded with DecodeOptions
}

var (
	regMu    sync.RWMutex
	registry = map[string]Spec{}
)

// Register makes a vendor available under spec.Kind. It panics on a
// duplicate, which is a programming error caught by any test.
func Register(spec Spec) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[spec.Kind]; dup {
		panic("providers: duplicate registration of " + spec.Kind)
	}
	registry[spec.Kind] = spec
}

// Lookup returns the registered vendor of the given kind.
func Lookup(kind string) (Spec, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	s, ok := registry[kind]
	return s, ok
}

// Kinds lists the registered vendor kinds, sorted.
func Kinds() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// RowError is a row the vendor would reject: the pipeline records it as
// status invalid without calling the vendor.
type RowError struct {
	Field   string // canonical field
	Column  string // input header, filled by Record.Invalid
	Code    string // stable reason code, e.g. "id_checksum"
	Reason  string // what is wrong, never the raw value
	Masked  string // the masked value, for the error log
	Message string // optional full message overriding the default
}

func (e *RowError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	var b strings.Builder
	if e.Column != "" {
		fmt.Fprintf(&b, "column %q", e.Column)
	} else if e.Field != "" {
		fmt.Fprintf(&b, "field %s", e.Field)
	}
	if e.Masked != "" {
		fmt.Fprintf(&b, " (%s)", e.Masked)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}
