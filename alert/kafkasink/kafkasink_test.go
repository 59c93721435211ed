package kafkasink_test

import (
	"context"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/alert/kafkasink"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/kafkaconn"
)

// Published finds an event on the alerts topic by id, among others, and only among
// what was written since the time asked for.
func TestAlertsPublished(t *testing.T) {
	ctx := context.Background()
	broker := testenv.Kafka(t, 3).ListenAddrs()[0]
	w := kafkaconn.NewWriter([]string{broker}, "alerts")
	defer w.Close()
	a := &kafkasink.Alerts{W: w}
	ev := func(id, svc string) incident.Event {
		e := incident.Event{ID: id, Type: incident.TypeStarted, Time: time.Now().UTC()}
		e.Data.Service, e.Data.IncidentID = svc, id
		return e
	}
	if found, err := a.Published(ctx, ev("whatsapp-1", "whatsapp"), time.Now().Add(-time.Minute)); err != nil || found {
		t.Fatalf("before anything was published: found %v, %v", found, err)
	}
	before := time.Now().Add(-time.Second)
	var evs []incident.Event
	for _, svc := range []string{"whatsapp", "x", "facebook", "instagram", "telegram"} {
		evs = append(evs, ev(svc+"-20221025T0717", svc), ev(svc+"-20221025T0717-1", svc))
	}
	if err := a.Publish(ctx, evs); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id    string
		since time.Time
		want  bool
	}{
		{"whatsapp-20221025T0717-1", before, true},
		{"telegram-20221025T0717", before, true},
		{"whatsapp-20221025T0717-2", before, false},
		{"whatsapp-20221025T0717-1", time.Now().Add(time.Minute), false},
	}
	for _, tt := range tests {
		found, err := a.Published(ctx, ev(tt.id, "whatsapp"), tt.since)
		if err != nil || found != tt.want {
			t.Errorf("Published(%s, since %s) = %v, %v; want %v", tt.id, tt.since.Format(time.TimeOnly), found, err, tt.want)
		}
	}
}
