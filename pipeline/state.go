package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/pipeline/journal"
	"github.com/riskbatch/riskbatch/sinks"
)

// The job state lives in <output dir>/.state/ (directory 0700, files 0600):
//
//	manifest.json  input fingerprint, the settings that affect results (never
//	               secrets), tool version, run count, whether the last run completed
//	journal.log    every attempt's intent and outcome (see package journal)
//
// run on a completed state starts over; on an incomplete one it refuses and
// names resume and --fresh. resume reuses every journaled answer.
type manifest struct {
	Format      int              `json:"format"`
	ToolVersion string           `json:"tool_version"`
	Job         string           `json:"job"`
	Input       inputFingerprint `json:"input"`
	Settings    string           `json:"settings_sha256"`
	SettingsDoc json.RawMessage  `json:"settings"`
	Runs        int              `json:"runs"`
	// Limit is the row limit of a `run --limit N` trial (0: the whole
	// file). A later plain run continues from the trial's journal.
	Limit    int       `json:"trial_limit,omitempty"`
	Complete bool      `json:"complete"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

type inputFingerprint struct {
	Path    string    `json:"path"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"`
	SHA256  string    `json:"sha256"`
}

type jobState struct {
	dir      string
	manifest manifest
	journal  *journal.Journal
	reader   *os.File // read side of the journal, for answers reused by offset
	notes    []string
	inDoubt  int
	limit    int                      // rows this run reads: a --limit trial (0 = all)
	prior    map[string]*priorAnswers // provider → final answers from earlier runs, bounded in memory (dedupespill.go)
}

// StateDir is where a job's state lives.
func StateDir(outDir string) string { return filepath.Join(outDir, ".state") }

// settingsDoc is what affects results: never credentials or endpoints'
// hosts (the embedded sandbox listens on a new port every run).
func settingsDoc(job *jobfile.Job) ([]byte, string) {
	type prov struct {
		Name, Type, Path string
		Columns          map[string]string
		Options          map[string]any
	}
	doc := struct {
		Sheet, Encoding, Delimiter string
		Providers                  []prov
	}{Sheet: job.Input.Sheet, Encoding: job.Input.Encoding, Delimiter: job.Input.Delimiter}
	for _, p := range job.Providers {
		path := p.Endpoint
		if i := strings.Index(path, "://"); i >= 0 {
			if j := strings.IndexByte(path[i+3:], '/'); j >= 0 {
				path = path[i+3+j:]
			}
		}
		doc.Providers = append(doc.Providers, prov{p.Name, p.Type, path, p.Columns, p.Options})
	}
	b, _ := json.Marshal(doc)
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:])
}

