package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riskbatch/riskbatch/providers"
	"github.com/riskbatch/riskbatch/sources"
)

// request is one prepared call of the baseline.
type request struct {
	prov providers.Provider
	key  providers.Key
	req  *providers.Request
}

// prepare reads input and prepares every row for every vendor the way the
// pipeline does (invalid rows dropped, identical requests sent once), so
// the baseline sends the same calls as the run.
func (b *bench) prepare(input string, vendors []vendor, limit int) ([]request, error) {
	src, err := sources.Open(input, sources.Options{})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer src.Close()
	header := src.Header()
	type bound struct {
		prov    providers.Provider
		binding *providers.Binding
		key     providers.Key
		seen    map[[32]byte]bool
	}
	var bs []bound
	for _, v := range vendors {
		prov, err := v.spec.New(providers.Config{Name: v.kind, Endpoint: b.sb.url + v.path, Options: v.options})
		if err != nil {
			return nil, fmt.Errorf("bench: provider %s: %w", v.kind, err)
		}
		binding, missing := providers.NewBinding(header, prov.Inputs(), nil)
		if len(missing) > 0 {
			return nil, fmt.Errorf("bench: provider %s: input lacks %s", v.kind, strings.Join(missing, ", "))
		}
		keys := b.keys.Keys(v.kind)
		if len(keys) == 0 {
			return nil, fmt.Errorf("bench: the sandbox has no key for %s", v.kind)
		}
		key := providers.Key{ID: keys[0].ID, Credentials: keys[0].Credentials}
		bs = append(bs, bound{prov: prov, binding: binding, key: key, seen: map[[32]byte]bool{}})
	}
	var out []request
	for {
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("bench: %s: %w", input, err)
		}
		if row.Err != nil {
			continue
		}
		for _, p := range bs {
			req, err := p.prov.Prepare(providers.Record{Row: row.Num, Binding: p.binding, Values: row.Values})
			if err != nil || p.seen[req.Dedupe] {
				continue
			}
			p.seen[req.Dedupe] = true
			out = append(out, request{prov: p.prov, key: p.key, req: req})
		}
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

// newClient is a keep-alive client sized like the pipeline's.
func newClient(conc int) *http.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conc * 4,
		MaxIdleConnsPerHost: conc * 2,
		IdleConnTimeout:     90 * time.Second,
	}
	return &http.Client{Transport: tr}
}

// send sends reqs with conc goroutines and returns the calls made and the
// answers that were not HTTP 200.
func send(ctx context.Context, client *http.Client, reqs []request, conc int) (calls, errs int64, err error) {
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(len(reqs)) || ctx.Err() != nil {
					return
				}
				r := reqs[i]
				hreq, err := r.prov.NewHTTPRequest(ctx, r.key, r.req)
				if err == nil {
					var resp *http.Response
					if resp, err = client.Do(hreq); err == nil {
						_, err = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							atomic.AddInt64(&errs, 1)
						}
					}
				}
				atomic.AddInt64(&calls, 1)
				if err != nil {
					atomic.AddInt64(&errs, 1)
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if errs > calls/100 && firstErr != nil {
		return calls, errs, fmt.Errorf("bench: baseline: %d of %d calls failed, first: %w", errs, calls, firstErr)
	}
	return calls, errs, ctx.Err()
}

// warmUp sends a few of the input's requests so the sandbox builds its
// lookup indexes before anything is measured.
func (b *bench) warmUp(ctx context.Context, input string, vendors []vendor) error {
	reqs, err := b.prepare(input, vendors, 20*len(vendors))
	if err != nil {
		return err
	}
	client := newClient(4)
	defer client.CloseIdleConnections()
	_, _, err = send(ctx, client, reqs, 4)
	return err
}

// baseline drives the sandbox with a bare client: the run's requests,
// prepared beforehand (not timed), sent by conc goroutines over keep-alive
// connections, bodies read and dropped — no pipeline, journal or sinks.
func (b *bench) baseline(ctx context.Context, scenario, when, input string, vendors []vendor, conc int) (*Result, error) {
	reqs, err := b.prepare(input, vendors, 0)
	if err != nil {
		return nil, err
	}
	client := newClient(conc)
	defer client.CloseIdleConnections()
	if _, _, err := send(ctx, client, reqs[:min(len(reqs), 20*len(vendors))], 4); err != nil { // warm-up
		return nil, err
	}
	if err := b.sb.admin.Reset(ctx); err != nil {
		return nil, err
	}
	runtime.GC()
	res := &Result{Scenario: scenario, Name: fmt.Sprintf("s%s-baseline-%s", scenario, when), Kind: "baseline", Load: loadAvg()}
	b.logf("%s: bare client, %d requests, %d goroutines (load %s)", res.Name, len(reqs), conc, res.Load)
	sb0, cpu0 := b.sb.cpu(), selfCPU()
	start := time.Now()
	calls, errs, err := send(ctx, client, reqs, conc)
	wall := time.Since(start)
	cpu := selfCPU() - cpu0
	res.SandboxCPUS = (b.sb.cpu() - sb0).Seconds()
	if err != nil {
		return nil, err
	}
	res.Calls, res.Errors = calls, errs
	// Rows are the input's rows, so CPU per 1,000 rows compares with the run.
	res.Rows = countRows(input)
	res.fill(wall, cpu)
	res.Note = fmt.Sprintf("bare net/http client, %d goroutines, same requests (prepared beforehand)", conc)
	b.logf("%s: %d calls in %.1fs: %.0f calls/s, %.2f CPU s/1k rows", res.Name, res.Calls, res.WallS, res.CallsPerS, res.CPUPer1k)
	return res, nil
}

func countRows(input string) int {
	src, err := sources.Open(input, sources.Options{})
	if err != nil {
		return 0
	}
	defer src.Close()
	n := 0
	for {
		if _, err := src.Next(); err != nil {
			return n
		}
		n++
	}
}
