package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/alert"
	"github.com/outcry-dev/outcry/backtest/nab"
	"github.com/outcry-dev/outcry/backtest/scenarioscore"
	"github.com/outcry-dev/outcry/backtest/series"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/match"
	"github.com/outcry-dev/outcry/pipeline"
	"github.com/outcry-dev/outcry/source"
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
				return backtestLOO(cmd.OutOrStdout(), seriesFiles, labels, ablate)
			}
			if len(seriesFiles) > 0 {
				if posts != "" || out == "" {
					return errors.New("backtest needs --posts FILE and --out FILE, or --series FILE.csv and --out FILE")
				}
				return backtestSeries(os.Stdout, seriesFiles, out, labels)
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
				return runSuite(cmd.Context(), cmd.OutOrStdout(), suiteHalf, suiteRound, suiteSmall, suiteFast, ablate, rs, redisAddr, lateness, log)
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
			res, err := backtestPosts(cmd.Context(), in, posts, rs, redisAddr, lateness, true, log, func(e incident.Event) {
				types[e.Type]++
				b, err := alert.Encode(e)
				if err == nil {
					_, err = fmt.Fprintf(bw, "%s\n", b)
				}
				werr = errors.Join(werr, err)
			})
			if err != nil {
				return err
			}
			all := res.events
			if err := errors.Join(werr, bw.Flush(), of.Close()); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			st := res.stats
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
				fmt.Fprintf(os.Stdout, "dead letters by reason: %s\n", formatCounts(st.DeadByReason))
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
	f.DurationVar(&lateness, "lateness", 2*time.Minute, "how late (event time) a post may arrive and still be counted")
	f.StringVar(&suiteHalf, "suite", "", "run the generated evaluation suite instead: tuning (tune on it) or heldout (report it; do not look into its misses while tuning)")
	f.BoolVar(&loo, "loo", false, "with --series and --labels: leave-one-out, each file scored with the parameters chosen on the others from a grid of bars (no --out)")
	f.BoolVar(&suiteSmall, "suite-small", false, "with --suite, only its first stream (what make test runs)")
	f.IntVar(&suiteRound, "suite-round", 0, "with --suite, the round of streams: 0 is the suite, 1 and up the same plan with other seeds (a fresh held-out half)")
	f.BoolVar(&ablate, "ablate", false, "with --suite or --loo, an ablation: the detector with every part, then without each part in turn; one summary line each (for --loo, the in-sample NAB score)")
	f.BoolVar(&suiteFast, "fast", false, "with --suite, match and evaluate in memory instead of through Kafka and Redis (seconds instead of minutes; distinct authors counted exactly)")
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

// backtestSeries runs the evaluation over count series, writes the alert events of all
// of them to out and, with labels, prints the NAB scores per file and over all files
// (NAB normalises the sums).
func backtestSeries(w io.Writer, files []string, out, labels string) error {
	var lab nab.Labels
	if labels != "" {
		var err error
		if lab, err = readLabels(labels); err != nil {
			return err
		}
	}
	of, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	defer of.Close()
	bw := bufio.NewWriter(of)
	totals := map[string]*nab.Result{}
	for _, p := range nab.Profiles() {
		totals[p.Name] = &nab.Result{}
	}
	for _, file := range files {
		name, s, err := readSeries(file)
		if err != nil {
			return err
		}
		res := series.Run(name, s, series.Options{})
		types := map[string]int{}
		for _, e := range res.Events {
			b, err := alert.Encode(e)
			if err != nil {
				return err
			}
			types[e.Type]++
			fmt.Fprintf(bw, "%s\n", b)
		}
		fmt.Fprintf(w, "%s: %d rows every %s, %d started, %d resolved\n", filepath.Base(file), len(s.Points), s.Interval,
			types[incident.TypeStarted], types[incident.TypeResolved])
		if lab == nil {
			continue
		}
		windows, ok := lab.For(file)
		if !ok {
			return fmt.Errorf("--labels %s: no windows for %s", labels, filepath.Base(file))
		}
		rows := series.DetectionRows(s.Times(), s.Interval, res.Events)
		fmt.Fprintf(w, "  NAB (%d windows, %d probationary rows):", len(windows), nab.ProbationaryRows(len(s.Points)))
		var std nab.Result
		for _, p := range nab.Profiles() {
			r := nab.Score(s.Times(), rows, windows, p)
			totals[p.Name].Add(r)
			fmt.Fprintf(w, " %s %.2f", p.Name, r.Normalized())
			if p == nab.Standard {
				std = r
			}
		}
		fmt.Fprintf(w, " (tp %d, fp %d, fn %d)\n", std.TP, std.FP, std.FN)
	}
	if err := errors.Join(bw.Flush(), of.Close()); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if lab != nil && len(files) > 1 {
		fmt.Fprintf(w, "NAB over %d files:", len(files))
		for _, p := range nab.Profiles() {
			fmt.Fprintf(w, " %s %.2f", p.Name, totals[p.Name].Normalized())
		}
		t := totals[nab.Standard.Name]
		fmt.Fprintf(w, " (tp %d, fp %d, fn %d)\n", t.TP, t.FP, t.FN)
	}
	fmt.Fprintf(w, "alerts → %s\n", out)
	return nil
}

// readLabels reads NAB's combined_windows.json.
func readLabels(path string) (nab.Labels, error) {
	lf, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--labels: %w", err)
	}
	defer lf.Close()
	lab, err := nab.ReadLabels(lf)
	if err != nil {
		return nil, fmt.Errorf("--labels %s: %w", path, err)
	}
	return lab, nil
}

