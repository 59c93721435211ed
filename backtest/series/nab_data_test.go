package series_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/outcry-dev/outcry/backtest/nab"
	"github.com/outcry-dev/outcry/backtest/series"
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
