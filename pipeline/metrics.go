package pipeline

import (
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outcry-dev/outcry/counts"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are the pipeline's Prometheus metrics, registered on an injected registry.
type Metrics struct {
	consumed prometheus.Counter
	matched  *prometheus.CounterVec
	// matched's counters by service (matchedKinds), looked up in a map
	// rather than by hashing the labels: a batch names thousands of services. Only
	// the storing stage uses it; it is emptied when the labelled services change
	// (byTracked is the set it was filled with).
	byService map[string]*[3]prometheus.Counter
	byTracked *map[string]bool
	// tracked are the services with series of their own in matched (the first of
	// the rules, TrackServices); the others are summed under OtherServices. nil:
	// every service has its own.
	tracked      atomic.Pointer[map[string]bool]
	deadLettered *prometheus.CounterVec
	batchSeconds prometheus.Histogram
	published    *prometheus.CounterVec
	redisSeconds prometheus.Histogram
	lag          *prometheus.GaugeVec
	open         *prometheus.GaugeVec
	fetchErrors  prometheus.Counter
	dlqDropped   *prometheus.CounterVec

	// Readiness: the operations failing now (op → error), and when the Kafka reader
	// last reported a failure of its own or last delivered a message.
	mu        sync.Mutex
	failing   map[string]string
	readerErr time.Time
	readerMsg string
	readerOK  time.Time
	dlqBroken string // why dead letters cannot be written, empty while they can
	now       func() time.Time
}

// NewMetrics registers the pipeline metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	m := &Metrics{
		byService: map[string]*[3]prometheus.Counter{},
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
		published: f.NewCounterVec(prometheus.CounterOpts{
			Name: "outcry_alerts_published_total", Help: "Incident events published to the alerts topic, by type.",
		}, []string{"type"}),
	}
	m.fetchErrors = f.NewCounter(prometheus.CounterOpts{
		Name: "outcry_fetch_errors_total", Help: "Failed fetches of the posts topic (the pipeline backs off and fetches again).",
	})
	m.dlqDropped = f.NewCounterVec(prometheus.CounterOpts{
		Name: "outcry_dead_letters_unwritable_total",
		Help: "Dead letters the dead-letter topic refused (the posts were counted as dead-lettered, but are not on the topic), by reason.",
	}, []string{"reason"})
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
	m.failing = map[string]string{}
	m.now = time.Now
	f.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "outcry_ready", Help: "1 while the pipeline works as it should; 0 while Kafka or Redis calls are retried, the Kafka reader keeps failing or the dead-letter topic refuses writes (see /readyz).",
	}, func() float64 {
		if m.Ready() {
			return 1
		}
		return 0
	})
	return m
}

func (m *Metrics) observe(st Stats) {
	m.consumed.Add(float64(st.Consumed))
	for r, n := range st.DeadByReason {
		m.deadLettered.WithLabelValues(r).Add(float64(n))
	}
}

// OtherServices is the service label of outcry_posts_matched_total for the services
// past the first ones of the rules (TrackServices). A rules file cannot name a
// service so: a service name starts with a letter or a digit.
const OtherServices = "_other"

// DefaultMetricServices is how many services have series of their own in
// outcry_posts_matched_total by default: every service of rules files of the
// usual size, at most 3,003 series at 50,000 services.
const DefaultMetricServices = 1000

// TrackServices gives the first n of services (the rules' services, in their
// order) series of their own in outcry_posts_matched_total and sums the others
// under OtherServices: with tens of thousands of services, a series per service
// and kind is more than a Prometheus should hold. Called again when the rules
// change; n < 1 gives every service its own.
func (m *Metrics) TrackServices(services []string, n int) {
	if n < 1 || n >= len(services) {
		m.tracked.Store(nil)
		return
	}
	set := make(map[string]bool, n)
	for _, s := range services[:n] {
		set[s] = true
	}
	m.tracked.Store(&set)
}

func (m *Metrics) observeBatch(b *counts.Batch) {
	if t := m.tracked.Load(); t != m.byTracked {
		clear(m.byService) // a service may have moved in or out of the tracked ones
		m.byTracked = t
	}
	for k, d := range b.Buckets {
		c := m.byService[k.Service]
		if c == nil {
			c = &[3]prometheus.Counter{}
			m.byService[k.Service] = c
		}
		for i, n := range [3]int64{d.Posts - d.Complaints - d.Recoveries, d.Complaints, d.Recoveries} {
			if n > 0 {
				if c[i] == nil { // a series only for the kinds seen
					label := k.Service
					if m.byTracked != nil && !(*m.byTracked)[label] {
						label = OtherServices
					}
					c[i] = m.matched.WithLabelValues(label, matchedKinds[i])
				}
				c[i].Add(float64(n))
			}
		}
	}
}

// matchedKinds are the kind labels of outcry_posts_matched_total, in byService's order.
var matchedKinds = [3]string{"mention", "outage", "recovery"}

func (m *Metrics) batch(d time.Duration) { m.batchSeconds.Observe(d.Seconds()) }

// readerQuiet is how long after the Kafka reader's last reported failure it counts as
// healthy again when no message has come since (an idle topic delivers none).
const readerQuiet = 15 * time.Second

// failed records that op is failing (nil err: it succeeded again).
func (m *Metrics) failed(op string, err error) {
	m.mu.Lock()
	if err == nil {
		delete(m.failing, op)
	} else {
		m.failing[op] = err.Error()
	}
	m.mu.Unlock()
}

// ReaderFailed records a failure the Kafka reader reported (it retries by itself, so
// FetchMessage only blocks): the pipeline is not ready until a message comes or the
// reader has been quiet for a while.
func (m *Metrics) ReaderFailed(msg string) {
	m.mu.Lock()
	m.readerErr, m.readerMsg = m.now(), msg
	m.mu.Unlock()
}

func (m *Metrics) fetched() {
	m.mu.Lock()
	m.readerOK = m.now()
	m.mu.Unlock()
}

// deadLettersUnwritable records dead letters the topic refused for good.
func (m *Metrics) deadLettersUnwritable(n int, reason string) {
	m.dlqDropped.WithLabelValues(reason).Add(float64(n))
	m.mu.Lock()
	m.dlqBroken = reason
	m.mu.Unlock()
}

// deadLettersWritten records that dead letters were written again.
func (m *Metrics) deadLettersWritten() {
	m.mu.Lock()
	m.dlqBroken = ""
	m.mu.Unlock()
}

// NotReady lists why the pipeline is not ready, sorted; none when it is: Kafka or
// Redis calls being retried, a Kafka reader that keeps failing, a dead-letter topic
// that refuses what is sent to it.
func (m *Metrics) NotReady() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for op, err := range m.failing {
		out = append(out, op+": "+err)
	}
	if !m.readerErr.IsZero() && !m.readerErr.Before(m.readerOK) && m.now().Sub(m.readerErr) < readerQuiet {
		out = append(out, "kafka reader: "+m.readerMsg)
	}
	if m.dlqBroken != "" {
		out = append(out, "dead-letter topic unwritable: "+m.dlqBroken)
	}
	slices.Sort(out)
	return out
}

// Ready reports whether the pipeline works as it should (see NotReady).
func (m *Metrics) Ready() bool { return len(m.NotReady()) == 0 }

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
