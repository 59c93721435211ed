package scenarioscore

import (
	"testing"
	"time"

	"github.com/outcry-dev/outcry/detect/incident"
)

func TestJudge(t *testing.T) {
	onset := time.Date(2022, 10, 25, 7, 17, 0, 0, time.UTC)
	recovery := onset.Add(time.Hour)
	truth := Truth{Incidents: []TruthIncident{{
		Service: "whatsapp", Onset: onset, Recovery: recovery,
		CountriesTop: []string{"IN", "BR"}, ProblemsTop: []string{"messages"}, Related: []string{"facebook"},
	}}}
	ev := func(typ, svc, id string, detected time.Time, resolved *time.Time) incident.Event {
		return incident.Event{Type: typ, Data: incident.Data{
			IncidentID: id, Service: svc, DetectedAt: detected, ResolvedAt: resolved,
			Countries: map[string]float64{"IN": 0.6, "ID": 0.2}, Problems: map[string]float64{"messages": 0.7},
			Related: []string{"facebook"},
		}}
	}
	res := recovery.Add(11 * time.Minute)
	tests := []struct {
		name       string
		events     []incident.Event
		detected   bool
		delay      time.Duration
		resolved   bool
		resDelay   time.Duration
		falseAlert int
	}{
		{"none", nil, false, 0, false, 0, 0},
		{"detected and resolved", []incident.Event{
			ev(incident.TypeStarted, "whatsapp", "w1", onset.Add(140*time.Second), nil),
			ev(incident.TypeResolved, "whatsapp", "w1", onset.Add(140*time.Second), &res),
		}, true, 140 * time.Second, true, 11 * time.Minute, 0},
		{"too early is false", []incident.Event{
			ev(incident.TypeStarted, "whatsapp", "w0", onset.Add(-time.Hour), nil),
		}, false, 0, false, 0, 1},
		{"other service is false", []incident.Event{
			ev(incident.TypeStarted, "whatsapp", "w1", onset.Add(time.Minute), nil),
			ev(incident.TypeStarted, "snapchat", "s1", onset, nil),
		}, true, time.Minute, false, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := Judge(truth, tc.events)
			is := sc.Incidents[0]
			if is.Detected != tc.detected || is.Delay != tc.delay || is.Resolved != tc.resolved || is.ResolutionDelay != tc.resDelay {
				t.Errorf("got detected %v delay %s resolved %v after %s", is.Detected, is.Delay, is.Resolved, is.ResolutionDelay)
			}
			if len(sc.FalseAlerts) != tc.falseAlert {
				t.Errorf("false alerts %d, want %d", len(sc.FalseAlerts), tc.falseAlert)
			}
			if tc.detected && (!is.CountryOK || !is.ProblemOK || !is.RelatedOK) {
				t.Errorf("evidence checks: %+v", is)
			}
			if want := map[bool]float64{true: 1, false: 0}[tc.detected]; sc.Recall() != want {
				t.Errorf("recall %v", sc.Recall())
			}
		})
	}
}
