package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/pipeline/logging"
	"github.com/riskbatch/riskbatch/pipeline/summary"
)

// Merge puts the outputs of a sharded run (`run --shard i/n` on several
// machines) together into one output folder, as one run over the whole
// file would have written them: results in input order, errors.csv,
// warnings.csv, summary.json and the report, back-test included.
//
// It makes no call. The shards' journals are concatenated into the merged
// folder's job state and the job is replayed over the whole input with
// calls forbidden, so every answer is taken from a shard's journal through
// the same code that resumes a run (which the crash harness shows gives
// identical results); the per-provider call, billing and key figures are
// the shards' sums. Every shard must be complete, made from the same input
// file and settings, and the set must be exactly shards 0..n-1 of one n.
//
// Like Run, it returns the summary of a merge that ran, whatever its
// outcome (a row no shard's journal holds is deferred: incomplete), and
// an error only for a merge refused or stopped before or outside the rows.
func Merge(ctx context.Context, job *jobfile.Job, shardDirs []string, opts Options) (*summary.Summary, error) {
	if len(shardDirs) == 0 {
		return nil, configErr("merge: no shard folders given")
	}
	inPath := job.Resolve(job.Input.File)
	fp, err := fingerprintInput(inPath)
	if err != nil {
		return nil, &input.Error{Err: err}
	}
	_, shash := settingsDoc(job)
	shards := make([]*mergedShard, 0, len(shardDirs))
	count := 0
	seen := map[int]string{}
	for _, dir := range shardDirs {
		sh, err := readShard(dir)
		if err != nil {
			return nil, err
		}
		switch {
		case sh.shard.Count < 2:
			return nil, configErr("merge: %s is not a shard of a sharded run (no shard in its summary.json)", dir)
		case count != 0 && sh.shard.Count != count:
			return nil, configErr("merge: %s is shard %s, the others are of %d", dir, sh.shard, count)
		case seen[sh.shard.Index] != "":
			return nil, configErr("merge: %s and %s are both shard %s", seen[sh.shard.Index], dir, sh.shard)
		case !sh.sum.Complete || !sh.man.Complete:
			return nil, configErr("merge: shard %s in %s is incomplete (outcome %s); finish it with `riskbatch resume --shard %s` first", sh.shard, dir, sh.sum.Outcome, sh.shard)
		case sh.man.Input.SHA256 != fp.SHA256:
			return nil, configErr("merge: shard %s in %s was made from another input (its file's hash differs from %s)", sh.shard, dir, inPath)
		case sh.man.Settings != shash:
			return nil, configErr("merge: shard %s in %s was run with other settings than %s (providers, options, columns)", sh.shard, dir, job.Path)
		}
		count = sh.shard.Count
		seen[sh.shard.Index] = dir
		shards = append(shards, sh)
	}
	var missing []string
	for i := range count {
		if seen[i] == "" {
			missing = append(missing, fmt.Sprintf("%d/%d", i, count))
		}
	}
	if len(missing) > 0 {
		return nil, configErr("merge: shard(s) %s missing: every shard of the run is needed", strings.Join(missing, ", "))
	}
	sort.Slice(shards, func(a, b int) bool { return shards[a].shard.Index < shards[b].shard.Index })

	outDir := job.Resolve(job.Output.Dir)
	if err := prepareMergeDir(outDir, shards, fp, shash, opts.Version, job.Path); err != nil {
		return nil, err
	}
	opts.Resume, opts.Fresh, opts.Force, opts.Limit = true, false, false, 0
	opts.Shard = Shard{}
	opts.merge = shards
	sum, err := Run(ctx, job, opts)
	if err != nil {
		return nil, err
	}
	if sum.Outcome == summary.OutcomeIncomplete {
		// The summary's outcome (and exit code) says it; this says why.
		log := opts.Logger
		if log == nil && opts.Log != nil {
			log, _ = logging.New(opts.Log, logging.Options{})
		}
		if log != nil {
			log.Error(fmt.Sprintf("merge: some rows have no answer in the shards (see errors.csv in %s): were the shards run on this input with this job?", outDir))
		}
	}
	return sum, nil
}

type mergedShard struct {
	dir   string
	shard Shard
	sum   *summary.Summary
	man   manifest
}

