package pipeline

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/outcry-dev/outcry/detectors/window"
)

// Metrics are the pipeline's Prometheus metrics, registered on an injected registry.
type Metrics struct {
	consumed     prometheus.Counter
	matched      *prometheus.CounterVec
	deadLettered *prometheus.CounterVec
	batchSeconds prometheus.Histogram
	readyGauge   prometheus.Gauge
	published    *prometheus.CounterVec
	redisSeconds prometheus.Histogram
	lag          *prometheus.GaugeVec
	open         *prometheus.GaugeVec
	readyFlag    atomic.Bool
}

// NewMetrics registers the pipeline metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	m := &Metrics{
		consumed: f.NewCounter(prometheus.CounterOpts{
			Name: "outcry_posts_consumed_total", Help: "Messages consumed from the posts topic.",
		}),
		matched: f.NewCounterVec(prometheus.CounterOpts{
			Name: "outcry_posts_matched_total", Help: "Posts naming a service, by service and kind (mention, outage, recovery).",
		}, []string{"service", "kind"}),
		deadLettered: f.NewCounterVec(prometheus.CounterOpts{
			Name: "outcry_posts_dead_lettered_total", Help: "Messages sent to the dead-letter topic, by reason.",
		}, []string{"reason"}),
		batchSeconds: f.NewHistogram(prometheus.HistogramOpts{
			Name: "outcry_batch_duration_seconds", Help: "Time to decode, match, store and commit one batch.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		readyGauge: f.NewGauge(prometheus.GaugeOpts{
			Name: "outcry_ready", Help: "1 while Kafka and Redis calls succeed, 0 while retrying.",
		}),
		published: f.NewCounterVec(prometheus.CounterOpts{
			Name: "outcry_alerts_published_total", Help: "Incident events published to the alerts topic, by type.",
		}, []string{"type"}),
	}
	m.redisSeconds = f.NewHistogram(prometheus.HistogramOpts{
		Name: "outcry_redis_duration_seconds", Help: "Time of the one Redis write (all scopes, pipelined) of a batch.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	})
	m.lag = f.NewGaugeVec(prometheus.GaugeOpts{
		Name: "outcry_consumer_lag", Help: "Messages left in each posts partition after the last batch consumed from it.",
	}, []string{"partition"})
	m.open = f.NewGaugeVec(prometheus.GaugeOpts{
		Name: "outcry_incidents_open", Help: "1 while the service has an incident open (as seen by the instance that published it).",
	}, []string{"service"})
	m.ready(true)
	return m
}

func (m *Metrics) observe(st Stats) {
	m.consumed.Add(float64(st.Consumed))
	for r, n := range st.DeadByReason {
		m.deadLettered.WithLabelValues(r).Add(float64(n))
	}
}

func (m *Metrics) observeBatch(b *window.Batch) {
	type sk struct{ s, k string }
	sum := map[sk]int64{}
	for k, d := range b.Buckets {
		sum[sk{k.Service, "outage"}] += d.Complaints
		sum[sk{k.Service, "recovery"}] += d.Recoveries
		sum[sk{k.Service, "mention"}] += d.Posts - d.Complaints - d.Recoveries
	}
	for k, n := range sum {
		if n > 0 {
			m.matched.WithLabelValues(k.s, k.k).Add(float64(n))
		}
	}
}

func (m *Metrics) batch(d time.Duration) { m.batchSeconds.Observe(d.Seconds()) }

func (m *Metrics) ready(ok bool) {
	m.readyFlag.Store(ok)
	if ok {
		m.readyGauge.Set(1)
	} else {
		m.readyGauge.Set(0)
	}
}

// Ready reports whether the last Kafka and Redis calls succeeded.
func (m *Metrics) Ready() bool {
	return m.readyFlag.Load()
}

// Published counts a published alert event and tracks open incidents.
func (m *Metrics) Published(typ, service string) {
	m.published.WithLabelValues(typ).Inc()
	switch typ {
	case "outcry.incident.started":
		m.open.WithLabelValues(service).Set(1)
	case "outcry.incident.resolved":
		m.open.WithLabelValues(service).Set(0)
	}
}

func (m *Metrics) redis(d time.Duration) { m.redisSeconds.Observe(d.Seconds()) }

func (m *Metrics) lags(l map[int]int64) {
	for p, n := range l {
		m.lag.WithLabelValues(strconv.Itoa(p)).Set(float64(n))
	}
}
