// Package all registers every vendor (client and simulator). Import it for
// its side effects; adding a vendor is one line here.
package all

import (
	_ "github.com/riskbatch/riskbatch/providers/accuauth"
	_ "github.com/riskbatch/riskbatch/providers/juhe"
	_ "github.com/riskbatch/riskbatch/providers/td"
	_ "github.com/riskbatch/riskbatch/providers/zhicheng"
)
