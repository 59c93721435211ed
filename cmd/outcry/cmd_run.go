package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/outcry-dev/outcry/detectors/match"
	"github.com/outcry-dev/outcry/devstack"
	"github.com/outcry-dev/outcry/pipeline"
	"github.com/outcry-dev/outcry/webhook"
)

// kafkaFlags are the broker and topic flags of run, replay and tail.
type kafkaFlags struct {
	brokers, group, posts, alerts, dlq string
	session                            time.Duration
	sec                                kafkaSecFlags
}

func (k *kafkaFlags) register(cmd *cobra.Command, withGroup bool) {
	f := cmd.Flags()
	f.StringVar(&k.brokers, "brokers", "127.0.0.1:9092", "Kafka bootstrap brokers, comma-separated")
	f.StringVar(&k.posts, "posts-topic", "posts", "topic the posts are read from")
	f.StringVar(&k.alerts, "alerts-topic", "alerts", "topic the alert events are published to")
	if withGroup {
		f.StringVar(&k.group, "group", "outcry", "Kafka consumer group (a new group starts from the earliest offset)")
		f.StringVar(&k.dlq, "dlq-topic", "posts.dlq", "dead-letter topic for messages that are not usable posts")
		f.DurationVar(&k.session, "session-timeout", 10*time.Second, "how long the group waits for a silent member before moving its partitions")
	}
	k.sec.register(f)
}

func (k *kafkaFlags) config(cmd *cobra.Command) (pipeline.KafkaConfig, error) {
	b := devstack.SplitAddrs(k.brokers)
	if len(b) == 0 {
		return pipeline.KafkaConfig{}, fmt.Errorf("%s is empty: give host:port[,host:port...]", flagName(cmd, "brokers"))
	}
	sec, err := k.sec.security(cmd)
	if err != nil {
		return pipeline.KafkaConfig{}, err
	}
	return pipeline.KafkaConfig{Brokers: b, Group: k.group, PostsTopic: k.posts, AlertsTopic: k.alerts, DLQTopic: k.dlq,
		SessionTimeout: k.session, Security: sec}, nil
}

