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
	"math"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/detectors/evaluate"
	"github.com/outcry-dev/outcry/detectors/incident"
)

// Service names a service on the page.
type Service struct {
	Name    string // rule name, e.g. "whatsapp"
	Display string // human name, e.g. "WhatsApp" or "واتساب"
}

const (
	historyMinutes = 180 // per-minute points kept per service (3 h of event time)
	timelineMax    = 100 // incident events kept for the timeline
	maxServices    = 512 // services not declared to NewHub are added up to this many
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
	order   int
	minutes []minute // oldest first, at most historyMinutes, contiguous
	last    last
	seen    bool
	open    *incident.Data // the open incident, nil when none
	lastInc *incident.Data // the most recent incident, open or resolved
}

// Hub is the in-memory state behind the page. It is safe for concurrent use.
type Hub struct {
	log *zap.Logger

	mu       sync.Mutex
	services map[string]*serviceState
	order    int
	timeline []timelineEntry // newest last, at most timelineMax
	asOf     time.Time
	version  uint64
	subs     map[chan struct{}]struct{}
	closed   bool
	done     chan struct{}

	// snapshot cache, rebuilt when version moves on
	cacheVer  uint64
	cacheJSON []byte
}

// NewHub returns a Hub showing services in the given order; services that show up in
// Observe or Event without being declared are added after them.
func NewHub(services []Service, log *zap.Logger) *Hub {
	if log == nil {
		log = zap.NewNop()
	}
	h := &Hub{
		log:      log.With(zap.String("component", "web")),
		services: map[string]*serviceState{},
		subs:     map[chan struct{}]struct{}{},
		done:     make(chan struct{}),
	}
	for _, s := range services {
		h.service(s.Name).Display = displayOr(s.Display, s.Name)
	}
	return h
}

func displayOr(d, name string) string {
	if d == "" {
		return name
	}
	return d
}

// service returns the state of name, creating it if there is room (nil otherwise).
// h.mu is held.
func (h *Hub) service(name string) *serviceState {
	if s, ok := h.services[name]; ok {
		return s
	}
	if len(h.services) >= maxServices {
		return nil
	}
	s := &serviceState{Service: Service{Name: name, Display: name}, order: h.order}
	h.order++
	h.services[name] = s
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

// subscribe registers a stream; the channel receives a value after each change.
func (h *Hub) subscribe() (chan struct{}, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, false
	}
	c := make(chan struct{}, 1)
	h.subs[c] = struct{}{}
	return c, true
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
