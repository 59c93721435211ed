package cli

import (
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// SecFlags are the Kafka authentication flags of run, replay and tail.
type SecFlags struct {
	mechanism, user, password, passwordFile, caFile string
	tls, insecure                                   bool
}

// Register adds the SASL and TLS flags to f.
func (k *SecFlags) Register(f *pflag.FlagSet) {
	f.StringVar(&k.mechanism, "kafka-sasl", "", "Kafka SASL mechanism: plain, scram-sha-256 or scram-sha-512 (empty: none)")
	f.StringVar(&k.user, "kafka-user", "", "Kafka SASL user")
	f.StringVar(&k.password, "kafka-password", "", "Kafka SASL password (prefer OUTCRY_KAFKA_PASSWORD or --kafka-password-file)")
	f.StringVar(&k.passwordFile, "kafka-password-file", "", "file holding the Kafka SASL password")
	f.BoolVar(&k.tls, "kafka-tls", false, "connect to Kafka over TLS")
	f.StringVar(&k.caFile, "kafka-ca", "", "PEM file of CAs to verify the brokers' certificates (default: the system's)")
	f.BoolVar(&k.insecure, "kafka-tls-insecure", false, "do not verify the brokers' certificates (development only)")
}

// Security reads the password and CA files the flags name into a kafkaconn.Security.
func (k *SecFlags) Security(cmd *cobra.Command) (kafkaconn.Security, error) {
	var sec kafkaconn.Security
	password, err := secret(k.password, k.passwordFile, FlagName(cmd, "kafka-password-file"))
	if err != nil {
		return sec, err
	}
	var m sasl.Mechanism
	switch strings.ToLower(k.mechanism) {
	case "":
	case "plain":
		m = plain.Mechanism{Username: k.user, Password: password}
	case "scram-sha-256":
		m, err = scram.Mechanism(scram.SHA256, k.user, password)
	case "scram-sha-512":
		m, err = scram.Mechanism(scram.SHA512, k.user, password)
	default:
		return sec, fmt.Errorf("%s %q: want plain, scram-sha-256 or scram-sha-512", FlagName(cmd, "kafka-sasl"), k.mechanism)
	}
	if err != nil {
		return sec, fmt.Errorf("%s: %w", FlagName(cmd, "kafka-sasl"), err)
	}
	if m != nil && k.user == "" {
		return sec, fmt.Errorf("%s needs --kafka-user", FlagName(cmd, "kafka-sasl"))
	}
	sec.SASL = m
	if k.tls || k.caFile != "" || k.insecure {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: k.insecure} //nolint:gosec // opt-in, development only
		if k.caFile != "" {
			if cfg.RootCAs, err = caPool(k.caFile, FlagName(cmd, "kafka-ca")); err != nil {
				return sec, err
			}
		}
		sec.TLS = cfg
	}
	return sec, nil
}
