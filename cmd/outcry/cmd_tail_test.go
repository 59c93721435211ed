package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/outcry-dev/outcry/alert"
	"github.com/outcry-dev/outcry/alert/tail"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/internal/testenv"
)

// tailBuffer is an output buffer safe to read while tail writes to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tailEvent is an alert event of service with an id naming it.
func tailEvent(id, service, typ, severity string, at time.Time) incident.Event {
	state := map[string]string{incident.TypeStarted: "started", incident.TypeUpdated: "updated",
		incident.TypeResolved: "resolved", incident.TypeFloodSuspected: "flood"}[typ]
	d := incident.Data{
		IncidentID: service + "-inc", Service: service, State: state, Severity: severity,
		StartedAt: at.Add(-5 * time.Minute).UTC(), DetectedAt: at.UTC(),
		Window:   incident.Span{Start: at.Add(-5 * time.Minute).UTC(), End: at.UTC()},
		Mentions: 120, DistinctAuthors: 100, Baseline: 2.5, Ratio: 48, Score: 12,
		Problems: map[string]float64{"login": 0.6}, Countries: map[string]float64{"GB": 0.5},
		Languages: map[string]float64{"en": 0.7, "ar": 0.3}, Related: []string{}, Samples: []string{"1"},
	}
	if typ == incident.TypeResolved {
		r := at.UTC()
		d.ResolvedAt = &r
	}
	if typ == incident.TypeFloodSuspected {
		d.Reason = "120 posts from 3 distinct authors"
	}
	return incident.Event{ID: id, Type: typ, Time: at.UTC(), Data: d}
}

// produceAlerts writes events to topic: partition p of each, with the broker
// timestamp at.
type tailMsg struct {
	p int
	e incident.Event
}

func produceAlerts(t *testing.T, broker, topic string, msgs ...tailMsg) {
	t.Helper()
	w := &kafka.Writer{
		Addr: kafka.TCP(broker), Topic: topic, RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond,
		Balancer: kafka.BalancerFunc(func(m kafka.Message, ps ...int) int {
			n, _ := strconv.Atoi(string(m.Key))
			return ps[n%len(ps)]
		}),
	}
	defer w.Close()
	km := make([]kafka.Message, len(msgs))
	for i, m := range msgs {
		b, err := alert.Encode(m.e)
		if err != nil {
			t.Fatal(err)
		}
		km[i] = kafka.Message{Key: []byte(strconv.Itoa(m.p)), Value: b, Time: m.e.Time}
	}
	if err := w.WriteMessages(context.Background(), km...); err != nil {
		t.Fatal(err)
	}
}

