package series_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/outcry-dev/outcry/detectors/nab"
	"github.com/outcry-dev/outcry/detectors/series"
)

// TestNABDirectory scores the detector on a directory of NAB series with a
// combined_windows.json beside them. It runs only when OUTCRY_NAB_DIR names one (the
// data are not part of the repository). OUTCRY_SERIES_OPTIONS may hold a JSON
// series.Options to try other parameters.
func TestNABDirectory(t *testing.T) {
	dir := os.Getenv("OUTCRY_NAB_DIR")
	if dir == "" {
		t.Skip("OUTCRY_NAB_DIR not set")
	}
	var o series.Options
	if js := os.Getenv("OUTCRY_SERIES_OPTIONS"); js != "" {
		if err := json.Unmarshal([]byte(js), &o); err != nil {
			t.Fatal(err)
		}
	}
	lf, err := os.Open(filepath.Join(dir, "combined_windows.json"))
	if err != nil {
		t.Fatal(err)
	}
	labels, err := nab.ReadLabels(lf)
	lf.Close()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	sort.Strings(files)
	total := map[string]*nab.Result{}
	for _, p := range nab.Profiles() {
		total[p.Name] = &nab.Result{}
	}
	for _, f := range files {
		in, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := series.Read(in)
		in.Close()
		if err != nil {
			t.Fatal(err)
		}
		ws, ok := labels.For(filepath.Base(f))
		if !ok {
			continue
		}
		res := series.Run(filepath.Base(f), s, o)
		line := fmt.Sprintf("%-28s", filepath.Base(f))
		for _, p := range nab.Profiles() {
			r := nab.Score(s.Times(), res.Detections, ws, p)
			total[p.Name].Add(r)
			line += fmt.Sprintf(" %s %6.2f", p.Name, r.Normalized())
			if p == nab.Standard {
				line += fmt.Sprintf(" (tp %d fp %d fn %d)", r.TP, r.FP, r.FN)
			}
		}
		t.Log(line)
		if os.Getenv("OUTCRY_NAB_VERBOSE") != "" {
			times := s.Times()
			for _, i := range res.Detections {
				v := res.Verdicts[i]
				in := ""
				for _, w := range ws {
					if !times[i].Before(w.Start) && !times[i].After(w.End) {
						in = " IN"
					}
				}
				t.Logf("  det %s v=%.0f exp=%.1f ratio=%.2f z=%.1f d=%.2f%s", times[i].Format("01-02 15:04"), s.Points[i].V, v.Expected, v.Ratio, v.Score, v.Dispersion, in)
			}
			for _, w := range ws {
				t.Logf("  win %s – %s", w.Start.Format("01-02 15:04"), w.End.Format("01-02 15:04"))
			}
		}
	}
	t.Logf("TOTAL standard %.2f reward_low_FP %.2f reward_low_FN %.2f (tp %d fp %d fn %d)",
		total["standard"].Normalized(), total["reward_low_FP_rate"].Normalized(), total["reward_low_FN_rate"].Normalized(),
		total["standard"].TP, total["standard"].FP, total["standard"].FN)
}

func TestNABWindows(t *testing.T) {
	dir := os.Getenv("OUTCRY_NAB_DIR")
	if dir == "" {
		t.Skip("OUTCRY_NAB_DIR not set")
	}
	var o series.Options
	if js := os.Getenv("OUTCRY_SERIES_OPTIONS"); js != "" {
		json.Unmarshal([]byte(js), &o)
	}
	lf, _ := os.Open(filepath.Join(dir, "combined_windows.json"))
	labels, _ := nab.ReadLabels(lf)
	files, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	for _, f := range files {
		in, _ := os.Open(f)
		s, _ := series.Read(in)
		in.Close()
		ws, _ := labels.For(filepath.Base(f))
		res := series.Run(filepath.Base(f), s, o)
		t.Logf("%s prob ends %s", filepath.Base(f), s.Points[nab.ProbationaryRows(len(s.Points))].T.Format("01-02 15:04"))
		for _, w := range ws {
			// top 3 z-scores in window
			type top struct {
				i int
				z float64
			}
			var tops []top
			for i, p := range s.Points {
				if p.T.Before(w.Start) || p.T.After(w.End) {
					continue
				}
				tops = append(tops, top{i, res.Verdicts[i].Score})
			}
			sort.Slice(tops, func(a, b int) bool { return tops[a].z > tops[b].z })
			line := fmt.Sprintf(" win %s–%s:", w.Start.Format("01-02 15:04"), w.End.Format("01-02 15:04"))
			for k := 0; k < 3 && k < len(tops); k++ {
				v := res.Verdicts[tops[k].i]
				line += fmt.Sprintf(" [%s v=%.0f exp=%.1f r=%.1f z=%.1f tail=%.1f]", s.Points[tops[k].i].T.Format("01-02 15:04"), s.Points[tops[k].i].V, v.Expected, v.Ratio, v.Score, v.TailScore)
			}
			t.Log(line)
		}
	}
}

func TestNABRank(t *testing.T) {
	dir := os.Getenv("OUTCRY_NAB_DIR")
	if dir == "" {
		t.Skip("OUTCRY_NAB_DIR not set")
	}
	var o series.Options
	if js := os.Getenv("OUTCRY_SERIES_OPTIONS"); js != "" {
		json.Unmarshal([]byte(js), &o)
	}
	lf, _ := os.Open(filepath.Join(dir, "combined_windows.json"))
	labels, _ := nab.ReadLabels(lf)
	files, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	key := os.Getenv("RANK_BY")
	for _, f := range files {
		in, _ := os.Open(f)
		s, _ := series.Read(in)
		in.Close()
		ws, _ := labels.For(filepath.Base(f))
		res := series.Run(filepath.Base(f), s, o)
		prob := nab.ProbationaryRows(len(s.Points))
		score := func(i int) float64 {
			v := res.Verdicts[i]
			switch key {
			case "s0":
				return v.Scores[0]
			case "s1":
				return v.Scores[1]
			case "s2":
				return v.Scores[2]
			case "smax":
				return max(v.Scores[0], v.Scores[1], v.Scores[2])
			case "ratio":
				return v.Ratio
			case "ztail":
				return v.Score / max(v.TailScore, 1)
			}
			return v.Score
		}
		type ev struct {
			i  int
			sc float64
		}
		var evs []ev
		idx := make([]int, 0, len(s.Points))
		for i := prob; i < len(s.Points); i++ {
			idx = append(idx, i)
		}
		sort.Slice(idx, func(a, b int) bool { return score(idx[a]) > score(idx[b]) })
		for _, i := range idx {
			near := false
			for _, e := range evs {
				if d := s.Points[i].T.Sub(s.Points[e.i].T); d < 12*3600e9 && d > -12*3600e9 {
					near = true
				}
			}
			if !near {
				evs = append(evs, ev{i, score(i)})
			}
			if len(evs) >= 12 {
				break
			}
		}
		line := filepath.Base(f)
		for _, e := range evs {
			tag := "-"
			for _, w := range ws {
				if !s.Points[e.i].T.Before(w.Start) && !s.Points[e.i].T.After(w.End) {
					tag = "W"
				}
			}
			line += fmt.Sprintf(" %s%.1f@%s", tag, e.sc, s.Points[e.i].T.Format("01-02T15:04"))
		}
		t.Log(line)
	}
}
