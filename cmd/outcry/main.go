// Command outcry detects service outages from public social posts: posts from a Kafka
// topic are matched against multilingual rules, counted in Redis event-time windows,
// compared with a baseline, and incidents are published as CloudEvents on an alerts
// topic. This package only turns flags, environment and a config file into app.Options;
// the data flow is in docs/architecture.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() { os.Exit(run()) }

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot()
	if err := root.ExecuteContext(ctx); err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return 0
		}
		fmt.Fprintln(os.Stderr, "outcry:", err)
		var ee exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		return 1
	}
	return 0
}

type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

// globals are the flags every command has.
type globals struct {
	logLevel string
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "outcry",
		Short: "Detect service outages from what people post, within minutes",
		Long: `Outcry watches public social posts on a Kafka topic and tells analysts and services,
within a minute or two, that a service is down: "#whatsappdown", "X won't let me log in",
"واتساب لا يعمل". Every flag can also be set from the environment as OUTCRY_<FLAG>
(e.g. --posts-topic from OUTCRY_POSTS_TOPIC); a flag on the command line wins.

Start with:  outcry demo`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			return applyConfig(cmd) // flags > env > file
		},
	}
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	addConfigFlag(root.PersistentFlags())
	root.AddCommand(
		newRunCmd(g),
		newDemoCmd(g),
		newReplayCmd(g),
		newTailCmd(g),
		newBacktestCmd(g),
		newBrokerCmd(g),
		newMatchCmd(g),
		newRulesCmd(g),
		newStatsCmd(g),
		newBenchCmd(g),
		&cobra.Command{
			Use:    "config-reference",
			Short:  "Print the configuration reference (Markdown) of every command",
			Hidden: true,
			Args:   cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				_, err := fmt.Fprint(cmd.OutOrStdout(), configReference(cmd.Root()))
				return err
			},
		},
	)
	return root
}

// applyEnv fills every flag not given on the command line from OUTCRY_<FLAG>.
func applyEnv(cmd *cobra.Command) error {
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

// flagName names where a flag's value came from, for error messages: "--speed", or
// "OUTCRY_SPEED" when it was taken from the environment.
func flagName(cmd *cobra.Command, name string) string {
	if f := cmd.Flags().Lookup(name); f != nil {
		if env := f.Annotations[envAnnotation]; len(env) > 0 {
			return env[0]
		}
	}
	return "--" + name
}

func (g *globals) logger() (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(g.logLevel)
	if err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", g.logLevel)
	}
	cfg := zap.NewProductionConfig()
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.Encoding = "console"
	cfg.EncoderConfig = zap.NewDevelopmentEncoderConfig()
	cfg.Sampling = nil
	cfg.DisableStacktrace = true
	return cfg.Build()
}
