package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/outcry-dev/outcry/alert"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/devstack"
	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/store"
)

// TestKafkaSASL produces and tails through a broker that requires SASL, with PLAIN
// and SCRAM, and checks a wrong password is refused.
func TestKafkaSASL(t *testing.T) {
	c, err := devstack.StartBroker(devstack.BrokerOptions{Extra: []kfake.Opt{
		kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "admin", "plain-secret"),
		kfake.Superuser("SCRAM-SHA-256", "scram", "scram-secret"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	broker := c.ListenAddrs()[0]

	ev := incident.Event{ID: "x-20240305T1300-1", Type: incident.TypeStarted, Time: time.Date(2024, 3, 5, 13, 1, 0, 0, time.UTC),
		Data: incident.Data{IncidentID: "x-20240305T1300", Service: "x", State: "started", Severity: "major"}}
	b, err := alert.Encode(ev)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "alerts.jsonl")
	if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("scram-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		auth []string
	}{
		{"plain", []string{"--kafka-sasl", "plain", "--kafka-user", "admin", "--kafka-password", "plain-secret"}},
		{"scram-sha-256", []string{"--kafka-sasl", "scram-sha-256", "--kafka-user", "scram", "--kafka-password-file", pwFile}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topic := "alerts-" + tc.name
			args := append([]string{"replay", "--brokers", broker, "--topic", topic}, tc.auth...)
			if err := outcry(context.Background(), append(args, file)...); err != nil {
				t.Fatalf("replay with SASL: %v", err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var out syncBuffer
			done := make(chan error, 1)
			go func() {
				root := newRoot()
				root.SetArgs(append([]string{"tail", "--brokers", broker, "--topic", topic, "--from-beginning", "--json"}, tc.auth...))
				root.SetOut(&out)
				done <- root.ExecuteContext(ctx)
			}()
			testenv.Eventually(t, 30*time.Second, "the event tailed over SASL", func() bool {
				return strings.Contains(out.String(), ev.ID)
			})
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("tail: %v", err)
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		err := outcry(ctx, "replay", "--brokers", broker, "--topic", "nope", "--kafka-sasl", "plain",
			"--kafka-user", "admin", "--kafka-password", "wrong", file)
		if err == nil {
			t.Fatal("replay with a wrong password succeeded")
		}
		if strings.Contains(err.Error(), "wrong") {
			t.Errorf("the error shows the password: %v", err)
		}
	})
	t.Run("bad mechanism", func(t *testing.T) {
		err := outcry(context.Background(), "replay", "--brokers", broker, "--kafka-sasl", "kerberos", file)
		if err == nil || !strings.Contains(err.Error(), "want plain, scram-sha-256 or scram-sha-512") {
			t.Fatalf("error %v", err)
		}
	})
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRedisAuth reaches a Redis that requires a password, and one with an ACL user.
func TestRedisAuth(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "redis-pw")
	if err := os.WriteFile(pw, []byte("r3dis\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withPass := testenv.RedisWith(t, devstack.RedisOptions{Args: []string{"--requirepass", "r3dis"}})
	withACL := testenv.RedisWith(t, devstack.RedisOptions{Args: []string{"--user", "outcry", "on", ">acl-pw", "~*", "&*", "+@all", "--user", "default", "off"}})
	tests := []struct {
		name string
		args []string
		ok   bool
	}{
		{"password file", []string{"--redis", withPass.Addr, "--redis-password-file", pw}, true},
		{"password in URL", []string{"--redis", "redis://:r3dis@" + withPass.Addr + "/0"}, true},
		{"no password", []string{"--redis", withPass.Addr}, false},
		{"ACL user", []string{"--redis", withACL.Addr, "--redis-user", "outcry", "--redis-password", "acl-pw"}, true},
		{"ACL wrong password", []string{"--redis", withACL.Addr, "--redis-user", "outcry", "--redis-password", "nope"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			root := newRoot()
			root.SetArgs(append([]string{"stats", "--json"}, tt.args...))
			root.SetOut(&out)
			err := root.ExecuteContext(context.Background())
			if tt.ok && err != nil {
				t.Fatalf("stats: %v", err)
			}
			if !tt.ok && err == nil {
				t.Fatal("stats succeeded without the right credentials")
			}
			if err != nil && (strings.Contains(err.Error(), "r3dis") || strings.Contains(err.Error(), "acl-pw")) {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

// TestTLS runs the pipeline against a broker and a redis-server that speak TLS only,
// with certificates from a private CA given by file, and checks that without the CA
// both are refused.
func TestTLS(t *testing.T) {
	tf := testenv.TLS(t)
	c, err := devstack.StartBroker(devstack.BrokerOptions{Partitions: 3, Extra: []kfake.Opt{kfake.TLS(tf.Server)}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	broker := c.ListenAddrs()[0]
	rds := testenv.RedisWith(t, devstack.RedisOptions{TLSCert: tf.Cert, TLSKey: tf.Key})
	redisURL := "rediss://" + rds.Addr

	var posts bytes.Buffer
	const n = 300
	for i := range n {
		fmt.Fprintf(&posts, `{"id":"%d","text":"whatsapp is down again, messages not sending","author":"u%d","created_at":"%s"}`+"\n",
			i, i, time.Now().UTC().Format(time.RFC3339))
	}
	file := filepath.Join(t.TempDir(), "posts.jsonl")
	if err := os.WriteFile(file, posts.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	kafkaTLS := []string{"--brokers", broker, "--kafka-tls", "--kafka-ca", tf.CA}
	if err := outcry(context.Background(), append(append([]string{"replay", "--speed", "max"}, kafkaTLS...), file)...); err != nil {
		t.Fatalf("replay over TLS: %v", err)
	}
	startOutcry(t, "tls", append([]string{"run", "--group", "tls", "--http", "", "--idle", "2s",
		"--redis", redisURL, "--redis-ca", tf.CA}, kafkaTLS...)...)
	stats := func(extra ...string) (store.Stats, error) {
		out, err := exec.Command(outcryBinary(t), append([]string{"stats", "--redis", redisURL, "--group", "tls", "--json"}, extra...)...).Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return store.Stats{}, fmt.Errorf("%w: %s", err, ee.Stderr)
			}
			return store.Stats{}, err
		}
		var st store.Stats
		return st, json.Unmarshal(out, &st)
	}
	testenv.Eventually(t, 60*time.Second, fmt.Sprintf("%d posts consumed over TLS and counted in Redis over TLS", n), func() bool {
		st, err := stats("--redis-ca", tf.CA)
		return err == nil && st.Consumed == n && st.Services["whatsapp"].Complaints == n
	})

	// Without the CA, the certificates are not trusted.
	if _, err := stats(); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("stats without --redis-ca: %v, want a certificate error", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := outcry(ctx, "replay", "--brokers", broker, "--kafka-tls", file); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("replay without --kafka-ca: %v, want a certificate error", err)
	}
}
