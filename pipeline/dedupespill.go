package pipeline

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The dedupe index with a bound on memory (issue 13, "constant memory"):
// the finished answers' index (16-byte request digest → packed journal
// offset and status) stays in a Go map up to spillLimit entries; then the
// map is sorted and written to a spill file in the job's .state/ and
// emptied. A spilled entry costs about 1.4 bytes of memory: a blocked Bloom
// filter (one 64-byte block per lookup, ~10 bits per entry) and a sparse
// index of the first digest of every 4 KiB block of the file. A lookup
// that misses the map asks each spill run's filter and reads one block
// only when the filter says maybe. When there are more than maxSpillRuns
// runs they are merged into one (a streaming merge of sorted files).
//
// The spill files are derived data: the journal stays the source of truth
// (a resume seeds the index from it), so they are written without fsync
// and deleted when the run ends; a crash leaves them behind and the next
// run of the job deletes them.

const (
	spillRecord   = 24 // 16-byte digest + 8-byte doneEntry
	spillBlock    = 4096 / spillRecord * spillRecord
	perBlock      = spillBlock / spillRecord
	bloomBits     = 10 // per entry
	maxSpillRuns  = 6
	spillFilePref = "dedupe-spill-"
)

// defaultSpillLimit is the entries a provider's index keeps in its map
// (about 45 bytes each): 262,144 ≈ 12 MB per provider.
const defaultSpillLimit = 1 << 18

type spillIndex struct {
	mem   map[[16]byte]doneEntry
	limit int
	dir   string // "" = never spill (no job state: tests, validate)
	name  string // file name part (the provider)
	seq   int
	runs  []*spillRun
	err   error // the first spill failure: the index stops spilling and grows in memory
}

type spillRun struct {
	path   string
	f      *os.File
	n      int
	sparse [][16]byte // first digest of every block
	bloom  []uint64   // blocks of 8 words (512 bits)
	buf    []byte
}

func newSpillIndex(dir, name string, limit int) *spillIndex {
	if limit <= 0 {
		limit = defaultSpillLimit
	}
	return &spillIndex{mem: map[[16]byte]doneEntry{}, limit: limit, dir: dir, name: name}
}

// get finds k in the map, then in the spill runs, newest first.
func (s *spillIndex) get(k [16]byte) (doneEntry, bool) {
	if e, ok := s.mem[k]; ok {
		return e, true
	}
	for i := len(s.runs) - 1; i >= 0; i-- {
		if e, ok := s.runs[i].get(k); ok {
			return e, true
		}
	}
	return 0, false
}

// put records k; past the limit the map is spilled.
func (s *spillIndex) put(k [16]byte, e doneEntry) {
	s.mem[k] = e
	if len(s.mem) >= s.limit && s.dir != "" && s.err == nil {
		if err := s.spill(); err != nil {
			s.err = err // keep going in memory: dedupe must not fail the run
		}
	}
}

func (s *spillIndex) len() int {
	n := len(s.mem)
	for _, r := range s.runs {
		n += r.n
	}
	return n
}

type spillEntry struct {
	k [16]byte
	e doneEntry
}

func (s *spillIndex) spill() error {
	ents := make([]spillEntry, 0, len(s.mem))
	for k, e := range s.mem {
		ents = append(ents, spillEntry{k, e})
	}
	slices.SortFunc(ents, func(a, b spillEntry) int { return bytes.Compare(a.k[:], b.k[:]) })
	i := 0
	r, err := s.writeRun(len(ents), func() (spillEntry, bool) {
		if i == len(ents) {
			return spillEntry{}, false
		}
		i++
		return ents[i-1], true
	})
	if err != nil {
		return err
	}
	s.runs = append(s.runs, r)
	clear(s.mem) // the map keeps its buckets for the next batch
	if len(s.runs) > maxSpillRuns {
		return s.merge()
	}
	return nil
}

