//go:build tools

// Package riskbatch pins the module's dependencies before every package uses them.
package riskbatch

import (
	_ "github.com/cenkalti/backoff/v5"
	_ "github.com/emmansun/gmsm/sm3"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/spf13/cobra"
	_ "github.com/xuri/excelize/v2"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/term"
	_ "golang.org/x/text/encoding/simplifiedchinese"
	_ "golang.org/x/time/rate"
)
