package alertmanager_test

import (
	"fmt"
	"time"

	"github.com/outcry-dev/outcry/alert/alertmanager"
	"github.com/outcry-dev/outcry/detect/incident"
)

func Example() {
	start := time.Date(2022, 10, 25, 7, 17, 10, 0, time.UTC)
	d := incident.Data{
		IncidentID: "whatsapp-20221025T0717", Service: "whatsapp", Severity: "critical", StartedAt: start,
		Window:   incident.Span{Start: start.Add(4 * time.Minute), End: start.Add(6 * time.Minute)},
		Mentions: 107, DistinctAuthors: 107, Baseline: 0.2, Ratio: 535,
		Problems:  map[string]float64{"messages": 0.61, "media": 0.11, "login": 0.07, "website": 0.05},
		Countries: map[string]float64{"IN": 0.29, "SA": 0.15},
		Languages: map[string]float64{"en": 0.32, "ar": 0.18},
		Related:   []string{"facebook"},
	}
	fmt.Println(alertmanager.Summary("WhatsApp", d))
	fmt.Println(alertmanager.Description(d))
	// Output:
	// WhatsApp is down: 107 complaints in 2m0s from 107 people, 535.0× its baseline
	// Outage of whatsapp since 2022-10-25T07:17:10Z (incident whatsapp-20221025T0717, critical). 107 complaints from 107 distinct authors in the window, 535.0× a baseline of 0.20. Problems: messages 61%, media 11%, login 7%. Countries: IN 29%, SA 15%. Languages: en 32%, ar 18%. Related: facebook.
}
