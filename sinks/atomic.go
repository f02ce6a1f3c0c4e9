package sinks

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// errClosed is returned by writers used after Commit or Abort.
var errClosed = errors.New("sinks: writer already committed or aborted")

// resultPerm is the mode of result sheets and errors.csv (they hold PII).
const resultPerm os.FileMode = 0o600

// atomicFile is a temp file in the destination's directory that becomes the
// destination on commit.
type atomicFile struct {
	f    *os.File
	path string // final path
	tmp  string // temp path
	done bool
}

// createAtomic creates "<path>.tmp-<random>" next to path.
func createAtomic(path string, perm os.FileMode) (*atomicFile, error) {
	if path == "" {
		return nil, errors.New("sinks: empty output path")
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if base == "" {
		return nil, fmt.Errorf("sinks: output path %q names a directory", path)
	}
	f, err := os.CreateTemp(dir, base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("sinks: create temp file for %s: %w", path, err)
	}
	// CreateTemp uses 0600; apply the requested mode explicitly (not subject
	// to umask, which is what callers asking for 0600/0644 mean).
	if perm != 0o600 {
		if err := f.Chmod(perm); err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
			return nil, fmt.Errorf("sinks: chmod temp file for %s: %w", path, err)
		}
	}
	return &atomicFile{f: f, path: path, tmp: f.Name()}, nil
}

// commit fsyncs, closes and renames the temp file over the final path, then
// fsyncs the directory. On any failure the temp file is removed.
func (a *atomicFile) commit() error {
	if a.done {
		return errClosed
	}
	a.done = true
	if err := a.f.Sync(); err != nil {
		_ = a.f.Close()
		_ = os.Remove(a.tmp)
		return fmt.Errorf("sinks: fsync %s: %w", a.tmp, err)
	}
	if err := a.f.Close(); err != nil {
		_ = os.Remove(a.tmp)
		return fmt.Errorf("sinks: close %s: %w", a.tmp, err)
	}
	if err := os.Rename(a.tmp, a.path); err != nil {
		_ = os.Remove(a.tmp)
		return fmt.Errorf("sinks: %w", err)
	}
	if err := syncDir(filepath.Dir(a.path)); err != nil {
		return fmt.Errorf("sinks: fsync directory of %s: %w", a.path, err)
	}
	return nil
}

// abort closes and removes the temp file. It is a no-op after commit or a
// previous abort, so `defer w.Abort()` is safe.
func (a *atomicFile) abort() error {
	if a.done {
		return nil
	}
	a.done = true
	cerr := a.f.Close()
	rerr := os.Remove(a.tmp)
	if rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		return fmt.Errorf("sinks: remove %s: %w", a.tmp, rerr)
	}
	if cerr != nil && !errors.Is(cerr, os.ErrClosed) {
		return fmt.Errorf("sinks: close %s: %w", a.tmp, cerr)
	}
	return nil
}

// syncDir fsyncs a directory so a rename in it is durable. Filesystems or
// platforms that cannot fsync a directory are tolerated.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	cerr := d.Close()
	if err != nil {
		if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) ||
			errors.Is(err, syscall.EBADF) || errors.Is(err, syscall.EISDIR) ||
			errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
			return nil
		}
		return err
	}
	return cerr
}

// WriteFileAtomic writes data to path via a temp file in the same
// directory + fsync + rename (+ directory fsync), with the given mode.
// On error the previous content of path is untouched.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	a, err := createAtomic(path, perm)
	if err != nil {
		return err
	}
	if _, err := a.f.Write(data); err != nil {
		_ = a.abort()
		return fmt.Errorf("sinks: write %s: %w", a.tmp, err)
	}
	return a.commit()
}

// WriteJSONAtomic writes v as indented JSON (two spaces, trailing newline)
// with WriteFileAtomic. `<`, `>` and `&` stay as they are: the files are
// read by people and scripts, not embedded in HTML ("score > 80", not
// "score \u003e 80").
func WriteJSONAtomic(path string, v any, perm os.FileMode) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("sinks: encode %s: %w", filepath.Base(path), err)
	}
	return WriteFileAtomic(path, buf.Bytes(), perm)
}

// bufferedAtomic is an atomicFile behind a large bufio.Writer.
type bufferedAtomic struct {
	*atomicFile
	w *bufio.Writer
}

const fileBufSize = 64 << 10

func newBufferedAtomic(path string) (*bufferedAtomic, error) {
	a, err := createAtomic(path, resultPerm)
	if err != nil {
		return nil, err
	}
	return &bufferedAtomic{atomicFile: a, w: bufio.NewWriterSize(a.f, fileBufSize)}, nil
}

func (b *bufferedAtomic) commit() error {
	if b.done {
		return errClosed
	}
	if err := b.w.Flush(); err != nil {
		_ = b.abort()
		return fmt.Errorf("sinks: write %s: %w", b.tmp, err)
	}
	return b.atomicFile.commit()
}
