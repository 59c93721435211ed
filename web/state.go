package web

import (
	"cmp"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/outcry-dev/outcry/detect/incident"
)

// State is the JSON document of /api/state and of each /api/stream message.
type State struct {
	AsOf    *time.Time `json:"as_of"` // latest event time seen; null before any
	Version uint64     `json:"version"`
	Band    float64    `json:"band"` // upper edge of the baseline band, × baseline
	// Services are the first PageSize services in the page's order (open incidents
	// first, then by how far their last verdict went, then as declared), and every
	// service with an open incident; the others are read a page at a time from
	// /api/services. ServicesTotal counts them all.
	Services      []ServiceState  `json:"services"`
	ServicesTotal int             `json:"services_total"`
	Incidents     []IncidentState `json:"incidents"` // open incidents, most severe first
	Timeline      []timelineEntry `json:"timeline"`  // recent incident events, newest first
}

// ServiceState is one service on the page.
type ServiceState struct {
	Name    string  `json:"name"`
	Display string  `json:"display"`
	Status  string  `json:"status"` // incident severity when one is open, else the latest verdict's reason ("" before any)
	Minutes Minutes `json:"minutes"`
	// The latest verdict: complaints in the sliding window against the baseline.
	Reason        string         `json:"reason"`
	Ratio         float64        `json:"ratio"`
	Window        int64          `json:"window_complaints"`
	Expected      float64        `json:"window_expected"`
	WindowMinutes float64        `json:"window_minutes"`
	Share         float64        `json:"share"`
	Updated       *time.Time     `json:"updated"`       // end of the latest bucket
	Incident      *IncidentState `json:"incident"`      // the open incident, or null
	LastIncident  *IncidentState `json:"last_incident"` // the most recent incident, open or resolved, or null
}

// Minutes are per-minute series, oldest first: Start is the first minute, each array
// has one value per minute. Baseline is the expected complaints per minute (null
// where no bucket was seen). The last minute may be partial.
type Minutes struct {
	Start      *time.Time `json:"start"`
	Posts      []int64    `json:"posts"`
	Complaints []int64    `json:"complaints"`
	Recoveries []int64    `json:"recoveries"`
	Baseline   []*float64 `json:"baseline"`
	Complete   []bool     `json:"complete"`
	// LastSeconds is how much of the last minute the buckets seen so far cover (60
	// when it is complete), so the page can show the minute in progress as a rate.
	LastSeconds int64 `json:"last_seconds"`
}

// IncidentState is an incident with its evidence (the alert event's data).
type IncidentState struct {
	ID         string     `json:"incident_id"`
	Service    string     `json:"service"`
	Display    string     `json:"display"`
	State      string     `json:"state"`
	Severity   string     `json:"severity"`
	StartedAt  time.Time  `json:"started_at"`
	DetectedAt time.Time  `json:"detected_at"`
	ResolvedAt *time.Time `json:"resolved_at"`
	WindowEnd  time.Time  `json:"window_end"`
	Mentions   int64      `json:"mentions"`
	Authors    int64      `json:"distinct_authors"`
	Baseline   float64    `json:"baseline"`
	Ratio      float64    `json:"ratio"`
	Score      float64    `json:"score"`
	Problems   []Share    `json:"problems"`
	Countries  []Share    `json:"countries"`
	Languages  []Share    `json:"languages"`
	Related    []Related  `json:"related"`
	Samples    []string   `json:"samples"`
	// SamplePosts are samples to read (their text was kept: --no-sample-text keeps
	// none); the page shows them as text, never as markup.
	SamplePosts []SamplePost `json:"sample_posts"`
	Reason      string       `json:"reason,omitempty"`
}

// SamplePost is a complaint as the page lists it, with a link to the original
// where its source has one.
type SamplePost struct {
	ID      string `json:"id"`
	Text    string `json:"text"`
	Lang    string `json:"lang,omitempty"`
	Country string `json:"country,omitempty"`
	Source  string `json:"source,omitempty"`
	URL     string `json:"url,omitempty"`
}

