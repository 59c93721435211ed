package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/detectors/incident"
	"github.com/outcry-dev/outcry/pipeline"
)

func newBacktestCmd(g *globals) *cobra.Command {
	var (
		posts, out, redisAddr, rules string
		lateness                     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "backtest --posts FILE --out alerts.jsonl",
		Short: "Run the whole pipeline offline in event time over a posts file",
		Long: `Backtest produces a posts file (JSONL, any supported shape, bad lines included) into an
embedded Kafka broker and runs the same pipeline as "outcry run" over it in event time, as
fast as it can, on an embedded Redis (or --redis). Every alert event is written to --out as
one JSON line (CloudEvents); the run ends by itself when the file is consumed and prints a
one-line summary.`,
		Example: `  outcry backtest --posts posts.jsonl --out alerts.jsonl`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if posts == "" || out == "" {
				return errors.New("backtest needs --posts FILE and --out FILE")
			}
			log, err := g.logger()
			if err != nil {
				return err
			}
			rs, err := loadRules(rules)
			if err != nil {
				return err
			}
			in, err := os.Open(posts)
			if err != nil {
				return fmt.Errorf("--posts: %w", err)
			}
			defer in.Close()
			of, err := os.Create(out)
			if err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			defer of.Close()
			bw := bufio.NewWriter(of)

			ctx := cmd.Context()
			began := time.Now()
			env, err := startEmbedded(ctx, redisAddr)
			if err != nil {
				return err
			}
			defer env.Close()
			log.Info("backtest", zap.String("on", env.describe()))

			w := newPostsWriter(env)
			rst, err := pipeline.Replay(ctx, w, in, pipeline.ReplayOptions{})
			w.Close()
			if err != nil {
				return err
			}

			types := map[string]int{}
			var werr error
			runCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			svc, err := newService(serviceOptions{
				Kafka: env.kafka, Redis: env.rdb, Prefix: env.prefix, Rules: rs,
				Pipeline: pipeline.Config{Lateness: lateness},
				OnEvent: func(e incident.Event) {
					types[e.Type]++
					b, err := pipeline.EncodeEvent(e)
					if err == nil {
						_, err = fmt.Fprintf(bw, "%s\n", b)
					}
					werr = errors.Join(werr, err)
				},
				OnBatch: func(s pipeline.Stats) {
					if s.Consumed+s.Skipped >= rst.Lines {
						cancel()
					}
				},
			}, log)
			if err != nil {
				return err
			}
			defer svc.Close()
			if err := svc.pipe.Run(runCtx); err != nil && ctx.Err() == nil {
				return err
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// End of input: close every bucket up to the last post.
			if err := svc.pipe.Flush(ctx, rst.Last.Add(time.Minute)); err != nil {
				return err
			}
			if err := errors.Join(werr, bw.Flush(), of.Close()); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			st := svc.pipe.Stats()
			total := 0
			var parts []string
			for t, n := range types {
				total += n
				parts = append(parts, fmt.Sprintf("%d %s", n, strings.TrimPrefix(t, "outcry.incident.")))
			}
			sort.Strings(parts)
			fmt.Fprintf(os.Stdout, "backtest: %d posts read, %d matched, %d dead-lettered, %d alerts (%s) → %s in %s\n",
				st.Consumed, st.Matched, st.DeadLettered, total, strings.Join(parts, ", "), out, time.Since(began).Round(time.Millisecond))
			if st.DeadLettered > 0 {
				fmt.Fprintf(os.Stdout, "dead letters by reason: %s\n", formatCounts(st.DeadByReason))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&posts, "posts", "", "posts file (JSONL)")
	f.StringVar(&out, "out", "", "where to write the alert events (JSONL)")
	f.StringVar(&redisAddr, "redis", "", "use this Redis instead of an embedded one (keys get a fresh prefix)")
	f.StringVar(&rules, "rules", "", "rules YAML file (default: the embedded rule set)")
	f.DurationVar(&lateness, "lateness", 2*time.Minute, "how late (event time) a post may arrive and still be counted")
	return cmd
}

func formatCounts(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