// writeRun writes n sorted entries from next into a new spill file.
func (s *spillIndex) writeRun(n int, next func() (spillEntry, bool)) (*spillRun, error) {
	s.seq++
	path := filepath.Join(s.dir, spillFilePref+strconv.Itoa(os.Getpid())+"-"+s.name+"-"+strconv.Itoa(s.seq))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("dedupe spill: %w", err)
	}
	nb := max(1, (n*bloomBits+511)/512)
	r := &spillRun{path: path, f: f, bloom: make([]uint64, nb*8), buf: make([]byte, spillBlock)}
	w := bufio.NewWriterSize(f, 1<<16)
	var rec [spillRecord]byte
	for {
		ent, ok := next()
		if !ok {
			break
		}
		if r.n%perBlock == 0 {
			r.sparse = append(r.sparse, ent.k)
		}
		r.addBloom(ent.k)
		copy(rec[:16], ent.k[:])
		binary.LittleEndian.PutUint64(rec[16:], uint64(ent.e))
		if _, err := w.Write(rec[:]); err != nil {
			f.Close()
			os.Remove(path)
			return nil, fmt.Errorf("dedupe spill: %w", err)
		}
		r.n++
	}
	if err := w.Flush(); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("dedupe spill: %w", err)
	}
	return r, nil
}

// merge folds every run into one: a k-way merge of the sorted files (a
// digest is in one run only: the map never holds a spilled digest again).
func (s *spillIndex) merge() error {
	type cursor struct {
		rd  *bufio.Reader
		cur spillEntry
		ok  bool
	}
	total := 0
	cs := make([]*cursor, 0, len(s.runs))
	advance := func(c *cursor) {
		var rec [spillRecord]byte
		if _, err := io.ReadFull(c.rd, rec[:]); err != nil {
			c.ok = false
			return
		}
		copy(c.cur.k[:], rec[:16])
		c.cur.e = doneEntry(binary.LittleEndian.Uint64(rec[16:]))
		c.ok = true
	}
	for _, r := range s.runs {
		total += r.n
		c := &cursor{rd: bufio.NewReaderSize(io.NewSectionReader(r.f, 0, int64(r.n)*spillRecord), 1<<16)}
		advance(c)
		cs = append(cs, c)
	}
	merged, err := s.writeRun(total, func() (spillEntry, bool) {
		var best *cursor
		for _, c := range cs {
			if c.ok && (best == nil || bytes.Compare(c.cur.k[:], best.cur.k[:]) < 0) {
				best = c
			}
		}
		if best == nil {
			return spillEntry{}, false
		}
		e := best.cur
		advance(best)
		return e, true
	})
	if err != nil {
		return err
	}
	for _, r := range s.runs {
		r.close()
	}
	s.runs = []*spillRun{merged}
	return nil
}

// close removes the spill files.
func (s *spillIndex) close() {
	for _, r := range s.runs {
		r.close()
	}
	s.runs = nil
}

func (r *spillRun) close() {
	r.f.Close()
	os.Remove(r.path)
}

// The Bloom filter: the digest is already uniform, so its two halves are
// the hashes. One 512-bit block per digest, 8 bits set in it.
func (r *spillRun) bloomBlock(k [16]byte) (blk []uint64, h uint64) {
	nb := uint64(len(r.bloom) / 8)
	b := binary.LittleEndian.Uint64(k[:8]) % nb
	return r.bloom[b*8 : b*8+8], binary.LittleEndian.Uint64(k[8:])
}

func (r *spillRun) addBloom(k [16]byte) {
	blk, h := r.bloomBlock(k)
	for i := 0; i < 8; i++ {
		bit := (h >> (9 * i)) & 511
		blk[bit>>6] |= 1 << (bit & 63)
	}
}

func (r *spillRun) mayHave(k [16]byte) bool {
	blk, h := r.bloomBlock(k)
	for i := 0; i < 8; i++ {
		bit := (h >> (9 * i)) & 511
		if blk[bit>>6]&(1<<(bit&63)) == 0 {
			return false
		}
	}
	return true
}

