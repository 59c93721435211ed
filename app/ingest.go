package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/outcry-dev/outcry/ingest"
	"github.com/outcry-dev/outcry/ingest/jetstream"
	"github.com/outcry-dev/outcry/ingest/mastodon"
	"github.com/outcry-dev/outcry/ingest/xstream"
	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/outcry-dev/outcry/match"
	"github.com/outcry-dev/outcry/source"
	"github.com/outcry-dev/outcry/store"
)

// Sources are the names `outcry ingest` and `outcry watch` take.
func Sources() []string { return []string{"bluesky", "mastodon", "x"} }

// userAgent is sent to the sources, so that their operators can tell who connects.
const userAgent = "outcry (+https://github.com/outcry-dev/outcry)"

// SourceOptions configure the connectors.
type SourceOptions struct {
	// Token is the access token of mastodon (a user token with read:statuses) and x
	// (an app bearer token); bluesky needs none.
	Token string
	// Rules (x): the stream's rules are derived from the names of these services
	// (XServices of them, when given); default the embedded rules.
	Rules     *match.Rules
	XServices []string
	// XMaxRules and XMaxLen are the X account's limits on stream rules (default
	// Pro's: 1,000 rules of 1,024 characters).
	XMaxRules, XMaxLen int
	// XBackfill asks X to resend what a reconnect missed (Pro and Enterprise only).
	XBackfill bool
	Log       *zap.Logger
}

// ErrNoToken says a source that needs a token was given none.
var ErrNoToken = errors.New("needs a token")

// NewSource returns the connector called name, its default (public) endpoints and
// the name its cursor and metrics go by.
func NewSource(name string, o SourceOptions) (ingest.Source, []string, error) {
	switch name {
	case "bluesky":
		return &jetstream.Source{UserAgent: userAgent}, jetstream.Endpoints, nil
	case "mastodon":
		if o.Token == "" {
			return nil, nil, fmt.Errorf("mastodon %w: a user access token with the read:statuses scope, from the server's Preferences → Development (Mastodon 4.2 and later refuse the public stream without one)", ErrNoToken)
		}
		return &mastodon.Source{Token: o.Token, UserAgent: userAgent, Log: o.Log}, []string{mastodon.DefaultEndpoint}, nil
	case "x":
		if o.Token == "" {
			return nil, nil, fmt.Errorf("x %w: the bearer token of an X developer app with filtered-stream access (Pro or Enterprise)", ErrNoToken)
		}
		rules, err := xRules(o)
		if err != nil {
			return nil, nil, err
		}
		return &xstream.Source{Token: o.Token, UserAgent: userAgent, Rules: rules, Backfill: o.XBackfill, Log: o.Log}, xstream.Endpoints, nil
	}
	return nil, nil, fmt.Errorf("unknown source %q: want one of %s", name, strings.Join(Sources(), ", "))
}

// xRules derives X's stream rules from the services' names. Names of one or two
// letters ("x", "wa", "tt") are left out: as keywords they would deliver (and bill) a
// large share of everything posted on X.
func xRules(o SourceOptions) ([]xstream.Rule, error) {
	rs := o.Rules
	if rs == nil {
		rs = match.DefaultRules()
	}
	names := rs.Names()
	if len(o.XServices) > 0 {
		for _, s := range o.XServices {
			if !slices.Contains(names, s) {
				return nil, fmt.Errorf("x: no service %q in the rules", s)
			}
		}
		names = o.XServices
	}
	aliases := func(svc string) []string {
		var out []string
		for _, a := range rs.Aliases(svc) {
			if utf8.RuneCountInString(a) >= 3 || !isLatin(a) && utf8.RuneCountInString(a) >= 2 {
				out = append(out, a)
			}
		}
		return out
	}
	maxRules, maxLen := o.XMaxRules, o.XMaxLen
	if maxRules == 0 {
		maxRules = xstream.ProMaxRules
	}
	if maxLen == 0 {
		maxLen = xstream.ProMaxLen
	}
	rules, err := xstream.DeriveRules(names, aliases, maxRules, maxLen)
	if err != nil {
		return nil, fmt.Errorf("x: %w (follow fewer services with --x-services)", err)
	}
	return rules, nil
}

// isLatin reports whether s is written in Latin letters (and digits and marks) only.
func isLatin(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) && !unicode.Is(unicode.Latin, r) {
			return false
		}
	}
	return true
}

// cursorName is the name a source's cursor and metrics go by: a Mastodon server's
// stream is its own (another server is another account and another timeline).
func cursorName(source string, endpoints []string) string {
	if source != "mastodon" || len(endpoints) == 0 {
		return source
	}
	if u, err := url.Parse(endpoints[0]); err == nil && u.Host != "" {
		return source + ":" + u.Host
	}
	return source
}

// openSource builds the connector called name with its endpoints (the public ones
// when in has none), checks in, and returns the name its cursor and metrics go by.
func openSource(name string, so SourceOptions, in ingest.Options, log *zap.Logger) (ingest.Source, ingest.Options, string, error) {
	if so.Log == nil {
		so.Log = log
	}
	src, endpoints, err := NewSource(name, so)
	if err != nil {
		return nil, in, "", err
	}
	if len(in.Endpoints) == 0 {
		in.Endpoints = slices.Clone(endpoints)
	}
	if err := in.Validate(); err != nil {
		return nil, in, "", err
	}
	return src, in, cursorName(name, in.Endpoints), nil
}

// IngestOptions say what `outcry ingest` reads and where it writes.
type IngestOptions struct {
	Source     string         // one of Sources()
	SourceOpts SourceOptions  // tokens and X's rules
	Ingest     ingest.Options // Endpoints empty: the source's public ones
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
	src, in, name, err := openSource(o.Source, o.SourceOpts, o.Ingest, log)
	if err != nil {
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
		return ingest.Run(ectx, in, ingest.Deps{
			Source: src, Producer: ingest.KafkaProducer{W: w},
			DLQ:     ingest.KafkaDLQ{D: &source.DLQ{W: dw, Limit: kafkaconn.TopicLimit(o.Kafka.Brokers, o.Kafka.Security, o.Kafka.DLQTopic)}},
			Cursors: st, Name: name, Metrics: m, Log: log,
		})
	})
	return eg.Wait()
}
