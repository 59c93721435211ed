package tail

import (
	"fmt"
	"io"
	"strings"

	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/detect/incident"
)

// Print writes one alert event for a person to read, without colour.
func Print(w io.Writer, e incident.Event) { PrintStyled(w, e, false) }

// ANSI SGR sequences used by PrintStyled.
const (
	ansiReset   = "\x1b[0m"
	ansiBold    = "\x1b[1m"
	ansiDim     = "\x1b[2m"
	ansiRed     = "\x1b[31m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiMagenta = "\x1b[35m"
	ansiCyan    = "\x1b[36m"
)

// style wraps text in ANSI colour codes when on.
type style bool

func (s style) paint(code, text string) string {
	if !s || code == "" {
		return text
	}
	return code + text + ansiReset
}

// stateLabel names an event type for people: STARTED, UPDATED, RESOLVED, FLOOD.
func stateLabel(e incident.Event) (label, colour string) {
	switch e.Type {
	case incident.TypeStarted:
		return "STARTED", ansiBold + ansiRed
	case incident.TypeUpdated:
		return "UPDATED", ansiYellow
	case incident.TypeResolved:
		return "RESOLVED", ansiBold + ansiGreen
	case incident.TypeFloodSuspected:
		return "FLOOD", ansiMagenta
	}
	name := e.Type
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	return strings.ToUpper(name), ""
}

func severityColour(sev string) string {
	switch sev {
	case incident.SeverityCritical:
		return ansiBold + ansiRed
	case incident.SeverityMajor:
		return ansiRed
	case incident.SeverityMinor:
		return ansiYellow
	}
	return ""
}

// PrintStyled writes one alert event for a person to read, with ANSI colours
// when colour is true (a terminal). Columns are padded before they are painted, so
// they line up either way.
func PrintStyled(w io.Writer, e incident.Event, colour bool) {
	s := style(colour)
	d := e.Data
	label, lc := stateLabel(e)
	fmt.Fprintf(w, "%s  %s %s %s", s.paint(ansiDim, e.Time.Format("2006-01-02 15:04:05Z")),
		s.paint(lc, fmt.Sprintf("%-8s", label)), s.paint(ansiBold+ansiCyan, fmt.Sprintf("%-10s", d.Service)),
		s.paint(severityColour(d.Severity), fmt.Sprintf("%-8s", d.Severity)))
	switch e.Type {
	case incident.TypeResolved:
		if d.ResolvedAt != nil {
			fmt.Fprintf(w, " back at %s, down since %s (%s)", d.ResolvedAt.Format("15:04:05Z"),
				d.StartedAt.Format("15:04:05Z"), d.ResolvedAt.Sub(d.StartedAt).Round(1e9))
		}
	case incident.TypeFloodSuspected:
		fmt.Fprintf(w, " suspected flood since %s: %d posts in %s from only %d accounts, %.1f× baseline (no incident opened)",
			d.StartedAt.Format("15:04:05Z"), d.Mentions, d.Window.End.Sub(d.Window.Start), d.DistinctAuthors, d.Ratio)
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
	if d.Reason != "" && e.Type != incident.TypeStarted {
		fmt.Fprintf(w, "    why: %s\n", d.Reason)
	}
	fmt.Fprintln(w, s.paint(ansiDim, fmt.Sprintf("    incident %s, event %s", d.IncidentID, e.ID)))
}

func topLine(name string, m map[string]float64) string {
	if len(m) == 0 {
		return ""
	}
	parts := make([]string, 0, 3)
	for _, k := range counts.Top(m, 3) {
		parts = append(parts, fmt.Sprintf("%s %.0f%%", k, m[k]*100))
	}
	return name + ": " + strings.Join(parts, ", ")
}
