package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/outcry-dev/outcry/detectors/incident"
)

// printEvent writes one alert event for a person to read.
func printEvent(w io.Writer, e incident.Event) {
	d := e.Data
	state := strings.ToUpper(strings.TrimPrefix(e.Type, "outcry.incident."))
	fmt.Fprintf(w, "%s  %-8s %-10s %-8s", e.Time.Format("2006-01-02 15:04:05Z"), state, d.Service, d.Severity)
	switch e.Type {
	case incident.TypeResolved:
		if d.ResolvedAt != nil {
			fmt.Fprintf(w, " back at %s, down since %s (%s)", d.ResolvedAt.Format("15:04:05Z"),
				d.StartedAt.Format("15:04:05Z"), d.ResolvedAt.Sub(d.StartedAt).Round(1e9))
		}
	default:
		fmt.Fprintf(w, " since %s: %d complaints in %s from %d people, %.1f× baseline (%.2f)",
			d.StartedAt.Format("15:04:05Z"), d.Mentions, d.Window.End.Sub(d.Window.Start), d.DistinctAuthors, d.Ratio, d.Baseline)
	}
	fmt.Fprintln(w)
	if line := topLine("problems", d.Problems); line != "" {
		fmt.Fprintln(w, "    "+line)
	}
	if line := topLine("countries", d.Countries); line != "" {
		fmt.Fprintln(w, "    "+line)
	}
	if line := topLine("languages", d.Languages); line != "" {
		fmt.Fprintln(w, "    "+line)
	}
	if len(d.Related) > 0 {
		fmt.Fprintf(w, "    related: %s\n", strings.Join(d.Related, ", "))
	}
	fmt.Fprintf(w, "    incident %s, event %s\n", d.IncidentID, e.ID)
}

func topLine(name string, m map[string]float64) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, 0, 3)
	for i, k := range keys {
		if i == 3 {
			break
		}
		parts = append(parts, fmt.Sprintf("%s %.0f%%", k, m[k]*100))
	}
	return name + ": " + strings.Join(parts, ", ")
}