// PostURL is where a post can be read at its source, from the ids the connectors
// give ("bluesky:at://did/app.bsky.feed.post/rkey", "mastodon:<status uri>",
// "x:<id>"); "" for others.
func PostURL(id string) string {
	switch {
	case strings.HasPrefix(id, "bluesky:at://"):
		did, rest, ok := strings.Cut(strings.TrimPrefix(id, "bluesky:at://"), "/app.bsky.feed.post/")
		if ok && did != "" && rest != "" && !strings.Contains(rest, "/") {
			return "https://bsky.app/profile/" + url.PathEscape(did) + "/post/" + url.PathEscape(rest)
		}
	case strings.HasPrefix(id, "mastodon:https://"):
		if u, err := url.Parse(strings.TrimPrefix(id, "mastodon:")); err == nil && u.Host != "" {
			return u.String()
		}
	case strings.HasPrefix(id, "x:"):
		if n := strings.TrimPrefix(id, "x:"); n != "" && strings.Trim(n, "0123456789") == "" {
			return "https://x.com/i/status/" + n
		}
	}
	return ""
}

// Share is one label with its fraction, as listed largest first.
type Share struct {
	Label string  `json:"label"`
	Share float64 `json:"share"`
}

// Related is a related service.
type Related struct {
	Name    string `json:"name"`
	Display string `json:"display"`
}

type timelineEntry struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"` // started, updated, resolved
	Time       time.Time `json:"time"`
	IncidentID string    `json:"incident_id"`
	Service    string    `json:"service"`
	Display    string    `json:"display"`
	Severity   string    `json:"severity"`
	Ratio      float64   `json:"ratio"`
	Mentions   int64     `json:"mentions"`
	Authors    int64     `json:"distinct_authors"`
	Related    []Related `json:"related"`
	Reason     string    `json:"reason,omitempty"`
	related    []string
}

var severityRank = map[string]int{incident.SeverityMinor: 1, incident.SeverityMajor: 2, incident.SeverityCritical: 3}

// stateLocked builds the State. h.mu is held.
func (h *Hub) stateLocked() State {
	st := State{
		Version:   h.version,
		Band:      bandFactor,
		Incidents: []IncidentState{},
		Timeline:  make([]timelineEntry, 0, len(h.timeline)),
	}
	if !h.asOf.IsZero() {
		t := h.asOf
		st.AsOf = &t
	}
	order := h.orderLocked()
	st.ServicesTotal = len(order)
	st.Services = make([]ServiceState, 0, min(len(order), PageSize))
	for i, s := range order {
		if i >= PageSize && s.open == nil {
			continue
		}
		ss := h.serviceStateLocked(s)
		st.Services = append(st.Services, ss)
		if ss.Incident != nil { // every service with one is in the state
			st.Incidents = append(st.Incidents, *ss.Incident)
		}
	}
	slices.SortFunc(st.Incidents, func(a, b IncidentState) int {
		if c := cmp.Compare(severityRank[b.Severity], severityRank[a.Severity]); c != 0 {
			return c
		}
		return a.StartedAt.Compare(b.StartedAt)
	})
	for i := len(h.timeline) - 1; i >= 0; i-- {
		e := h.timeline[i]
		e.Display = h.display(e.Service)
		e.Ratio = finite(e.Ratio)
		e.Related = make([]Related, 0, len(e.related))
		for _, r := range e.related {
			e.Related = append(e.Related, Related{Name: r, Display: h.display(r)})
		}
		st.Timeline = append(st.Timeline, e)
	}
	return st
}

// PageSize is how many services the state carries, and /api/services's default page.
const PageSize = 50

// reasonRank orders the services without an open incident by their last verdict, as
// the page ranks them.
var reasonRank = map[string]int{"anomaly": 5, "elevated": 4, "few_authors": 3, "low_count": 3, "chatter": 2, "normal": 1, "warmup": 0, "": -1}

// orderLocked returns the services in the page's order: open incidents (most severe
// first), then by their last verdict's rank, then as declared. h.mu is held.
func (h *Hub) orderLocked() []*serviceState {
	rank := func(s *serviceState) int {
		if s.open != nil {
			return 100 + severityRank[s.open.Severity]
		}
		return reasonRank[s.last.reason]
	}
	out := slices.Clone(h.list)
	slices.SortStableFunc(out, func(a, b *serviceState) int { return cmp.Compare(rank(b), rank(a)) })
	return out
}

// Page is one page of /api/services.
type Page struct {
	Total    int            `json:"total"` // services matching the query
	Offset   int            `json:"offset"`
	Limit    int            `json:"limit"`
	Query    string         `json:"q"`
	Services []ServiceState `json:"services"`
}

