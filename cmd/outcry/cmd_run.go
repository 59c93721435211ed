package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/app"
	"github.com/outcry-dev/outcry/internal/cli"
	"github.com/outcry-dev/outcry/pipeline"
)

func newRunCmd(g *globals) *cobra.Command {
	var (
		kf                                 cli.KafkaFlags
		rf                                 cli.RedisFlags
		hook                               cli.WebhookFlags
		httpAddr, httpToken, httpTokenFile string
		o                                  = app.Defaults()
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
			if o.Kafka, err = kf.Config(cmd); err != nil {
				return err
			}
			o.Reload = true
			if err := cli.OptionError(cmd, o.Validate()); err != nil {
				return err
			}
			// Before connecting to anything: a blank token must stop the start, not
			// silently serve without authentication.
			if o.HTTPToken, err = cli.ReadHTTPToken(cmd, httpToken, httpTokenFile); err != nil {
				return err
			}
			if o.Rules, err = cli.LoadRules(o.RulesFile); err != nil {
				return err
			}
			ctx := cmd.Context()
			rdb, err := rf.ConnectService(ctx, log)
			if err != nil {
				return err
			}
			defer rdb.Close()
			o.Redis = rdb
			if o.HTTP, err = cli.Listen(httpAddr, cli.FlagName(cmd, "http")); err != nil {
				return err
			}
			if o.Webhook, err = hook.Sink(cmd, log); err != nil {
				return err
			}
			if len(o.Alertmanagers) > 0 && o.PageURL == "" && o.HTTP != nil {
				o.PageURL = "http://" + o.HTTP.Addr().String()
			}
			a, err := app.New(o, log)
			if err != nil {
				return err
			}
			defer a.Close()
			kc := o.Kafka
			log.Info("outcry running", zap.Strings("brokers", kc.Brokers), zap.String("group", kc.Group),
				zap.String("posts_topic", kc.PostsTopic), zap.String("alerts_topic", kc.AlertsTopic),
				zap.String("redis", rf.Display()), zap.Int("services", len(o.Rules.Services())))
			defer cli.ShutdownWatchdog(ctx, o.ShutdownTimeout, log)()
			err = a.Run(ctx)
			// A signal ends the run whatever was being retried: that is a clean stop.
			if err == nil || ctx.Err() != nil {
				log.Info("outcry stopped")
				return nil
			}
			return err
		},
	}
	kf.Register(cmd, true)
	d := app.Defaults()
	f := cmd.Flags()
	hook.Register(f)
	rf.Register(f, "127.0.0.1:6379")
	f.StringVar(&o.RulesFile, "rules", "", "rules YAML file (default: the embedded rule set); reloaded on SIGHUP and when it changes")
	f.StringVar(&httpAddr, "http", "127.0.0.1:9464", "address for the live page (/), /metrics, /healthz and /readyz (empty to disable)")
	f.StringVar(&o.RedisPrefix, "redis-prefix", d.RedisPrefix, "prefix of every Redis key")
	f.BoolVar(&o.NoSampleText, "no-sample-text", false, "keep no post text with the sample complaints (in Redis, 8 h; the live page shows them to analysts): their ids only")
	f.StringArrayVar(&o.Alertmanagers, "alertmanager-url", nil, "also send every open incident to this Prometheus Alertmanager as an alert (repeatable: every one gets every alert, for an HA pair), e.g. http://alertmanager:9093")
	f.DurationVar(&o.AlertmanagerResend, "alertmanager-resend", d.AlertmanagerResend, "how often open alerts are sent to Alertmanager again (it resolves an alert not re-sent)")
	f.StringVar(&o.PageURL, "page-url", "", "the live page's address as its readers reach it, for the links in alerts (default http://<--http>)")
	f.DurationVar(&o.Lateness, "lateness", d.Lateness, "how late (event time) a post may arrive and still be counted")
	f.DurationVar(&o.Idle, "idle", d.Idle, "a partition without posts this long is not waited for; a live stream's windows then close with the clock")
	f.StringVar(&httpToken, "http-token", "", "require this bearer token on the live page and /metrics (prefer OUTCRY_HTTP_TOKEN or --http-token-file)")
	f.IntVar(&o.MetricServices, "metric-services", d.MetricServices, "how many services (the first of the rules) have series of their own in outcry_posts_matched_total; the others are summed under service=\"_other\"")
	f.BoolVar(&o.Pprof, "pprof", false, "serve Go profiling at /debug/pprof/ on --http (behind --http-token when set)")
	f.StringVar(&httpTokenFile, "http-token-file", "", "file holding the HTTP bearer token")
	f.IntVar(&o.BatchSize, "batch-size", d.BatchSize, fmt.Sprintf("most messages per batch (one Redis write and one commit each), 1 to %d", pipeline.MaxBatchSize))
	f.IntVar(&o.MaxPostBytes, "max-post-bytes", d.MaxPostBytes, fmt.Sprintf("larger messages are dead-lettered, 1 to %d", pipeline.MaxMaxPostBytes))
	f.DurationVar(&o.MaxAge, "max-age", d.MaxAge, fmt.Sprintf("a post older than the group's newest post by more than this is dead-lettered as too_old (at most %s)", pipeline.MaxHorizon))
	f.DurationVar(&o.ShutdownTimeout, "shutdown-timeout", d.ShutdownTimeout, "on SIGTERM or SIGINT, exit within this long: the batch in hand is stored and committed if Redis and Kafka allow, else left to be consumed again")
	return cmd
}
