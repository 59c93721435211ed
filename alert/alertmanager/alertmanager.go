// Package alertmanager sends Outcry's incidents to Prometheus Alertmanager, where
// operators already route alerts to Slack, PagerDuty, e-mail or OpsGenie.
//
// It is a sink of the alert stage (docs/architecture.md), beside the alerts topic
// and the webhook: each open incident is one alert posted to Alertmanager's v2 API
// (POST /api/v2/alerts), labelled alertname="ServiceOutage", service, severity, owner
// (so that one owner's services group together) and source="outcry", with the
// evidence in its annotations and links to the incident on the live page. An open
// alert is posted again every Resend with endsAt a few Resends ahead, as Prometheus
// does: Alertmanager resolves an alert that is not re-sent (when Outcry is gone), and
// keeps one that is. A resolution is posted once more with endsAt the time it ended.
//
// Publish never blocks the pipeline: it records the incident and wakes Run, which
// posts to every Alertmanager (an HA pair gets every alert) and retries with back-off.
package alertmanager

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/internal/ctxtime"
)

// Defaults of Config.
const (
	DefaultResend  = time.Minute
	DefaultTimeout = 10 * time.Second
	// endsAhead: an open alert's endsAt is this many Resends ahead, so that
	// Alertmanager keeps it across a missed send or two and resolves it once Outcry
	// has been silent that long.
	endsAhead  = 4
	maxBackoff = time.Minute
)

// Config configures a Sink.
type Config struct {
	URLs    []string      // Alertmanager base URLs (http://host:9093); every one gets every alert
	Resend  time.Duration // how often open alerts are posted again; default 1m
	Timeout time.Duration // per request; default 10s
	// PageURL is the live page's base URL (http://outcry.example:9464), for the
	// alerts' links; empty for none.
	PageURL string
	// Service describes a service: its display name and owner (the rules').
	Service func(name string) (display, owner string)
}

// Metrics count what was sent, per Alertmanager.
type Metrics struct {
	sent, failed *prometheus.CounterVec
}

// NewMetrics registers the sink's metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		sent: f.NewCounterVec(prometheus.CounterOpts{Name: "outcry_alertmanager_alerts_sent_total",
			Help: "Alerts accepted by an Alertmanager (an open alert counts at each re-send), by Alertmanager."}, []string{"alertmanager"}),
		failed: f.NewCounterVec(prometheus.CounterOpts{Name: "outcry_alertmanager_send_errors_total",
			Help: "Posts to an Alertmanager that failed (retried with back-off), by Alertmanager."}, []string{"alertmanager"}),
	}
}

// Sink posts incidents to Alertmanager. It implements alert.Publisher; Run must run
// for anything to be sent.
type Sink struct {
	cfg     Config
	urls    []string // the v2 alerts endpoints
	names   []string // the Alertmanagers as the metrics and logs name them (no credentials)
	client  *http.Client
	log     *zap.Logger
	metrics *Metrics
	now     func() time.Time

	mu    sync.Mutex
	open  map[string]incident.Data // service → its open incident
	ended map[string]endedAlert    // incident id → a resolution not yet taken by every Alertmanager
	// sev is the severity an incident's alert is labelled with: the first one.
	// Alertmanager knows an alert by its labels, so a label that changed would
	// make an update a second alert and leave the first unresolved; the severity
	// now is an annotation.
	sev  map[string]string
	wake chan struct{}
}

type endedAlert struct {
	data  incident.Data
	taken map[int]bool // Alertmanagers that have it
}

// New returns a sink for cfg; client may be nil, log and metrics too.
func New(cfg Config, client *http.Client, log *zap.Logger, m *Metrics) (*Sink, error) {
	if len(cfg.URLs) == 0 {
		return nil, errors.New("alertmanager: no URL")
	}
	s := &Sink{cfg: cfg, client: client, log: log, metrics: m, now: time.Now,
		open: map[string]incident.Data{}, ended: map[string]endedAlert{}, sev: map[string]string{}, wake: make(chan struct{}, 1)}
	for _, raw := range cfg.URLs {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("alertmanager URL %q: want http://host:9093 or https://host/prefix", raw)
		}
		s.names = append(s.names, u.Redacted())
		u.Path = strings.TrimSuffix(u.Path, "/") + "/api/v2/alerts"
		s.urls = append(s.urls, u.String())
	}
	if s.cfg.Resend <= 0 {
		s.cfg.Resend = DefaultResend
	}
	if s.cfg.Timeout <= 0 {
		s.cfg.Timeout = DefaultTimeout
	}
	if s.client == nil {
		s.client = &http.Client{}
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	s.log = s.log.With(zap.String("component", "alertmanager"))
	if s.metrics == nil {
		s.metrics = NewMetrics(prometheus.NewRegistry())
	}
	if s.cfg.Service == nil {
		s.cfg.Service = func(name string) (string, string) { return name, name }
	}
	return s, nil
}

