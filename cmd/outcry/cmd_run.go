package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/alert/webhook"
	"github.com/outcry-dev/outcry/app"
	"github.com/outcry-dev/outcry/devstack"
	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/outcry-dev/outcry/pipeline"
)

// kafkaFlags are the broker and topic flags of run, replay and tail.
type kafkaFlags struct {
	brokers, group, posts, alerts, dlq string
	session                            time.Duration
	sec                                kafkaSecFlags
}

func (k *kafkaFlags) register(cmd *cobra.Command, withGroup bool) {
	f := cmd.Flags()
	d := app.Defaults().Kafka
	f.StringVar(&k.brokers, "brokers", strings.Join(d.Brokers, ","), "Kafka bootstrap brokers, comma-separated")
	f.StringVar(&k.posts, "posts-topic", d.PostsTopic, "topic the posts are read from")
	f.StringVar(&k.alerts, "alerts-topic", d.AlertsTopic, "topic the alert events are published to")
	if withGroup {
		f.StringVar(&k.group, "group", d.Group, "Kafka consumer group (a new group starts from the earliest offset)")
		f.StringVar(&k.dlq, "dlq-topic", d.DLQTopic, "dead-letter topic for messages that are not usable posts")
		f.DurationVar(&k.session, "session-timeout", d.SessionTimeout, "how long the group waits for a silent member before moving its partitions")
	}
	k.sec.register(f)
}

func (k *kafkaFlags) config(cmd *cobra.Command) (kafkaconn.Config, error) {
	b := devstack.SplitAddrs(k.brokers)
	if len(b) == 0 {
		return kafkaconn.Config{}, fmt.Errorf("%s is empty: give host:port[,host:port...]", flagName(cmd, "brokers"))
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
			o := app.Options{
				Kafka: kc, RedisPrefix: prefix, RulesFile: rules, Reload: true,
				Bucket: app.Defaults().Bucket, Lateness: lateness, Idle: idle, BatchSize: batch, MaxPostBytes: maxPost, MaxAge: maxAge,
				ShutdownTimeout: shutdown, Pprof: withPprof,
			}
			if err := flagError(cmd, o.Validate()); err != nil {
				return err
			}
			// Before connecting to anything: a blank token must stop the start, not
			// silently serve without authentication.
			if o.HTTPToken, err = readHTTPToken(cmd, httpToken, httpTokenFile); err != nil {
				return err
			}
			if o.Rules, err = loadRules(rules); err != nil {
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
			o.Redis = rdb
			if httpAddr != "" {
				if o.HTTP, err = net.Listen("tcp", httpAddr); err != nil {
					return fmt.Errorf("--http %s: %w", httpAddr, err)
				}
			}
			if hookURL != "" {
				secret := hookSecret
				if hookSecretFile != "" {
					b, err := os.ReadFile(hookSecretFile)
					if err != nil {
						return fmt.Errorf("--webhook-secret-file: %w", err)
					}
					secret = strings.TrimSpace(string(b))
				}
				if o.Webhook, err = webhook.New(webhook.Config{URL: hookURL, Secret: []byte(secret)}, nil, log); err != nil {
					return fmt.Errorf("%s: %w", flagName(cmd, "webhook-url"), err)
				}
			}
			a, err := app.New(o, log)
			if err != nil {
				return err
			}
			defer a.Close()
			log.Info("outcry running", zap.Strings("brokers", kc.Brokers), zap.String("group", kc.Group),
				zap.String("posts_topic", kc.PostsTopic), zap.String("alerts_topic", kc.AlertsTopic),
				zap.String("redis", rf.display()), zap.Int("services", len(o.Rules.Services())))
			defer shutdownWatchdog(ctx, shutdown, log)()
			err = a.Run(ctx)
			// A signal ends the run whatever was being retried: that is a clean stop.
			if err == nil || ctx.Err() != nil {
				log.Info("outcry stopped")
				return nil
			}
			return err
		},
	}
	kf.register(cmd, true)
	d := app.Defaults()
	f := cmd.Flags()
	rf.register(f, "127.0.0.1:6379")
	f.StringVar(&rules, "rules", "", "rules YAML file (default: the embedded rule set); reloaded on SIGHUP and when it changes")
	f.StringVar(&httpAddr, "http", "127.0.0.1:9464", "address for the live page (/), /metrics, /healthz and /readyz (empty to disable)")
	f.StringVar(&prefix, "redis-prefix", d.RedisPrefix, "prefix of every Redis key")
	f.DurationVar(&lateness, "lateness", d.Lateness, "how late (event time) a post may arrive and still be counted")
	f.DurationVar(&idle, "idle", d.Idle, "a partition without posts this long is not waited for; a live stream's windows then close with the clock")
	f.StringVar(&httpToken, "http-token", "", "require this bearer token on the live page and /metrics (prefer OUTCRY_HTTP_TOKEN or --http-token-file)")
	f.BoolVar(&withPprof, "pprof", false, "serve Go profiling at /debug/pprof/ on --http (behind --http-token when set)")
	f.StringVar(&httpTokenFile, "http-token-file", "", "file holding the HTTP bearer token")
	f.StringVar(&hookURL, "webhook-url", "", "also POST every alert event (CloudEvents JSON, HMAC-signed) to this URL")
	f.StringVar(&hookSecret, "webhook-secret", "", "HMAC-SHA256 key for the X-Outcry-Signature header (prefer OUTCRY_WEBHOOK_SECRET or --webhook-secret-file)")
	f.StringVar(&hookSecretFile, "webhook-secret-file", "", "file holding the webhook HMAC key")
	f.IntVar(&batch, "batch-size", d.BatchSize, fmt.Sprintf("most messages per batch (one Redis write and one commit each), 1 to %d", pipeline.MaxBatchSize))
	f.IntVar(&maxPost, "max-post-bytes", d.MaxPostBytes, fmt.Sprintf("larger messages are dead-lettered, 1 to %d", pipeline.MaxMaxPostBytes))
	f.DurationVar(&maxAge, "max-age", d.MaxAge, fmt.Sprintf("a post older than the group's newest post by more than this is dead-lettered as too_old (at most %s)", pipeline.MaxHorizon))
	f.DurationVar(&shutdown, "shutdown-timeout", d.ShutdownTimeout, "on SIGTERM or SIGINT, exit within this long: the batch in hand is stored and committed if Redis and Kafka allow, else left to be consumed again")
	return cmd
}

// flagOf names the flag of each option, for errors.
var flagOf = map[string]string{
	"BatchSize": "batch-size", "MaxPostBytes": "max-post-bytes", "Lateness": "lateness", "MaxAge": "max-age",
	"Idle": "idle", "ShutdownTimeout": "shutdown-timeout", "Kafka.SessionTimeout": "session-timeout",
}

// flagError turns an app.FieldError into an error naming the flag and what it allows.
func flagError(cmd *cobra.Command, err error) error {
	var fe *app.FieldError
	if errors.As(err, &fe) && flagOf[fe.Field] != "" {
		return fmt.Errorf("%s %s", flagName(cmd, flagOf[fe.Field]), fe.Msg)
	}
	return err
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
