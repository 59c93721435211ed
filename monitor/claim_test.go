package monitor

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/alert"
	"github.com/outcry-dev/outcry/alert/kafkasink"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/outcry-dev/outcry/store"
)

// A process killed between claiming an event and confirming it leaves the claim
// unconfirmed. The next evaluator looks on the alerts topic: an event that got there
// is not published again, one that did not is published.
func TestFlushSettlesUnconfirmedClaims(t *testing.T) {
	ctx := context.Background()
	broker := testenv.Kafka(t, 1, "alerts").ListenAddrs()[0]
	st := store.New(testenv.RedisClient(t, testenv.Redis(t).Addr), store.Options{})
	w := kafkaconn.NewWriter([]string{broker}, "alerts")
	defer w.Close()
	alerts := &kafkasink.Alerts{W: w}

	ev := func(id string) incident.Event {
		e := incident.Event{ID: id, Type: incident.TypeUpdated, Time: time.Now().UTC()}
		e.Data.Service, e.Data.IncidentID = "whatsapp", "whatsapp-20221025T0717"
		e.Data.Window = incident.Span{Start: time.Unix(1666682220, 0), End: time.Unix(1666682340, 0)}
		return e
	}
	published, lost, fresh := ev("whatsapp-20221025T0717-2"), ev("whatsapp-20221025T0717-3"), ev("whatsapp-20221025T0717-4")
	// The killed run: claimed both, published the first only.
	for _, e := range []incident.Event{published, lost} {
		if st, _, err := st.Claim(ctx, e.ID); err != nil || st != store.Claimed {
			t.Fatalf("claim %s: %v %v", e.ID, st, err)
		}
	}
	if err := alerts.Publish(ctx, []incident.Event{published}); err != nil {
		t.Fatal(err)
	}

	m, err := New(Config{Services: []string{"whatsapp"}}, Deps{Reader: st, Claimer: st, Coordinator: st, Hours: st, Trimmer: st, Activity: st, Publisher: alerts, Verifier: alerts}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	m.pending = []incident.Event{published, lost, fresh}
	if err := m.flush(ctx); err != nil {
		t.Fatal(err)
	}

	got := map[string]int{}
	for _, msg := range readAll(t, broker, "alerts") {
		e, err := alert.Decode(msg)
		if err != nil {
			t.Fatal(err)
		}
		got[e.ID]++
	}
	for _, e := range []incident.Event{published, lost, fresh} {
		if got[e.ID] != 1 {
			t.Errorf("%s is on the topic %d times, want once (all: %v)", e.ID, got[e.ID], got)
		}
		if st, _, err := st.Claim(ctx, e.ID); err != nil || st != store.Published {
			t.Errorf("claim of %s after flush: %v %v, want published", e.ID, st, err)
		}
	}
}

// readAll reads partition 0 of topic to its end.
func readAll(t *testing.T, broker, topic string) [][]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := &kafka.Client{Addr: kafka.TCP(broker)}
	res, err := c.Fetch(ctx, &kafka.FetchRequest{Topic: topic, Partition: 0, Offset: 0, MinBytes: 1, MaxBytes: 1 << 20, MaxWait: 100 * time.Millisecond})
	if err != nil || res.Error != nil {
		t.Fatalf("read %s: %v %v", topic, err, res.Error)
	}
	var out [][]byte
	for {
		r, err := res.Records.ReadRecord()
		if err != nil {
			break
		}
		b, err := io.ReadAll(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	if int64(len(out)) != res.HighWatermark {
		t.Fatalf("read %d of %d messages of %s", len(out), res.HighWatermark, topic)
	}
	return out
}
