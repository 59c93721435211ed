// Package cli is the command line's machinery, apart from the commands themselves: every
// flag also from OUTCRY_<FLAG> and a YAML config file (flags > env > file), errors that
// name where a bad value came from, the flag groups several commands share (Kafka,
// SASL/TLS, Redis, the HTTP token), the generated configuration reference and the logger.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

type ExitError struct {
	Code int
	Err  error
}

func (e ExitError) Error() string { return e.Err.Error() }

func (e ExitError) Unwrap() error { return e.Err }

// ApplyEnv fills every flag not given on the command line from OUTCRY_<FLAG>.
func ApplyEnv(cmd *cobra.Command) error {
	var errs []error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			return
		}
		name := "OUTCRY_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok {
			if err := cmd.Flags().Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
			_ = cmd.Flags().SetAnnotation(f.Name, envAnnotation, []string{name})
		}
	})
	return errors.Join(errs...)
}

const envAnnotation = "outcry-env"

// FlagName names where a flag's value came from, for error messages: "--speed", or
// "OUTCRY_SPEED" when it was taken from the environment.
func FlagName(cmd *cobra.Command, name string) string {
	if f := cmd.Flags().Lookup(name); f != nil {
		if env := f.Annotations[envAnnotation]; len(env) > 0 {
			return env[0]
		}
	}
	return "--" + name
}

// Logger returns the console logger of the commands at level (debug, info, warn, error).
func Logger(level string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	cfg := zap.NewProductionConfig()
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.Encoding = "console"
	cfg.EncoderConfig = zap.NewDevelopmentEncoderConfig()
	cfg.Sampling = nil
	cfg.DisableStacktrace = true
	return cfg.Build()
}

// Execute runs root until it returns or SIGINT/SIGTERM ends its context, and returns the
// process's exit status: 0, an ExitError's code, or 1 after printing the error.
func Execute(root *cobra.Command) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := root.ExecuteContext(ctx); err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return 0
		}
		fmt.Fprintln(os.Stderr, "outcry:", err)
		var ee ExitError
		if errors.As(err, &ee) {
			return ee.Code
		}
		return 1
	}
	return 0
}

// ConfigReferenceCommand prints ConfigReference of the root (hidden; the README's
// reference is its output).
func ConfigReferenceCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "config-reference",
		Short:  "Print the configuration reference (Markdown) of every command",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprint(cmd.OutOrStdout(), ConfigReference(cmd.Root()))
			return err
		},
	}
}

// ParseTime reads the RFC 3339 time of the flag name (zero when empty); example is shown
// in the error.
func ParseTime(cmd *cobra.Command, name, value, example string) (time.Time, error) {
	if value == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, value)
	if err != nil {
		return t, fmt.Errorf("%s %q: want an RFC 3339 time such as %s", FlagName(cmd, name), value, example)
	}
	return t, nil
}