// startTail runs `outcry tail args...` in-process; stop cancels it and checks that it
// ended cleanly.
func startTail(t *testing.T, args ...string) (out *tailBuffer, stop func()) {
	t.Helper()
	out = &tailBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	root := newRoot()
	root.SetArgs(append([]string{"tail"}, args...))
	root.SetOut(out)
	root.SetErr(out)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("tail: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return out, stop
}

func TestTailFilters(t *testing.T) {
	broker := testenv.Kafka(t, 1, "alerts").ListenAddrs()[0]
	at := time.Date(2022, 10, 25, 7, 19, 10, 0, time.UTC)
	produceAlerts(t, broker, "alerts",
		tailMsg{0, tailEvent("keep-1", "whatsapp", incident.TypeStarted, "major", at)},
		tailMsg{0, tailEvent("drop-service", "facebook", incident.TypeStarted, "critical", at)},
		tailMsg{0, tailEvent("drop-type", "whatsapp", incident.TypeUpdated, "critical", at)},
		tailMsg{0, tailEvent("drop-severity", "whatsapp", incident.TypeStarted, "minor", at)},
		tailMsg{0, tailEvent("drop-flood", "instagram", incident.TypeFloodSuspected, "minor", at)},
		tailMsg{0, tailEvent("keep-2", "instagram", incident.TypeResolved, "critical", at.Add(time.Hour))},
	)
	out, stop := startTail(t, "--brokers", broker, "--from-beginning",
		"--service", "WhatsApp,instagram", "--severity", "major", "--type", "started,resolved")
	// one partition: once the last event is printed, every earlier one was seen
	testenv.Eventually(t, 10*time.Second, "the last kept event", func() bool {
		return strings.Contains(out.String(), "event keep-2")
	})
	stop()
	got := out.String()
	for _, want := range []string{"event keep-1", "STARTED  whatsapp   major", "RESOLVED instagram  critical", "back at 08:19:10Z"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "drop-") {
		t.Errorf("filtered events printed:\n%s", got)
	}
	if strings.Contains(got, "\x1b[") {
		t.Errorf("colour codes written to a non-terminal:\n%q", got)
	}
}

func TestTailJSONFilterAndColour(t *testing.T) {
	broker := testenv.Kafka(t, 1, "alerts").ListenAddrs()[0]
	at := time.Date(2023, 10, 14, 18, 0, 0, 0, time.UTC)
	flood := tailEvent("flood-1", "whatsapp", incident.TypeFloodSuspected, "minor", at)
	produceAlerts(t, broker, "alerts",
		tailMsg{0, tailEvent("started-1", "whatsapp", incident.TypeStarted, "major", at)},
		tailMsg{0, flood},
	)

	t.Run("json", func(t *testing.T) {
		out, stop := startTail(t, "--brokers", broker, "--from-beginning", "--json", "--type", "flood")
		testenv.Eventually(t, 10*time.Second, "the flood event", func() bool {
			return strings.Contains(out.String(), "flood-1")
		})
		stop()
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 1 {
			t.Fatalf("want one JSON line, got %d:\n%s", len(lines), out.String())
		}
		var ce map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &ce); err != nil {
			t.Fatal(err)
		}
		if ce["type"] != incident.TypeFloodSuspected || ce["specversion"] != "1.0" {
			t.Errorf("not the raw flood CloudEvent: %s", lines[0])
		}
		e, err := alert.Decode([]byte(lines[0]))
		if err != nil || e.Data.State != "flood" || e.ID != flood.ID {
			t.Errorf("decoded %+v, %v", e, err)
		}
	})

	t.Run("color always", func(t *testing.T) {
		out, stop := startTail(t, "--brokers", broker, "--from-beginning", "--color", "always")
		testenv.Eventually(t, 10*time.Second, "both events", func() bool {
			return strings.Contains(out.String(), "flood-1")
		})
		stop()
		got := out.String()
		if !strings.Contains(got, "\x1b[35mFLOOD") || !strings.Contains(got, "\x1b[1m\x1b[31mSTARTED") {
			t.Errorf("no colour with --color always:\n%q", got)
		}
		if !strings.Contains(stripANSI(got), "suspected flood since 17:55:00Z") || !strings.Contains(got, "why: 120 posts from 3 distinct authors") {
			t.Errorf("flood not described:\n%s", stripANSI(got))
		}
	})

	t.Run("NO_COLOR", func(t *testing.T) {
		t.Setenv("NO_COLOR", "1")
		if c, err := tail.UseColour("auto", &bytes.Buffer{}); c || err != nil {
			t.Errorf("auto with NO_COLOR = %v, %v", c, err)
		}
		if c, _ := tail.UseColour("always", &bytes.Buffer{}); !c {
			t.Error("--color always must win over NO_COLOR")
		}
	})
}

