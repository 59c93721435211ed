package main

import (
	"errors"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/outcry-dev/outcry/app"
	"github.com/outcry-dev/outcry/ingest"
	"github.com/outcry-dev/outcry/internal/cli"
)

func newWatchCmd(g *globals) *cobra.Command {
	var (
		o     = app.WatchOptions{GiveUp: 3}
		every time.Duration
		sf    cli.SourceFlags
	)
	cmd := &cobra.Command{
		Use:   "watch " + strings.Join(app.Sources(), "|"),
		Short: "See what people say is down right now: a live stream through Outcry on embedded parts",
		Long: `Watch runs everything in-process, as the demo does (a Kafka-protocol broker and a
Redis), and feeds it the live stream of a public source: the ingest and the pipeline
together, alerts printed as they fire, and the live page. One command to see what
people are saying is down right now.

Outcry learns each service's baseline from what it reads, so the first hour of a
watch knows little about what is normal; a long outage already under way when it
starts is its normal until then. Without network it says so and exits non-zero.`,
		Example: `  outcry watch bluesky
  outcry watch bluesky --http 127.0.0.1:8080
  OUTCRY_TOKEN=... outcry watch mastodon`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: app.Sources(),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Source = args[0]
			var err error
			if o.SourceOpts, err = sf.Options(cmd, o.Source); err != nil {
				return err
			}
			in := ingest.Defaults()
			in.Endpoints = o.Endpoints
			if err := validIngest(cmd, in); err != nil {
				return err
			}
			log, err := g.quietLogger(cmd)
			if err != nil {
				return err
			}
			o.Out, o.Every = os.Stdout, every
			err = app.Watch(cmd.Context(), o, log)
			var ue *ingest.UnreachableError
			if errors.As(err, &ue) {
				return cli.ExitError{Code: 1, Err: err}
			}
			return err
		},
	}
	f := cmd.Flags()
	sf.Register(f)
	f.StringArrayVar(&o.Endpoints, "url", nil, "stream endpoint (repeatable: the first that connects wins; default the public ones)")
	f.StringVar(&o.HTTPAddr, "http", "127.0.0.1:0", "address of the live page (port 0 picks a free one; empty for none)")
	f.DurationVar(&every, "every", time.Minute, "print how many posts were read this often (0 for never)")
	return cmd
}
