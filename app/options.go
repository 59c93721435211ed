// Package app assembles Outcry: one Options value, with every default in one place, and
// New, which builds the whole data flow (docs/architecture.md) on given Kafka and Redis:
//
//	source → pipeline (post, match, counts) → store → monitor (detect) → alert sinks
//
// Every command that runs the pipeline (run, demo, backtest, bench) goes through New, so
// the end-to-end tests drive the same assembly the binary runs. cmd/outcry only turns
// flags, environment and a config file into Options.
package app

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/outcry-dev/outcry/alert/webhook"
	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/outcry-dev/outcry/match"
	"github.com/outcry-dev/outcry/pipeline"
	"github.com/outcry-dev/outcry/post"
)

// Options are everything a running Outcry needs. Zero values take the defaults of
// Defaults; Validate says what is out of range, naming the field.
type Options struct {
	// Kafka: brokers, consumer group, topics, session timeout, SASL/TLS.
	Kafka kafkaconn.Config
	// Redis is the client of the counters' Redis; required.
	Redis       redis.UniversalClient
	RedisPrefix string // prefix of every Redis key

	// Rules: default the embedded rule set. With RulesFile and Reload, the file is
	// reloaded on SIGHUP and when it changes; a bad file is refused and the old rules
	// keep running.
	Rules     *match.Rules
	RulesFile string
	// Reload turns on the rules watch (RulesFile) or, without a file, makes SIGHUP a
	// no-op rather than the end of the process. Only `run` sets it.
	Reload bool
	// Matcher overrides the matcher built from Rules (the benches pass a rules-only one).
	Matcher pipeline.Matcher

	// Bucket is the event-time bucket of the counters, the pipeline and the evaluation.
	Bucket time.Duration
	// Lateness is how late (event time) a post may arrive and still be counted.
	Lateness time.Duration
	// Idle: a partition without messages this long is not waited for, and a live
	// stream's watermark then follows the clock.
	Idle         time.Duration
	BatchSize    int           // most messages per batch: one Redis write and one commit each
	BatchWait    time.Duration // longest wait to fill a batch; default the pipeline's (100ms)
	Tick         time.Duration // how often the evaluator runs while no posts arrive; default the pipeline's (1s)
	MaxPostBytes int           // larger messages are dead-lettered
	MaxAge       time.Duration // a post this far behind the group's newest is dead-lettered as too_old
	// ShutdownTimeout bounds a shutdown: the batch in hand is stored and committed
	// within it if Redis and Kafka allow, else left to be consumed again.
	ShutdownTimeout time.Duration

	// HTTP, when set, serves the live page, /metrics, /healthz and /readyz on it.
	HTTP      net.Listener
	HTTPToken string // bearer token for everything but the health endpoints; "" for none
	Pprof     bool   // also serve /debug/pprof/ (behind HTTPToken)
	// Registry receives the metrics; default a new one with the Go and process collectors.
	Registry *prometheus.Registry

	Webhook *webhook.Sink // also POST every event here; nil for none
	// Alertmanagers, when given, are also sent every open incident as an alert
	// (alert/alertmanager; every one gets every alert: an HA pair), re-sent every
	// AlertmanagerResend (default 1m); PageURL (the live page's address as its
	// readers reach it) links the alerts to their incident.
	// NoSampleText keeps no post text with the sample complaints (the live page then
	// shows their ids only).
	NoSampleText bool
	// MetricServices is how many services (the first of the rules) have series of
	// their own in outcry_posts_matched_total; the others are summed under
	// service="_other" (pipeline.Metrics.TrackServices).
	MetricServices     int
	Alertmanagers      []string
	AlertmanagerResend time.Duration
	PageURL            string
	// OnEvent is called with every alert event after it is published.
	OnEvent func(incident.Event)
	// OnBatch is called with the running totals after every committed batch.
	OnBatch func(pipeline.Stats)
	// OnBucket is called with the time each closed bucket's evaluation took (bench).
	OnBucket func(time.Duration)
}

// Defaults returns the options every command starts from: the flags' defaults.
func Defaults() Options {
	return Options{
		Kafka: kafkaconn.Config{
			Brokers: []string{"127.0.0.1:9092"}, Group: "outcry",
			PostsTopic: "posts", AlertsTopic: "alerts", DLQTopic: "posts.dlq",
			SessionTimeout: 10 * time.Second,
		},
		RedisPrefix:     "outcry",
		Bucket:          counts.DefaultBucket,
		Lateness:        counts.DefaultLateness,
		Idle:            30 * time.Second,
		BatchSize:       pipeline.DefaultBatchSize,
		MaxPostBytes:    post.DefaultMaxPostBytes,
		MaxAge:          pipeline.DefaultMaxAge,
		ShutdownTimeout: 30 * time.Second,
		MetricServices:  pipeline.DefaultMetricServices,
		// Alertmanager's own resolve timeout is 5m: a minute leaves room for misses.
		AlertmanagerResend: time.Minute,
	}
}