func TestTailSince(t *testing.T) {
	broker := testenv.Kafka(t, 2, "alerts").ListenAddrs()[0]
	now := time.Now().UTC().Truncate(time.Second)
	var msgs []tailMsg
	for p := range 2 {
		msgs = append(msgs,
			tailMsg{p, tailEvent(fmt.Sprintf("old-%d", p), "whatsapp", incident.TypeStarted, "major", now.Add(-3*time.Hour))},
			tailMsg{p, tailEvent(fmt.Sprintf("old2-%d", p), "whatsapp", incident.TypeUpdated, "major", now.Add(-2*time.Hour))},
			tailMsg{p, tailEvent(fmt.Sprintf("new-%d", p), "whatsapp", incident.TypeUpdated, "critical", now.Add(-10*time.Minute))},
		)
	}
	produceAlerts(t, broker, "alerts", msgs...)
	out, stop := startTail(t, "--brokers", broker, "--since", "1h")
	// the recent event is the last of each partition
	testenv.Eventually(t, 10*time.Second, "the recent event of both partitions", func() bool {
		s := out.String()
		return strings.Contains(s, "event new-0") && strings.Contains(s, "event new-1")
	})
	stop()
	if got := out.String(); strings.Contains(got, "old") {
		t.Errorf("events older than --since printed:\n%s", got)
	}
}

func TestTailFollowsFromTheEnd(t *testing.T) {
	broker := testenv.Kafka(t, 2, "alerts").ListenAddrs()[0]
	now := time.Now().UTC()
	produceAlerts(t, broker, "alerts",
		tailMsg{0, tailEvent("before-0", "x", incident.TypeStarted, "major", now)},
		tailMsg{1, tailEvent("before-1", "x", incident.TypeStarted, "major", now)})
	out, stop := startTail(t, "--brokers", broker)
	// tail positions itself at the end asynchronously: publish until one arrives
	n := 0
	testenv.Eventually(t, 20*time.Second, "a live event", func() bool {
		if strings.Contains(out.String(), "event live-") {
			return true
		}
		produceAlerts(t, broker, "alerts", tailMsg{n % 2, tailEvent(fmt.Sprintf("live-%d", n), "x", incident.TypeStarted, "major", time.Now())})
		n++
		return false
	})
	stop()
	if strings.Contains(out.String(), "before-") {
		t.Errorf("tail without --from-beginning or --since printed old events:\n%s", out.String())
	}
}

func TestTailFlagErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--color", "sometimes"}, `--color: "sometimes": want auto, always or never`},
		{[]string{"--severity", "huge"}, `--severity: unknown severity "huge"`},
		{[]string{"--type", "started,exploded"}, `--type: unknown event type "exploded"`},
		{[]string{"--since", "1h", "--from-beginning"}, "--since and --from-beginning both say where to start"},
		{[]string{"--since", "-1h"}, "--since -1h0m0s: want a positive duration"},
	} {
		err := outcry(context.Background(), append([]string{"tail", "--brokers", "127.0.0.1:1"}, tt.args...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("tail %v: got %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}

var ansiRE = regexp.MustCompile("\x1b\\[[0-9;]*m")

func stripANSI(s string) string { return ansiRE.ReplaceAllString(s, "") }

// The coloured form is the plain form with colour codes added: same text, same
// column alignment.
func TestTailColourKeepsLayout(t *testing.T) {
	at := time.Date(2022, 10, 25, 8, 50, 0, 0, time.UTC)
	for _, typ := range []string{incident.TypeStarted, incident.TypeUpdated, incident.TypeResolved, incident.TypeFloodSuspected} {
		e := tailEvent("e-1", "whatsapp", typ, "critical", at)
		var plain, colour bytes.Buffer
		tail.Print(&plain, e)
		tail.PrintStyled(&colour, e, true)
		if strings.Contains(plain.String(), "\x1b") {
			t.Errorf("%s: Print wrote colour codes", typ)
		}
		if !strings.Contains(colour.String(), "\x1b[") {
			t.Errorf("%s: no colour codes", typ)
		}
		if got := stripANSI(colour.String()); got != plain.String() {
			t.Errorf("%s: coloured text differs:\n%s\nplain:\n%s", typ, got, plain.String())
		}
	}
}
