package series

import (
	"fmt"

	"github.com/outcry-dev/outcry/backtest/nab"
	"github.com/outcry-dev/outcry/detect/evaluate"
)

// Labelled is a series with its NAB windows.
type Labelled struct {
	Name    string
	Series  Series
	Windows []nab.Window
}

// Candidate is one parameter set a leave-one-out run chooses among.
type Candidate struct {
	Name    string
	Options Options
}

// Grid returns the candidates `outcry backtest --loo` chooses among: the bars that
// decide what is surprising enough, each at a few values around its default (the
// others at theirs). Only bars are varied, never a window length fitted to a file.
func Grid() []Candidate {
	var out []Candidate
	for _, min := range []float64{5, 6, 7, 8, 9} {
		for _, tail := range []float64{0.99, 0.999} {
			for _, trend := range []float64{3.5, 4.5, 5.5} {
				p := evaluate.Params{MinScore: min, TailQuantile: tail, TrendScore: trend}
				out = append(out, Candidate{
					Name:    fmt.Sprintf("min_score=%g tail_quantile=%g trend_score=%g", min, tail, trend),
					Options: Options{Evaluate: p},
				})
			}
		}
	}
	return out
}

// DefaultCandidate is the grid's point that the defaults are.
func DefaultCandidate() evaluate.Params {
	d := evaluate.Defaults()
	return evaluate.Params{MinScore: MinScore, TailQuantile: d.TailQuantile, TrendScore: d.TrendScore}
}

// Fold is the outcome for one held-out file: the candidate chosen on the others
// (by their NAB standard score) and the held-out file's scores under it.
type Fold struct {
	Held          string
	Chosen        int // index into the candidates
	Standard      float64
	LowFP         float64
	TrainStandard float64 // the chosen candidate's score on the other files
}

// LeaveOneOut scores each file with the candidate that scores best (NAB standard,
// over the other files together) on all the files but it. It also returns each
// candidate's in-sample standard score over all files.
func LeaveOneOut(files []Labelled, cands []Candidate) (folds []Fold, inSample []float64) {
	// results[c][f]: the NAB results of candidate c on file f, per profile
	results := make([][][]nab.Result, len(cands))
	for c, cand := range cands {
		results[c] = make([][]nab.Result, len(files))
		for f, lf := range files {
			res := Run(lf.Name, lf.Series, cand.Options)
			rows := DetectionRows(lf.Series.Times(), lf.Series.Interval, res.Events)
			for _, p := range nab.Profiles() {
				results[c][f] = append(results[c][f], nab.Score(lf.Series.Times(), rows, lf.Windows, p))
			}
		}
	}
	total := func(c, skip int) float64 {
		var r nab.Result
		for f := range files {
			if f != skip {
				r.Add(results[c][f][0])
			}
		}
		return r.Normalized()
	}
	for c := range cands {
		inSample = append(inSample, total(c, -1))
	}
	for f, lf := range files {
		best, bestScore := 0, -1e18
		for c := range cands {
			// Ties go to the earlier candidate, so the choice does not depend on noise
			// in the ordering.
			if s := total(c, f); s > bestScore+1e-9 {
				best, bestScore = c, s
			}
		}
		folds = append(folds, Fold{
			Held: lf.Name, Chosen: best, TrainStandard: bestScore,
			Standard: results[best][f][0].Normalized(), LowFP: results[best][f][1].Normalized(),
		})
	}
	return folds, inSample
}
