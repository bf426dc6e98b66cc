// Package mlog stands in for monis.app/mlog, the structured logger Azure's KMS plugin imports, which the Go module
// proxy does not serve. It keeps the functions and verbosity levels the plugin calls (0 = always and errors,
// 2 = info, 4 = debug, 6 = trace, as the plugin's -v flag documents) and writes through log/slog to stderr, as
// text or JSON. It is written for aksemu's interop harness; it only formats log lines and is not the code under
// test.
package mlog

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync/atomic"

	"k8s.io/klog/v2"
)

// LogFormat selects how lines are written.
type LogFormat string

const (
	FormatText LogFormat = "text"
	FormatJSON LogFormat = "json"
)

// The verbosity each call needs before it is written.
const (
	levelInfo  = 2
	levelDebug = 4
	levelTrace = 6
)

var (
	verbosity atomic.Int32
	logger    atomic.Pointer[slog.Logger]
)

func init() {
	logger.Store(slog.New(slog.NewTextHandler(os.Stderr, nil)))
}

// Setup returns the function to defer in main: it flushes klog, which the plugin's libraries may log through.
func Setup() func() {
	return klog.Flush
}

// ValidateAndSetKlogLevelAndFormatGlobally sets this logger's and klog's verbosity and this logger's format.
func ValidateAndSetKlogLevelAndFormatGlobally(_ context.Context, level klog.Level, format LogFormat) error {
	var handler slog.Handler
	switch format {
	case FormatText:
		handler = slog.NewTextHandler(os.Stderr, nil)
	case FormatJSON:
		handler = slog.NewJSONHandler(os.Stderr, nil)
	default:
		return fmt.Errorf("unknown log format %q", format)
	}
	if level < 0 {
		return fmt.Errorf("negative log level %d", level)
	}
	flags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(flags)
	if err := flags.Set("v", strconv.Itoa(int(level))); err != nil {
		return fmt.Errorf("setting klog verbosity: %w", err)
	}
	verbosity.Store(int32(level))
	logger.Store(slog.New(handler))
	return nil
}

func enabled(level int32) bool { return verbosity.Load() >= level }

// Always writes msg whatever the verbosity.
func Always(msg string, keysAndValues ...any) { logger.Load().Info(msg, keysAndValues...) }

// Info writes msg at verbosity 2 and above.
func Info(msg string, keysAndValues ...any) {
	if enabled(levelInfo) {
		logger.Load().Info(msg, keysAndValues...)
	}
}

// Debug writes msg at verbosity 4 and above.
func Debug(msg string, keysAndValues ...any) {
	if enabled(levelDebug) {
		logger.Load().Debug(msg, keysAndValues...)
	}
}

// Trace writes msg at verbosity 6 and above.
func Trace(msg string, keysAndValues ...any) {
	if enabled(levelTrace) {
		logger.Load().Debug(msg, keysAndValues...)
	}
}

// Error writes msg and err whatever the verbosity.
func Error(msg string, err error, keysAndValues ...any) {
	logger.Load().Error(msg, append([]any{"err", err}, keysAndValues...)...)
}

// Fatal writes err (after an optional message: Fatal(err, "msg", "key", value)) and exits with status 1.
func Fatal(err error, args ...any) {
	msg := "fatal error"
	if len(args)%2 == 1 {
		msg = fmt.Sprint(args[0])
		args = args[1:]
	}
	logger.Load().Error(msg, append([]any{"err", err}, args...)...)
	klog.Flush()
	os.Exit(1)
}
