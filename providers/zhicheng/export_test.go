package zhicheng

import "github.com/riskbatch/riskbatch/providers"

// ParamsOf is the params JSON a prepared request sends (the external tests
// compare it with what the simulator reads).
func ParamsOf(req *providers.Request) string { return req.Payload.(payload).params }

// Fix is the client's check with its fixes on, as Prepare runs it.
func Fix(p *Params) *FieldError { return check(p, true, nil) }