// Publish implements alert.Publisher: it records the events and returns at once.
func (s *Sink) Publish(_ context.Context, events []incident.Event) error {
	s.mu.Lock()
	for _, e := range events {
		if _, ok := s.sev[e.Data.IncidentID]; !ok {
			s.sev[e.Data.IncidentID] = e.Data.Severity
		}
		switch e.Type {
		case incident.TypeResolved:
			delete(s.open, e.Data.Service)
			s.ended[e.Data.IncidentID] = endedAlert{data: e.Data, taken: map[int]bool{}}
		default:
			s.open[e.Data.Service] = e.Data
		}
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// Run posts the alerts when incidents change and every Resend, until ctx ends.
func (s *Sink) Run(ctx context.Context) error {
	tick := time.NewTicker(s.cfg.Resend)
	defer tick.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-tick.C:
		}
		if err := s.sendAll(ctx); err != nil {
			failures++
			wait := ctxtime.Backoff(time.Second, maxBackoff, failures)
			s.log.Warn("cannot post alerts to Alertmanager; retrying", zap.Error(err), zap.Duration("in", wait))
			if ctxtime.Sleep(ctx, wait) != nil {
				return nil
			}
			select { // try again at once after the wait
			case s.wake <- struct{}{}:
			default:
			}
			continue
		}
		failures = 0
	}
}

// sendAll posts the open alerts and the resolutions each Alertmanager lacks.
func (s *Sink) sendAll(ctx context.Context) error {
	now := s.now()
	// The open alerts are the same for every Alertmanager; the resolutions are
	// those each one lacks.
	s.mu.Lock()
	var open []Alert
	for _, svc := range slices.Sorted(maps.Keys(s.open)) {
		open = append(open, s.alert(s.open[svc], now.Add(endsAhead*s.cfg.Resend)))
	}
	s.mu.Unlock()
	var errs []error
	for i := range s.urls {
		alerts := slices.Clone(open)
		s.mu.Lock()
		var ids []string
		for id, e := range s.ended {
			if !e.taken[i] {
				end := now
				if e.data.ResolvedAt != nil {
					end = *e.data.ResolvedAt
				}
				alerts = append(alerts, s.alert(e.data, end))
				ids = append(ids, id)
			}
		}
		s.mu.Unlock()
		if len(alerts) == 0 {
			continue
		}
		if err := s.post(ctx, i, alerts); err != nil {
			s.metrics.failed.WithLabelValues(s.names[i]).Inc()
			errs = append(errs, fmt.Errorf("%s: %w", s.names[i], err))
			continue
		}
		s.metrics.sent.WithLabelValues(s.names[i]).Add(float64(len(alerts)))
		s.mu.Lock()
		for _, id := range ids {
			if e, ok := s.ended[id]; ok {
				e.taken[i] = true
				if len(e.taken) == len(s.urls) {
					delete(s.ended, id)
					delete(s.sev, id)
				}
			}
		}
		s.mu.Unlock()
	}
	return errors.Join(errs...)
}

// Alert is one alert of Alertmanager's v2 API.
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// alert is d as an Alertmanager alert ending at ends.
func (s *Sink) alert(d incident.Data, ends time.Time) Alert {
	display, owner := s.cfg.Service(d.Service)
	sev := s.sev[d.IncidentID]
	if sev == "" {
		sev = d.Severity
	}
	a := Alert{
		Labels: map[string]string{"alertname": "ServiceOutage", "service": d.Service, "severity": sev,
			"owner": owner, "source": "outcry"},
		Annotations: map[string]string{
			"summary":          Summary(display, d),
			"description":      Description(d),
			"incident_id":      d.IncidentID,
			"current_severity": d.Severity,
		},
		StartsAt: d.StartedAt,
		EndsAt:   ends,
	}
	if s.cfg.PageURL != "" {
		link := strings.TrimSuffix(s.cfg.PageURL, "/") + "/#incident-" + url.PathEscape(d.Service)
		a.GeneratorURL = link
		a.Annotations["dashboard"] = link
		a.Annotations["runbook_url"] = link
	}
	return a
}

// Summary is the alert's one line: "WhatsApp is down: 107 complaints in 2m from 107
// people, 535× its baseline".
func Summary(display string, d incident.Data) string {
	minutes := d.Window.End.Sub(d.Window.Start).Round(time.Second)
	return fmt.Sprintf("%s is down: %d complaints in %s from %d people, %s× its baseline",
		display, d.Mentions, minutes, d.DistinctAuthors, strconv.FormatFloat(d.Ratio, 'f', 1, 64))
}

// Description is the evidence: figures, then the top problems, countries and
// languages by share.
func Description(d incident.Data) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Outage of %s since %s (incident %s, %s). %d complaints from %d distinct authors in the window, %.1f× a baseline of %.2f.",
		d.Service, d.StartedAt.UTC().Format(time.RFC3339), d.IncidentID, d.Severity, d.Mentions, d.DistinctAuthors, d.Ratio, d.Baseline)
	for _, part := range []struct {
		name   string
		shares map[string]float64
	}{{"Problems", d.Problems}, {"Countries", d.Countries}, {"Languages", d.Languages}} {
		if top := topShares(part.shares, 3); top != "" {
			fmt.Fprintf(&b, " %s: %s.", part.name, top)
		}
	}
	if len(d.Related) > 0 {
		fmt.Fprintf(&b, " Related: %s.", strings.Join(d.Related, ", "))
	}
	return b.String()
}

// topShares is the n largest shares, "messages 61%, media 11%".
func topShares(m map[string]float64, n int) string {
	keys := slices.Collect(maps.Keys(m))
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var parts []string
	for _, k := range keys[:min(n, len(keys))] {
		parts = append(parts, fmt.Sprintf("%s %.0f%%", k, 100*m[k]))
	}
	return strings.Join(parts, ", ")
}

// post sends alerts to Alertmanager i.
func (s *Sink) post(ctx context.Context, i int, alerts []Alert) error {
	body, err := json.Marshal(alerts)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.urls[i], bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may hold credentials
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("HTTP %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return nil
}
