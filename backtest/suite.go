package backtest

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/backtest/offline"
	"github.com/outcry-dev/outcry/backtest/scenarioscore"
	"github.com/outcry-dev/outcry/detect/evaluate"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/match"
	"github.com/outcry-dev/outcry/scenario/suite"
	"github.com/outcry-dev/outcry/scenario/suitetext"
)

// suiteFigures sum a suite run.
type suiteFigures struct {
	incidents, detected   int
	delays, resolveDelays []time.Duration
	resolvedEarly         int     // resolved before the labelled recovery
	falseAlerts           int     // started events matching no labelled incident
	negativeDays          float64 // days without an outage
	perOutage             []int   // incidents started per labelled incident
}

// SuiteOptions say which streams of the evaluation suite to run, and how.
type SuiteOptions struct {
	Half   string // tuning or heldout
	Round  int    // 0 is the suite, 1 and up the same plan with other seeds
	Writer int    // whose templates: 1 (or 0), the suite's, or 2, fresh text (suitetext.LoadWriter)
	Small  bool   // only the first stream
	Fast   bool   // match and evaluate in memory instead of through Kafka and Redis
	Ablate bool   // the detector with every part, then without each part in turn
	Rules  *match.Rules
	// RedisAddr and Lateness as in PostsOptions.
	RedisAddr string
	Lateness  time.Duration
}

// Suite generates each stream of a half of the evaluation suite, backtests it and
// prints a line per stream and one summary line.
func Suite(ctx context.Context, w io.Writer, o SuiteOptions, log *zap.Logger) error {
	half, round, small, fast, ablate, rs := o.Half, o.Round, o.Small, o.Fast, o.Ablate, o.Rules
	if rs == nil {
		rs = match.DefaultRules()
	}
	var h suitetext.Half
	switch half {
	case "tuning":
		h = suitetext.Tuning
	case "heldout", "held-out":
		h = suitetext.Heldout
	default:
		return fmt.Errorf("--suite %q: want tuning or heldout", half)
	}
	if round < 0 {
		return fmt.Errorf("--suite-round %d: want 0 or more", round)
	}
	writer := cmp.Or(o.Writer, 1)
	if writer < 1 || writer > suitetext.Writers {
		return fmt.Errorf("--suite-writer %d: want 1 to %d", writer, suitetext.Writers)
	}
	streams := suite.Round(h, round)
	for i := range streams {
		streams[i].Writer = writer
	}
	if small {
		streams = streams[:min(suite.Small, len(streams))]
	}
	if ablate {
		return runAblation(ctx, w, h, streams, rs)
	}
	var fig suiteFigures
	began := time.Now()
	for _, s := range streams {
		var truth suite.Truth
		var events []incident.Event
		var err error
		if fast {
			truth, events, err = runOffline(ctx, s, rs, offline.Options{})
		} else {
			var buf bytes.Buffer
			if truth, err = suite.Write(&buf, s); err != nil {
				return err
			}
			var res PostsResult
			res, err = Posts(ctx, &buf, PostsOptions{Name: s.Name, Rules: rs, RedisAddr: o.RedisAddr, Lateness: o.Lateness}, log)
			events = res.Events
		}
		if err != nil {
			return fmt.Errorf("%s: %w", s.Name, err)
		}
		scenarioLine(w, truth, events, &fig)
	}
	name := h.String()
	if round > 0 {
		name += fmt.Sprintf(" round %d", round)
	}
	if writer > 1 {
		name += fmt.Sprintf(" writer %d", writer)
	}
	fmt.Fprintf(w, "suite %s: %d streams in %s; %s\n", name, len(streams), time.Since(began).Round(time.Second), fig.summary())
	return nil
}

