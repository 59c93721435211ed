// Package kafkaconn is how Outcry connects to Kafka: the brokers and topics, SASL and
// TLS, writers sized to Apache Kafka's message limit, and a topic's own limit. The
// source (posts in), the alert sink (events out), replay and tail share it.
package kafkaconn

import "time"

// Config names the brokers and topics.
type Config struct {
	Brokers     []string
	Group       string
	PostsTopic  string
	AlertsTopic string
	DLQTopic    string
	// SessionTimeout is how long the group waits for a silent member (a killed
	// process) before moving its partitions; default 10s.
	SessionTimeout time.Duration
	Security       Security
}
