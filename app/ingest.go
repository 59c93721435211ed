package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/outcry-dev/outcry/ingest"
	"github.com/outcry-dev/outcry/ingest/jetstream"
	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/outcry-dev/outcry/source"
	"github.com/outcry-dev/outcry/store"
)

// Sources are the names `outcry ingest` and `outcry watch` take.
func Sources() []string { return []string{"bluesky"} }

// userAgent is sent to the sources, so that their operators can tell who connects.
const userAgent = "outcry (+https://github.com/outcry-dev/outcry)"

// NewSource returns the connector called name and its default (public) endpoints.
func NewSource(name string) (ingest.Source, []string, error) {
	switch name {
	case "bluesky":
		return &jetstream.Source{UserAgent: userAgent}, jetstream.Endpoints, nil
	}
	return nil, nil, fmt.Errorf("unknown source %q: want one of %s", name, strings.Join(Sources(), ", "))
}

// IngestOptions say what `outcry ingest` reads and where it writes.
type IngestOptions struct {
	Source string         // one of Sources()
	Ingest ingest.Options // Endpoints empty: the source's public ones
	// Kafka: brokers, the posts and dead-letter topics, SASL/TLS.
	Kafka       kafkaconn.Config
	Redis       redis.UniversalClient // the cursors' Redis; required
	RedisPrefix string
	HTTP        net.Listener // /metrics, /healthz and /readyz; nil for none
	HTTPToken   string
	// Registry receives the metrics; default a new one with the Go and process collectors.
	Registry *prometheus.Registry
}

// DefaultIngestOptions are the flags' defaults.
func DefaultIngestOptions() IngestOptions {
	d := Defaults()
	return IngestOptions{Source: "bluesky", Ingest: ingest.Defaults(), Kafka: d.Kafka, RedisPrefix: d.RedisPrefix}
}

// Ingest reads o.Source and produces its posts to the posts topic until ctx ends.
func Ingest(ctx context.Context, o IngestOptions, log *zap.Logger) error {
	src, endpoints, err := NewSource(o.Source)
	if err != nil {
		return err
	}
	if len(o.Ingest.Endpoints) == 0 {
		o.Ingest.Endpoints = slices.Clone(endpoints)
	}
	if err := o.Ingest.Validate(); err != nil {
		return err
	}
	if o.Redis == nil {
		return errors.New("ingest: a Redis client is required (it keeps the cursor)")
	}
	reg := o.Registry
	if reg == nil {
		reg = newRegistry()
	}
	m := ingest.NewMetrics(reg)
	w := kafkaconn.NewSecureWriter(o.Kafka.Brokers, o.Kafka.PostsTopic, o.Kafka.Security)
	dw := kafkaconn.NewSecureWriter(o.Kafka.Brokers, o.Kafka.DLQTopic, o.Kafka.Security)
	defer w.Close()
	defer dw.Close()
	st := store.New(o.Redis, store.Options{Prefix: o.RedisPrefix})
	// The HTTP server lasts as long as the ingest.
	ictx, cancel := context.WithCancel(ctx)
	defer cancel()
	eg, ectx := errgroup.WithContext(ictx)
	if o.HTTP != nil {
		eg.Go(func() error { return serveHTTP(ectx, o.HTTP, nil, reg, m.NotReady, o.HTTPToken, false, log) })
	}
	eg.Go(func() error {
		defer cancel()
		return ingest.Run(ectx, o.Ingest, ingest.Deps{
			Source: src, Producer: ingest.KafkaProducer{W: w},
			DLQ:     ingest.KafkaDLQ{D: &source.DLQ{W: dw, Limit: kafkaconn.TopicLimit(o.Kafka.Brokers, o.Kafka.Security, o.Kafka.DLQTopic)}},
			Cursors: st, Metrics: m, Log: log,
		})
	})
	return eg.Wait()
}
