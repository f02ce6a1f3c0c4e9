// Package jobfile is the job file: its schema (docs/job-reference.md),
// loading (${VAR} interpolation, durations in days, unknown keys and
// errors at their line) and validation, the secrets it holds for
// redaction, and what is derived from it alone (result column names, the
// cache and quota paths, key fingerprints). A mistake in it is a
// *ConfigError (exit 2). It runs nothing: the engine (pipeline) and the
// dry run read a Job.
package jobfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/riskbatch/riskbatch/pipeline/compare"
	"github.com/riskbatch/riskbatch/pipeline/report"
	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/ratelimit"
)

// Job is a job file: what to read, which providers to call with which keys,
// and where to write. docs/job-reference.md documents every key.
type Job struct {
	Input       InputConfig   `yaml:"input"`
	Output      OutputConfig  `yaml:"output"`
	Sandbox     bool          `yaml:"sandbox"`
	SandboxOpts SandboxConfig `yaml:"sandbox_options"`
	Concurrency int           `yaml:"concurrency"`
	Window      int           `yaml:"reorder_window"`
	StateDir    string        `yaml:"state_dir"`
	// MaxInvalidShare refuses the run (exit 2, before any call) when more
	// than this share (0–1) of the pre-flight rows is invalid for a
	// provider. 0 = off: list cleaning often has more.
	MaxInvalidShare float64          `yaml:"max_invalid_share"`
	Providers       []ProviderConfig `yaml:"providers"`
	// Decisions and Backtest configure the report (package report):
	// pass/review/reject rules per provider and the label to back-test
	// each provider's score against.
	Decisions report.DecisionConfig `yaml:"decisions"`
	Backtest  report.BacktestConfig `yaml:"backtest"`

	// Cache is the answer cache across runs (cacheconfig.go); a provider
	// uses it only when it says cache: {max_age: …}.
	Cache CacheConfig `yaml:"cache"`

	// Coordination shares the keys' rates, in-flight caps and daily quotas
	// with other processes and machines through Redis (coordination.go).
	Coordination CoordinationConfig `yaml:"coordination"`
	// Compare is what changed since the previous run (package compare;
	// pipeline/compareuse.go runs it).
	Compare *compare.Config `yaml:"compare"`

	// Path is the job file; relative paths in it are resolved from its directory.
	Path string `yaml:"-"`
	// secrets are every credential value, for redaction.
	secrets []string
	// offline: loaded with LoadOptions.Offline (credentials may be empty).
	offline bool
	// state is LoadOptions.State, for compare.previous.
	state compare.StateFunc
}

// InputConfig names the input file.
type InputConfig struct {
	File      string `yaml:"file"`
	Sheet     string `yaml:"sheet"`
	Encoding  string `yaml:"encoding"`
	Delimiter string `yaml:"delimiter"`
}

// OutputConfig says where and what to write.
type OutputConfig struct {
	Dir     string   `yaml:"dir"`
	Formats []string `yaml:"formats"` // xlsx, csv
	CSVBOM  *bool    `yaml:"csv_bom"`
	MaskPII bool     `yaml:"mask_pii"` // mask PII input columns in the result sheets too
	// Columns chooses, orders and drops the result columns by name (the
	// input columns always come first); empty = every result column in
	// the default order (pipeline/output/columns.go).
	Columns []string `yaml:"columns"`
}

// SandboxConfig tunes the embedded sandbox.
type SandboxConfig struct {
	Seed       int64         `yaml:"seed"`
	Population int           `yaml:"population"`
	Latency    time.Duration `yaml:"latency"`
	Jitter     time.Duration `yaml:"jitter"`
	FaultRate  float64       `yaml:"fault_rate"`
	FaultKinds []string      `yaml:"fault_kinds"`
}

