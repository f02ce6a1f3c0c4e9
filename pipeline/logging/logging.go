// Package logging builds riskbatch's loggers (log/slog): plain text lines
// for people and cron logs, or one JSON object per line for log shippers.
// Every message and string attribute goes through a redaction function, so
// a secret that slips into a message is removed in either format.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// Formats of the log.
const (
	FormatText = "text"
	FormatJSON = "json"
)

// Options configure a logger.
type Options struct {
	Format string     // FormatText (default) or FormatJSON
	Level  slog.Level // the lowest level written (slog.LevelInfo by default)
	// Redact cleans every message and string value; nil keeps them.
	Redact func(string) string
}

// New returns a logger writing to w.
func New(w io.Writer, o Options) (*slog.Logger, error) {
	redact := o.Redact
	if redact == nil {
		redact = func(s string) string { return s }
	}
	switch o.Format {
	case "", FormatText:
		return slog.New(&textHandler{w: w, level: o.Level, redact: redact, mu: &sync.Mutex{}}), nil
	case FormatJSON:
		h := slog.NewJSONHandler(w, &slog.HandlerOptions{
			Level: o.Level,
			ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				if a.Value.Kind() == slog.KindString {
					a.Value = slog.StringValue(redact(a.Value.String()))
				}
				return a
			},
		})
		return slog.New(h), nil
	}
	return nil, fmt.Errorf("log format %q: want %s or %s", o.Format, FormatText, FormatJSON)
}

// Discard is a logger that writes nothing.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// textHandler writes one line per record: the message, prefixed by its
// level when it is not info ("warning: disk almost full"), then any
// attributes as key=value. No time stamp: cron and systemd add their own,
// and a person at a terminal does not need one.
type textHandler struct {
	w      io.Writer
	level  slog.Level
	redact func(string) string
	attrs  []slog.Attr
	mu     *sync.Mutex
}

func (h *textHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *textHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	switch {
	case r.Level >= slog.LevelError:
		b.WriteString("error: ")
	case r.Level >= slog.LevelWarn:
		b.WriteString("warning: ")
	case r.Level < slog.LevelInfo:
		b.WriteString("debug: ")
	}
	b.WriteString(r.Message)
	write := func(a slog.Attr) bool {
		if a.Equal(slog.Attr{}) {
			return true
		}
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value.Resolve().Any())
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, h.redact(b.String()))
	return err
}

func (h *textHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &c
}

// WithGroup is not used by riskbatch; groups are flattened into keys.
func (h *textHandler) WithGroup(string) slog.Handler { return h }
