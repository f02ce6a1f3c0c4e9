package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/riskbatch/riskbatch/ratelimit/filelock"
)

// The job lock keeps two processes off one job state: a nightly run that
// overran into the next night's start, or a resume typed while the run is
// still going, would otherwise both pay for the same lookups and race each
// other's journal and result files. It is an advisory lock (flock /
// LockFileEx) on .state/lock, held for the life of the process; the kernel
// drops it when the holder exits, even by SIGKILL, so a crash never blocks
// the next run. The file itself holds who has it, for the message.
type jobLock struct{ f *os.File }

type lockHolder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
	Command string    `json:"command"`
}

func (h lockHolder) String() string {
	s := fmt.Sprintf("pid %d on %s, started %s", h.PID, h.Host, h.Started.Local().Format("2006-01-02 15:04:05 -07:00"))
	if h.Command != "" {
		s += ", " + h.Command
	}
	return s
}

// lockJob takes the lock of the job whose outputs go to outDir, or returns a
// *BusyError naming the holder. command describes this process for the
// next one ("riskbatch run job.yaml"); it holds no secret.
func lockJob(outDir, command string) (*jobLock, error) {
	dir := StateDir(outDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, &EnvError{Op: "create the job state dir", Err: err}
	}
	path := filepath.Join(dir, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, &EnvError{Op: "open the job lock", Err: err}
	}
	if err := filelock.TryLock(f); err != nil {
		defer f.Close()
		if errors.Is(err, filelock.ErrLocked) {
			holder := "holder unknown"
			var h lockHolder
			if b, rerr := os.ReadFile(path); rerr == nil && json.Unmarshal(b, &h) == nil && h.PID != 0 {
				holder = h.String()
			}
			return nil, &BusyError{Dir: outDir, Holder: holder}
		}
		return nil, &EnvError{Op: "lock the job state", Err: err}
	}
	host, _ := os.Hostname()
	b, _ := json.Marshal(lockHolder{PID: os.Getpid(), Host: host, Started: time.Now().UTC(), Command: strings.TrimSpace(command)})
	// The holder's description is a courtesy for the message above: a
	// failure to write it does not matter, the lock is what excludes.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt(append(b, '\n'), 0)
	}
	return &jobLock{f: f}, nil
}

// release drops the lock (closing the file would too).
func (l *jobLock) release() {
	if l == nil || l.f == nil {
		return
	}
	_ = filelock.Unlock(l.f)
	_ = l.f.Close()
	l.f = nil
}