// ProviderConfig is one provider in the job.
type ProviderConfig struct {
	Name          string            `yaml:"name"`
	Type          string            `yaml:"type"`
	Endpoint      string            `yaml:"endpoint"`
	Columns       map[string]string `yaml:"columns"`
	Options       map[string]any    `yaml:"options"`
	BilledOutcome []string          `yaml:"billed_outcomes"`
	PricePerCall  float64           `yaml:"price_per_call"`
	Currency      string            `yaml:"currency"`
	Timeout       time.Duration     `yaml:"timeout"`
	TimeZone      string            `yaml:"time_zone"`
	Retry         RetryConfig       `yaml:"retry"`
	Breaker       BreakerConfig     `yaml:"circuit_breaker"`
	// optionLines: where each key of options is in the job file (for errors).
	optionLines map[string]int
	Keys        []KeyConfig `yaml:"keys"`

	// Cache serves answers younger than max_age from the answer cache;
	// Budget caps the billed cost over all passes of the job
	// (cacheconfig.go; pipeline/budget.go keeps it).
	Cache  *ProviderCacheConfig `yaml:"cache"`
	Budget *BudgetConfig        `yaml:"budget"`
}

// BreakerConfig is the provider's circuit breaker for failures before a
// request reaches the vendor (connection refused, DNS, no route): after
// Failures of them in a row with no answer, the provider pauses, probes
// with one request after Backoff (doubling each time), and stops after
// Probes failed probes: its remaining rows are deferred (exit 3).
type BreakerConfig struct {
	Failures int           `yaml:"failures"`
	Probes   int           `yaml:"probes"`
	Backoff  time.Duration `yaml:"backoff"`
}

// Defaults of the circuit breaker: a dead endpoint is stopped after 5 + 2
// attempts and about 15 seconds (probes after 5 s and 10 s).
const (
	defaultBreakerFailures = 5
	defaultBreakerProbes   = 2
	defaultBreakerBackoff  = 5 * time.Second
)

// RetryConfig bounds retries of transient answers.
type RetryConfig struct {
	MaxAttempts int           `yaml:"max_attempts"`
	Initial     time.Duration `yaml:"initial"`
	Max         time.Duration `yaml:"max"`
	MaxElapsed  time.Duration `yaml:"max_elapsed"`
}

// KeyConfig is one key of a provider.
type KeyConfig struct {
	ID          string            `yaml:"id"`
	Credentials map[string]string `yaml:"credentials"`
	QPS         float64           `yaml:"qps"`
	Burst       int               `yaml:"burst"`
	MaxInFlight int               `yaml:"max_in_flight"`
	DailyQuota  int               `yaml:"daily_quota"`
}

// ConfigError is a problem with the job file (exit code 2).
type ConfigError struct{ Msg string }

func (e *ConfigError) Error() string { return e.Msg }

