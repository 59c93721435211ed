package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/outcry-dev/outcry/bench"
	"github.com/outcry-dev/outcry/internal/cli"
	"github.com/outcry-dev/outcry/match"
	"github.com/spf13/cobra"
)

func newBenchCmd(g *globals) *cobra.Command {
	var (
		only      string
		posts     int
		incidents int
		asJSON    bool
		soak      time.Duration
		soakSpeed float64
		rate      int
		skipMatch bool
		services  int
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure throughput, Redis cost, alert latency and memory, each beside its ceiling",
		Long: `Bench runs the pipeline on an embedded Kafka broker and a real redis-server (from PATH) and
measures, in the same run:
  pipeline   posts/s through consume → decode → match → count → evaluate with offsets committed,
             beside the raw consume rate of the same topic with the same client (the ceiling);
             Redis commands per post; peak RSS and Redis memory
  latency    live mode: from producing the post that tips a window to its started event being on
             the alerts topic, p50 and p99 over many incidents
  match      the matcher alone on one core, at 40+ and 4,000 services, beside a regexp baseline
  scale      (only when asked) the matcher at --services services, mentions spread over them by
             a Zipf law, against the default rules on the same kind of mix; and the rules' load time
The posts topic is pre-loaded before timing, with the realistic mix (70% of posts name no
service, 20% brand chatter, 10% complaints; a quarter non-Latin text).
--soak DURATION replays at a fixed --rate instead and samples memory and Redis keys over time;
its event time runs --soak-speed times faster than the clock, so 10 minutes cover 20 hours:
more than the 6 h 15 min of fine buckets Redis keeps and the 6 h windows the evaluation
fills, so both figures level off within the run. With --services N the soak runs over N
generated services and the scale measurement's mix, and the latency over N generated services.`,
		Example: `  outcry bench
  outcry bench --only match --json
  outcry bench --only scale --services 50000 --json
  outcry bench --soak 10m --rate 20000
  outcry bench --soak 10m --rate 5000 --services 50000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.quietLogger(cmd)
			if err != nil {
				return err
			}
			parts, err := bench.ParseOnly(only)
			if err != nil {
				return fmt.Errorf("%s %w", cli.FlagName(cmd, "only"), err)
			}
			ctx := cmd.Context()
			progress := func(format string, args ...any) {
				if !asJSON {
					fmt.Fprintf(cmd.ErrOrStderr(), format+"\n", args...)
				}
			}
			if services < 57 || services > match.MaxServices {
				return fmt.Errorf("%s %d: want 57 to %d", cli.FlagName(cmd, "services"), services, match.MaxServices)
			}
			if soakSpeed <= 0 {
				return fmt.Errorf("%s %v: want a positive factor (1 = event time follows the clock)", cli.FlagName(cmd, "soak-speed"), soakSpeed)
			}
			if skipMatch && (soak > 0 || !parts["pipeline"]) {
				return fmt.Errorf("%s applies to the pipeline measurement only: use it with %s pipeline and without %s",
					cli.FlagName(cmd, "skip-match"), cli.FlagName(cmd, "only"), cli.FlagName(cmd, "soak"))
			}
			generated := 0 // --services given: the soak and latency over generated services too
			if cmd.Flags().Changed("services") {
				generated = services
			}
			res, err := bench.Run(ctx, bench.Options{
				Pipeline: parts["pipeline"], Latency: parts["latency"], Match: parts["match"], Scale: parts["scale"], Services: services,
				Posts: posts, Incidents: incidents, SkipMatch: skipMatch,
				Soak: soak, Rate: rate, SoakSpeed: soakSpeed, Generated: generated, Progress: progress,
			}, log)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(out).Encode(res)
			}
			bench.Print(out, res)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&only, "only", "all", "what to measure: pipeline, latency, match (comma-separated) or all")
	f.IntVar(&posts, "posts", 1_000_000, "posts pre-loaded for the throughput measurement")
	f.IntVar(&incidents, "incidents", 20, "incidents triggered for the latency measurement")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	f.DurationVar(&soak, "soak", 0, "instead: replay at --rate for this long, sampling memory and Redis keys")
	f.IntVar(&rate, "rate", 20000, "posts per second during --soak")
	f.IntVar(&services, "services", 50000, fmt.Sprintf("with --only scale: how many services (57 to %d); with --soak or --only latency, over that many generated services (default: the default rules)", match.MaxServices))
	f.BoolVar(&skipMatch, "skip-match", false, "analysis: the pipeline passes skip matching, to show what matching costs the ratio (not Outcry's figure)")
	f.Float64Var(&soakSpeed, "soak-speed", 120, "during --soak, how much faster than the clock event time runs")
	return cmd
}
