package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/outcry-dev/outcry/app"
	"github.com/outcry-dev/outcry/devstack"
	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/spf13/cobra"
)

// KafkaFlags are the broker and topic flags of run, replay and tail.
type KafkaFlags struct {
	brokers, group, posts, alerts, dlq string
	session                            time.Duration
	sec                                SecFlags
}

// Register adds the broker and topic flags to cmd (the group, dead-letter topic and
// session timeout too when withGroup), and the SASL and TLS flags.
func (k *KafkaFlags) Register(cmd *cobra.Command, withGroup bool) {
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
	k.sec.Register(f)
}

// RegisterProducer adds the flags of a command that only produces posts (ingest):
// the brokers, the posts and dead-letter topics, and the SASL and TLS flags.
func (k *KafkaFlags) RegisterProducer(cmd *cobra.Command) {
	f := cmd.Flags()
	d := app.Defaults().Kafka
	f.StringVar(&k.brokers, "brokers", strings.Join(d.Brokers, ","), "Kafka bootstrap brokers, comma-separated")
	f.StringVar(&k.posts, "posts-topic", d.PostsTopic, "topic the posts are produced to")
	f.StringVar(&k.dlq, "dlq-topic", d.DLQTopic, "dead-letter topic for frames that cannot be read")
	k.sec.Register(f)
}

// Config returns the Kafka configuration the flags describe.
func (k *KafkaFlags) Config(cmd *cobra.Command) (kafkaconn.Config, error) {
	b := devstack.SplitAddrs(k.brokers)
	if len(b) == 0 {
		return kafkaconn.Config{}, fmt.Errorf("%s is empty: give host:port[,host:port...]", FlagName(cmd, "brokers"))
	}
	sec, err := k.sec.Security(cmd)
	if err != nil {
		return kafkaconn.Config{}, err
	}
	return kafkaconn.Config{Brokers: b, Group: k.group, PostsTopic: k.posts, AlertsTopic: k.alerts, DLQTopic: k.dlq,
		SessionTimeout: k.session, Security: sec}, nil
}

// ParseSpeed reads --speed: a positive multiple of real time, or "max".
func ParseSpeed(s, flag string) (float64, error) {
	if strings.EqualFold(s, "max") {
		return 0, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%s %q: want a positive multiple of real time (e.g. 1, 60, 0.5) or max", flag, s)
	}
	return v, nil
}