// Errorf makes a *ConfigError: a mistake in the job file, or in what a
// command was asked to do with it.
func Errorf(format string, args ...any) error {
	return &ConfigError{Msg: fmt.Sprintf(format, args...)}
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}`)

// LoadOptions say how Load reads a job file.
type LoadOptions struct {
	// Offline is for the commands that make no call (validate, hash): a
	// credential whose variable is unset is left empty instead of being an
	// error, so a job can be checked on a machine without the keys.
	Offline bool
	// State reads the job state of an output folder (pipeline.StateExists,
	// the engine's): compare.previous must name a complete run. nil: every
	// folder is judged by its summary.json alone.
	State compare.StateFunc
}

// Load reads, interpolates and validates a job file. getenv is
// os.LookupEnv in production; tests pass their own.
func Load(path string, getenv func(string) (string, bool), opts LoadOptions) (*Job, error) {
	offline := opts.Offline
	if getenv == nil {
		getenv = os.LookupEnv
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, Errorf("job file: %v", err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, Errorf("job file %s: %v", path, err)
	}
	if len(root.Content) == 0 {
		return nil, Errorf("job file %s is empty", path)
	}
	// Interpolate ${VAR} in scalar values (never in keys), collecting every
	// missing variable so the user fixes them in one go.
	missing := map[string]bool{}
	interpolate(&root, getenv, missing, offline, false)
	if len(missing) > 0 {
		names := make([]string, 0, len(missing))
		for n := range missing {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, Errorf("job file %s: environment variables not set: %s", path, strings.Join(names, ", "))
	}
	expandDays(&root) // timeout: 1d and the other Go durations take days too (duration.go)
	// Decode the interpolated nodes directly, not a re-encoded copy: the
	// copy loses blank lines and comments, so its line numbers would not be
	// the user's. Node.Decode cannot reject unknown keys, so those come from
	// a strict decode of the file as written (its type errors, caused by the
	// ${VAR} references not yet replaced, are ignored there).
	var errs []string
	probe := yaml.NewDecoder(bytes.NewReader(raw))
	probe.KnownFields(true)
	var te *yaml.TypeError
	if err := probe.Decode(&Job{}); errors.As(err, &te) {
		for _, e := range te.Errors {
			if strings.Contains(e, " not found in type ") {
				errs = append(errs, e)
			}
		}
	}
	job := &Job{Path: path, offline: offline, state: opts.State}
	if err := root.Decode(job); err != nil {
		if !errors.As(err, &te) {
			return nil, Errorf("job file %s: %s", path, redactYAMLError(err.Error()))
		}
		errs = append(errs, te.Errors...)
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(a, b int) bool { return yamlErrLine(errs[a]) < yamlErrLine(errs[b]) })
		return nil, Errorf("job file %s: yaml: unmarshal errors:\n  %s", path, redactYAMLError(strings.Join(errs, "\n  ")))
	}
	recordOptionLines(&root, job)
	if err := job.validate(); err != nil {
		return nil, err
	}
	return job, nil
}

// recordOptionLines remembers where each provider's options are in the
// file: the providers decode their options from a map, which has no line
// numbers, and an error must point at the user's line.
func recordOptionLines(root *yaml.Node, job *Job) {
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	provs := mappingValue(doc, "providers")
	if provs == nil || provs.Kind != yaml.SequenceNode {
		return
	}
	for i, item := range provs.Content {
		if i >= len(job.Providers) {
			break
		}
		opts := mappingValue(item, "options")
		if opts == nil || opts.Kind != yaml.MappingNode {
			continue
		}
		lines := map[string]int{"": opts.Line}
		for k := 0; k+1 < len(opts.Content); k += 2 {
			lines[opts.Content[k].Value] = opts.Content[k].Line
		}
		job.Providers[i].optionLines = lines
	}
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for k := 0; k+1 < len(n.Content); k += 2 {
		if n.Content[k].Value == key {
			return n.Content[k+1]
		}
	}
	return nil
}

// OptionError places a provider option error at its line in the job file.
func (p *ProviderConfig) OptionError(jobPath string, err error) error {
	var lines []string
	for _, e := range flattenErrors(err) {
		key := ""
		var oe *providers.OptionError
		if errors.As(e, &oe) {
			key = oe.Key
		} else if m := optionKeyPrefix.FindStringSubmatch(e.Error()); m != nil {
			key = m[1] // the providers' own checks say "options.<key> …"
		}
		if n := p.optionLines[key]; key != "" && n > 0 {
			lines = append(lines, fmt.Sprintf("line %d: provider %q: %v", n, p.Name, e))
			continue
		}
		lines = append(lines, fmt.Sprintf("provider %q: %v", p.Name, e))
	}
	sort.SliceStable(lines, func(a, b int) bool { return yamlErrLine(lines[a]) < yamlErrLine(lines[b]) })
	return Errorf("job file %s:\n  %s", jobPath, strings.Join(lines, "\n  "))
}

var optionKeyPrefix = regexp.MustCompile(`^options\.([A-Za-z0-9_]+)`)

// flattenErrors lists the errors an errors.Join holds (or err itself).
func flattenErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

var yamlLine = regexp.MustCompile(`^line (\d+):`)

// yamlErrLine is the line number a yaml error message starts with (0 if none).
func yamlErrLine(msg string) int {
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// redactYAMLError keeps yaml's line-numbered message; it never quotes
// credential values because interpolated secrets are only in scalar values
// that type errors could echo, so values are cut.
func redactYAMLError(msg string) string {
	return regexp.MustCompile("`[^`]*`").ReplaceAllString(msg, "`…`")
}

