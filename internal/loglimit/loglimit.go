// Package loglimit keeps a flood of like events from flooding the log. A
// hostile client can cause a refusal per request; each kind of line (its
// message) is written at most once per interval, with how many like it
// were left out since the last one written.
package loglimit

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// DefaultEvery is how often one kind of line may be written.
const DefaultEvery = 10 * time.Second

// maxKinds bounds the kinds tracked. Once full, a line of a new kind
// counts against its message alone, so lines stay bounded by messages.
const maxKinds = 4096

// Logger writes each kind of line at most once per interval.
type Logger struct {
	log   *slog.Logger
	every time.Duration

	mu    sync.Mutex
	kinds map[string]*kind
}

type kind struct {
	last    time.Time
	skipped int
}

// New wraps l; every <= 0 means DefaultEvery.
func New(l *slog.Logger, every time.Duration) *Logger {
	if every <= 0 {
		every = DefaultEvery
	}
	return &Logger{log: l, every: every, kinds: map[string]*kind{}}
}

// Warn logs msg at warning level unless a line of the same msg was written
// less than the interval ago.
func (l *Logger) Warn(msg string, args ...any) { l.emit(slog.LevelWarn, msg, args) }

// Error is Warn at error level.
func (l *Logger) Error(msg string, args ...any) { l.emit(slog.LevelError, msg, args) }

// Info is Warn at info level.
func (l *Logger) Info(msg string, args ...any) { l.emit(slog.LevelInfo, msg, args) }

// InfoBy is Info with one interval per key (a user, an address): one
// client's flood is cut without hiding everyone else's lines.
func (l *Logger) InfoBy(key, msg string, args ...any) {
	l.emitAs(msg+"\x00"+key, slog.LevelInfo, msg, args)
}

func (l *Logger) emit(level slog.Level, msg string, args []any) {
	l.emitAs(msg, level, msg, args)
}

func (l *Logger) emitAs(kind string, level slog.Level, msg string, args []any) {
	if !l.log.Enabled(context.Background(), level) {
		return // below the log level: no line, no kind to keep (a socket's connect and disconnect pass here)
	}
	skipped, ok := l.admit(kind, msg, time.Now())
	if !ok {
		return
	}
	if skipped > 0 {
		args = append(args, "suppressed", skipped)
	}
	l.log.Log(context.Background(), level, msg, args...)
}

// admit reports whether a line of msg may be written now, and how many
// were suppressed before it.
func (l *Logger) admit(name, msg string, now time.Time) (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k, ok := l.kinds[name]
	if !ok && len(l.kinds) >= maxKinds {
		name = msg
		k, ok = l.kinds[name]
	}
	if !ok {
		l.kinds[name] = &kind{last: now}
		return 0, true
	}
	if now.Sub(k.last) < l.every {
		k.skipped++
		return 0, false
	}
	skipped := k.skipped
	k.last, k.skipped = now, 0
	return skipped, true
}
