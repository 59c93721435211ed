package main

import (
	"errors"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/outcry-dev/outcry/app"
	"github.com/outcry-dev/outcry/backtest"
	"github.com/outcry-dev/outcry/internal/cli"
)

func newBacktestCmd(g *globals) *cobra.Command {
	var (
		posts, out, redisAddr, rules string
		labels                       string
		seriesFiles                  []string
		lateness                     time.Duration
		suiteHalf                    string
		suiteSmall, suiteFast, loo   bool
		suiteRound, suiteWriter      int
		ablate                       bool
	)
	cmd := &cobra.Command{
		Use:   "backtest (--posts FILE | --series FILE.csv) --out alerts.jsonl [--labels FILE]",
		Short: "Run the pipeline offline in event time over a posts file or a count series",
		Long: `Backtest produces a posts file (JSONL, any supported shape, bad lines included) into an
embedded Kafka broker and runs the same pipeline as "outcry run" over it in event time, as
fast as it can, on an embedded Redis (or --redis). Every alert event is written to --out as
one JSON line (CloudEvents); the run ends by itself when the file is consumed and prints a
one-line summary.

With --series, it runs the same evaluation and incident code over a count series instead
(CSV "timestamp,value", one row per interval, the interval inferred; NAB's format): the
value stands for the mentions of one service named after the file. Each started event's
data.detected_at is the detection time.

--labels scores the run: for a series, NAB's combined_windows.json (the file is matched on
its base name), scored with NAB's rules under its three profiles; for posts, a scenario's
truth.json (recall, false alerts, detection and resolution delays, top country and problem).`,
		Example: `  outcry backtest --posts posts.jsonl --out alerts.jsonl --labels truth.json
  outcry backtest --loo --series "$(ls nab/*.csv | paste -sd,)" --labels nab/combined_windows.json
  outcry backtest --series Twitter_volume_FB.csv --out alerts.jsonl --labels combined_windows.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if loo {
				if len(seriesFiles) < 3 || labels == "" {
					return errors.New("--loo needs --series with at least three files and --labels")
				}
				return backtest.LOO(cmd.OutOrStdout(), seriesFiles, labels, ablate)
			}
			if len(seriesFiles) > 0 {
				if posts != "" || out == "" {
					return errors.New("backtest needs --posts FILE and --out FILE, or --series FILE.csv and --out FILE")
				}
				return backtest.Series(os.Stdout, seriesFiles, out, labels)
			}
			if suiteHalf == "" && (posts == "" || out == "") {
				return errors.New("backtest needs --posts FILE and --out FILE (or --series FILE.csv and --out FILE, or --suite tuning|heldout)")
			}
			log, err := g.quietLogger(cmd)
			if err != nil {
				return err
			}
			rs, err := cli.LoadRules(rules)
			if err != nil {
				return err
			}
			if suiteHalf != "" {
				return backtest.Suite(cmd.Context(), cmd.OutOrStdout(), backtest.SuiteOptions{Half: suiteHalf, Round: suiteRound, Writer: suiteWriter, Small: suiteSmall,
					Fast: suiteFast, Ablate: ablate, Rules: rs, RedisAddr: redisAddr, Lateness: lateness}, log)
			}
			return backtest.PostsFile(cmd.Context(), os.Stdout, posts, out, labels,
				backtest.PostsOptions{Rules: rs, RedisAddr: redisAddr, Lateness: lateness, Bars: true}, log)
		},
	}
	f := cmd.Flags()
	f.StringVar(&posts, "posts", "", "posts file (JSONL)")
	f.StringSliceVar(&seriesFiles, "series", nil, "count series (CSV timestamp,value) to run instead of posts; repeat or comma-separate for several (scored together, as NAB does)")
	f.StringVar(&labels, "labels", "", "score the run: NAB combined_windows.json for --series, truth.json for --posts")
	f.StringVar(&out, "out", "", "where to write the alert events (JSONL)")
	f.StringVar(&redisAddr, "redis", "", "use this Redis instead of an embedded one (keys get a fresh prefix)")
	f.StringVar(&rules, "rules", "", "rules YAML file (default: the embedded rule set)")
	f.DurationVar(&lateness, "lateness", app.Defaults().Lateness, "how late (event time) a post may arrive and still be counted")
	f.StringVar(&suiteHalf, "suite", "", "run the generated evaluation suite instead: tuning (tune on it) or heldout (report it; do not look into its misses while tuning)")
	f.BoolVar(&loo, "loo", false, "with --series and --labels: leave-one-out, each file scored with the parameters chosen on the others from a grid of bars (no --out)")
	f.BoolVar(&suiteSmall, "suite-small", false, "with --suite, only its first stream (what make test runs)")
	f.IntVar(&suiteRound, "suite-round", 0, "with --suite, the round of streams: 0 is the suite, 1 and up the same plan with other seeds (a fresh held-out half)")
	f.IntVar(&suiteWriter, "suite-writer", 1, "with --suite, whose post templates: 1, the suite's own, or 2 or 3, later writers' (their held-out halves are text the matcher was never made from)")
	f.BoolVar(&ablate, "ablate", false, "with --suite or --loo, an ablation: the detector with every part, then without each part in turn; one summary line each (for --loo, the in-sample NAB score)")
	f.BoolVar(&suiteFast, "fast", false, "with --suite, match and evaluate in memory instead of through Kafka and Redis (seconds instead of minutes; distinct authors and voices counted exactly)")
	return cmd
}
