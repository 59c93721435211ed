package main

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
)

// embedded is a broker and a Redis started in-process for demo and backtest.
type embedded struct {
	broker    *kfake.Cluster
	redis     *devstack.Redis // nil when the user gave --redis
	rdb       redis.UniversalClient
	kafka     kafkaconn.Config
	prefix    string
	redisAddr string
	what      string // describes the Redis in use
}

// startEmbedded starts a one-partition broker (so a file's delivery order is kept) and
// a Redis, unless redisAddr names one to use. Keys get a fresh prefix, so runs on a
// shared Redis do not see each other.
func startEmbedded(ctx context.Context, redisAddr string) (*embedded, error) {
	e := &embedded{prefix: "outcry-run-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
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
	e.redisAddr = redisAddr
	rf := redisFlags{addr: redisAddr}
	e.rdb, err = rf.connect(ctx)
	if err != nil {
		e.Close()
		return nil, err
	}
	e.kafka = kafkaconn.Config{
		Brokers: e.broker.ListenAddrs(), Group: "outcry",
		PostsTopic: "posts", AlertsTopic: "alerts", DLQTopic: "posts.dlq",
	}
	return e, nil
}

func (e *embedded) Close() {
	if e.rdb != nil {
		e.rdb.Close()
	}
	if e.redis != nil {
		e.redis.Close()
	}
	if e.broker != nil {
		e.broker.Close()
	}
}

func (e *embedded) describe() string {
	return fmt.Sprintf("embedded Kafka broker at %s, %s", e.broker.ListenAddrs()[0], e.what)
}

// embeddedMaxMessage is the message limit of the embedded broker. A backtest reads a
// file, not a Kafka topic: every line, however large, must reach the pipeline, which
// dead-letters what is over --max-post-bytes.
const embeddedMaxMessage = 16 << 20

// newPostsWriter returns a producer for the posts topic.
func newPostsWriter(e *embedded) *kafka.Writer {
	w := kafkaconn.NewWriter(e.kafka.Brokers, e.kafka.PostsTopic)
	w.BatchBytes = embeddedMaxMessage
	return w
}