// Page returns the services matching q (a case-insensitive part of the name or the
// display name; all when empty), in the page's order, from offset, at most limit.
func (h *Hub) Page(q string, offset, limit int) Page {
	h.mu.Lock()
	defer h.mu.Unlock()
	q = strings.TrimSpace(q)
	lq := strings.ToLower(q)
	p := Page{Offset: offset, Limit: limit, Query: q, Services: []ServiceState{}}
	for _, s := range h.orderLocked() {
		if lq != "" && !strings.Contains(strings.ToLower(s.Name), lq) && !strings.Contains(strings.ToLower(s.Display), lq) {
			continue
		}
		if p.Total >= offset && len(p.Services) < limit {
			p.Services = append(p.Services, h.serviceStateLocked(s))
		}
		p.Total++
	}
	return p
}

// serviceStateLocked is one service's row. h.mu is held.
func (h *Hub) serviceStateLocked(s *serviceState) ServiceState {
	ss := ServiceState{
		Name:          s.Name,
		Display:       s.Display,
		Minutes:       s.series(),
		Reason:        s.last.reason,
		Ratio:         round(s.last.ratio, 2),
		Window:        s.last.window,
		Expected:      round(s.last.expected, 3),
		WindowMinutes: s.last.windowMins,
		Share:         round(s.last.share, 3),
		Status:        s.last.reason,
	}
	if s.seen {
		t := s.last.bucketEnd
		ss.Updated = &t
	}
	if s.open != nil {
		inc := h.incidentState(s.open)
		ss.Incident = &inc
		ss.Status = inc.Severity
	}
	if s.lastInc != nil {
		inc := h.incidentState(s.lastInc)
		ss.LastIncident = &inc
	}
	return ss
}

func (h *Hub) display(name string) string {
	if s, ok := h.services[name]; ok {
		return s.Display
	}
	return name
}

func (h *Hub) incidentState(d *incident.Data) IncidentState {
	inc := IncidentState{
		ID:          d.IncidentID,
		Service:     d.Service,
		Display:     h.display(d.Service),
		State:       d.State,
		Severity:    d.Severity,
		StartedAt:   d.StartedAt,
		DetectedAt:  d.DetectedAt,
		ResolvedAt:  d.ResolvedAt,
		WindowEnd:   d.Window.End,
		Mentions:    d.Mentions,
		Authors:     d.DistinctAuthors,
		Baseline:    finite(d.Baseline),
		Ratio:       finite(d.Ratio),
		Score:       finite(d.Score),
		Problems:    shares(d.Problems),
		Countries:   shares(d.Countries),
		Languages:   shares(d.Languages),
		Related:     []Related{},
		Samples:     append([]string{}, d.Samples...),
		SamplePosts: []SamplePost{},
		Reason:      d.Reason,
	}
	for _, p := range d.SamplePosts {
		inc.SamplePosts = append(inc.SamplePosts, SamplePost{ID: p.ID, Text: p.Text, Lang: p.Lang, Country: p.Country,
			Source: p.Source, URL: PostURL(p.ID)})
	}
	for _, r := range d.Related {
		inc.Related = append(inc.Related, Related{Name: r, Display: h.display(r)})
	}
	return inc
}

func shares(m map[string]float64) []Share {
	out := make([]Share, 0, len(m))
	for k, v := range m {
		out = append(out, Share{Label: k, Share: finite(v)})
	}
	slices.SortFunc(out, func(a, b Share) int {
		if c := cmp.Compare(b.Share, a.Share); c != 0 {
			return c
		}
		return cmp.Compare(a.Label, b.Label)
	})
	return out
}

// series turns the minutes into the JSON arrays.
func (s *serviceState) series() Minutes {
	n := len(s.minutes)
	m := Minutes{
		Posts:      make([]int64, n),
		Complaints: make([]int64, n),
		Recoveries: make([]int64, n),
		Baseline:   make([]*float64, n),
		Complete:   make([]bool, n),
	}
	if n == 0 {
		return m
	}
	t := time.Unix(s.minutes[0].start, 0).UTC()
	m.Start = &t
	for i, x := range s.minutes {
		m.Posts[i] = x.posts
		m.Complaints[i] = x.complaints
		m.Recoveries[i] = x.recoveries
		if x.buckets > 0 {
			b := round(x.baseline/float64(x.buckets), 3)
			m.Baseline[i] = &b
		}
		m.Complete[i] = x.bucketSecs >= 60 || i < n-1
	}
	m.LastSeconds = min(60, s.minutes[n-1].bucketSecs)
	return m
}

func round(x float64, digits int) float64 {
	x = finite(x)
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}
