// Package web serves the live analyst page of Outcry.
//
// It sits at the end of the data flow, beside the alerts topic: the monitor feeds a Hub
// with every closed bucket's verdict (Observe) and every published incident event
// (Event); analysts read the Hub through a browser page that the Hub's Handler serves,
// with a JSON snapshot (/api/state) and server-sent events (/api/stream) that push
// each change live. All times on the page are event time. The Hub keeps only what the
// page shows (per service, the last 3 hours of per-minute counts; the open incidents;
// the most recent incident events), so its memory is bounded whatever the traffic.
// Assets are embedded: the page needs no CDN.
package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/detect/evaluate"
	"github.com/outcry-dev/outcry/detect/incident"
)

// Service names a service on the page.
type Service struct {
	Name    string // rule name, e.g. "whatsapp"
	Display string // human name, e.g. "WhatsApp" or "واتساب"
}

const (
	historyMinutes = 180 // per-minute points kept per service (3 h of event time)
	timelineMax    = 100 // incident events kept for the timeline
	maxUndeclared  = 512 // services not declared to NewHub are added up to this many
	maxStreams     = 256 // default cap on concurrent /api/stream connections
	bandFactor     = 5   // upper edge of the baseline band, × baseline (the alert bar)
)

// minute is one minute of one service, summed from its 10 s buckets.
type minute struct {
	start      int64 // unix seconds, a multiple of 60
	posts      int64
	complaints int64
	recoveries int64
	baseline   float64 // sum over buckets of the expected complaints per minute
	buckets    int     // buckets seen in this minute
	bucketSecs int64   // total length of the buckets seen (to know whether the minute is complete)
}

// last is the latest verdict of a service, as shown beside its chart.
type last struct {
	reason     string
	ratio      float64
	window     int64 // complaints in the sliding window
	expected   float64
	windowMins float64
	share      float64
	bucketEnd  time.Time
}

type serviceState struct {
	Service
	minutes []minute // oldest first, at most historyMinutes, contiguous
	last    last
	seen    bool
	open    *incident.Data // the open incident, nil when none
	lastInc *incident.Data // the most recent incident, open or resolved
}

// Hub is the in-memory state behind the page. It is safe for concurrent use.
type Hub struct {
	log *zap.Logger

	mu         sync.Mutex
	services   map[string]*serviceState
	list       []*serviceState // in page order: declared first, then as they showed up
	undeclared int             // services added without being declared, at most maxUndeclared
	timeline   []timelineEntry // newest last, at most timelineMax
	asOf       time.Time
	version    uint64
	subs       map[chan struct{}]struct{}
	maxStreams int
	refused    refusals
	closed     bool
	done       chan struct{}

	// snapshot cache, rebuilt when version moves on
	cacheVer  uint64
	cacheJSON []byte
	// build lets one caller at a time rebuild a stale snapshot: after a change, every
	// open stream asks for it at once, and all but the first then find it cached.
	build sync.Mutex
}

// NewHub returns a Hub showing services in the given order; services that show up in
// Observe or Event without being declared are added after them.
func NewHub(services []Service, log *zap.Logger) *Hub {
	if log == nil {
		log = zap.NewNop()
	}
	h := &Hub{
		log:        log.With(zap.String("component", "web")),
		services:   map[string]*serviceState{},
		subs:       map[chan struct{}]struct{}{},
		maxStreams: maxStreams,
		done:       make(chan struct{}),
	}
	for _, s := range services {
		h.add(s.Name).Display = displayOr(s.Display, s.Name)
	}
	return h
}

func displayOr(d, name string) string {
	if d == "" {
		return name
	}
	return d
}

// service returns the state of name, adding it if it is new and there is room for
// one more undeclared service (nil otherwise). h.mu is held.
func (h *Hub) service(name string) *serviceState {
	if s, ok := h.services[name]; ok {
		return s
	}
	// Only names seen in the data are capped: they come from outside the rules.
	if h.undeclared >= maxUndeclared {
		return nil
	}
	h.undeclared++
	return h.add(name)
}

// add returns the state of name, adding it whatever the number of services: declared
// services are always shown. h.mu is held (or h is not shared yet).
func (h *Hub) add(name string) *serviceState {
	if s, ok := h.services[name]; ok {
		return s
	}
	s := &serviceState{Service: Service{Name: name, Display: name}}
	h.services[name] = s
	h.list = append(h.list, s)
	return s
}

