package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/outcry-dev/outcry/alert"
	"github.com/outcry-dev/outcry/alert/alertmanager"
	"github.com/outcry-dev/outcry/alert/kafkasink"
	"github.com/outcry-dev/outcry/alert/webhook"
	"github.com/outcry-dev/outcry/detect/evaluate"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/outcry-dev/outcry/match"
	"github.com/outcry-dev/outcry/monitor"
	"github.com/outcry-dev/outcry/pipeline"
	"github.com/outcry-dev/outcry/source"
	"github.com/outcry-dev/outcry/store"
	"github.com/outcry-dev/outcry/web"
)

// App is Outcry assembled: the Kafka reader and writers, the pipeline, the monitor and,
// when asked for, the HTTP server and the rules watch.
type App struct {
	opts    Options
	log     *zap.Logger
	reader  *kafka.Reader
	alertsW *kafka.Writer
	dlqW    *kafka.Writer
	pipe    *pipeline.Pipeline
	mon     *monitor.Monitor
	metrics *pipeline.Metrics
	reg     *prometheus.Registry
	hub     *web.Hub           // the live page's state; nil without HTTP
	am      *alertmanager.Sink // nil without Alertmanagers
	live    *match.Live
}

// New assembles Outcry on the options' Kafka and Redis. Zero options take Defaults;
// nothing is connected until Run (the Kafka clients dial lazily; Redis is the caller's).
func New(o Options, log *zap.Logger) (*App, error) {
	o = o.WithDefaults()
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	if o.Redis == nil {
		return nil, errors.New("app: a Redis client is required")
	}
	reg := o.Registry
	if reg == nil {
		reg = newRegistry()
	}
	metrics := pipeline.NewMetrics(reg)
	st := store.New(o.Redis, store.Options{Prefix: o.RedisPrefix, Bucket: o.Bucket, Log: log.With(zap.String("component", "store"))})
	services := o.Rules.Names()
	metrics.TrackServices(services, o.MetricServices)
	a := &App{
		opts: o, log: log, reg: reg, metrics: metrics,
		reader:  source.NewReader(o.Kafka, log, metrics),
		alertsW: kafkaconn.NewSecureWriter(o.Kafka.Brokers, o.Kafka.AlertsTopic, o.Kafka.Security),
		dlqW:    kafkaconn.NewSecureWriter(o.Kafka.Brokers, o.Kafka.DLQTopic, o.Kafka.Security),
	}
	if o.HTTP != nil {
		a.hub = newHub(o.Rules, log)
	}
	evalSeconds := promauto.With(reg).NewHistogram(prometheus.HistogramOpts{
		Name: "outcry_bucket_evaluation_seconds", Help: "Time to evaluate one closed bucket of every service (Redis reads apart).",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
	})
	alerts := &kafkasink.Alerts{W: a.alertsW, Metrics: metrics}
	if len(o.Alertmanagers) > 0 {
		owners := map[string][2]string{}
		for _, s := range o.Rules.Services() {
			owners[s.Name] = [2]string{s.Display, s.Owner}
		}
		var err error
		a.am, err = alertmanager.New(alertmanager.Config{URLs: o.Alertmanagers, Resend: o.AlertmanagerResend, PageURL: o.PageURL,
			Service: func(name string) (string, string) {
				if d, ok := owners[name]; ok && d[1] != "" {
					return d[0], d[1]
				}
				return name, name
			}}, nil, log, alertmanager.NewMetrics(reg))
		if err != nil {
			return nil, fmt.Errorf("app: %w", err)
		}
	}
	instance := instanceName()
	var onVerdict func(string, evaluate.Verdict)
	if a.hub != nil {
		onVerdict = a.hub.Observe
	}
	mon, err := monitor.New(monitor.Config{
		Services: services, Group: o.Kafka.Group, Topic: o.Kafka.PostsTopic,
		Instance: instance,
		Evaluate: evaluate.Params{Bucket: o.Bucket}, // the store's and the pipeline's bucket
		Backlog: func(ctx context.Context) (map[int]int64, error) {
			return source.Backlog(ctx, o.Kafka.Brokers, o.Kafka.Security, o.Kafka.Group, o.Kafka.PostsTopic)
		},
		Lateness: o.Lateness,
		Idle:     o.Idle,
	}, monitor.Deps{
		Reader: st, Claimer: st, Coordinator: st, Hours: st, Trimmer: st, Activity: st,
		Publisher: publisher(alerts, o.Webhook, a.am),
		Verifier:  alerts,
		OnEvent: func(e incident.Event) {
			if a.hub != nil {
				a.hub.Event(e)
			}
			if o.OnEvent != nil {
				o.OnEvent(e)
			}
		},
		OnVerdict: onVerdict,
		OnBucket: func(d time.Duration) {
			evalSeconds.Observe(d.Seconds())
			if o.OnBucket != nil {
				o.OnBucket(d)
			}
		},
	}, log)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.mon = mon
	pc := o.pipelineConfig()
	pc.Group, pc.Topic, pc.Services, pc.Instance = o.Kafka.Group, o.Kafka.PostsTopic, services, instance
	m := o.Matcher
	if m == nil {
		a.live = match.NewLive(o.Rules)
		m = a.live
	}
	p, err := pipeline.New(pc, pipeline.Deps{
		Source: a.reader, Counters: st, Matcher: m, Evaluator: a.mon,
		DeadLetters: &source.DLQ{W: a.dlqW, Limit: kafkaconn.TopicLimit(o.Kafka.Brokers, o.Kafka.Security, o.Kafka.DLQTopic)},
		Metrics:     metrics,
		OnBatch:     o.OnBatch,
	}, log)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.pipe = p
	return a, nil
}

