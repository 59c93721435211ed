// Package backtest runs Outcry offline over recorded input and scores it: a posts file
// through the whole pipeline (app.New on an embedded broker and Redis) in event time, count
// series (NAB's format) through the pure evaluation, and the generated evaluation suite.
// The scoring itself is in the subpackages (nab, scenarioscore); cmd/outcry prints.
package backtest

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

	"github.com/outcry-dev/outcry/alert"
	"github.com/outcry-dev/outcry/app"
	"github.com/outcry-dev/outcry/backtest/nab"
	"github.com/outcry-dev/outcry/backtest/series"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/internal/progress"
	"github.com/outcry-dev/outcry/match"
	"github.com/outcry-dev/outcry/pipeline"
	"github.com/outcry-dev/outcry/source"
	"go.uber.org/zap"
)

// FormatCounts renders counts by name as "a 1, b 2", sorted by name.
func FormatCounts(m map[string]int64) string {
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

// Series runs the evaluation over count series, writes the alert events of all
// of them to out and, with labels, prints the NAB scores per file and over all files
// (NAB normalises the sums).
func Series(w io.Writer, files []string, out, labels string) error {
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

// LOO scores each series with the candidate parameters chosen on the others
// (series.LeaveOneOut) and prints a line per file, the mean over files and the
// in-sample figures beside them.
func LOO(w io.Writer, files []string, labels string, ablate bool) error {
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

// PostsOptions say how to backtest a posts file.
type PostsOptions struct {
	Name      string       // the input's name, for the progress bar
	Rules     *match.Rules // default: the embedded rule set
	RedisAddr string       // use this Redis instead of an embedded one (keys get a fresh prefix)
	Lateness  time.Duration
	Bars      bool // progress bars on a terminal
	OnEvent   func(incident.Event)
}

// PostsResult is what a posts backtest gave.
type PostsResult struct {
	Events []incident.Event
	Stats  pipeline.Stats
}

// Posts runs the pipeline of `outcry run` (app.New) in event time over the posts of in,
// on an embedded broker and Redis (or o.RedisAddr), and ends when in is consumed.
func Posts(ctx context.Context, in io.Reader, o PostsOptions, log *zap.Logger) (PostsResult, error) {
	var res PostsResult
	env, err := app.StartEmbedded(ctx, o.RedisAddr)
	if err != nil {
		return res, err
	}
	defer env.Close()
	log.Info("backtest", zap.String("on", env.Describe()))

	w := env.PostsWriter()
	var size int64 = -1
	if f, ok := in.(*os.File); ok {
		if fi, err := f.Stat(); err == nil {
			size = fi.Size()
		}
	}
	lb, pbar := &progress.Bar{}, &progress.Bar{} // no progress bars when the caller has its own
	if o.Bars {
		lb = progress.New(size, "loading "+o.Name, true)
	}
	rst, err := source.Replay(ctx, w, in, source.ReplayOptions{Progress: func(_, b int64) { lb.Set(b) }})
	lb.Finish()
	w.Close()
	if err != nil {
		return res, err
	}

	if o.Bars {
		pbar = progress.New(rst.Lines, "evaluating", false)
	}
	defer pbar.Finish()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	ao := env.Options()
	ao.Rules, ao.Lateness = o.Rules, o.Lateness
	ao.OnEvent = func(e incident.Event) {
		res.Events = append(res.Events, e)
		if o.OnEvent != nil {
			o.OnEvent(e)
		}
	}
	ao.OnBatch = func(s pipeline.Stats) {
		pbar.Set(s.Consumed + s.Skipped)
		if s.Consumed+s.Skipped >= rst.Lines {
			cancel()
		}
	}
	a, err := app.New(ao, log)
	if err != nil {
		return res, err
	}
	defer a.Close()
	if err := a.Run(runCtx); err != nil && ctx.Err() == nil {
		return res, err
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	// End of input: close every bucket up to the last post.
	if err := a.Flush(ctx, rst.Last.Add(time.Minute)); err != nil {
		return res, err
	}
	res.Stats = a.Stats()
	return res, nil
}
