package sinks

import (
	"github.com/riskbatch/riskbatch/providers/wire"
)

// The per-call records (raw.jsonl here, the journal in pipeline) are
// written once per HTTP attempt; encoding/json's reflection and its
// per-Encoder allocations were a measurable share of a run's CPU
// (BENCHMARKS.md). These appenders produce what encoding/json produces with
// SetEscapeHTML(false), into a caller's reused buffer.

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it with HTML escaping off: quote, backslash and control
// characters; invalid UTF-8 becomes U+FFFD; U+2028 and U+2029 are escaped
// (JavaScript line terminators). One implementation serves the providers'
// request bodies and these records (providers/wire).
func AppendJSONString(dst []byte, s string) []byte { return wire.AppendString(dst, s) }

// AppendJSONFloat appends f as encoding/json formats a float64 (finite
// values only; NaN and ±Inf, which JSON cannot hold, are written as 0).
func AppendJSONFloat(dst []byte, f float64) []byte { return wire.AppendFloat(dst, f) }