// Run consumes, counts, evaluates and publishes until ctx ends, with the HTTP server
// and the rules watch when the options ask for them. It returns nil on cancellation
// after the batch in hand is stored and committed.
func (a *App) Run(ctx context.Context) error {
	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error { return a.pipe.Run(ctx) })
	if a.am != nil {
		eg.Go(func() error { return a.am.Run(ctx) })
	}
	if a.opts.HTTP != nil {
		eg.Go(func() error {
			return serveHTTP(ctx, a.opts.HTTP, a.hub, a.reg, a.metrics.NotReady, a.opts.HTTPToken, a.opts.Pprof, a.log)
		})
	}
	if a.opts.Reload {
		if a.opts.RulesFile != "" && a.live != nil {
			watch := watchRules(a.opts.RulesFile, a.live, 2*time.Second, func(r *match.Rules) {
				a.mon.AddServices(r.Names())
				a.metrics.TrackServices(r.Names(), a.opts.MetricServices)
			}, a.log)
			eg.Go(func() error { return watch(ctx) })
		} else {
			eg.Go(func() error { return ignoreHangups(ctx, a.log) })
		}
	}
	return eg.Wait()
}

// Flush closes every bucket up to watermark and publishes what they hold: the end of
// a finite input (a backtest, the demo).
func (a *App) Flush(ctx context.Context, watermark time.Time) error {
	return a.pipe.Flush(ctx, watermark)
}

// Stats are the pipeline's running totals.
func (a *App) Stats() pipeline.Stats { return a.pipe.Stats() }

// NotReady says why the service is not ready (empty when it is): /readyz.
func (a *App) NotReady() []string { return a.metrics.NotReady() }

// Close releases the Kafka clients (the reader leaves the group).
func (a *App) Close() error {
	return errors.Join(a.reader.Close(), a.alertsW.Close(), a.dlqW.Close())
}

// publisher is the alerts topic, and the webhook when there is one.
func publisher(alerts monitor.Publisher, hook *webhook.Sink, am *alertmanager.Sink) monitor.Publisher {
	sinks := []alert.Publisher{alerts}
	if hook != nil {
		sinks = append(sinks, hook)
	}
	if am != nil {
		sinks = append(sinks, am)
	}
	if len(sinks) == 1 {
		return alerts
	}
	return &alert.Fanout{Sinks: sinks}
}

// instanceName names this process for the evaluator lease.
func instanceName() string {
	h, _ := os.Hostname()
	return fmt.Sprintf("%s-%d-%d", h, os.Getpid(), time.Now().UnixNano()%1e6)
}

// newHub returns the live page's state for the services of rs.
func newHub(rs *match.Rules, log *zap.Logger) *web.Hub {
	var svcs []web.Service
	for _, s := range rs.Services() {
		svcs = append(svcs, web.Service{Name: s.Name, Display: s.Display})
	}
	return web.NewHub(svcs, log)
}

// newRegistry returns a metrics registry with the Go and process collectors.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}