func fingerprintInput(path string) (inputFingerprint, error) {
	f, err := os.Open(path)
	if err != nil {
		return inputFingerprint{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return inputFingerprint{}, err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return inputFingerprint{}, fmt.Errorf("fingerprint %s: %w", path, err)
	}
	abs, _ := filepath.Abs(path)
	return inputFingerprint{Path: abs, Size: st.Size(), ModTime: st.ModTime().UTC(), SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// StateExists reports whether dir holds job state, and whether its last run completed.
func StateExists(outDir string) (exists, complete bool) {
	b, err := os.ReadFile(filepath.Join(StateDir(outDir), "manifest.json"))
	if err != nil {
		return false, false
	}
	var m manifest
	if json.Unmarshal(b, &m) != nil {
		return true, false
	}
	return true, m.Complete
}

func openJobState(outDir string, job *jobfile.Job, inPath string, opts Options) (*jobState, error) {
	dir := StateDir(outDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("job state: %w", err)
	}
	_ = os.Chmod(dir, 0o700)
	st := &jobState{dir: dir, prior: map[string]*priorAnswers{}}
	fp, err := fingerprintInput(inPath)
	if err != nil {
		return nil, &input.Error{Err: err}
	}
	sdoc, shash := settingsDoc(job)
	mpath := filepath.Join(dir, "manifest.json")
	jpath := filepath.Join(dir, "journal.log")

	var old *manifest
	if b, err := os.ReadFile(mpath); err == nil {
		var m manifest
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("job state %s is damaged: %v (start over with --fresh)", mpath, err)
		}
		old = &m
	}
	resumeCmd := opts.ResumeCommand
	if resumeCmd == "" {
		resumeCmd = "riskbatch resume " + job.Path
	}
	now := time.Now().UTC()
	// A plain run after a --limit trial continues from the trial's journal
	// (its answers are reused, like a resume), now over the whole file.
	continueTrial := !opts.Resume && !opts.Fresh && old != nil && old.Limit > 0
	if continueTrial {
		st.notes = append(st.notes, fmt.Sprintf("continuing from a --limit %d trial: its answers are reused", old.Limit))
	}
	switch {
	case opts.Resume && old == nil:
		return nil, configErr("nothing to resume in %s: no job state (run the job with `riskbatch run %s`)", outDir, job.Path)
	case opts.Resume || continueTrial:
		var changed []string
		if old.Input.SHA256 != fp.SHA256 {
			changed = append(changed, fmt.Sprintf("input file %s changed since the state was made (size %d → %d bytes, modified %s → %s, content hash differs)",
				inPath, old.Input.Size, fp.Size, old.Input.ModTime.Format(time.RFC3339), fp.ModTime.Format(time.RFC3339)))
		}
		if old.Settings != shash {
			changed = append(changed, "job settings that affect results changed (providers, options, column mapping or input sheet/encoding)")
		}
		if len(changed) > 0 && !opts.Force {
			return nil, configErr("cannot resume: %s.\n  --force resumes anyway (journaled answers are reused for identical requests; changed rows are sent), --fresh starts over", strings.Join(changed, "; "))
		}
		if len(changed) > 0 {
			st.notes = append(st.notes, "resumed with --force: "+strings.Join(changed, "; "))
		}
		st.manifest = *old
		st.manifest.Runs++
		if opts.Resume {
			st.limit = old.Limit // resuming a trial continues the trial
		} else {
			st.manifest.Limit = opts.Limit
			st.limit = opts.Limit
		}
		st.manifest.Input = fp
		st.manifest.Settings, st.manifest.SettingsDoc = shash, sdoc
		if err := st.load(jpath); err != nil {
			return nil, err
		}
	default:
		if old != nil && !old.Complete && !opts.Fresh {
			return nil, configErr("%s holds an incomplete run of this job (%d run(s) so far).\n  continue it: %s\n  or start over (answers already bought are discarded): riskbatch run --fresh %s", outDir, old.Runs, resumeCmd, job.Path)
		}
		if err := os.Remove(jpath); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("job state: %w", err)
		}
		st.manifest = manifest{Format: 1, Created: now, Runs: 1, Input: fp, Settings: shash, SettingsDoc: sdoc, Limit: opts.Limit}
		st.limit = opts.Limit
	}
	removeStaleTemps(outDir)
	st.manifest.ToolVersion = opts.Version
	st.manifest.Job = job.Path
	st.manifest.Complete = false
	st.manifest.Updated = now
	if err := st.writeManifest(); err != nil {
		return nil, err
	}
	st.journal, err = journal.Open(jpath)
	if err != nil {
		return nil, err
	}
	st.reader, err = os.Open(jpath)
	if err != nil {
		st.journal.Close()
		return nil, fmt.Errorf("job state: %w", err)
	}
	return st, nil
}

// load scans the journal of earlier runs: final answers become reusable,
// intents without an outcome are counted as in doubt.
//
// Attempt ids restart at 1 in every run, so an outcome is matched with the
// open intent of the same id in the current run only (intents carry their
// run number; a run's records all follow the previous run's). An intent
// still open when its run ended stays in doubt until a later final outcome
// for the same (row, provider) settles it: a second resume must not report
// again the calls the first one already sent again and got answered.
func (st *jobState) load(path string) error {
	type pairKey struct {
		row  int
		prov string
	}
	open := map[uint64]pairKey{} // the current run's intents without an outcome
	orphans := map[pairKey]int{} // earlier runs' open intents, not settled since
	run := -1
	note, err := journal.Scan(path, func(r *journal.Record, off int64) error {
		switch r.Type {
		case journal.TypeIntent:
			if r.Run != run {
				for _, k := range open {
					orphans[k]++
				}
				clear(open)
				run = r.Run
			}
			open[r.AttemptID] = pairKey{r.Row, r.Provider}
		case journal.TypeOutcome:
			delete(open, r.AttemptID)
			if r.Status != "" {
				delete(orphans, pairKey{r.Row, r.Provider})
			}
			if r.Status != "" && r.Digest != "" {
				st.priorAnswer(r.Provider, r.Digest, r.Status, off)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if note != "" {
		st.notes = append(st.notes, note)
	}
	st.inDoubt = len(open)
	for _, n := range orphans {
		st.inDoubt += n
	}
	if st.inDoubt > 0 {
		st.notes = append(st.notes, fmt.Sprintf("%d call(s) were in flight when the last run stopped (in doubt: possibly billed, no answer recorded); they are sent again", st.inDoubt))
	}
	return nil
}

// removeStaleTemps deletes the half-written output files ("results.csv.tmp-
// 123…", the temp names of the atomic writes in sinks) that a killed run left
// in the output dir: they hold PII, can never be completed, and this run
// writes its own.
func removeStaleTemps(outDir string) {
	ents, err := os.ReadDir(outDir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.Type().IsRegular() && staleTemp.MatchString(e.Name()) {
			_ = os.Remove(filepath.Join(outDir, e.Name()))
		}
	}
}

var staleTemp = regexp.MustCompile(`^[^/]+\.tmp-[0-9]+$`)

// seedDedupe hands a provider's journaled answers to its dedupe index.
func (st *jobState) seedDedupe(provider string, d *dedupe) {
	d.takePrior(st.prior[provider])
	delete(st.prior, provider)
}

func (st *jobState) readResult(off int64) (*journal.Record, error) {
	return journal.ReadAt(st.reader, off)
}

func (st *jobState) writeManifest() error {
	return sinks.WriteJSONAtomic(filepath.Join(st.dir, "manifest.json"), st.manifest, 0o600)
}

// finish marks the state complete (or not) once outputs are in place.
func (st *jobState) finish(complete bool) error {
	if err := st.journal.Sync(); err != nil {
		return err
	}
	st.manifest.Complete = complete
	st.manifest.Updated = time.Now().UTC()
	return st.writeManifest()
}

// discard removes the state files this run made. It is for a run that
// found no data rows: nothing was sent, and a state left "incomplete" would
// make the next run refuse until --fresh.
func (st *jobState) discard() {
	_ = os.Remove(filepath.Join(st.dir, "manifest.json"))
	_ = os.Remove(filepath.Join(st.dir, "journal.log"))
}

func (st *jobState) close() {
	if st.journal != nil {
		_ = st.journal.Close()
	}
	if st.reader != nil {
		_ = st.reader.Close()
	}
}