func readShard(dir string) (*mergedShard, error) {
	sh := &mergedShard{dir: dir}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		return nil, configErr("merge: %s: no summary.json (not a finished shard): %v", dir, err)
	}
	sh.sum = &summary.Summary{}
	if err := json.Unmarshal(b, sh.sum); err != nil {
		return nil, configErr("merge: %s/summary.json: %v", dir, err)
	}
	if sh.sum.Shard != "" {
		if sh.shard, err = ParseShard(sh.sum.Shard); err != nil {
			return nil, configErr("merge: %s/summary.json: %v", dir, err)
		}
	}
	mb, err := os.ReadFile(filepath.Join(StateDir(dir), "manifest.json"))
	if err != nil {
		return nil, configErr("merge: %s: no job state: %v", dir, err)
	}
	if err := json.Unmarshal(mb, &sh.man); err != nil {
		return nil, configErr("merge: %s: job state damaged: %v", dir, err)
	}
	return sh, nil
}

// prepareMergeDir writes the merged folder's job state: the shards'
// journals one after another (offsets into it are what the replay reuses),
// a manifest naming the input and settings, and raw.jsonl as the shards'
// audit trails one after another.
func prepareMergeDir(outDir string, shards []*mergedShard, fp inputFingerprint, shash, version, jobPath string) error {
	if err := os.MkdirAll(StateDir(outDir), 0o700); err != nil {
		return &EnvError{Op: "create " + outDir, Err: err}
	}
	lock, err := lockJob(outDir, "riskbatch merge")
	if err != nil {
		return err
	}
	defer lock.release()
	concat := func(dst string, src func(*mergedShard) string, perm os.FileMode) error {
		tmp := dst + ".merge-tmp"
		out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, perm)
		if err != nil {
			return &EnvError{Op: "write " + dst, Err: err}
		}
		for _, sh := range shards {
			in, err := os.Open(src(sh))
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				out.Close()
				return err
			}
			_, err = io.Copy(out, in)
			in.Close()
			if err != nil {
				out.Close()
				return &EnvError{Op: "write " + dst, Err: err}
			}
		}
		if err := out.Sync(); err != nil {
			out.Close()
			return &EnvError{Op: "write " + dst, Err: err}
		}
		if err := out.Close(); err != nil {
			return &EnvError{Op: "write " + dst, Err: err}
		}
		return os.Rename(tmp, dst)
	}
	if err := concat(filepath.Join(StateDir(outDir), "journal.log"), func(sh *mergedShard) string {
		return filepath.Join(StateDir(sh.dir), "journal.log")
	}, 0o600); err != nil {
		return err
	}
	if err := concat(filepath.Join(outDir, "raw.jsonl"), func(sh *mergedShard) string {
		return filepath.Join(sh.dir, "raw.jsonl")
	}, 0o600); err != nil {
		return err
	}
	now := time.Now().UTC()
	m := manifest{Format: 1, ToolVersion: version, Job: jobPath, Input: fp, Settings: shash, SettingsDoc: shards[0].man.SettingsDoc, Created: now, Updated: now}
	st := &jobState{dir: StateDir(outDir), manifest: m}
	return st.writeManifest()
}

// applyMerge replaces the replay's own call figures (none: it makes no
// call) with the shards' sums, so the merged summary and report show what
// the sharded run bought.
func applyMerge(sum *summary.Summary, shards []*mergedShard) {
	sum.InDoubt = 0
	for _, sh := range shards {
		sum.InDoubt += sh.sum.InDoubt
	}
	for _, p := range sum.Providers {
		p.Calls, p.Billed, p.Cost, p.Retries, p.Throttled, p.InDoubt, p.Reused, p.Deduped = 0, 0, 0, 0, 0, 0, 0, 0
		keys := map[string]*summary.KeySummary{}
		for i := range p.Keys {
			k := &p.Keys[i]
			k.Calls, k.Billed, k.Throttled, k.Retries, k.InDoubt = 0, 0, 0, 0, 0
			keys[k.ID] = k
		}
		for _, sh := range shards {
			for _, sp := range sh.sum.Providers {
				if sp.Name != p.Name {
					continue
				}
				p.Calls += sp.Calls
				p.Billed += sp.Billed
				p.Cost = summary.RoundCost(p.Cost + sp.Cost)
				p.Retries += sp.Retries
				p.Throttled += sp.Throttled
				p.InDoubt += sp.InDoubt
				p.Reused += sp.Reused
				p.Deduped += sp.Deduped
				for _, sk := range sp.Keys {
					if k := keys[sk.ID]; k != nil {
						k.Calls += sk.Calls
						k.Billed += sk.Billed
						k.Throttled += sk.Throttled
						k.Retries += sk.Retries
						k.InDoubt += sk.InDoubt
					}
				}
			}
		}
	}
}
