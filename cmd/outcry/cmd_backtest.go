package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/outcry-dev/outcry/alert"
	"github.com/outcry-dev/outcry/app"
	"github.com/outcry-dev/outcry/backtest"
	"github.com/outcry-dev/outcry/backtest/scenarioscore"
	"github.com/outcry-dev/outcry/detect/incident"
)

func newBacktestCmd(g *globals) *cobra.Command {
	var (
		posts, out, redisAddr, rules string
		labels                       string
		seriesFiles                  []string
		lateness                     time.Duration
		suiteHalf                    string
		suiteSmall, suiteFast, loo   bool
		suiteRound                   int
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
			if g.logLevel == "info" && !cmd.Flags().Changed("log-level") {
				g.logLevel = "warn" // the summary and the alerts file are the output
			}
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
			var truth *scenarioscore.Truth
			if labels != "" {
				lf, err := os.Open(labels)
				if err != nil {
					return fmt.Errorf("--labels: %w", err)
				}
				t, err := scenarioscore.ReadTruth(lf)
				lf.Close()
				if err != nil {
					return fmt.Errorf("--labels %s: %w", labels, err)
				}
				truth = &t
			}
			log, err := g.logger()
			if err != nil {
				return err
			}
			rs, err := loadRules(rules)
			if err != nil {
				return err
			}
			if suiteHalf != "" {
				return backtest.Suite(cmd.Context(), cmd.OutOrStdout(), backtest.SuiteOptions{Half: suiteHalf, Round: suiteRound, Small: suiteSmall,
					Fast: suiteFast, Ablate: ablate, Rules: rs, RedisAddr: redisAddr, Lateness: lateness}, log)
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
			began := time.Now()
			types := map[string]int{}
			var werr error
			res, err := backtest.Posts(cmd.Context(), in, backtest.PostsOptions{Name: posts, Rules: rs, RedisAddr: redisAddr, Lateness: lateness, Bars: true,
				OnEvent: func(e incident.Event) {
					types[e.Type]++
					b, err := alert.Encode(e)
					if err == nil {
						_, err = fmt.Fprintf(bw, "%s\n", b)
					}
					werr = errors.Join(werr, err)
				}}, log)
			if err != nil {
				return err
			}
			all := res.Events
			if err := errors.Join(werr, bw.Flush(), of.Close()); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			st := res.Stats
			total := 0
			var parts []string
			for t, n := range types {
				total += n
				parts = append(parts, fmt.Sprintf("%d %s", n, strings.TrimPrefix(strings.TrimPrefix(t, "outcry.incident."), "outcry.")))
			}
			sort.Strings(parts)
			fmt.Fprintf(os.Stdout, "backtest: %d posts read, %d matched, %d dead-lettered, %d alerts (%s) → %s in %s\n",
				st.Consumed, st.Matched, st.DeadLettered, total, strings.Join(parts, ", "), out, time.Since(began).Round(time.Millisecond))
			if st.DeadLettered > 0 {
				fmt.Fprintf(os.Stdout, "dead letters by reason: %s\n", backtest.FormatCounts(st.DeadByReason))
			}
			if truth != nil {
				scenarioscore.Judge(*truth, all).Report(os.Stdout)
			}
			return nil
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
	f.BoolVar(&ablate, "ablate", false, "with --suite or --loo, an ablation: the detector with every part, then without each part in turn; one summary line each (for --loo, the in-sample NAB score)")
	f.BoolVar(&suiteFast, "fast", false, "with --suite, match and evaluate in memory instead of through Kafka and Redis (seconds instead of minutes; distinct authors counted exactly)")
	return cmd
}
