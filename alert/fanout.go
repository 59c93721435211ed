package alert

import (
	"context"
	"errors"

	"github.com/outcry-dev/outcry/detect/incident"
)

// Fanout publishes each event to every sink (the alerts topic, a webhook...). A sink
// that failed is retried with the event on the next call while the sinks that took it
// are not sent it again, so one failing sink causes no duplicates on the others.
type Fanout struct {
	Sinks []Publisher
	done  map[string]map[int]bool // event id → sinks that have it
}

// Publish implements Publisher.
func (f *Fanout) Publish(ctx context.Context, events []incident.Event) error {
	if f.done == nil {
		f.done = map[string]map[int]bool{}
	}
	var errs []error
	for _, e := range events {
		got := f.done[e.ID]
		if got == nil {
			got = map[int]bool{}
			f.done[e.ID] = got
		}
		for i, s := range f.Sinks {
			if got[i] {
				continue
			}
			if err := s.Publish(ctx, []incident.Event{e}); err != nil {
				errs = append(errs, err)
				continue
			}
			got[i] = true
		}
		if len(got) == len(f.Sinks) {
			delete(f.done, e.ID)
		}
	}
	return errors.Join(errs...)
}

// Publisher sends alert events to one sink (the alerts topic, a webhook...).
type Publisher interface {
	Publish(ctx context.Context, events []incident.Event) error
}
