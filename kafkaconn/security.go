package kafkaconn

import (
	"crypto/tls"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
)

// Security is how Outcry authenticates to Kafka: SASL (PLAIN, SCRAM) and/or TLS. The
// zero value is a plaintext connection.
type Security struct {
	SASL sasl.Mechanism
	TLS  *tls.Config
}

// Dialer returns a kafka-go dialer (for readers and connections) with the settings.
func (s Security) Dialer() *kafka.Dialer {
	return &kafka.Dialer{Timeout: 10 * time.Second, DualStack: true, SASLMechanism: s.SASL, TLS: s.TLS}
}

// Transport returns a kafka-go transport (for writers and clients) with the settings.
func (s Security) Transport() *kafka.Transport {
	return &kafka.Transport{SASL: s.SASL, TLS: s.TLS, DialTimeout: 10 * time.Second}
}
