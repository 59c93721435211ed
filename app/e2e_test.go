package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/outcry-dev/outcry/alert"
	"github.com/outcry-dev/outcry/alert/webhook"
	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/outcry-dev/outcry/post"
	"github.com/outcry-dev/outcry/scenario"
	"github.com/outcry-dev/outcry/schema"
	"github.com/outcry-dev/outcry/source"
	"github.com/outcry-dev/outcry/store"
)

// badLines are put at the head of the fixture: the pipeline must dead-letter each with
// its reason and go on.
var badLines = []struct {
	line   string
	reason string
}{
	{`{"id":"bad-1","text":"whatsapp down",`, post.ReasonInvalidJSON},
	{`{"id":"bad-2","created_at":"2024-03-05T12:00:01Z","author":"u1"}`, post.ReasonMissingText},
	{"{\"id\":\"bad-3\",\"text\":\"whatsapp \xff\xfe down\",\"created_at\":\"2024-03-05T12:00:02Z\"}", post.ReasonInvalidUTF8},
}

// writeFixture writes a generated stream with one clear WhatsApp outage, preceded by
// the bad lines.
func writeFixture(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	for _, b := range badLines {
		buf.WriteString(b.line + "\n")
	}
	if _, err := scenario.Write(&buf, scenario.Fixture("whatsapp", 1)); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "posts.jsonl")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEndToEnd(t *testing.T) {
	endToEnd(t, testenv.Redis(t).Addr)
}

// TestEndToEndCluster runs the same on a three-master Redis Cluster.
func TestEndToEndCluster(t *testing.T) {
	endToEnd(t, testenv.RedisCluster(t).Addrs())
}

func endToEnd(t *testing.T, redisAddr string) {
	broker := testenv.Kafka(t, 3).ListenAddrs()[0]
	fixture := writeFixture(t)

	f, err := os.Open(fixture)
	if err != nil {
		t.Fatal(err)
	}
	w := kafkaconn.NewWriter([]string{broker}, "posts")
	if _, err := source.Replay(context.Background(), w, f, source.ReplayOptions{}); err != nil {
		t.Fatalf("replay: %v", err)
	}
	f.Close()
	w.Close()

	// A webhook receiver: every event must also arrive there, signed.
	var (
		hookMu  sync.Mutex
		hookIDs []string
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !webhook.Verify([]byte("s3cret"), body, r.Header.Get(webhook.HeaderSignature)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		hookMu.Lock()
		hookIDs = append(hookIDs, r.Header.Get(webhook.HeaderEventID))
		hookMu.Unlock()
	}))
	defer hook.Close()

	ctx, cancel := context.WithCancel(context.Background())
	rdb, err := store.Connect(ctx, store.DialOptions{Addr: redisAddr})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink, err := webhook.New(webhook.Config{URL: hook.URL, Secret: []byte("s3cret")}, nil, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Options{
		Kafka: kafkaconn.Config{Brokers: []string{broker}, Group: "e2e"}, Redis: rdb, HTTP: ln, Webhook: sink,
	}, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	decoded := map[string]struct{}{}
	msgs := testenv.ReadTopic(t, broker, "alerts", 90*time.Second, func(ms []kafka.Message) bool {
		for _, m := range ms {
			e, err := alert.Decode(m.Value)
			if err == nil && e.Type == "outcry.incident.resolved" {
				decoded[e.Data.Service] = struct{}{}
			}
		}
		_, ok := decoded["whatsapp"]
		return ok
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}

	v, err := schema.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	var ids []string
	for _, m := range msgs {
		if err := v.Validate(m.Value); err != nil {
			t.Errorf("event %s fails the schema: %v", m.Value, err)
		}
		if got := testenv.Header(m, "content-type"); got != alert.ContentType {
			t.Errorf("content-type header = %q, want %q", got, alert.ContentType)
		}
		e, err := alert.Decode(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Key) != e.Data.Service {
			t.Errorf("key %q, want the service %q", m.Key, e.Data.Service)
		}
		counts[e.Data.Service+" "+e.Type]++
		ids = append(ids, e.ID)
		t.Logf("%s %s severity=%s started=%s detected=%s resolved=%v ratio=%.1f mentions=%d authors=%d problems=%v countries=%v",
			e.Type, e.Data.Service, e.Data.Severity, e.Data.StartedAt.Format(time.TimeOnly), e.Data.DetectedAt.Format(time.TimeOnly),
			e.Data.ResolvedAt, e.Data.Ratio, e.Data.Mentions, e.Data.DistinctAuthors, e.Data.Problems, e.Data.Countries)
	}
	if counts["whatsapp outcry.incident.started"] != 1 || counts["whatsapp outcry.incident.resolved"] != 1 {
		t.Errorf("whatsapp events = %v, want exactly one started and one resolved", counts)
	}
	for k := range counts {
		if !strings.HasPrefix(k, "whatsapp ") {
			t.Errorf("unexpected event for another service: %s", k)
		}
	}

	// The same events, read back with standard Kafka tooling.
	kcat := testenv.Kcat(t)
	out, err := exec.Command(kcat, "-C", "-b", broker, "-t", "alerts", "-e", "-q", "-f", "%k\t%s\n").Output()
	if err != nil {
		t.Fatalf("kcat: %v", err)
	}
	var kcatIDs []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		key, value, _ := strings.Cut(line, "\t")
		var ce struct {
			ID      string `json:"id"`
			Subject string `json:"subject"`
		}
		if err := json.Unmarshal([]byte(value), &ce); err != nil {
			t.Fatalf("kcat line %q: %v", line, err)
		}
		if key != ce.Subject {
			t.Errorf("kcat: key %q for subject %q", key, ce.Subject)
		}
		kcatIDs = append(kcatIDs, ce.ID)
	}
	sort.Strings(ids)
	sort.Strings(kcatIDs)
	if fmt.Sprint(ids) != fmt.Sprint(kcatIDs) {
		t.Errorf("kcat read %v, kafka-go read %v", kcatIDs, ids)
	}
	hookMu.Lock()
	sort.Strings(hookIDs)
	if fmt.Sprint(hookIDs) != fmt.Sprint(ids) {
		t.Errorf("webhook got %v, the topic has %v", hookIDs, ids)
	}
	hookMu.Unlock()

	// Bad input went to the dead-letter topic with its reason.
	dlq := testenv.ReadTopic(t, broker, "posts.dlq", 30*time.Second, func(ms []kafka.Message) bool { return len(ms) >= len(badLines) })
	reasons := map[string]string{}
	for _, m := range dlq {
		reasons[testenv.Header(m, source.HeaderReason)] = string(m.Value)
	}
	for _, b := range badLines {
		if got, ok := reasons[b.reason]; !ok || got != b.line {
			t.Errorf("dead letter %q: got %q (all reasons: %v)", b.reason, got, slices.Sorted(maps.Keys(reasons)))
		}
	}
	if len(dlq) != len(badLines) {
		all := map[string]int{}
		for _, m := range dlq {
			all[testenv.Header(m, source.HeaderReason)+": "+testenv.Header(m, source.HeaderDetail)]++
		}
		t.Errorf("%d dead letters, want %d: %v", len(dlq), len(badLines), all)
	}
}
