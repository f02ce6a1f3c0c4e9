package pipeline

import (
	"context"
	"errors"
	"fmt"
	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"net"
	"net/url"
)

// EmbeddedSandbox serves the vendor simulators on ln until ctx is done, as
// cfg (the job's sandbox_options) says. cmd/riskbatch gives one built on
// providers/sandbox (Options.Sandbox), so the pipeline links no simulator.
type EmbeddedSandbox func(ctx context.Context, cfg jobfile.SandboxConfig, ln net.Listener) error

// startSandbox runs the simulators in-process on a loopback port and points
// every provider of the job at it (same paths, real HTTP), for `sandbox:
// true` jobs. The returned stop shuts it down.
func startSandbox(ctx context.Context, job *jobfile.Job, serve EmbeddedSandbox) (addr string, stop func(), err error) {
	if serve == nil {
		return "", nil, errors.New("embedded sandbox: the job says sandbox: true, but this program has no simulators")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("embedded sandbox: %w", err)
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = serve(sctx, job.SandboxOpts, ln)
	}()
	addr = ln.Addr().String()
	for i := range job.Providers {
		p := &job.Providers[i]
		u, perr := url.Parse(p.Endpoint)
		if perr != nil {
			continue
		}
		u.Scheme, u.Host = "http", addr
		p.Endpoint = u.String()
	}
	return addr, func() { cancel(); <-done }, nil
}
