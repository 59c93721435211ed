package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/outcry-dev/outcry/alert/webhook"
	"github.com/outcry-dev/outcry/devstack"
	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/outcry-dev/outcry/match"
	"github.com/outcry-dev/outcry/pipeline"
	"github.com/outcry-dev/outcry/post"
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

func (k *kafkaFlags) config(cmd *cobra.Command) (kafkaconn.Config, error) {
	b := devstack.SplitAddrs(k.brokers)
	if len(b) == 0 {
		return kafkaconn.Config{}, fmt.Errorf("%s is empty: give host:port[,host:port...]", flagName(cmd, "brokers"))
	}
	if f := cmd.Flags().Lookup("session-timeout"); f != nil && (k.session < 100*time.Millisecond || k.session > 30*time.Minute) {
		return kafkaconn.Config{}, fmt.Errorf("%s %s: want 100ms to 30m (Apache Kafka's group.min/max.session.timeout.ms allow 6s to 30m by default)",
			flagName(cmd, "session-timeout"), k.session)
	}
	sec, err := k.sec.security(cmd)
	if err != nil {
		return kafkaconn.Config{}, err
	}
	return kafkaconn.Config{Brokers: b, Group: k.group, PostsTopic: k.posts, AlertsTopic: k.alerts, DLQTopic: k.dlq,
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
		maxAge, shutdown                    time.Duration
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
			pc := pipeline.Config{Lateness: lateness, MaxPostBytes: maxPost, BatchSize: batch, MaxAge: maxAge,
				Drain: drainTime(shutdown)}
			if err := checkRunFlags(cmd, pc, idle, shutdown); err != nil {
				return err
			}
			// Before connecting to anything: a blank token must stop the start, not
			// silently serve without authentication.
			if httpToken, err = readHTTPToken(cmd, httpToken, httpTokenFile); err != nil {
				return err
			}
			rs, err := loadRules(rules)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			// Redis away at start is waited for like Redis away later (the pipeline
			// retries, /readyz says so); a refused password or a bad address is not.
			rdb, unreachable, err := rf.connectOrWait(ctx)
			if unreachable != nil {
				log.Warn("Redis is not reachable yet; waiting for it", zap.Error(unreachable))
			}
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
				Pipeline: pc, Idle: idle,
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
			if ln != nil {
				eg.Go(func() error { return serveHTTP(ctx, ln, hub, reg, svc.metrics.NotReady, httpToken, withPprof, log) })
			}
			if watch != nil {
				eg.Go(func() error { return watch(ctx) })
			} else {
				eg.Go(func() error { return ignoreHangups(ctx, log) })
			}
			defer shutdownWatchdog(cmd.Context(), shutdown, log)()
			err = eg.Wait()
			// A signal ends the run whatever was being retried: that is a clean stop.
			if err == nil || context.Cause(ctx) == context.Canceled || cmd.Context().Err() != nil {
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
	f.IntVar(&batch, "batch-size", pipeline.DefaultBatchSize, fmt.Sprintf("most messages per batch (one Redis write and one commit each), 1 to %d", pipeline.MaxBatchSize))
	f.IntVar(&maxPost, "max-post-bytes", post.DefaultMaxPostBytes, fmt.Sprintf("larger messages are dead-lettered, 1 to %d", pipeline.MaxMaxPostBytes))
	f.DurationVar(&maxAge, "max-age", pipeline.DefaultMaxAge, fmt.Sprintf("a post older than the group's newest post by more than this is dead-lettered as too_old (at most %s)", pipeline.MaxHorizon))
	f.DurationVar(&shutdown, "shutdown-timeout", 30*time.Second, "on SIGTERM or SIGINT, exit within this long: the batch in hand is stored and committed if Redis and Kafka allow, else left to be consumed again")
	return cmd
}

// runFlagOf names the flag of each pipeline setting, for errors.
var runFlagOf = map[string]string{
	"BatchSize": "batch-size", "MaxPostBytes": "max-post-bytes", "Lateness": "lateness", "MaxAge": "max-age", "Drain": "shutdown-timeout",
}

// checkRunFlags refuses, before anything is started, values the pipeline cannot run
// with, naming the flag and what it allows.
func checkRunFlags(cmd *cobra.Command, pc pipeline.Config, idle, shutdown time.Duration) error {
	for _, f := range []struct {
		name string
		v    int
	}{{"batch-size", pc.BatchSize}, {"max-post-bytes", pc.MaxPostBytes}} {
		if f.v <= 0 {
			return fmt.Errorf("%s %d: want a positive number", flagName(cmd, f.name), f.v)
		}
	}
	for _, f := range []struct {
		name string
		v    time.Duration
	}{{"lateness", pc.Lateness}, {"max-age", pc.MaxAge}, {"idle", idle}, {"shutdown-timeout", shutdown}} {
		if f.v <= 0 {
			return fmt.Errorf("%s %s: want a positive duration", flagName(cmd, f.name), f.v)
		}
	}
	if shutdown < minShutdown {
		return fmt.Errorf("%s %s: want at least %s (the Kafka reader alone may take 2 s to close)", flagName(cmd, "shutdown-timeout"), shutdown, minShutdown)
	}
	if err := pc.Validate(); err != nil {
		var ce *pipeline.ConfigError
		if errors.As(err, &ce) {
			return fmt.Errorf("%s %s", flagName(cmd, runFlagOf[ce.Field]), ce.Msg)
		}
		return err
	}
	return nil
}

// minShutdown is the shortest --shutdown-timeout.
const minShutdown = 5 * time.Second

// drainTime is how much of the shutdown time the pipeline may spend storing the batch
// in hand: the rest is for closing the Kafka clients.
func drainTime(shutdown time.Duration) time.Duration {
	return max(shutdown-4*time.Second, shutdown/2)
}

// shutdownWatchdog ends the process once a signal has asked for a shutdown and
// timeout has passed without the command returning (a call stuck on a dependency
// that is away): SIGTERM is always honoured. The returned function disarms it.
func shutdownWatchdog(sig context.Context, timeout time.Duration, log *zap.Logger) func() {
	done := make(chan struct{})
	stop := context.AfterFunc(sig, func() {
		select {
		case <-done:
		case <-time.After(timeout):
			log.Error("shutdown did not finish within --shutdown-timeout; exiting now (what was not committed is consumed again)",
				zap.Duration("shutdown_timeout", timeout))
			_ = log.Sync()
			os.Exit(1)
		}
	})
	return func() {
		close(done)
		stop()
	}
}

// ignoreHangups logs and ignores SIGHUP when there is no rules file to reload, instead
// of letting it end the process, until ctx ends.
func ignoreHangups(ctx context.Context, log *zap.Logger) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hup:
			log.Info("SIGHUP ignored: there is no --rules file to reload (the embedded rules are in use)")
		}
	}
}
