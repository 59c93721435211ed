package main

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/app"
	"github.com/outcry-dev/outcry/ingest"
	"github.com/outcry-dev/outcry/internal/cli"
)

func newIngestCmd(g *globals) *cobra.Command {
	var (
		kf                                 cli.KafkaFlags
		rf                                 cli.RedisFlags
		sf                                 cli.SourceFlags
		httpAddr, httpToken, httpTokenFile string
		o                                  = app.DefaultIngestOptions()
	)
	cmd := &cobra.Command{
		Use:   "ingest " + strings.Join(app.Sources(), "|"),
		Short: "Read a public stream (Bluesky) and produce its posts to the posts topic",
		Long: `Ingest connects to a public stream and produces every post it carries to the posts
topic as a canonical post (id prefixed by the source, author, lang, created_at, source),
for ` + "`outcry run`" + ` to read. What is not a post (deletes, edits, identity and account
events) is counted and skipped; a frame that cannot be read goes to the dead-letter topic
with its reason.

The stream's cursor is kept in Redis: a restart resumes where the last run stopped,
rewinding a few seconds and skipping the posts it had produced. Lost connections are
retried with jittered exponential back-off, over the --url endpoints in order (the
first that connects wins; the defaults are the public ones). When the broker is slow,
reading pauses (the source resumes from the cursor); with --drop-when-full, posts are
dropped instead, and counted.

Sources:
  bluesky   Bluesky's Jetstream (no account needed); the whole network's posts,
            a few hundred a second.
  mastodon  one Mastodon server's public stream (--url, default mastodon.social's
            federated timeline); needs a user token with read:statuses of an
            account on that server. A restart or reconnect first reads what it
            missed from the server's timeline. Run one ingest per server.
  x         X's filtered stream; needs an app's bearer token with filtered-stream
            access (Pro or Enterprise). The stream's rules are derived from the
            services' names (--rules, --x-services) and kept in sync; rules of
            other tools are left alone. X bills every post it delivers.

/metrics, /healthz and /readyz are served on --http.`,
		Example: `  outcry ingest bluesky --brokers 127.0.0.1:9092 --redis 127.0.0.1:6379
  outcry ingest bluesky --url wss://jetstream2.us-west.bsky.network/subscribe --drop-when-full
  OUTCRY_TOKEN=... outcry ingest mastodon --url https://fosstodon.org/api/v1/streaming/public
  outcry ingest x --token-file /run/secrets/x-bearer --x-services whatsapp,instagram,facebook`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: app.Sources(),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Source = args[0]
			var err error
			if o.SourceOpts, err = sf.Options(cmd, o.Source); err != nil {
				return err
			}
			if err := validIngest(cmd, o.Ingest); err != nil {
				return err
			}
			log, err := g.logger()
			if err != nil {
				return err
			}
			o.SourceOpts.Log = log
			defer log.Sync() //nolint:errcheck // nothing to do about a failed flush at exit
			if o.Kafka, err = kf.Config(cmd); err != nil {
				return err
			}
			if o.HTTPToken, err = cli.ReadHTTPToken(cmd, httpToken, httpTokenFile); err != nil {
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
			log.Info("outcry ingesting", zap.String("source", o.Source), zap.Strings("brokers", o.Kafka.Brokers),
				zap.String("posts_topic", o.Kafka.PostsTopic), zap.String("redis", rf.Display()))
			defer cli.ShutdownWatchdog(ctx, app.Defaults().ShutdownTimeout, log)()
			err = app.Ingest(ctx, o, log)
			if err == nil || ctx.Err() != nil {
				log.Info("outcry ingest stopped")
				return nil
			}
			return err
		},
	}
	kf.RegisterProducer(cmd)
	f := cmd.Flags()
	sf.Register(f)
	rf.Register(f, "127.0.0.1:6379")
	d := o.Ingest
	f.StringArrayVar(&o.Ingest.Endpoints, "url", nil, "stream endpoint (repeatable: the first that connects wins, the others are fallbacks; default the public ones)")
	f.IntVar(&o.Ingest.Buffer, "buffer", d.Buffer, "posts held between the source and the broker (1 to 10,000,000)")
	f.BoolVar(&o.Ingest.DropWhenFull, "drop-when-full", false, "drop posts (and count them) when the buffer is full, instead of pausing the source")
	f.DurationVar(&o.Ingest.Rewind, "rewind", d.Rewind, "how far before the saved cursor a restart resumes (the overlap is not produced twice)")
	f.StringVar(&o.RedisPrefix, "redis-prefix", o.RedisPrefix, "prefix of every Redis key")
	f.StringVar(&httpAddr, "http", "127.0.0.1:9465", "address for /metrics, /healthz and /readyz (empty to disable)")
	f.StringVar(&httpToken, "http-token", "", "require this bearer token on /metrics (prefer OUTCRY_HTTP_TOKEN or --http-token-file)")
	f.StringVar(&httpTokenFile, "http-token-file", "", "file holding the HTTP bearer token")
	return cmd
}

// validIngest says which flag of the ingest options is wrong.
func validIngest(cmd *cobra.Command, in ingest.Options) error {
	switch {
	case in.Buffer < 1 || in.Buffer > 10_000_000:
		return fmt.Errorf("%s %d: want 1 to 10,000,000 posts", cli.FlagName(cmd, "buffer"), in.Buffer)
	case in.Rewind < 0 || in.Rewind.Hours() > 1:
		return fmt.Errorf("%s %s: want 0 to 1h", cli.FlagName(cmd, "rewind"), in.Rewind)
	}
	for _, e := range in.Endpoints {
		if u, err := url.Parse(e); err != nil || u.Host == "" || !slices.Contains([]string{"ws", "wss", "http", "https"}, u.Scheme) {
			return fmt.Errorf("%s %q: want a ws://, wss://, http:// or https:// URL", cli.FlagName(cmd, "url"), e)
		}
	}
	return nil
}
