package pipeline

import (
	"context"
	"fmt"
	"net"
	"net/url"

	"github.com/riskbatch/riskbatch/providers/sandbox"
)

// StartSandbox runs the simulators in-process on a loopback port and points
// every provider of the job at it (same paths, real HTTP), for `sandbox:
// true` jobs. The returned stop shuts it down.
func StartSandbox(ctx context.Context, job *Job) (addr string, stop func(), err error) {
	o := job.SandboxOpts
	srv := sandbox.New(sandbox.Config{
		Seed: o.Seed, Population: o.Population,
		Latency: sandbox.Latency{Base: o.Latency, Jitter: o.Jitter},
		Faults:  sandbox.Faults{Rate: o.FaultRate, Kinds: o.FaultKinds},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("embedded sandbox: %w", err)
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(sctx, ln, nil)
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