// Observe is called by the monitor for every closed bucket of every service, in
// event-time order.
func (h *Hub) Observe(service string, v evaluate.Verdict) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.service(service)
	if s == nil || h.closed {
		return
	}
	bucketEnd := v.WindowEnd
	if bucketEnd.IsZero() {
		bucketEnd = v.BucketStart.Add(10 * time.Second)
	}
	bucketSecs := int64(bucketEnd.Sub(v.BucketStart) / time.Second)
	if bucketSecs <= 0 {
		bucketSecs = 10
	}
	windowMins := v.WindowEnd.Sub(v.WindowStart).Minutes()
	if windowMins <= 0 {
		windowMins = float64(bucketSecs) / 60
	}
	perMin := v.Expected / windowMins
	if math.IsNaN(perMin) || math.IsInf(perMin, 0) {
		perMin = 0
	}

	m := s.minuteAt(v.BucketStart.Unix() - mod(v.BucketStart.Unix(), 60))
	if m != nil {
		m.posts += v.Bucket.Posts
		m.complaints += v.Bucket.Complaints
		m.recoveries += v.Bucket.Recoveries
		m.baseline += perMin
		m.buckets++
		m.bucketSecs += bucketSecs
	}
	if !s.seen || !bucketEnd.Before(s.last.bucketEnd) {
		s.seen = true
		s.last = last{
			reason:     v.Reason.String(),
			ratio:      finite(v.Ratio),
			window:     v.Window.Complaints,
			expected:   finite(v.Expected),
			windowMins: windowMins,
			share:      finite(v.Share),
			bucketEnd:  bucketEnd.UTC(),
		}
	}
	if bucketEnd.After(h.asOf) {
		h.asOf = bucketEnd.UTC()
	}
	h.changed()
}

func mod(a, b int64) int64 { return ((a % b) + b) % b }

func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

// minuteAt returns the minute starting at start, appending (and filling gaps) when it
// is newer than the last one and trimming history to historyMinutes. It returns nil
// for a minute older than the history kept.
func (s *serviceState) minuteAt(start int64) *minute {
	n := len(s.minutes)
	if n == 0 {
		s.minutes = append(s.minutes, minute{start: start})
		return &s.minutes[0]
	}
	lastStart := s.minutes[n-1].start
	switch {
	case start == lastStart:
		return &s.minutes[n-1]
	case start < lastStart:
		i := n - 1 - int((lastStart-start)/60)
		if i < 0 {
			return nil
		}
		return &s.minutes[i]
	}
	gap := (start - lastStart) / 60
	if gap > historyMinutes {
		s.minutes = s.minutes[:0]
	} else {
		for t := lastStart + 60; t < start; t += 60 {
			s.minutes = append(s.minutes, minute{start: t})
		}
	}
	s.minutes = append(s.minutes, minute{start: start})
	if over := len(s.minutes) - historyMinutes; over > 0 {
		// Copy down rather than reslice so the backing array does not grow forever.
		copy(s.minutes, s.minutes[over:])
		s.minutes = s.minutes[:historyMinutes]
	}
	return &s.minutes[len(s.minutes)-1]
}

