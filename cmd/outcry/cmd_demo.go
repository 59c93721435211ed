package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/outcry-dev/outcry/app"
	"github.com/outcry-dev/outcry/internal/cli"
	"github.com/outcry-dev/outcry/scenario"
)

func newDemoCmd(g *globals) *cobra.Command {
	var (
		speedStr, writeScenario, httpAddr string
		keep                              bool
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Replay a built-in outage on embedded Kafka and Redis and print alerts live",
		Long: `Demo starts everything in-process — a Kafka-protocol broker and a Redis (redis-server
from PATH on a free port when there is one, otherwise an in-process Redis-compatible
server) — and replays a built-in scenario modelled on the WhatsApp outage of 2022-10-25
(problems from 07:17 GMT, service back around 08:50 GMT, quiet hours before it) through
the real pipeline at high speed. Alerts are printed as they fire; the demo exits 0 once
the incident has resolved, or stays up with --keep.`,
		Example: `  go run ./cmd/outcry demo
  outcry demo --speed 300 --keep
  outcry demo --write-scenario posts.jsonl   # just write the scenario's posts`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			speed, err := cli.ParseSpeed(speedStr, cli.FlagName(cmd, "speed"))
			if err != nil {
				return err
			}
			cfg := scenario.WhatsApp20221025()
			if writeScenario != "" {
				f, err := os.Create(writeScenario)
				if err != nil {
					return fmt.Errorf("--write-scenario: %w", err)
				}
				sst, err := scenario.Write(f, cfg)
				if err = errors.Join(err, f.Close()); err != nil {
					return fmt.Errorf("--write-scenario: %w", err)
				}
				fmt.Fprintf(os.Stderr, "wrote %d lines (%d posts) to %s\n", sst.Lines, sst.Posts, writeScenario)
				return nil
			}
			log, err := g.quietLogger(cmd)
			if err != nil {
				return err
			}
			err = app.Demo(cmd.Context(), app.DemoOptions{Scenario: cfg, Speed: speed, SpeedLabel: speedStr,
				Keep: keep, HTTPAddr: httpAddr, Out: os.Stdout}, log)
			if errors.Is(err, app.ErrDemoUnresolved) {
				return cli.ExitError{Code: 1, Err: err}
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&speedStr, "speed", "1000", "replay speed as a multiple of real time, or max")
	f.BoolVar(&keep, "keep", false, "stay up after the replay (broker and Redis keep running) until Ctrl-C")
	f.StringVar(&httpAddr, "http", "127.0.0.1:0", "address of the live page (port 0 picks a free one; empty for none)")
	f.StringVar(&writeScenario, "write-scenario", "", "write the built-in scenario's posts (JSONL) to this file and exit")
	return cmd
}
