package zhicheng

// Fix is the client's check with its fixes on, as Prepare runs it: the
// external tests compare its verdict with the simulator's (Validate).
func Fix(p *Params) *FieldError { return check(p, true, nil) }
