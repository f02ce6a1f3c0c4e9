package bench

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// The scenarios' vendors, by registry name.
var (
	// pipelineVendors are the vendors of scenarios 1 and 2.
	pipelineVendors = []string{"juhe", "zhicheng", "td"}
	// singleVendor is the vendor of scenarios 3 and 4.
	singleVendor = "juhe"
)

// vendor is how the bench's jobs call one registered provider in the
// sandbox, all of it from the registry.
type vendor struct {
	kind string
	// path is the path of the endpoint the vendor's document gives: the
	// sandbox serves each simulator at its vendor's real path.
	path string
	// options are the registry's example options (those that build the
	// provider; nil when the defaults do).
	options map[string]any
	// market is whose people the vendor looks up: it decides the columns
	// of the generated input.
	market string
	spec   providers.Spec
}

func lookupVendor(kind string) (vendor, error) {
	spec, ok := providers.Lookup(kind)
	if !ok {
		return vendor{}, fmt.Errorf("bench: this build has no provider %s", kind)
	}
	u, err := url.Parse(spec.Endpoint)
	if err != nil || u.Path == "" {
		return vendor{}, fmt.Errorf("bench: provider %s registers no endpoint path (%q)", kind, spec.Endpoint)
	}
	return vendor{kind: kind, path: u.Path, options: spec.Example, market: spec.Market, spec: spec}, nil
}

func lookupVendors(kinds ...string) ([]vendor, error) {
	out := make([]vendor, 0, len(kinds))
	for _, k := range kinds {
		v, err := lookupVendor(k)
		if err != nil {
			return nil, err
		}
		if len(out) > 0 && v.market != out[0].market {
			return nil, fmt.Errorf("bench: %s (market %q) and %s (market %q) cannot share one generated input", out[0].kind, out[0].market, k, v.market)
		}
		out = append(out, v)
	}
	return out, nil
}

// The part of the job file schema (jobfile.Job) the bench writes: its own
// types with omitempty, so the file states only what the bench chooses and
// the job's defaults stay the pipeline's.
type (
	jobFile struct {
		Input       jobInput      `yaml:"input"`
		Output      jobOutput     `yaml:"output"`
		Concurrency int           `yaml:"concurrency"`
		StateDir    string        `yaml:"state_dir"`
		Providers   []jobProvider `yaml:"providers"`
	}
	jobInput struct {
		File string `yaml:"file"`
	}
	jobOutput struct {
		Dir     string   `yaml:"dir"`
		Formats []string `yaml:"formats"`
	}
	jobProvider struct {
		Name     string         `yaml:"name"`
		Type     string         `yaml:"type"`
		Endpoint string         `yaml:"endpoint"`
		Timeout  string         `yaml:"timeout"`
		Options  map[string]any `yaml:"options,omitempty"`
		Keys     []jobKey       `yaml:"keys"`
	}
	jobKey struct {
		ID          string            `yaml:"id"`
		QPS         float64           `yaml:"qps,omitempty"`
		Burst       int               `yaml:"burst,omitempty"`
		Credentials map[string]string `yaml:"credentials"`
	}
)

// jobSpec is what one measured run calls.
type jobSpec struct {
	name, input, format string
	conc                int
	vendors             []vendor
	nkeys               int
	qps                 float64 // per key; 0 = no client-side limit
}

// providerTimeout is every provider's timeout in the bench's jobs.
const providerTimeout = 30 * time.Second

// job builds the job file calling the sandbox at sbURL like real vendors
// (no `sandbox: true`), with keys the sandbox accepts.
func (b *bench) job(s jobSpec, sbURL string) (jobFile, error) {
	j := jobFile{
		Input:       jobInput{File: s.input},
		Output:      jobOutput{Dir: "out", Formats: []string{s.format}},
		Concurrency: s.conc,
		StateDir:    filepath.Join(b.work, "quota-state"),
	}
	for _, v := range s.vendors {
		p := jobProvider{Name: v.kind, Type: v.kind, Endpoint: sbURL + v.path, Timeout: providerTimeout.String(), Options: v.options}
		keys := b.keys.Keys(v.kind)
		if len(keys) < s.nkeys {
			return jobFile{}, fmt.Errorf("bench: vendor %s: the sandbox has %d keys, the run needs %d", v.kind, len(keys), s.nkeys)
		}
		for _, k := range keys[:s.nkeys] {
			jk := jobKey{ID: k.ID, Credentials: credentials(v.spec, k)}
			if s.qps > 0 {
				// The client's bucket holds one call: the sandbox's holds
				// --sandbox-burst, so the client alone keeps to the rate.
				jk.QPS, jk.Burst = s.qps, 1
			}
			p.Keys = append(p.Keys, jk)
		}
		j.Providers = append(j.Providers, p)
	}
	return j, nil
}

// credentials are the sandbox key's values of the credentials the
// provider's registration names.
func credentials(spec providers.Spec, k sandbox.KeySpec) map[string]string {
	out := map[string]string{}
	for _, c := range spec.Credentials {
		if v, ok := k.Credentials[c.Name]; ok {
			out[c.Name] = v
		}
	}
	return out
}

// writeJob writes the job of s into its own directory of the work dir and
// returns the job file's path and its output dir.
func (b *bench) writeJob(s jobSpec) (job, out string, err error) {
	dir := filepath.Join(b.work, s.name)
	if err := os.RemoveAll(dir); err != nil {
		return "", "", fmt.Errorf("bench: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("bench: %w", err)
	}
	j, err := b.job(s, b.sb.url)
	if err != nil {
		return "", "", err
	}
	data, err := yaml.Marshal(j)
	if err != nil {
		return "", "", fmt.Errorf("bench: job %s: %w", s.name, err)
	}
	job = filepath.Join(dir, "job.yaml")
	data = append([]byte("# riskbatch bench, "+s.name+"\n"), data...)
	if err := os.WriteFile(job, data, 0o644); err != nil {
		return "", "", fmt.Errorf("bench: %w", err)
	}
	return job, filepath.Join(dir, "out"), nil
}
