package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/riskbatch/riskbatch/pipeline/jobfile"
	"github.com/riskbatch/riskbatch/providers/sandbox"
	_ "github.com/riskbatch/riskbatch/providers/sandbox/allsims" // the simulators: `sandbox`, `gen`, `sandbox: true` jobs
)

// embeddedSandbox serves the simulators for a `sandbox: true` job
// (pipeline.Options.Sandbox).
func embeddedSandbox(ctx context.Context, o jobfile.SandboxConfig, ln net.Listener) error {
	srv := sandbox.New(sandbox.Config{
		Seed: o.Seed, Population: o.Population,
		Latency: sandbox.Latency{Base: o.Latency, Jitter: o.Jitter},
		Faults:  sandbox.Faults{Rate: o.FaultRate, Kinds: o.FaultKinds},
	})
	return srv.Serve(ctx, ln, nil)
}

func newSandboxCommand() *cobra.Command {
	var (
		listen                string
		seed                  int64
		population            int
		latency, jitter, hang time.Duration
		faultRate             float64
		faultKinds            string
		now                   string
	)
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve the vendor simulators (and the /_sandbox/ admin API) on a loopback address",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if now == "" {
				now = os.Getenv("RISKBATCH_SANDBOX_NOW")
			}
			cfg := sandbox.Config{
				Seed: seed, Population: population,
				Latency: sandbox.Latency{Base: latency, Jitter: jitter},
				Faults:  sandbox.Faults{Rate: faultRate},
				Hang:    hang,
			}
			if faultKinds != "" {
				cfg.Faults.Kinds = strings.Split(faultKinds, ",")
			}
			if now != "" {
				t, err := time.Parse(time.RFC3339, now)
				if err != nil {
					return &usageError{msg: fmt.Sprintf("--now %q: want RFC 3339, e.g. 2026-11-25T23:59:00+08:00", now)}
				}
				cfg.Now = t
			}
			host, _, err := net.SplitHostPort(listen)
			if err != nil {
				return &usageError{msg: fmt.Sprintf("--listen %q: %v", listen, err)}
			}
			if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				return &usageError{msg: fmt.Sprintf("--listen %q: the sandbox serves on loopback only (127.0.0.1)", listen)}
			}
			srv := sandbox.New(cfg)
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return srv.Listen(ctx, listen, func(a net.Addr) {
				fmt.Fprintf(os.Stdout, "sandbox listening on http://%s (vendors: %s; admin: /_sandbox/)\n", a, strings.Join(srv.Vendors(), ", "))
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:8089", "loopback address to serve on (port 0 picks a free one)")
	f.Int64Var(&seed, "seed", 0, "population seed (riskbatch gen uses the same)")
	f.IntVar(&population, "population", 100000, "population size")
	f.DurationVar(&latency, "latency", 0, "answer latency")
	f.DurationVar(&jitter, "jitter", 0, "latency jitter (±)")
	f.DurationVar(&hang, "hang", 30*time.Second, "how long a 'timeout' fault holds the answer")
	f.Float64Var(&faultRate, "fault-rate", 0, "share of calls answered with an injected fault (0–1)")
	f.StringVar(&faultKinds, "fault-kinds", "", "comma-separated fault kinds: http_500,http_503,timeout,reset,malformed (default all)")
	f.StringVar(&now, "now", "", "simulator clock at start, RFC 3339 (also RISKBATCH_SANDBOX_NOW)")
	return cmd
}
