// Package nab scores detections on a labelled count series the way the Numenta Anomaly
// Benchmark does (github.com/numenta/NAB, scorer/sweeper): a probationary period that is
// not scored, anomaly windows in which only the earliest detection counts with a weight
// given by a scaled sigmoid of its position in the window, false positives outside the
// windows weighted by the sigmoid of their distance past the preceding window, and a
// score normalised as NAB's runner does: 100·(raw − null)/(perfect − null), with null the
// score of no detections (−fnWeight per window) and perfect = tpWeight per window (a
// detection at a window's first row scores scaledSigmoid(−1) ≈ 0.987 of that).
//
// It is used by `outcry backtest --series FILE --labels combined_windows.json` and does
// no I/O apart from parsing the label file it is handed.
package nab

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path"
	"sort"
	"strings"
	"time"
)

// Profile is a NAB cost matrix.
type Profile struct {
	Name     string
	TPWeight float64
	FPWeight float64
	FNWeight float64
}

// The three NAB profiles.
var (
	Standard    = Profile{Name: "standard", TPWeight: 1, FPWeight: 0.11, FNWeight: 1}
	RewardLowFP = Profile{Name: "reward_low_FP_rate", TPWeight: 1, FPWeight: 0.22, FNWeight: 1}
	RewardLowFN = Profile{Name: "reward_low_FN_rate", TPWeight: 1, FPWeight: 0.11, FNWeight: 2}
)

// Profiles lists the NAB profiles in the order NAB reports them.
func Profiles() []Profile { return []Profile{Standard, RewardLowFP, RewardLowFN} }

// Window is a labelled anomaly window (both ends inclusive, at row timestamps).
type Window struct{ Start, End time.Time }

// ScaledSigmoid is NAB's scaledSigmoid: 2·sigmoid(−5x) − 1, and −1 for x > 3.
func ScaledSigmoid(x float64) float64 {
	if x > 3 {
		return -1
	}
	return 2/(1+math.Exp(5*x)) - 1
}

// ProbationaryRows is NAB's probationary length for a file of n rows:
// min(floor(0.15·n), 0.15·5000).
func ProbationaryRows(n int) int {
	return int(math.Min(math.Floor(0.15*float64(n)), 0.15*5000))
}

// Result is the score of one file (or a sum of files) under one profile.
type Result struct {
	Raw, Null, Perfect float64
	TP, FP, FN         int
	Windows            int
}

// Normalized is 100·(raw − null)/(perfect − null).
func (r Result) Normalized() float64 {
	if r.Perfect == r.Null {
		return 0
	}
	return 100 * (r.Raw - r.Null) / (r.Perfect - r.Null)
}

// Add sums o into r (NAB normalises the sums over all files).
func (r *Result) Add(o Result) {
	r.Raw += o.Raw
	r.Null += o.Null
	r.Perfect += o.Perfect
	r.TP += o.TP
	r.FP += o.FP
	r.FN += o.FN
	r.Windows += o.Windows
}

// Score scores detections (row indexes into times) against windows. times are the row
// timestamps in order; a window whose start is not a row timestamp starts at the first
// row at or after it, and ends at the last row at or before its end.
func Score(times []time.Time, detections []int, windows []Window, p Profile) Result {
	n := len(times)
	det := make([]bool, n)
	for _, i := range detections {
		if i >= 0 && i < n {
			det[i] = true
		}
	}
	type win struct{ left, right int }
	var ws []win
	for _, w := range windows {
		l := sort.Search(n, func(i int) bool { return !times[i].Before(w.Start) })
		r := sort.Search(n, func(i int) bool { return times[i].After(w.End) }) - 1
		if l < n && r >= l {
			ws = append(ws, win{l, r})
		}
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i].left < ws[j].left })

	prob := ProbationaryRows(n)
	res := Result{Windows: len(ws)}
	res.Null = -p.FNWeight * float64(len(ws))
	// NAB's runner normalises with perfect = number of windows × tpWeight.
	res.Perfect = p.TPWeight * float64(len(ws))
	best := make([]float64, len(ws))
	hit := make([]bool, len(ws))
	for k := range best {
		best[k] = -p.FNWeight
	}
	cur, prev := -1, -1 // index in ws of the current window, of the last one passed
	next := 0
	for i := 0; i < n; i++ {
		if cur < 0 && next < len(ws) && i == ws[next].left {
			cur = next
			next++
		}
		if det[i] && i >= prob {
			if cur >= 0 {
				w := ws[cur]
				width := float64(w.right - w.left + 1)
				s := p.TPWeight * ScaledSigmoid(-float64(w.right-i+1)/width)
				if !hit[cur] || s > best[cur] {
					best[cur] = s
				}
				hit[cur] = true
			} else {
				u := -1.0
				if prev >= 0 {
					w := ws[prev]
					width := float64(w.right - w.left + 1)
					u = ScaledSigmoid(math.Abs(float64(w.right-i)) / (width - 1))
				}
				res.Raw += u * p.FPWeight
				res.FP++
			}
		}
		if cur >= 0 && i == ws[cur].right {
			prev, cur = cur, -1
		}
	}
	for k := range ws {
		res.Raw += best[k]
		if hit[k] {
			res.TP++
		} else {
			res.FN++
		}
	}
	return res
}

// Labels are the anomaly windows of each file, keyed by the file's base name.
type Labels map[string][]Window

// ReadLabels parses NAB's combined_windows.json ({"dir/file.csv": [["start","end"], …]}).
func ReadLabels(r io.Reader) (Labels, error) {
	var raw map[string][][]string
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	out := Labels{}
	for k, ws := range raw {
		var list []Window
		for _, w := range ws {
			if len(w) != 2 {
				return nil, fmt.Errorf("labels: %s: a window needs a start and an end", k)
			}
			s, err := ParseTime(w[0])
			if err != nil {
				return nil, fmt.Errorf("labels: %s: %w", k, err)
			}
			e, err := ParseTime(w[1])
			if err != nil {
				return nil, fmt.Errorf("labels: %s: %w", k, err)
			}
			list = append(list, Window{s, e})
		}
		out[path.Base(k)] = list
	}
	return out, nil
}

// For returns the windows of the file with the given name (its base name is matched,
// with or without the extension).
func (l Labels) For(name string) ([]Window, bool) {
	b := path.Base(strings.ReplaceAll(name, "\\", "/"))
	if w, ok := l[b]; ok {
		return w, true
	}
	for k, w := range l {
		if strings.TrimSuffix(k, path.Ext(k)) == strings.TrimSuffix(b, path.Ext(b)) {
			return w, true
		}
	}
	return nil, false
}

var layouts = []string{
	"2006-01-02 15:04:05.999999",
	"2006-01-02 15:04:05",
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04",
}

// ParseTime parses a NAB timestamp ("2015-03-03 04:37:53.000000", UTC) or RFC 3339.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad timestamp %q", s)
}