// Event is called for every published incident event.
func (h *Hub) Event(e incident.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	d := e.Data
	s := h.service(d.Service)
	if s != nil {
		dc := d
		switch e.Type {
		case incident.TypeResolved:
			if s.open != nil && s.open.IncidentID == d.IncidentID {
				s.open = nil
			}
		default:
			// An event of an older incident (a replay) does not replace a newer one.
			if s.open == nil || s.open.IncidentID == d.IncidentID || !d.StartedAt.Before(s.open.StartedAt) {
				s.open = &dc
			}
		}
		if s.lastInc == nil || s.lastInc.IncidentID == d.IncidentID || !d.StartedAt.Before(s.lastInc.StartedAt) {
			s.lastInc = &dc
		}
	}
	entry := timelineEntry{
		ID:         e.ID,
		Type:       shortType(e.Type),
		Time:       e.Time.UTC(),
		IncidentID: d.IncidentID,
		Service:    d.Service,
		Severity:   d.Severity,
		Ratio:      d.Ratio,
		Mentions:   d.Mentions,
		Authors:    d.DistinctAuthors,
		Reason:     d.Reason,
		related:    slices.Clone(d.Related),
	}
	// Keep the timeline in event-time order even if events arrive slightly out of order.
	i := len(h.timeline)
	for i > 0 && h.timeline[i-1].Time.After(entry.Time) {
		i--
	}
	h.timeline = slices.Insert(h.timeline, i, entry)
	if over := len(h.timeline) - timelineMax; over > 0 {
		copy(h.timeline, h.timeline[over:])
		h.timeline = h.timeline[:timelineMax]
	}
	if e.Time.After(h.asOf) {
		h.asOf = e.Time.UTC()
	}
	h.log.Debug("incident event", zap.String("id", e.ID), zap.String("type", e.Type))
	h.changed()
}

func shortType(t string) string {
	switch t {
	case incident.TypeStarted:
		return "started"
	case incident.TypeUpdated:
		return "updated"
	case incident.TypeResolved:
		return "resolved"
	}
	return t
}

// changed bumps the version and wakes the streams. h.mu is held.
func (h *Hub) changed() {
	h.version++
	for c := range h.subs {
		select {
		case c <- struct{}{}:
		default: // already pending: the stream sends the latest state anyway
		}
	}
}

// errStreamsFull refuses a stream beyond the cap.
type errStreamsFull struct{ max int }

func (e errStreamsFull) Error() string {
	return fmt.Sprintf("too many live streams (%d); try again later", e.max)
}

// errHubClosed refuses a stream during shutdown.
var errHubClosed = errors.New("shutting down")

// subscribe registers a stream; the channel receives a value after each change.
func (h *Hub) subscribe() (chan struct{}, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, errHubClosed
	}
	if len(h.subs) >= h.maxStreams {
		if n, ok := h.refused.add(time.Now()); ok {
			h.log.Warn("live streams refused: the cap is reached", zap.Int("max_streams", h.maxStreams), zap.Uint64("refused_since_last_report", n))
		}
		return nil, errStreamsFull{h.maxStreams}
	}
	c := make(chan struct{}, 1)
	h.subs[c] = struct{}{}
	return c, nil
}

// RefusedStreams is how many streams the cap has refused since the Hub started.
func (h *Hub) RefusedStreams() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.refused.total
}

func (h *Hub) unsubscribe(c chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, c)
}

// Close ends open SSE streams (for shutdown). Observe and Event do nothing after it.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	close(h.done)
}

// snapshot returns the JSON state and its version. The state is copied under the lock
// and encoded outside it, so a slow encoding never holds up Observe.
func (h *Hub) snapshot() ([]byte, uint64) {
	h.mu.Lock()
	if h.cacheJSON != nil && h.cacheVer == h.version {
		defer h.mu.Unlock()
		return h.cacheJSON, h.cacheVer
	}
	h.mu.Unlock()
	h.build.Lock()
	defer h.build.Unlock()
	h.mu.Lock()
	if h.cacheJSON != nil && h.cacheVer == h.version { // built while this one waited
		defer h.mu.Unlock()
		return h.cacheJSON, h.cacheVer
	}
	st := h.stateLocked()
	h.mu.Unlock()
	b, err := json.Marshal(st)
	if err != nil { // cannot happen: only plain types, and NaN and Inf are filtered
		h.log.Error("encode state", zap.Error(err))
		b = []byte(`{}`)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if st.Version >= h.cacheVer || h.cacheJSON == nil {
		h.cacheJSON, h.cacheVer = b, st.Version
	}
	return b, st.Version
}

// refusals counts refused events and says when to report them: at most once per
// minute, so a flood of refusals does not flood the log.
type refusals struct {
	total, pending uint64
	last           time.Time
}

// add counts one refusal at now; when a report is due it returns the refusals since
// the last one and true.
func (r *refusals) add(now time.Time) (uint64, bool) {
	r.total++
	r.pending++
	if !r.last.IsZero() && now.Sub(r.last) < time.Minute {
		return 0, false
	}
	n := r.pending
	r.pending, r.last = 0, now
	return n, true
}