func (r *spillRun) get(k [16]byte) (doneEntry, bool) {
	if !r.mayHave(k) {
		return 0, false
	}
	// The last block whose first digest is <= k.
	b, found := slices.BinarySearchFunc(r.sparse, k, func(a, t [16]byte) int { return bytes.Compare(a[:], t[:]) })
	if !found {
		b--
	}
	if b < 0 {
		return 0, false
	}
	off := int64(b) * spillBlock
	cnt := min(perBlock, r.n-b*perBlock)
	buf := r.buf[:cnt*spillRecord]
	if _, err := r.f.ReadAt(buf, off); err != nil {
		return 0, false
	}
	lo, hi := 0, cnt
	for lo < hi {
		m := (lo + hi) / 2
		c := bytes.Compare(buf[m*spillRecord:m*spillRecord+16], k[:])
		switch {
		case c == 0:
			return doneEntry(binary.LittleEndian.Uint64(buf[m*spillRecord+16:])), true
		case c < 0:
			lo = m + 1
		default:
			hi = m
		}
	}
	return 0, false
}

// removeStaleSpills deletes the spill files a killed run of the job left
// in dir (another process's: this one's carry its pid; the job lock says no
// other process is running the job).
func removeStaleSpills(dir string) {
	mine := spillFilePref + strconv.Itoa(os.Getpid()) + "-"
	m, _ := filepath.Glob(filepath.Join(dir, spillFilePref+"*"))
	for _, p := range m {
		if !strings.HasPrefix(filepath.Base(p), mine) {
			_ = os.Remove(p)
		}
	}
}

// newDedupe makes a provider's dedupe index, spilling into the job state.
func (e *engine) newDedupe(provider string) *dedupe {
	d := newDedupe()
	if e.state != nil {
		removeStaleSpills(e.state.dir)
		d.done = newSpillIndex(e.state.dir, provider, e.spillLimit())
	}
	return d
}

// spillLimit is the entries a provider's index keeps in memory
// (RISKBATCH_DEDUPE_MEM_ENTRIES overrides it, for tests and measurements).
func (e *engine) spillLimit() int { return spillLimitFromEnv() }

func spillLimitFromEnv() int {
	if n, err := strconv.Atoi(os.Getenv("RISKBATCH_DEDUPE_MEM_ENTRIES")); err == nil && n > 0 {
		return n
	}
	return defaultSpillLimit
}

// priorAnswers are a provider's final answers found in the journal of
// earlier passes: the same bounded index, built while the journal is read
// (a resume of a 10M-row job no longer holds every answer in memory) and
// handed to the provider's dedupe.
type priorAnswers = spillIndex

// priorAnswer records a final answer found in the journal.
func (st *jobState) priorAnswer(provider, digest, status string, off int64) {
	b, err := hex.DecodeString(digest)
	if err != nil || len(b) != 16 {
		return
	}
	s, ok := statusIndex(status)
	if !ok {
		return
	}
	idx := st.prior[provider]
	if idx == nil {
		idx = newSpillIndex(st.dir, provider, spillLimitFromEnv())
		st.prior[provider] = idx
	}
	idx.put([16]byte(b), newDoneEntry(off, s, true))
}

// takePrior makes the answers of earlier passes the index (seeding).
func (d *dedupe) takePrior(idx *spillIndex) {
	if idx == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done.len() == 0 {
		d.done.close()
		if d.done.dir == "" { // no spilling wanted: keep the index's files out of the way
			idx.dir = ""
		}
		d.done = idx
		return
	}
	for k, e := range idx.mem {
		d.done.put(k, e)
	}
	for _, r := range idx.runs {
		d.done.runs = append(d.done.runs, r)
	}
	idx.runs = nil
}

// closeSpills deletes the run's spill files.
func (e *engine) closeSpills() {
	for _, p := range e.provs {
		if p.dedupe != nil {
			p.dedupe.mu.Lock()
			p.dedupe.done.close()
			p.dedupe.mu.Unlock()
		}
	}
}