// minShutdown is the shortest ShutdownTimeout: the Kafka reader alone may take 2 s to close.
const minShutdown = 5 * time.Second

// WithDefaults returns o with its zero values taken from Defaults.
func (o Options) WithDefaults() Options {
	d := Defaults()
	k := &o.Kafka
	if len(k.Brokers) == 0 {
		k.Brokers = d.Kafka.Brokers
	}
	k.Group = cmp.Or(k.Group, d.Kafka.Group)
	k.PostsTopic = cmp.Or(k.PostsTopic, d.Kafka.PostsTopic)
	k.AlertsTopic = cmp.Or(k.AlertsTopic, d.Kafka.AlertsTopic)
	k.DLQTopic = cmp.Or(k.DLQTopic, d.Kafka.DLQTopic)
	k.SessionTimeout = cmp.Or(k.SessionTimeout, d.Kafka.SessionTimeout)
	o.AlertmanagerResend = cmp.Or(o.AlertmanagerResend, d.AlertmanagerResend)
	o.RedisPrefix = cmp.Or(o.RedisPrefix, d.RedisPrefix)
	o.Bucket = cmp.Or(o.Bucket, d.Bucket)
	o.Lateness = cmp.Or(o.Lateness, d.Lateness)
	o.Idle = cmp.Or(o.Idle, d.Idle)
	o.BatchSize = cmp.Or(o.BatchSize, d.BatchSize)
	o.MaxPostBytes = cmp.Or(o.MaxPostBytes, d.MaxPostBytes)
	o.MaxAge = cmp.Or(o.MaxAge, d.MaxAge)
	o.ShutdownTimeout = cmp.Or(o.ShutdownTimeout, d.ShutdownTimeout)
	o.MetricServices = cmp.Or(o.MetricServices, d.MetricServices)
	if o.Rules == nil {
		o.Rules = match.DefaultRules()
	}
	return o
}

// FieldError is an option out of its range; Field names the Options field
// (Kafka.SessionTimeout for a nested one), so that a command can name its flag.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Validate checks the options as they are: a zero where a positive value is needed is an
// error here (a flag set to 0), while New fills zero values from Defaults first.
func (o Options) Validate() error {
	if st := o.Kafka.SessionTimeout; st < 100*time.Millisecond || st > 30*time.Minute {
		return &FieldError{"Kafka.SessionTimeout", fmt.Sprintf("%s: want 100ms to 30m (Apache Kafka's group.min/max.session.timeout.ms allow 6s to 30m by default)", st)}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"BatchSize", o.BatchSize}, {"MaxPostBytes", o.MaxPostBytes}, {"MetricServices", o.MetricServices}} {
		if f.v <= 0 {
			return &FieldError{f.name, fmt.Sprintf("%d: want a positive number", f.v)}
		}
	}
	for _, f := range []struct {
		name string
		v    time.Duration
	}{{"Bucket", o.Bucket}, {"Lateness", o.Lateness}, {"MaxAge", o.MaxAge}, {"Idle", o.Idle}, {"ShutdownTimeout", o.ShutdownTimeout}} {
		if f.v <= 0 {
			return &FieldError{f.name, fmt.Sprintf("%s: want a positive duration", f.v)}
		}
	}
	if r := o.AlertmanagerResend; r < time.Second || r > time.Hour {
		return &FieldError{"AlertmanagerResend", fmt.Sprintf("%s: want 1s to 1h (Alertmanager resolves an alert not re-sent within its resolve timeout, 5m by default)", r)}
	}
	for _, u := range o.Alertmanagers {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return &FieldError{"Alertmanagers", fmt.Sprintf("%q: want http://host:9093 or https://host/prefix", u)}
		}
	}
	if o.ShutdownTimeout < minShutdown {
		return &FieldError{"ShutdownTimeout", fmt.Sprintf("%s: want at least %s (the Kafka reader alone may take 2 s to close)", o.ShutdownTimeout, minShutdown)}
	}
	if err := o.pipelineConfig().Validate(); err != nil {
		var ce *pipeline.ConfigError
		if errors.As(err, &ce) {
			if ce.Field == "Drain" {
				ce.Field = "ShutdownTimeout" // Drain is derived from it
			}
			return &FieldError{ce.Field, ce.Msg}
		}
		return err
	}
	return nil
}

// pipelineConfig is the pipeline's share of the options (group, topic and services are
// added by New).
func (o Options) pipelineConfig() pipeline.Config {
	return pipeline.Config{
		Bucket: o.Bucket, Lateness: o.Lateness, MaxPostBytes: o.MaxPostBytes, BatchSize: o.BatchSize, MaxAge: o.MaxAge,
		NoSampleText: o.NoSampleText,
		BatchWait:    o.BatchWait, Tick: o.Tick,
		Drain: drainTime(o.ShutdownTimeout),
	}
}

// drainTime is how much of the shutdown time the pipeline may spend storing the batch
// in hand: the rest is for closing the Kafka clients.
func drainTime(shutdown time.Duration) time.Duration {
	return max(shutdown-4*time.Second, shutdown/2)
}
