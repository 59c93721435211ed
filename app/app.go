package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/alert"
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

// serviceOptions are everything `run`, `demo` and `backtest` share.
type serviceOptions struct {
	Kafka  kafkaconn.Config
	Redis  redis.UniversalClient
	Prefix string // Redis key prefix
	Rules  *match.Rules
	// Matcher: default a match.Live on Rules; run passes the Live its reloads swap.
	Matcher  pipeline.Matcher
	Pipeline pipeline.Config
	// Idle: a partition without messages this long is not waited for, and a live
	// stream's watermark then follows the clock.
	Idle     time.Duration
	Registry *prometheus.Registry // nil: metrics are not exported
	OnEvent  func(incident.Event)
	OnBatch  func(pipeline.Stats)
	Hub      *web.Hub      // the live page's state; nil without a page
	Webhook  *webhook.Sink // also POST every event here; nil for none
}

// service is the whole data flow of DESIGN.md on given Kafka and Redis.
type service struct {
	reader  *kafka.Reader
	alertsW *kafka.Writer
	dlqW    *kafka.Writer
	pipe    *pipeline.Pipeline
	mon     *monitor.Monitor
	metrics *pipeline.Metrics
}

func newService(o serviceOptions, log *zap.Logger) (*service, error) {
	reg := o.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	metrics := pipeline.NewMetrics(reg)
	st := store.New(o.Redis, store.Options{Prefix: o.Prefix, Bucket: o.Pipeline.Bucket})
	var services []string
	for _, s := range o.Rules.Services() {
		services = append(services, s.Name)
	}
	s := &service{
		reader:  source.NewReader(o.Kafka, log, metrics),
		alertsW: kafkaconn.NewSecureWriter(o.Kafka.Brokers, o.Kafka.AlertsTopic, o.Kafka.Security),
		dlqW:    kafkaconn.NewSecureWriter(o.Kafka.Brokers, o.Kafka.DLQTopic, o.Kafka.Security),
		metrics: metrics,
	}
	alerts := &kafkasink.Alerts{W: s.alertsW, Metrics: metrics}
	instance := instanceName()
	var onVerdict func(string, evaluate.Verdict)
	if o.Hub != nil {
		onVerdict = o.Hub.Observe
	}
	mon, err := monitor.New(monitor.Config{
		Services: services, Group: o.Kafka.Group, Topic: o.Kafka.PostsTopic,
		Instance: instance,
		Backlog: func(ctx context.Context) (map[int]int64, error) {
			return source.Backlog(ctx, o.Kafka.Brokers, o.Kafka.Security, o.Kafka.Group, o.Kafka.PostsTopic)
		},
		Lateness: o.Pipeline.Lateness,
		Idle:     o.Idle,
	}, monitor.Deps{
		Reader: st, Claimer: st, Coordinator: st, Hours: st, Trimmer: st, Activity: st,
		Publisher: publisher(alerts, o.Webhook),
		Verifier:  alerts,
		OnEvent: func(e incident.Event) {
			if o.Hub != nil {
				o.Hub.Event(e)
			}
			if o.OnEvent != nil {
				o.OnEvent(e)
			}
		},
		OnVerdict: onVerdict,
	}, log)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.mon = mon
	pc := o.Pipeline
	pc.Group, pc.Topic, pc.Services, pc.Instance = o.Kafka.Group, o.Kafka.PostsTopic, services, instance
	if o.Matcher == nil {
		o.Matcher = match.NewLive(o.Rules)
	}
	p, err := pipeline.New(pc, pipeline.Deps{
		Source: s.reader, Counters: st, Matcher: o.Matcher, Evaluator: s.mon,
		DeadLetters: &source.DLQ{W: s.dlqW, Limit: kafkaconn.TopicLimit(o.Kafka.Brokers, o.Kafka.Security, o.Kafka.DLQTopic)},
		Metrics:     metrics,
		OnBatch:     o.OnBatch,
	}, log)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.pipe = p
	return s, nil
}

// Close releases the Kafka clients (the reader leaves the group).
func (s *service) Close() error {
	return errors.Join(s.reader.Close(), s.alertsW.Close(), s.dlqW.Close())
}

// publisher is the alerts topic, and the webhook when there is one.
func publisher(alerts monitor.Publisher, hook *webhook.Sink) monitor.Publisher {
	if hook == nil {
		return alerts
	}
	return &alert.Fanout{Sinks: []alert.Publisher{alerts, hook}}
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

func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// loadRules reads the rules file, or the embedded default set when path is empty.
func loadRules(path string) (*match.Rules, error) {
	if path == "" {
		return match.DefaultRules(), nil
	}
	r, err := match.LoadRules(path)
	if err != nil {
		return nil, fmt.Errorf("--rules: %w", err)
	}
	return r, nil
}
