// Package scenarioscore judges the alerts of a posts backtest against a scenario's
// truth.json (the format of the shared scenarios): an incident counts as detected when a
// started event for its service has detected_at between 2 minutes before onset and
// recovery; any other started event is a false alert; resolution is compared with
// recovery; the alert's top countries, problems and related services are checked.
package scenarioscore

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/detect/incident"
)

// Truth is the part of truth.json the score needs.
type Truth struct {
	Name      string          `json:"name"`
	Incidents []TruthIncident `json:"incidents"`
}

// TruthIncident is one labelled incident.
type TruthIncident struct {
	Service      string    `json:"service"`
	Onset        time.Time `json:"onset"`
	Recovery     time.Time `json:"recovery"`
	CountriesTop []string  `json:"countries_top"`
	ProblemsTop  []string  `json:"problems_top"`
	Related      []string  `json:"related"`
}

// ReadTruth parses truth.json.
func ReadTruth(r io.Reader) (Truth, error) {
	var t Truth
	if err := json.NewDecoder(r).Decode(&t); err != nil {
		return Truth{}, fmt.Errorf("truth: %w", err)
	}
	return t, nil
}

// IncidentScore is the verdict on one labelled incident.
type IncidentScore struct {
	Truth           TruthIncident
	Detected        bool
	IncidentID      string
	Delay           time.Duration // detected_at − onset
	Resolved        bool
	ResolutionDelay time.Duration // resolved_at − recovery
	TopCountries    []string      // of the alert (its last event)
	TopProblems     []string
	CountryOK       bool // top-3 countries overlap the truth's
	ProblemOK       bool // top-3 problems contain the truth's first
	RelatedOK       bool // the alert names every related service
}

// Score is the result of a run.
type Score struct {
	Incidents   []IncidentScore
	FalseAlerts []incident.Event // started events matching no incident
}

// Recall is the fraction of incidents detected (1 when there are none).
func (s Score) Recall() float64 {
	if len(s.Incidents) == 0 {
		return 1
	}
	n := 0
	for _, i := range s.Incidents {
		if i.Detected {
			n++
		}
	}
	return float64(n) / float64(len(s.Incidents))
}

// Judge scores events (in publication order) against truth.
func Judge(t Truth, events []incident.Event) Score {
	var sc Score
	used := map[string]bool{} // incident ids matched to a truth incident
	last := map[string]incident.Event{}
	for _, e := range events {
		last[e.Data.IncidentID] = e
	}
	for _, ti := range t.Incidents {
		is := IncidentScore{Truth: ti}
		for _, e := range events {
			if e.Type != incident.TypeStarted || e.Data.Service != ti.Service || used[e.Data.IncidentID] {
				continue
			}
			at := e.Data.DetectedAt
			if at.Before(ti.Onset.Add(-2*time.Minute)) || at.After(ti.Recovery) {
				continue
			}
			used[e.Data.IncidentID] = true
			is.Detected, is.IncidentID, is.Delay = true, e.Data.IncidentID, at.Sub(ti.Onset)
			l := last[e.Data.IncidentID]
			if l.Type == incident.TypeResolved && l.Data.ResolvedAt != nil {
				is.Resolved = true
				is.ResolutionDelay = l.Data.ResolvedAt.Sub(ti.Recovery)
			}
			is.TopCountries = counts.Top(l.Data.Countries, 3)
			is.TopProblems = counts.Top(l.Data.Problems, 3)
			for _, c := range is.TopCountries {
				if slices.Contains(ti.CountriesTop, c) {
					is.CountryOK = true
				}
			}
			is.ProblemOK = len(ti.ProblemsTop) == 0 || slices.Contains(is.TopProblems, ti.ProblemsTop[0])
			is.RelatedOK = true
			for _, r := range ti.Related {
				if !slices.Contains(l.Data.Related, r) {
					is.RelatedOK = false
				}
			}
			break
		}
		sc.Incidents = append(sc.Incidents, is)
	}
	for _, e := range events {
		if e.Type == incident.TypeStarted && !used[e.Data.IncidentID] {
			sc.FalseAlerts = append(sc.FalseAlerts, e)
		}
	}
	return sc
}

// Report writes a human-readable summary.
func (s Score) Report(w io.Writer) {
	n := 0
	for _, i := range s.Incidents {
		if i.Detected {
			n++
		}
	}
	fmt.Fprintf(w, "score: %d of %d incidents detected, %d false alerts\n", n, len(s.Incidents), len(s.FalseAlerts))
	for _, i := range s.Incidents {
		t := i.Truth
		if !i.Detected {
			fmt.Fprintf(w, "  %s onset %s: MISSED\n", t.Service, t.Onset.Format(time.RFC3339))
			continue
		}
		res := "not resolved"
		if i.Resolved {
			res = fmt.Sprintf("resolved %s after recovery", i.ResolutionDelay)
		}
		fmt.Fprintf(w, "  %s onset %s: detected after %s, %s; countries %s (%s), problems %s (%s), related %s\n",
			t.Service, t.Onset.Format(time.RFC3339), i.Delay, res,
			strings.Join(i.TopCountries, ","), ok(i.CountryOK), strings.Join(i.TopProblems, ","), ok(i.ProblemOK), ok(i.RelatedOK))
	}
	for _, e := range s.FalseAlerts {
		fmt.Fprintf(w, "  false alert: %s %s detected %s\n", e.Data.Service, e.Data.IncidentID, e.Data.DetectedAt.Format(time.RFC3339))
	}
}

func ok(b bool) string {
	if b {
		return "ok"
	}
	return "WRONG"
}