// interpolate replaces ${VAR} references below n. With offline set, a
// missing variable under a credentials: mapping is left empty.
func interpolate(n *yaml.Node, getenv func(string) (string, bool), missing map[string]bool, offline, inCreds bool) {
	if n.Kind == yaml.ScalarNode {
		if strings.Contains(n.Value, "${") {
			n.Value = varRef.ReplaceAllStringFunc(n.Value, func(m string) string {
				sub := varRef.FindStringSubmatch(m)
				if v, ok := getenv(sub[1]); ok && v != "" {
					return v
				}
				if strings.Contains(m, ":") {
					return sub[2]
				}
				if !(offline && inCreds) {
					missing[sub[1]] = true
				}
				return ""
			})
			// A plain scalar takes the type its new value spells, as if the
			// value had been written in the file: concurrency: ${N:8} is a
			// number, and a string field still gets the text verbatim
			// ("0012" stays "0012"). A value that would read as null stays a
			// string; a quoted reference stays a string.
			if n.Style == 0 {
				n.Tag = ""
				if n.ShortTag() == "!!null" {
					n.Tag = "!!str"
				}
			}
		}
		return
	}
	for i, c := range n.Content {
		// Skip mapping keys.
		if n.Kind == yaml.MappingNode && i%2 == 0 {
			continue
		}
		creds := inCreds || (n.Kind == yaml.MappingNode && n.Content[i-1].Value == "credentials")
		interpolate(c, getenv, missing, offline, creds)
	}
}

// Dir is the directory relative paths are resolved from.
func (j *Job) Dir() string { return filepath.Dir(j.Path) }

// Resolve makes p absolute relative to the job file's directory.
func (j *Job) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(j.Dir(), p)
}

// Secrets returns every credential value, for redaction.
func (j *Job) Secrets() []string { return j.secrets }

