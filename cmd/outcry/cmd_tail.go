package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/outcry-dev/outcry/alert/tail"
	"github.com/outcry-dev/outcry/devstack"
	"github.com/outcry-dev/outcry/internal/cli"
)

func newTailCmd(_ *globals) *cobra.Command {
	var (
		brokers, topic    string
		ksec              cli.SecFlags
		asJSON, begin     bool
		colorMode, minSev string
		services, types   []string
		since             time.Duration
	)
	cmd := &cobra.Command{
		Use:   "tail",
		Short: "Follow the alerts topic and print each incident event",
		Long: `Tail follows the alerts topic and prints every incident event as it arrives, readably
(in colour on a terminal), or with --json as the raw CloudEvent, one per line. It starts
at the end of the topic unless --from-beginning or --since is given.

Filters apply to both forms: --service keeps the named services, --severity keeps
events at or above a severity (minor < major < critical), --type keeps event types
(started, updated, resolved, flood).

Colour: --color auto (the default) colours only when standard output is a terminal,
NO_COLOR is not set and TERM is not "dumb"; always and never force it.`,
		Example: `  outcry tail
  outcry tail --since 2h --service whatsapp,facebook --severity major
  outcry tail --type started,resolved --color never
  outcry tail --from-beginning --json | jq .data.service`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := devstack.SplitAddrs(brokers)
			if len(b) == 0 {
				return fmt.Errorf("%s is empty: give host:port[,host:port...]", cli.FlagName(cmd, "brokers"))
			}
			filter, err := tail.NewFilter(services, types, minSev, func(n string) string { return cli.FlagName(cmd, n) })
			if err != nil {
				return err
			}
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			colour, err := tail.UseColour(colorMode, out)
			if err != nil {
				return fmt.Errorf("%s: %w", cli.FlagName(cmd, "color"), err)
			}
			if since < 0 {
				return fmt.Errorf("%s %s: want a positive duration such as 30m or 2h", cli.FlagName(cmd, "since"), since)
			}
			if since > 0 && begin {
				return fmt.Errorf("%s and %s both say where to start: give one", cli.FlagName(cmd, "since"), cli.FlagName(cmd, "from-beginning"))
			}
			sec, err := ksec.Security(cmd)
			if err != nil {
				return err
			}
			return tail.Follow(cmd.Context(), tail.Options{
				Brokers: b, Topic: topic, Security: sec, FromBeginning: begin, Since: since,
				JSON: asJSON, Colour: colour, Filter: filter,
			}, out, errOut)
		},
	}
	f := cmd.Flags()
	f.StringVar(&brokers, "brokers", "127.0.0.1:9092", "Kafka bootstrap brokers, comma-separated")
	f.StringVar(&topic, "topic", "alerts", "alerts topic to follow")
	ksec.Register(f)
	f.BoolVar(&asJSON, "json", false, "print each event as raw CloudEvents JSON, one per line")
	f.BoolVar(&begin, "from-beginning", false, "start at the oldest event on the topic instead of the newest")
	f.DurationVar(&since, "since", 0, "start from the events published in the last DURATION (e.g. 2h), per partition")
	f.StringVar(&colorMode, "color", "auto", "colour the output: auto (on a terminal without NO_COLOR), always or never")
	f.StringSliceVar(&services, "service", nil, "only these services, comma-separated (default: all)")
	f.StringVar(&minSev, "severity", "", "only events at or above this severity: minor, major or critical (default: all)")
	f.StringSliceVar(&types, "type", nil, "only these event types, comma-separated: started, updated, resolved, flood (default: all)")
	return cmd
}
