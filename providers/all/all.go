// Package all registers every vendor's client with providers. Import it for
// its side effects; adding a vendor is one line here (and its simulator one
// line in providers/sandbox/allsims).
package all

import (
	_ "github.com/riskbatch/riskbatch/providers/accuauth"
	_ "github.com/riskbatch/riskbatch/providers/juhe"
	_ "github.com/riskbatch/riskbatch/providers/td"
	_ "github.com/riskbatch/riskbatch/providers/zhicheng"
)
