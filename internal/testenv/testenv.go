// Package testenv starts the real parts the tests run against: a redis-server child
// process on a free port and an in-process kfake Kafka broker over TCP. Nothing here
// fakes Redis or Kafka.
//
// When redis-server or kcat is missing, tests skip with a message saying so; with
// OUTCRY_REQUIRE_TOOLS=1 (set by `make test`, which installs them) they fail instead,
// so CI can never pass by skipping.
package testenv

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/outcry-dev/outcry/devstack"
)

func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("OUTCRY_REQUIRE_TOOLS") == "1" {
		t.Fatalf("%s is required (OUTCRY_REQUIRE_TOOLS=1); `make test` installs it", what)
	}
	t.Skipf("%s not found: run `make test`, which installs it", what)
}

// Redis starts a redis-server on a free loopback port for the test.
func Redis(t testing.TB) *devstack.Redis {
	t.Helper()
	r, err := devstack.StartRedis(context.Background(), false)
	if err == devstack.ErrNoRedisServer {
		missing(t, "redis-server")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// RedisWith starts a redis-server with options (persistence, extra arguments).
func RedisWith(t testing.TB, o devstack.RedisOptions) *devstack.Redis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		missing(t, "redis-server")
	}
	r, err := devstack.StartRedisWith(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// RedisCluster starts a Redis Cluster of three masters on loopback ports.
func RedisCluster(t testing.TB) *devstack.Cluster {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		missing(t, "redis-server")
	}
	c, err := devstack.StartCluster(context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// RedisClient returns a client of addr closed at the end of the test.
func RedisClient(t testing.TB, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	return c
}

// Kafka starts an in-process broker creating topics on demand with the given
// partitions.
func Kafka(t testing.TB, partitions int, topics ...string) *kfake.Cluster {
	t.Helper()
	c, err := devstack.StartBroker(devstack.BrokerOptions{Partitions: partitions, Topics: topics})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// CreateTopic creates topic on broker with the given max.message.bytes (Apache
// Kafka's default is 1,048,588).
func CreateTopic(t testing.TB, broker, topic string, partitions, maxBytes int) {
	t.Helper()
	c := &kafka.Client{Addr: kafka.TCP(broker), Timeout: 10 * time.Second}
	resp, err := c.CreateTopics(context.Background(), &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: topic, NumPartitions: partitions, ReplicationFactor: 1,
		ConfigEntries: []kafka.ConfigEntry{{ConfigName: "max.message.bytes", ConfigValue: strconv.Itoa(maxBytes)}},
	}}})
	if err == nil {
		err = resp.Errors[topic]
	}
	if err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
}

// Kcat returns the path of kcat.
func Kcat(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err != nil {
		missing(t, "kcat")
	}
	return p
}

// Eventually polls cond until it holds or the timeout passes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond) // poll interval, not a wait for an outcome
	}
}