func newRunCmd(g *globals) *cobra.Command {
	var (
		kf                                  kafkaFlags
		rf                                  redisFlags
		rules                               string
		httpAddr                            string
		prefix                              string
		lateness                            time.Duration
		idle                                time.Duration
		maxPost                             int
		batch                               int
		hookURL, hookSecret, hookSecretFile string
		httpToken, httpTokenFile            string
		withPprof                           bool
	)
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the service: consume posts, count in Redis, publish alerts",
		Long: `Run consumes the posts topic in a consumer group, matches each post against the rules,
counts matches in event-time windows in Redis, evaluates every closed window against the
service's baseline and publishes incident events (CloudEvents) to the alerts topic.
Messages that are not usable posts go to the dead-letter topic with the reason in the
"outcry-dlq-reason" header. /metrics, /healthz and /readyz are served on --http.`,
		Example: `  outcry run --brokers 127.0.0.1:9092 --redis 127.0.0.1:6379
  OUTCRY_BROKERS=kafka:9092 OUTCRY_REDIS=redis:6379 outcry run --http 0.0.0.0:9464`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			defer log.Sync() //nolint:errcheck // nothing to do about a failed flush at exit
			kc, err := kf.config(cmd)
			if err != nil {
				return err
			}
			rs, err := loadRules(rules)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			rdb, err := rf.connect(ctx)
			if err != nil {
				return err
			}
			defer rdb.Close()
			reg := newRegistry()
			var ln net.Listener
			if httpAddr != "" {
				if ln, err = net.Listen("tcp", httpAddr); err != nil {
					return fmt.Errorf("--http %s: %w", httpAddr, err)
				}
			}
			var hook *webhook.Sink
			if hookURL != "" {
				secret := hookSecret
				if hookSecretFile != "" {
					b, err := os.ReadFile(hookSecretFile)
					if err != nil {
						return fmt.Errorf("--webhook-secret-file: %w", err)
					}
					secret = strings.TrimSpace(string(b))
				}
				if hook, err = webhook.New(webhook.Config{URL: hookURL, Secret: []byte(secret)}, nil, log); err != nil {
					return fmt.Errorf("%s: %w", flagName(cmd, "webhook-url"), err)
				}
			}
			hub := newHub(rs, log)
			live := match.NewLive(rs)
			var svc *service
			var watch func(context.Context) error
			if rules != "" {
				watch = watchRules(rules, live, 2*time.Second, func(r *match.Rules) {
					var names []string
					for _, s := range r.Services() {
						names = append(names, s.Name)
					}
					svc.mon.AddServices(names)
				}, log)
			}
			svc, err = newService(serviceOptions{
				Hub: hub, Matcher: live, Webhook: hook,
				Kafka: kc, Redis: rdb, Prefix: prefix, Rules: rs, Registry: reg,
				Pipeline: pipeline.Config{Lateness: lateness, MaxPostBytes: maxPost, BatchSize: batch}, Idle: idle,
			}, log)
			if err != nil {
				return err
			}
			defer svc.Close()
			log.Info("outcry running", zap.Strings("brokers", kc.Brokers), zap.String("group", kc.Group),
				zap.String("posts_topic", kc.PostsTopic), zap.String("alerts_topic", kc.AlertsTopic),
				zap.String("redis", rf.display()), zap.Int("services", len(rs.Services())))
			eg, ctx := errgroup.WithContext(ctx)
			eg.Go(func() error { return svc.pipe.Run(ctx) })
			if httpTokenFile != "" {
				b, err := os.ReadFile(httpTokenFile)
				if err != nil {
					return fmt.Errorf("--http-token-file: %w", err)
				}
				httpToken = strings.TrimSpace(string(b))
			}
			if ln != nil {
				eg.Go(func() error { return serveHTTP(ctx, ln, hub, reg, svc.metrics.Ready, httpToken, withPprof, log) })
			}
			if watch != nil {
				eg.Go(func() error { return watch(ctx) })
			}
			err = eg.Wait()
			if err == nil || context.Cause(ctx) == context.Canceled {
				log.Info("outcry stopped")
				return nil
			}
			return err
		},
	}
	kf.register(cmd, true)
	f := cmd.Flags()
	rf.register(f, "127.0.0.1:6379")
	f.StringVar(&rules, "rules", "", "rules YAML file (default: the embedded rule set); reloaded on SIGHUP and when it changes")
	f.StringVar(&httpAddr, "http", "127.0.0.1:9464", "address for the live page (/), /metrics, /healthz and /readyz (empty to disable)")
	f.StringVar(&prefix, "redis-prefix", "outcry", "prefix of every Redis key")
	f.DurationVar(&lateness, "lateness", 2*time.Minute, "how late (event time) a post may arrive and still be counted")
	f.DurationVar(&idle, "idle", 30*time.Second, "a partition without posts this long is not waited for; a live stream's windows then close with the clock")
	f.StringVar(&httpToken, "http-token", "", "require this bearer token on the live page and /metrics (prefer OUTCRY_HTTP_TOKEN or --http-token-file)")
	f.BoolVar(&withPprof, "pprof", false, "serve Go profiling at /debug/pprof/ on --http (behind --http-token when set)")
	f.StringVar(&httpTokenFile, "http-token-file", "", "file holding the HTTP bearer token")
	f.StringVar(&hookURL, "webhook-url", "", "also POST every alert event (CloudEvents JSON, HMAC-signed) to this URL")
	f.StringVar(&hookSecret, "webhook-secret", "", "HMAC-SHA256 key for the X-Outcry-Signature header (prefer OUTCRY_WEBHOOK_SECRET or --webhook-secret-file)")
	f.StringVar(&hookSecretFile, "webhook-secret-file", "", "file holding the webhook HMAC key")
	f.IntVar(&batch, "batch-size", 20000, "most messages per batch (one Redis write and one commit each)")
	f.IntVar(&maxPost, "max-post-bytes", pipeline.DefaultMaxPostBytes, "larger messages are dead-lettered")
	return cmd
}
