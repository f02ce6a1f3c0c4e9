package pipeline

import (
	"fmt"
	"hash/fnv"
	"os"
	"strconv"
	"strings"

	"github.com/riskbatch/riskbatch/pipeline/input"
	"github.com/riskbatch/riskbatch/providers/pii"
	"github.com/riskbatch/riskbatch/sources"
)

// Shard selects the rows of one machine of a sharded run: those whose
// normalised identity hashes to Index (0-based) of Count. Every row of one
// person lands in one shard, so a duplicate is bought once, as in a single
// run; each shard has its own output folder, job state and lock, and
// `riskbatch merge` puts them together in input order.
type Shard struct{ Index, Count int }

func (s Shard) active() bool { return s.Count > 1 }

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Dir is the shard's output folder inside the job's output dir.
func (s Shard) Dir(outDir string) string {
	return fmt.Sprintf("%s%cshard-%d-of-%d", outDir, os.PathSeparator, s.Index, s.Count)
}

// ParseShard reads "i/n" (0 ≤ i < n).
func ParseShard(v string) (Shard, error) {
	a, b, ok := strings.Cut(v, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: want i/n with 0 ≤ i < n (e.g. 0/4)", v)
	}
	return Shard{Index: i, Count: n}, nil
}

// ShardFromEnv reads a Kubernetes Indexed Job's JOB_COMPLETION_INDEX with
// RISKBATCH_SHARD_COUNT; ok is false when they are not set.
func ShardFromEnv(getenv func(string) string) (Shard, bool, error) {
	idx, cnt := getenv("JOB_COMPLETION_INDEX"), getenv("RISKBATCH_SHARD_COUNT")
	if idx == "" && cnt == "" {
		return Shard{}, false, nil
	}
	if idx == "" || cnt == "" {
		return Shard{}, false, fmt.Errorf("sharding from the environment needs both JOB_COMPLETION_INDEX and RISKBATCH_SHARD_COUNT")
	}
	s, err := ParseShard(idx + "/" + cnt)
	return s, err == nil, err
}

// shardKeyer computes a row's identity for sharding from the columns bound
// to ID-number and mobile inputs.
type shardKeyer struct {
	idCols, mobileCols []int // header indexes
}

func newShardKeyer(header []string, bound []input.Bound) shardKeyer {
	var k shardKeyer
	seen := map[int]bool{}
	for _, b := range bound {
		for _, in := range b.Prov.Inputs() {
			col := b.Binding.Column(in.Name)
			idx := -1
			for i, h := range header {
				if h == col {
					idx = i
				}
			}
			if idx < 0 || seen[idx] {
				continue
			}
			switch input.KindOf(in) {
			case input.KindIDCard, input.KindNIK:
				k.idCols = append(k.idCols, idx)
				seen[idx] = true
			case input.KindMobile, input.KindIDMobile:
				k.mobileCols = append(k.mobileCols, idx)
				seen[idx] = true
			}
		}
	}
	return k
}

// key is the row's identity: its normalised ID number, else its normalised
// mobile, else the whole row (identical rows still share a shard).
func (k shardKeyer) key(row sources.Row) string {
	for _, c := range k.idCols {
		if c < len(row.Values) {
			if v, _, err := pii.ChineseID(row.Values[c]); err == nil {
				return "id:" + v
			}
			if v, err := pii.NIK(row.Values[c]); err == nil {
				return "id:" + v
			}
		}
	}
	for _, c := range k.mobileCols {
		if c < len(row.Values) {
			if v, err := pii.ChineseMobile(row.Values[c]); err == nil {
				return "m:" + v
			}
			if v, err := pii.IndonesianMobile(row.Values[c], pii.IDLocal); err == nil {
				return "m:" + v
			}
		}
	}
	return "row:" + strings.Join(row.Values, "\x1f")
}

// of returns the shard a row belongs to.
func (k shardKeyer) of(row sources.Row, count int) int {
	h := fnv.New64a()
	h.Write([]byte(k.key(row)))
	return int(h.Sum64() % uint64(count))
}
