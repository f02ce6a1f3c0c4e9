package td

import "github.com/riskbatch/riskbatch/providers"

// BodyOf is the JSON body a prepared request sends (the external tests post
// it to the simulator by hand).
func BodyOf(req *providers.Request) []byte { return req.Payload.(payload).body }
