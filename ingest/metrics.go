package ingest

import (
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are the connectors' Prometheus metrics, by source, registered on an injected
// registry; they also say whether the ingest is ready (/readyz).
type Metrics struct {
	events, produced, dropped, duplicates, reconnects, deadLettered, produceErrors, saveErrors *prometheus.CounterVec
	lagSeconds, cursorAge, bufferedEvents, connectedGauge                                      *prometheus.GaugeVec

	mu        sync.Mutex
	up        map[string]bool // source → connected now
	producing map[string]bool // source → the last produce failed
	saving    map[string]bool // source → the last save of the cursor failed
}

// NewMetrics registers the ingest metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	c := func(name, help string, labels ...string) *prometheus.CounterVec {
		return f.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, append([]string{"source"}, labels...))
	}
	g := func(name, help string) *prometheus.GaugeVec {
		return f.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, []string{"source"})
	}
	return &Metrics{
		events:         c("outcry_ingest_events_total", "Frames received from the source, by kind (post, delete, update, identity, account, other, bad).", "kind"),
		produced:       c("outcry_ingest_posts_produced_total", "Posts produced to the posts topic."),
		dropped:        c("outcry_ingest_dropped_total", "Posts dropped because the buffer was full (only with --drop-when-full)."),
		duplicates:     c("outcry_ingest_duplicates_total", "Posts read again (after a reconnect or a restart's rewind) and not produced twice."),
		reconnects:     c("outcry_ingest_reconnects_total", "Streams that ended and were reconnected."),
		deadLettered:   c("outcry_ingest_dead_lettered_total", "Unreadable frames written to the dead-letter topic."),
		produceErrors:  c("outcry_ingest_produce_errors_total", "Failed writes to the posts topic (retried)."),
		saveErrors:     c("outcry_ingest_cursor_save_errors_total", "Failed saves of the cursor to Redis (retried at the next save)."),
		lagSeconds:     g("outcry_ingest_lag_seconds", "How far the newest frame is behind now, by the source's own time."),
		cursorAge:      g("outcry_ingest_cursor_age_seconds", "Age of the saved cursor (now minus its time) when it was last saved or loaded."),
		bufferedEvents: g("outcry_ingest_buffered_events", "Events waiting between the source and the broker."),
		connectedGauge: g("outcry_ingest_connected", "1 while a stream to the source is open."),
		up:             map[string]bool{},
		producing:      map[string]bool{},
		saving:         map[string]bool{},
	}
}

// newUnregisteredMetrics is for a Run without metrics.
func newUnregisteredMetrics() *Metrics { return NewMetrics(prometheus.NewRegistry()) }

// NotReady says why the ingest is not ready: a source not connected, posts that
// cannot be produced, or a cursor that cannot be saved (a restart would then read
// again from an older one). Empty when ready.
func (m *Metrics) NotReady() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var why []string
	for s, up := range m.up {
		if !up {
			why = append(why, s+": not connected to the source")
		}
	}
	for s, failing := range m.producing {
		if failing {
			why = append(why, s+": cannot produce to the posts topic")
		}
	}
	for s, failing := range m.saving {
		if failing {
			why = append(why, s+": cannot save the cursor to Redis")
		}
	}
	slices.Sort(why)
	return why
}

// sourceMetrics are m's metrics of one source. Those of every frame are looked up
// once, not by their labels at each frame.
type sourceMetrics struct {
	m                        *Metrics
	name                     string
	kinds                    map[string]prometheus.Counter
	duplicates, droppedPosts prometheus.Counter
	lagGauge, bufferedGauge  prometheus.Gauge
}

func (m *Metrics) forSource(name string) sourceMetrics {
	m.mu.Lock()
	m.up[name] = false
	m.mu.Unlock()
	s := sourceMetrics{m: m, name: name, kinds: map[string]prometheus.Counter{},
		duplicates: m.duplicates.WithLabelValues(name), droppedPosts: m.dropped.WithLabelValues(name),
		lagGauge: m.lagSeconds.WithLabelValues(name), bufferedGauge: m.bufferedEvents.WithLabelValues(name)}
	for _, k := range []string{KindPost, KindDelete, KindUpdate, KindIdentity, KindAccount, KindOther, KindBad} {
		s.kinds[k] = m.events.WithLabelValues(name, k)
	}
	return s
}

func (s sourceMetrics) event(kind string) {
	if c, ok := s.kinds[kind]; ok {
		c.Inc()
		return
	}
	s.m.events.WithLabelValues(s.name, kind).Inc()
}
func (s sourceMetrics) duplicate()         { s.duplicates.Inc() }
func (s sourceMetrics) dropped()           { s.droppedPosts.Inc() }
func (s sourceMetrics) reconnect()         { s.m.reconnects.WithLabelValues(s.name).Inc() }
func (s sourceMetrics) deadLettered(n int) { s.m.deadLettered.WithLabelValues(s.name).Add(float64(n)) }
func (s sourceMetrics) saveFailed() {
	s.m.saveErrors.WithLabelValues(s.name).Inc()
	s.m.mu.Lock()
	s.m.saving[s.name] = true
	s.m.mu.Unlock()
}
func (s sourceMetrics) buffered(n int)      { s.bufferedGauge.Set(float64(n)) }
func (s sourceMetrics) lag(d time.Duration) { s.lagGauge.Set(d.Seconds()) }

func (s sourceMetrics) connected(up bool) {
	v := 0.0
	if up {
		v = 1
	}
	s.m.connectedGauge.WithLabelValues(s.name).Set(v)
	s.m.mu.Lock()
	s.m.up[s.name] = up
	s.m.mu.Unlock()
}

func (s sourceMetrics) produced(n int) {
	s.m.produced.WithLabelValues(s.name).Add(float64(n))
	s.m.mu.Lock()
	s.m.producing[s.name] = false
	s.m.mu.Unlock()
}

func (s sourceMetrics) produceFailed() {
	s.m.produceErrors.WithLabelValues(s.name).Inc()
	s.m.mu.Lock()
	s.m.producing[s.name] = true
	s.m.mu.Unlock()
}

func (s sourceMetrics) saved(cursor int64, now time.Time) {
	s.cursorLoaded(cursor, now)
	s.m.mu.Lock()
	s.m.saving[s.name] = false
	s.m.mu.Unlock()
}

func (s sourceMetrics) cursorLoaded(cursor int64, now time.Time) {
	if cursor <= 0 {
		return
	}
	s.m.cursorAge.WithLabelValues(s.name).Set(now.Sub(time.UnixMicro(cursor)).Seconds())
}

// Events is the counter of source's frames of kind (for tests and summaries).
func (m *Metrics) Events(source, kind string) prometheus.Counter {
	return m.events.WithLabelValues(source, kind)
}

// Produced is the counter of source's posts produced.
func (m *Metrics) Produced(source string) prometheus.Counter {
	return m.produced.WithLabelValues(source)
}

// Duplicates is the counter of source's posts read again and not produced.
func (m *Metrics) Duplicates(source string) prometheus.Counter {
	return m.duplicates.WithLabelValues(source)
}

// Reconnects is the counter of source's reconnects.
func (m *Metrics) Reconnects(source string) prometheus.Counter {
	return m.reconnects.WithLabelValues(source)
}

// Dropped is the counter of source's posts dropped on a full buffer.
func (m *Metrics) Dropped(source string) prometheus.Counter { return m.dropped.WithLabelValues(source) }
