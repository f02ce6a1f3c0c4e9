// Package allsims registers every vendor's simulator with providers/sandbox
// (the sandbox's registration list, as providers/all is the clients'):
// adding a vendor's simulator is one line here. cmd/riskbatch imports it
// for `riskbatch sandbox`, `gen` and the embedded sandbox of `sandbox: true`
// jobs; tests that start a sandbox import it too.
package allsims

import (
	_ "github.com/riskbatch/riskbatch/providers/accuauth/accuauthsim"
	_ "github.com/riskbatch/riskbatch/providers/juhe/juhesim"
	_ "github.com/riskbatch/riskbatch/providers/td/tdsim"
	_ "github.com/riskbatch/riskbatch/providers/zhicheng/zhichengsim"
)
