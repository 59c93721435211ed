package alert

import (
	"context"
	"errors"
	"testing"

	"github.com/outcry-dev/outcry/detect/incident"
)

type sink struct {
	fail int // fail this many calls first
	got  []string
}

func (s *sink) Publish(_ context.Context, evs []incident.Event) error {
	if s.fail > 0 {
		s.fail--
		return errors.New("down")
	}
	for _, e := range evs {
		s.got = append(s.got, e.ID)
	}
	return nil
}

// A failing sink is retried with the event; the sinks that took it do not get it twice.
func TestFanoutRetriesOnlyTheFailedSink(t *testing.T) {
	ok, flaky := &sink{}, &sink{fail: 2}
	f := &Fanout{Sinks: []Publisher{ok, flaky}}
	e := []incident.Event{{ID: "whatsapp-20221025T0717-1"}}
	for i := 0; i < 2; i++ {
		if err := f.Publish(context.Background(), e); err == nil {
			t.Fatalf("attempt %d: want the flaky sink's error", i)
		}
	}
	if err := f.Publish(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if len(ok.got) != 1 || len(flaky.got) != 1 {
		t.Errorf("deliveries: steady %v, flaky %v; want one each", ok.got, flaky.got)
	}
	if len(f.done) != 0 {
		t.Errorf("bookkeeping kept %d events after every sink had them", len(f.done))
	}
}
