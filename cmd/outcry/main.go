// Command outcry detects service outages from public social posts: posts from a Kafka
// topic are matched against multilingual rules, counted in Redis event-time windows,
// compared with a baseline, and incidents are published as CloudEvents on an alerts
// topic. This package only turns flags, environment and a config file into app.Options;
// the data flow is in docs/architecture.md.
package main

import (
	"os"

	"github.com/outcry-dev/outcry/internal/cli"
	"github.com/spf13/cobra"
	"go.uber.org/zap"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() { os.Exit(cli.Execute(newRoot())) }

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
			if err := cli.ApplyEnv(cmd); err != nil {
				return err
			}
			return cli.ApplyConfig(cmd) // flags > env > file
		},
	}
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	cli.AddConfigFlag(root.PersistentFlags())
	root.AddCommand(
		newRunCmd(g),
		newDemoCmd(g),
		newIngestCmd(g),
		newWatchCmd(g),
		newReplayCmd(g),
		newTailCmd(g),
		newBacktestCmd(g),
		newBrokerCmd(g),
		newMatchCmd(g),
		newRulesCmd(g),
		newStatsCmd(g),
		newBenchCmd(g),
		cli.ConfigReferenceCommand(),
	)
	return root
}

func (g *globals) logger() (*zap.Logger, error) { return cli.Logger(g.logLevel) }

// quietLogger is logger for the commands whose output is their result (demo, backtest,
// bench): warnings and errors only, unless --log-level was given.
func (g *globals) quietLogger(cmd *cobra.Command) (*zap.Logger, error) {
	if g.logLevel == "info" && !cmd.Flags().Changed("log-level") {
		g.logLevel = "warn"
	}
	return g.logger()
}