// readSeries reads a count series and names it after its file.
func readSeries(file string) (string, series.Series, error) {
	in, err := os.Open(file)
	if err != nil {
		return "", series.Series{}, fmt.Errorf("--series: %w", err)
	}
	s, err := series.Read(in)
	in.Close()
	if err != nil {
		return "", series.Series{}, fmt.Errorf("--series %s: %w", file, err)
	}
	return strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)), s, nil
}

// backtestLOO scores each series with the candidate parameters chosen on the others
// (series.LeaveOneOut) and prints a line per file, the mean over files and the
// in-sample figures beside them.
func backtestLOO(w io.Writer, files []string, labels string, ablate bool) error {
	lab, err := readLabels(labels)
	if err != nil {
		return err
	}
	var ls []series.Labelled
	for _, file := range files {
		name, s, err := readSeries(file)
		if err != nil {
			return err
		}
		windows, ok := lab.For(file)
		if !ok {
			return fmt.Errorf("--labels %s: no windows for %s", labels, filepath.Base(file))
		}
		ls = append(ls, series.Labelled{Name: name, Series: s, Windows: windows})
	}
	if ablate {
		// In-sample with the shipped parameters, with every part and without each.
		for _, v := range ablations() {
			var total nab.Result
			for _, l := range ls {
				res := series.Run(l.Name, l.Series, series.Options{Evaluate: v.evaluate, Incident: v.incident})
				total.Add(nab.Score(l.Series.Times(), series.DetectionRows(l.Series.Times(), l.Series.Interval, res.Events), l.Windows, nab.Standard))
			}
			fmt.Fprintf(w, "%-40s NAB standard %.2f (tp %d, fp %d, fn %d)\n", v.name+":", total.Normalized(), total.TP, total.FP, total.FN)
		}
		return nil
	}
	cands := series.Grid()
	fmt.Fprintf(w, "leave-one-out over %d files, %d candidate parameter sets\n", len(ls), len(cands))
	folds, inSample := series.LeaveOneOut(ls, cands)
	var std, low float64
	chosen := map[int]int{}
	for _, f := range folds {
		fmt.Fprintf(w, "%s: held out, standard %.2f reward_low_FP_rate %.2f with %s (chosen on the others: %.2f)\n",
			f.Held, f.Standard, f.LowFP, cands[f.Chosen].Name, f.TrainStandard)
		std += f.Standard / float64(len(folds))
		low += f.LowFP / float64(len(folds))
		chosen[f.Chosen]++
	}
	best := folds[0].Chosen
	for c, n := range chosen {
		if n > chosen[best] || n == chosen[best] && c < best {
			best = c
		}
	}
	fmt.Fprintf(w, "leave-one-out mean: standard %.2f reward_low_FP_rate %.2f\n", std, low)
	fmt.Fprintf(w, "chosen most often: %s (%d of %d folds; in-sample standard %.2f)\n", cands[best].Name, chosen[best], len(folds), inSample[best])
	if def := slices.IndexFunc(cands, func(c series.Candidate) bool { return c.Options.Evaluate == series.DefaultCandidate() }); def >= 0 {
		fmt.Fprintf(w, "the shipped defaults (%s): in-sample standard %.2f\n", cands[def].Name, inSample[def])
	}
	return nil
}

// postsResult is what a posts backtest gave.
type postsResult struct {
	events []incident.Event
	stats  pipeline.Stats
}

// backtestPosts runs the pipeline in event time over the posts of in, on an embedded
// broker and Redis (or redisAddr), calling onEvent with every alert event.
func backtestPosts(ctx context.Context, in io.Reader, name string, rs *match.Rules, redisAddr string, lateness time.Duration,
	bars bool, log *zap.Logger, onEvent func(incident.Event)) (postsResult, error) {
	var res postsResult
	env, err := startEmbedded(ctx, redisAddr)
	if err != nil {
		return res, err
	}
	defer env.Close()
	log.Info("backtest", zap.String("on", env.describe()))

	w := newPostsWriter(env)
	var size int64 = -1
	if f, ok := in.(*os.File); ok {
		if fi, err := f.Stat(); err == nil {
			size = fi.Size()
		}
	}
	lb, pbar := &bar{}, &bar{} // no progress bars when the caller has its own
	if bars {
		lb = newBar(size, "loading "+name, true)
	}
	rst, err := source.Replay(ctx, w, in, source.ReplayOptions{Progress: func(_, b int64) { lb.set(b) }})
	lb.finish()
	w.Close()
	if err != nil {
		return res, err
	}

	if bars {
		pbar = newBar(rst.Lines, "evaluating", false)
	}
	defer pbar.finish()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	svc, err := newService(serviceOptions{
		Kafka: env.kafka, Redis: env.rdb, Prefix: env.prefix, Rules: rs,
		Pipeline: pipeline.Config{Lateness: lateness},
		OnEvent: func(e incident.Event) {
			res.events = append(res.events, e)
			if onEvent != nil {
				onEvent(e)
			}
		},
		OnBatch: func(s pipeline.Stats) {
			pbar.set(s.Consumed + s.Skipped)
			if s.Consumed+s.Skipped >= rst.Lines {
				cancel()
			}
		},
	}, log)
	if err != nil {
		return res, err
	}
	defer svc.Close()
	if err := svc.pipe.Run(runCtx); err != nil && ctx.Err() == nil {
		return res, err
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	// End of input: close every bucket up to the last post.
	if err := svc.pipe.Flush(ctx, rst.Last.Add(time.Minute)); err != nil {
		return res, err
	}
	res.stats = svc.pipe.Stats()
	return res, nil
}
