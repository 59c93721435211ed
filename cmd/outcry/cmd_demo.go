package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/outcry-dev/outcry/app"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/scenario"
	"github.com/outcry-dev/outcry/source"
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
			speed, err := parseSpeed(speedStr, flagName(cmd, "speed"))
			if err != nil {
				return err
			}
			cfg := scenario.WhatsApp20221025()
			var buf bytes.Buffer
			sst, err := scenario.Write(&buf, cfg)
			if err != nil {
				return fmt.Errorf("generate the demo scenario: %w", err)
			}
			if writeScenario != "" {
				if err := os.WriteFile(writeScenario, buf.Bytes(), 0o644); err != nil {
					return fmt.Errorf("--write-scenario: %w", err)
				}
				fmt.Fprintf(os.Stderr, "wrote %d lines (%d posts) to %s\n", sst.Lines, sst.Posts, writeScenario)
				return nil
			}
			if g.logLevel == "info" && !cmd.Flags().Changed("log-level") {
				g.logLevel = "warn" // the alerts are the demo's output
			}
			log, err := g.logger()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			env, err := app.StartEmbedded(ctx, "")
			if err != nil {
				return err
			}
			defer env.Close()
			out := os.Stdout
			fmt.Fprintf(out, "outcry demo on %s\n", env.Describe())
			o := env.Options()
			var ln net.Listener
			if httpAddr != "" {
				if ln, err = net.Listen("tcp", httpAddr); err != nil {
					return fmt.Errorf("--http %s: %w", httpAddr, err)
				}
				fmt.Fprintf(out, "live page: http://%s/\n", ln.Addr())
			}
			fmt.Fprintf(out, "replaying %d posts from %s to %s (WhatsApp outage 07:17–08:50 GMT) at %s× real time\n\n",
				sst.Posts, cfg.Start.Format("2006-01-02 15:04Z"), cfg.End.Format("15:04Z"), speedStr)

			var (
				mu       sync.Mutex
				resolved = make(chan struct{})
				once     sync.Once
				started  int
			)
			o.HTTP = ln
			o.OnEvent = func(e incident.Event) {
				mu.Lock()
				defer mu.Unlock()
				printEvent(out, e)
				fmt.Fprintln(out)
				switch e.Type {
				case incident.TypeStarted:
					started++
				case incident.TypeResolved:
					once.Do(func() { close(resolved) })
				}
			}
			a, err := app.New(o, log)
			if err != nil {
				return err
			}
			defer a.Close()

			eg, ectx := errgroup.WithContext(ctx)
			runCtx, stop := context.WithCancel(ectx)
			defer stop()
			eg.Go(func() error { return a.Run(runCtx) })
			var last time.Time
			eg.Go(func() error {
				w := env.PostsWriter()
				defer w.Close()
				st, err := source.Replay(runCtx, w, bytes.NewReader(buf.Bytes()), source.ReplayOptions{Speed: speed})
				last = st.Last
				if err != nil && runCtx.Err() == nil {
					return err
				}
				if keep {
					fmt.Fprintf(out, "replay done; broker %s and Redis %s stay up (--keep): try `outcry tail --brokers %s --from-beginning`; Ctrl-C to stop\n",
						env.Kafka.Brokers[0], env.RedisAddr, env.Kafka.Brokers[0])
					return nil
				}
				// Wait for the tail of the stream to be evaluated.
				select {
				case <-resolved:
				case <-time.After(30 * time.Second):
					stop()
				case <-runCtx.Done():
				}
				return nil
			})
			eg.Go(func() error {
				if keep {
					return nil
				}
				select {
				case <-resolved:
					stop()
				case <-runCtx.Done():
				}
				return nil
			})
			if err := eg.Wait(); err != nil {
				return err
			}
			if ctx.Err() != nil {
				return nil // Ctrl-C
			}
			select {
			case <-resolved:
				fmt.Fprintln(out, "the incident has resolved; demo done.")
				return nil
			default:
			}
			if err := a.Flush(ctx, last.Add(time.Minute)); err != nil {
				return err
			}
			select {
			case <-resolved:
				fmt.Fprintln(out, "the incident has resolved; demo done.")
				return nil
			default:
				return exitError{code: 1, err: errors.New("demo: the replay ended without a resolved incident")}
			}
		},
	}
	f := cmd.Flags()
	f.StringVar(&speedStr, "speed", "1000", "replay speed as a multiple of real time, or max")
	f.BoolVar(&keep, "keep", false, "stay up after the replay (broker and Redis keep running) until Ctrl-C")
	f.StringVar(&httpAddr, "http", "127.0.0.1:0", "address of the live page (port 0 picks a free one; empty for none)")
	f.StringVar(&writeScenario, "write-scenario", "", "write the built-in scenario's posts (JSONL) to this file and exit")
	return cmd
}