// scenarioLine scores one stream, prints its line and adds it to fig.
func scenarioLine(w io.Writer, t suite.Truth, events []incident.Event, fig *suiteFigures) {
	st := scenarioscore.Truth{Name: t.Name}
	for _, i := range t.Incidents {
		st.Incidents = append(st.Incidents, scenarioscore.TruthIncident{Service: i.Service, Onset: i.Onset, Recovery: i.Recovery,
			CountriesTop: i.CountriesTop, Related: i.Related})
	}
	sc := scenarioscore.Judge(st, events)
	line := fmt.Sprintf("%s:", t.Name)
	for k, is := range sc.Incidents {
		fig.incidents++
		ti := t.Incidents[k] // Judge keeps the order of the truth's incidents
		line += fmt.Sprintf(" %s %s %.0f/min", ti.Service, ti.Shape, ti.PeakPerMin)
		// Incidents started for this outage (a resolution and a new start count twice).
		n := 0
		for _, e := range events {
			if e.Type == incident.TypeStarted && e.Data.Service == is.Truth.Service &&
				!e.Data.DetectedAt.Before(is.Truth.Onset.Add(-2*time.Minute)) && !e.Data.DetectedAt.After(is.Truth.Recovery.Add(15*time.Minute)) {
				n++
			}
		}
		fig.perOutage = append(fig.perOutage, n)
		if !is.Detected {
			line += " MISSED"
			continue
		}
		fig.detected++
		fig.delays = append(fig.delays, is.Delay)
		line += fmt.Sprintf(" detected +%s", is.Delay.Round(time.Second))
		if is.Resolved {
			fig.resolveDelays = append(fig.resolveDelays, is.ResolutionDelay)
			if is.ResolutionDelay < 0 {
				fig.resolvedEarly++
			}
			line += fmt.Sprintf(" resolved %+.0fm", is.ResolutionDelay.Minutes())
		}
		if n > 1 {
			line += fmt.Sprintf(" (%d incidents)", n)
		}
	}
	// A false alert is a start that matches no labelled outage and is not a second
	// incident of one (those count in incidents per outage).
	for _, e := range sc.FalseAlerts {
		second := false
		for _, i := range t.Incidents {
			if e.Data.Service == i.Service && !e.Data.DetectedAt.Before(i.Onset) && !e.Data.DetectedAt.After(i.Recovery.Add(15*time.Minute)) {
				second = true
			}
		}
		if !second {
			fig.falseAlerts++
			line += fmt.Sprintf(" FALSE %s at %s", e.Data.Service, e.Data.DetectedAt.Format("01-02 15:04"))
		}
	}
	fig.negativeDays += t.NegativeDays
	fmt.Fprintln(w, line)
}

func (f suiteFigures) summary() string {
	q := func(ds []time.Duration, p float64) string {
		if len(ds) == 0 {
			return "-"
		}
		s := slices.Clone(ds)
		slices.Sort(s)
		return s[min(len(s)-1, int(p*float64(len(s))))].Round(time.Second).String()
	}
	one := 0
	for _, n := range f.perOutage {
		if n == 1 {
			one++
		}
	}
	return fmt.Sprintf("recall %d/%d, false alerts %d over %.1f negative days (%.2f a day), delay median %s p90 %s, "+
		"resolution after recovery median %s (%d before it), one incident per outage %d/%d",
		f.detected, f.incidents, f.falseAlerts, f.negativeDays, float64(f.falseAlerts)/max(f.negativeDays, 1e-9),
		q(f.delays, 0.5), q(f.delays, 0.9), q(f.resolveDelays, 0.5), f.resolvedEarly, one, len(f.perOutage))
}

// runOffline generates a stream and matches and evaluates its posts in memory
// (offline.Runner).
//
// It stops with ctx's error when ctx ends (SIGTERM, Ctrl-C): a stream takes seconds
// of CPU with nothing else to wait on, so it looks every few thousand posts.
func runOffline(ctx context.Context, s suite.Stream, rs *match.Rules, o offline.Options) (suite.Truth, []incident.Event, error) {
	r := offline.New(match.NewMatcher(rs), rs.Names(), s.Start, o)
	n := 0
	truth, err := suite.Generate(s, func(p suite.Post) error {
		if n++; n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		r.Add(offline.Post(p))
		return nil
	})
	if err != nil {
		return suite.Truth{}, nil, err
	}
	return truth, r.Finish(s.End), nil
}

// runAblation runs the streams in memory once with every part of the detector and
// once without each part in turn, and prints one summary line per run (no line per
// stream: it is meant for the held-out half).
func runAblation(ctx context.Context, w io.Writer, h suitetext.Half, streams []suite.Stream, rs *match.Rules) error {
	fmt.Fprintf(w, "ablation over the %s half (%d streams, in memory):\n", h, len(streams))
	for _, v := range ablations() {
		var fig suiteFigures
		for _, s := range streams {
			truth, events, err := runOffline(ctx, s, rs, offline.Options{Evaluate: v.evaluate, Incident: v.incident})
			if err != nil {
				return fmt.Errorf("%s: %w", s.Name, err)
			}
			scenarioLine(io.Discard, truth, events, &fig)
		}
		fmt.Fprintf(w, "%-40s %s\n", v.name+":", fig.summary())
	}
	return nil
}

// ablation is one run of an ablation: the detector with every part, or without one.
type ablation struct {
	name     string
	evaluate evaluate.Params
	incident incident.Params
}

func ablations() []ablation {
	vs := []ablation{{name: "everything"}}
	for _, p := range evaluate.Parts {
		vs = append(vs, ablation{name: "without " + p.Name, evaluate: evaluate.Params{Without: p.Part}})
	}
	for _, p := range incident.Parts {
		vs = append(vs, ablation{name: "without " + p.Name, incident: incident.Params{Without: p.Part}})
	}
	return vs
}
