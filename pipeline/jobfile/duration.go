package jobfile

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a job-file duration that also takes days: "7d", "30d",
// "1d12h", besides Go durations ("36h", "90m"). A day is 24 hours.
type Duration time.Duration

// D is the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a duration is a scalar like 7d or 36h", n.Line)
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %v", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration back in the form ParseDuration reads.
func (d Duration) MarshalYAML() (any, error) { return FormatDuration(time.Duration(d)), nil }

// ParseDuration parses a Go duration with an optional leading whole number
// of days: "7d", "1d12h", "36h", "0". Negative durations are refused.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration (want e.g. 7d, 36h or 90m)")
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 {
			return 0, fmt.Errorf("duration %q: want whole days before d (7d, 1d12h)", s)
		}
		if n > 100*365 {
			return 0, fmt.Errorf("duration %q: more than 100 years", s)
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	rest, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: want e.g. 7d, 1d12h, 36h or 90m", s)
	}
	if rest < 0 {
		return 0, fmt.Errorf("duration %q must not be negative", s)
	}
	return days + rest, nil
}

// FormatDuration writes d with whole days as "Nd" ("7d", "1d12h0m0s").
func FormatDuration(d time.Duration) string {
	day := 24 * time.Hour
	if d >= day {
		n := d / day
		if r := d % day; r != 0 {
			return fmt.Sprintf("%dd%s", n, r)
		}
		return fmt.Sprintf("%dd", n)
	}
	return d.String()
}

// goDurationKeys are the job keys decoded as Go durations (time.Duration):
// provider timeout, retry initial / max / max_elapsed, circuit_breaker
// backoff, sandbox_options latency / jitter.
var goDurationKeys = map[string]bool{"timeout": true, "initial": true, "max": true, "max_elapsed": true, "backoff": true, "latency": true, "jitter": true}

// expandDays rewrites a days value ("1d", "2d12h") of a Go-duration key
// into the Go duration it means ("24h0m0s"), so every duration key of the
// job takes days. Other values are left to the decoder and its errors.
func expandDays(n *yaml.Node) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			expandDays(c)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind == yaml.ScalarNode && goDurationKeys[k.Value] && daysValue(v.Value) {
				if d, err := ParseDuration(v.Value); err == nil {
					v.Value, v.Tag, v.Style = d.String(), "!!str", 0
				}
				continue
			}
			expandDays(v)
		}
	}
}

// daysValue reports a value that starts with whole days: "7d", "1d12h".
func daysValue(s string) bool {
	s = strings.TrimSpace(s)
	i := strings.IndexByte(s, 'd')
	if i <= 0 {
		return false
	}
	_, err := strconv.Atoi(s[:i])
	return err == nil
}