func (j *Job) validate() error {
	var errs []string
	add := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if j.Input.File == "" {
		add("input.file is required")
	}
	if j.Output.Dir == "" {
		add("output.dir is required")
	}
	if len(j.Output.Formats) == 0 {
		j.Output.Formats = []string{"xlsx"}
	}
	for _, f := range j.Output.Formats {
		if f != "xlsx" && f != "csv" {
			add("output.formats: %q is not xlsx or csv", f)
		}
	}
	if j.Concurrency == 0 {
		j.Concurrency = 8
	}
	if j.Concurrency < 0 || j.Concurrency > 1024 {
		add("concurrency %d: want 1–1024", j.Concurrency)
	}
	if j.Window == 0 {
		j.Window = 4096
	}
	if j.Window < j.Concurrency {
		j.Window = j.Concurrency * 2
	}
	if j.MaxInvalidShare < 0 || j.MaxInvalidShare > 1 {
		add("max_invalid_share %v: want a share between 0 and 1 (0.2 = 20%%; 0 = off)", j.MaxInvalidShare)
	}
	if len(j.Providers) == 0 {
		add("providers: at least one provider is required")
	}
	names := map[string]bool{}
	for i := range j.Providers {
		p := &j.Providers[i]
		where := fmt.Sprintf("providers[%d]", i)
		if p.Name == "" {
			p.Name = p.Type
		}
		if p.Name != "" {
			where = fmt.Sprintf("provider %q", p.Name)
		}
		if !regexp.MustCompile(`^[a-z][a-z0-9_]*$`).MatchString(p.Name) {
			add("%s: name must be lowercase letters, digits and _ (it prefixes the result columns)", where)
		}
		if names[p.Name] {
			add("%s: duplicate provider name", where)
		}
		names[p.Name] = true
		spec, ok := providers.Lookup(p.Type)
		if !ok {
			add("%s: unknown type %q (known: %s)", where, p.Type, strings.Join(providers.Kinds(), ", "))
			continue
		}
		if p.Endpoint == "" {
			add("%s: endpoint is required (the full API URL)", where)
		} else if _, err := providers.CheckEndpoint(p.Endpoint); err != nil {
			add("%s: %v", where, err)
		}
		if p.Timeout == 0 {
			p.Timeout = 30 * time.Second
		}
		if p.Breaker.Failures == 0 {
			p.Breaker.Failures = defaultBreakerFailures
		}
		if p.Breaker.Probes == 0 {
			p.Breaker.Probes = defaultBreakerProbes
		}
		if p.Breaker.Backoff == 0 {
			p.Breaker.Backoff = defaultBreakerBackoff
		}
		if p.Breaker.Failures < 0 || p.Breaker.Probes < 0 || p.Breaker.Backoff < 0 {
			add("%s: circuit_breaker: failures, probes and backoff must not be negative", where)
		}
		if p.TimeZone == "" {
			p.TimeZone = spec.TimeZone
		}
		if _, err := time.LoadLocation(p.TimeZone); err != nil {
			add("%s: time_zone %q: %v", where, p.TimeZone, err)
		}
		if p.PricePerCall < 0 {
			add("%s: price_per_call must not be negative", where)
		}
		if len(p.Keys) == 0 {
			add("%s: keys: at least one key is required", where)
		}
		ids := map[string]bool{}
		for k := range p.Keys {
			key := &p.Keys[k]
			kw := fmt.Sprintf("%s key %d", where, k+1)
			if key.ID == "" {
				add("%s: id is required", kw)
			} else {
				kw = fmt.Sprintf("%s key %q", where, key.ID)
			}
			if ids[key.ID] {
				add("%s: duplicate key id", kw)
			}
			ids[key.ID] = true
			known := map[string]bool{}
			for _, c := range spec.Credentials {
				known[c.Name] = true
				if c.Required && key.Credentials[c.Name] == "" && !j.offline {
					add("%s: credentials.%s is required", kw, c.Name)
				}
			}
			for name, v := range key.Credentials {
				if !known[name] {
					add("%s: unknown credential %q for type %s", kw, name, p.Type)
				}
				if v != "" {
					j.secrets = append(j.secrets, v)
				}
			}
			if key.QPS < 0 || key.Burst < 0 || key.MaxInFlight < 0 || key.DailyQuota < 0 {
				add("%s: qps, burst, max_in_flight and daily_quota must not be negative", kw)
			}
		}
	}
	errs = append(errs, j.validateReport()...)
	errs = append(errs, j.validateOutputColumns()...)
	errs = append(errs, j.validateCache()...)
	errs = append(errs, j.validateCoordination()...)
	if len(errs) > 0 {
		return Errorf("job file %s:\n  %s", j.Path, strings.Join(errs, "\n  "))
	}
	return nil
}

// Fingerprint identifies a key across jobs (for the shared quota state)
// without revealing its credentials.
func (p *ProviderConfig) Fingerprint(k KeyConfig) string {
	h := sha256.New()
	h.Write([]byte(p.Type))
	names := make([]string, 0, len(k.Credentials))
	for n := range k.Credentials {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		h.Write([]byte{0})
		h.Write([]byte(n))
		h.Write([]byte{0})
		h.Write([]byte(k.Credentials[n]))
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// Money prints an amount in a provider's currency (price_per_call is in
// it): two decimals, then the currency when the job names one.
func Money(v float64, currency string) string {
	s := fmt.Sprintf("%.2f", v)
	if currency != "" {
		s += " " + currency
	}
	return s
}

// Key converts a key config for the provider.
func (k KeyConfig) Key() providers.Key { return providers.Key{ID: k.ID, Credentials: k.Credentials} }

// QuotaStateDir is the per-user directory of the daily quota counters the
// job's keys share with every other job: state_dir, else the default.
func (j *Job) QuotaStateDir() (string, error) {
	if j.StateDir != "" {
		return j.Resolve(j.StateDir), nil
	}
	dir, err := ratelimit.DefaultStateDir()
	if err != nil {
		return "", fmt.Errorf("quota state: %w", err)
	}
	return dir, nil
}
