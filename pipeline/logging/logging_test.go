package logging

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestFormatsAndLevels(t *testing.T) {
	redact := func(s string) string { return strings.ReplaceAll(s, "s3cret", "[redacted]") }
	tests := []struct {
		format string
		level  slog.Level
		want   []string
	}{
		{FormatText, slog.LevelInfo, []string{"starting key=[redacted]-free\n", "warning: slow\n", "error: disk full path=/tmp/[redacted]\n"}},
		{FormatText, slog.LevelWarn, []string{"warning: slow\n", "error: disk full path=/tmp/[redacted]\n"}},
		{FormatText, slog.LevelDebug, []string{"debug: detail\n", "starting key=[redacted]-free\n", "warning: slow\n", "error: disk full path=/tmp/[redacted]\n"}},
	}
	for _, tc := range tests {
		var b bytes.Buffer
		l, err := New(&b, Options{Format: tc.format, Level: tc.level, Redact: redact})
		if err != nil {
			t.Fatal(err)
		}
		l.Debug("detail")
		l.Info("starting", "key", "s3cret-free")
		l.Warn("slow")
		l.Error("disk full", "path", "/tmp/s3cret")
		if got, want := b.String(), strings.Join(tc.want, ""); got != want {
			t.Errorf("%s at %v:\n%q\nwant\n%q", tc.format, tc.level, got, want)
		}
	}
}

func TestJSONEveryLineIsAnObjectWithoutSecrets(t *testing.T) {
	var b bytes.Buffer
	l, err := New(&b, Options{Format: FormatJSON, Redact: func(s string) string { return strings.ReplaceAll(s, "k3y", "[redacted]") }})
	if err != nil {
		t.Fatal(err)
	}
	l.Info("calling https://v.example/api?key=k3y", "provider", "juhe")
	l.Warn("key k3y throttled", "rows", 12)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), b.String())
	}
	for _, line := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %q: %v", line, err)
		}
		if strings.Contains(line, "k3y") || m["msg"] == nil || m["level"] == nil {
			t.Errorf("line %q: secret shown or msg/level missing", line)
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	if _, err := New(&bytes.Buffer{}, Options{Format: "xml"}); err == nil || !strings.Contains(err.Error(), "text or json") {
		t.Fatalf("err = %v", err)
	}
}
