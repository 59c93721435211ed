// Package monitor closes event-time buckets as the watermark passes them, reads them
// from the Redis windows, runs each service's evaluation series and incident tracker
// over them, and hands the resulting incident events to a publisher.
//
// It is the "evaluate → incidents → alerts" part of the data flow, driven by the
// pipeline after each stored batch. Events are kept until published (a failed publish
// is retried on the next call, never dropped), and each event id is claimed once in
// Redis so that several instances, or a restart replaying history, publish it once.
package monitor

import (
	"context"
	"fmt"
	"sort"
	"time"

	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/detectors/evaluate"
	"github.com/outcry-dev/outcry/detectors/incident"
	"github.com/outcry-dev/outcry/detectors/window"
)

// Reader reads closed buckets.
type Reader interface {
	Read(ctx context.Context, services []string, from, to int64) (map[string][]window.Counts, error)
	DistinctAuthors(ctx context.Context, service string, from, to int64) (int64, error)
}

// Claimer records that an event id is being published, once across instances.
type Claimer interface {
	Claim(ctx context.Context, id string) (bool, error)
	Unclaim(ctx context.Context, id string) error
}

// Publisher delivers incident events (to the alerts topic).
type Publisher interface {
	Publish(ctx context.Context, events []incident.Event) error
}

// Config of a Monitor.
type Config struct {
	Services []string
	Evaluate evaluate.Params
	Incident incident.Params
	// History is how far before the first watermark the monitor replays stored buckets
	// to rebuild baselines and open incidents after a start; default 2h.
	History time.Duration
	// MaxRead bounds the buckets read in one round trip; default 360.
	MaxRead int
}

// Monitor drives evaluation. It is not safe for concurrent use: one goroutine (the
// pipeline's) calls Advance.
type Monitor struct {
	cfg      Config
	reader   Reader
	claimer  Claimer
	pub      Publisher
	log      *zap.Logger
	series   map[string]*evaluate.Series
	trackers map[string]*incident.Tracker
	bucket   time.Duration
	next     int64 // start of the next bucket to close (unix s); 0 before the first call
	pending  []incident.Event
	onEvent  func(incident.Event)
}

// New returns a Monitor.
func New(cfg Config, r Reader, c Claimer, p Publisher, log *zap.Logger) *Monitor {
	if cfg.History <= 0 {
		cfg.History = 2 * time.Hour
	}
	if cfg.MaxRead <= 0 {
		cfg.MaxRead = 360
	}
	m := &Monitor{
		cfg: cfg, reader: r, claimer: c, pub: p,
		log:      log.With(zap.String("component", "monitor")),
		series:   map[string]*evaluate.Series{},
		trackers: map[string]*incident.Tracker{},
	}
	for _, s := range cfg.Services {
		m.series[s] = evaluate.NewSeries(cfg.Evaluate)
		m.trackers[s] = incident.NewTracker(s, cfg.Incident)
	}
	if len(cfg.Services) > 0 {
		m.bucket = m.series[cfg.Services[0]].Params().Bucket
	} else {
		m.bucket = evaluate.Defaults().Bucket
	}
	return m
}

// OnEvent registers a function called for every event after it is published.
func (m *Monitor) OnEvent(f func(incident.Event)) { m.onEvent = f }

// Watermarked reports the end of the last closed bucket (zero before any).
func (m *Monitor) Watermarked() time.Time {
	if m.next == 0 {
		return time.Time{}
	}
	return time.Unix(m.next, 0).UTC()
}

// OpenIncidents returns the services with an open incident.
func (m *Monitor) OpenIncidents() []string {
	var out []string
	for s, t := range m.trackers {
		if t.Open() {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// Advance closes every bucket that ends at or before watermark, evaluates it and
// publishes the events it produces. On error nothing is lost: buckets not yet read
// are read again and unpublished events are retried on the next call.
func (m *Monitor) Advance(ctx context.Context, watermark time.Time) error {
	step := int64(m.bucket / time.Second)
	end := window.BucketOf(watermark, m.bucket) // buckets starting before end are closed
	if m.next == 0 {
		m.next = end - int64(m.cfg.History/time.Second)
	}
	for m.next < end {
		to := min(end-step, m.next+int64(m.cfg.MaxRead-1)*step)
		counts, err := m.reader.Read(ctx, m.cfg.Services, m.next, to)
		if err != nil {
			return fmt.Errorf("evaluate buckets: %w", err)
		}
		for i, b := 0, m.next; b <= to; i, b = i+1, b+step {
			m.evaluate(time.Unix(b, 0).UTC(), i, counts)
		}
		m.next = to + step
	}
	return m.flush(ctx)
}

func (m *Monitor) evaluate(start time.Time, i int, counts map[string][]window.Counts) {
	verdicts := make(map[string]evaluate.Verdict, len(m.cfg.Services))
	for _, s := range m.cfg.Services {
		verdicts[s] = m.series[s].Step(start, counts[s][i])
	}
	for _, s := range m.cfg.Services {
		var related []string
		for _, o := range m.cfg.Services {
			if o != s && (m.trackers[o].Open() || verdicts[o].Anomalous()) {
				related = append(related, o)
			}
		}
		evs := m.trackers[s].Step(verdicts[s], related)
		m.series[s].Hold(m.trackers[s].Open())
		m.pending = append(m.pending, evs...)
	}
}

// flush fills in what needs I/O (distinct authors over the window), claims and
// publishes the pending events in order.
func (m *Monitor) flush(ctx context.Context) error {
	for len(m.pending) > 0 {
		e := m.pending[0]
		if e.Type != incident.TypeResolved {
			from := window.BucketOf(e.Data.Window.Start, m.bucket)
			to := window.BucketOf(e.Data.Window.End.Add(-time.Second), m.bucket)
			n, err := m.reader.DistinctAuthors(ctx, e.Data.Service, from, to)
			if err != nil {
				return err
			}
			e.Data.DistinctAuthors = n
		}
		ok, err := m.claimer.Claim(ctx, e.ID)
		if err != nil {
			return fmt.Errorf("claim alert %s: %w", e.ID, err)
		}
		if ok {
			if err := m.pub.Publish(ctx, []incident.Event{e}); err != nil {
				if uerr := m.claimer.Unclaim(ctx, e.ID); uerr != nil {
					m.log.Warn("release claim", zap.String("event", e.ID), zap.Error(uerr))
				}
				return fmt.Errorf("publish alert %s: %w", e.ID, err)
			}
			m.log.Info("alert published", zap.String("event", e.ID), zap.String("type", e.Type),
				zap.String("service", e.Data.Service), zap.String("severity", e.Data.Severity))
			if m.onEvent != nil {
				m.onEvent(e)
			}
		}
		m.pending = m.pending[1:]
	}
	return nil
}
