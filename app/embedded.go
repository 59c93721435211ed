package app

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/outcry-dev/outcry/devstack"
	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/outcry-dev/outcry/store"
)

// Embedded is a broker and a Redis started in-process for demo and backtest: Options
// runs on it with Options().
type Embedded struct {
	broker    *kfake.Cluster
	redis     *devstack.Redis // nil when the caller gave a Redis address
	RDB       redis.UniversalClient
	Kafka     kafkaconn.Config
	Prefix    string // a fresh key prefix, so runs on a shared Redis do not see each other
	RedisAddr string
	what      string // describes the Redis in use
}

// StartEmbedded starts a one-partition broker (so a file's delivery order is kept) and
// a Redis, unless redisAddr names one to use. Keys get a fresh prefix, so runs on a
// shared Redis do not see each other.
func StartEmbedded(ctx context.Context, redisAddr string) (*Embedded, error) {
	e := &Embedded{Prefix: "outcry-run-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	var err error
	e.broker, err = devstack.StartBroker(devstack.BrokerOptions{Partitions: 1, MaxMessageBytes: embeddedMaxMessage})
	if err != nil {
		return nil, err
	}
	if redisAddr == "" {
		e.redis, err = devstack.StartRedis(ctx, true)
		if err != nil {
			e.Close()
			return nil, err
		}
		redisAddr = e.redis.Addr
		e.what = e.redis.Describe()
	} else {
		e.what = "Redis at " + redisAddr
	}
	e.RedisAddr = redisAddr
	e.RDB, err = store.Connect(ctx, store.DialOptions{Addr: redisAddr})
	if err != nil {
		e.Close()
		return nil, err
	}
	e.Kafka = kafkaconn.Config{
		Brokers: e.broker.ListenAddrs(), Group: "outcry",
		PostsTopic: "posts", AlertsTopic: "alerts", DLQTopic: "posts.dlq",
	}
	return e, nil
}

// Options are the options of a run on the embedded parts.
func (e *Embedded) Options() Options {
	return Options{Kafka: e.Kafka, Redis: e.RDB, RedisPrefix: e.Prefix}
}

// Close stops what StartEmbedded started.
func (e *Embedded) Close() {
	if e.RDB != nil {
		e.RDB.Close()
	}
	if e.redis != nil {
		e.redis.Close()
	}
	if e.broker != nil {
		e.broker.Close()
	}
}

// Describe says what runs where, for the user.
func (e *Embedded) Describe() string {
	return fmt.Sprintf("embedded Kafka broker at %s, %s", e.broker.ListenAddrs()[0], e.what)
}

// embeddedMaxMessage is the message limit of the embedded broker. A backtest reads a
// file, not a Kafka topic: every line, however large, must reach the pipeline, which
// dead-letters what is over --max-post-bytes.
const embeddedMaxMessage = 16 << 20

// PostsWriter returns a producer for the posts topic that takes messages of any size.
func (e *Embedded) PostsWriter() *kafka.Writer {
	w := kafkaconn.NewWriter(e.Kafka.Brokers, e.Kafka.PostsTopic)
	w.BatchBytes = embeddedMaxMessage
	return w
}
