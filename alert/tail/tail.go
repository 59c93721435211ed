// Package tail follows the alerts topic for a reader: every incident event as it arrives,
// filtered by service, severity and type, printed readably (in colour on a terminal) or as
// the raw CloudEvent (outcry tail). The readable form is also the demo's output.
package tail

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/outcry-dev/outcry/alert"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/kafkaconn"
	"github.com/segmentio/kafka-go"
	"golang.org/x/sync/errgroup"
	"golang.org/x/term"
)

// printTailed prints one message of the alerts topic if it passes the filter.
func printTailed(out, errOut io.Writer, m kafka.Message, f Filter, asJSON, colour bool) {
	e, err := alert.Decode(m.Value)
	if err != nil {
		// Raw output without filters passes anything through; otherwise say why the
		// message is skipped.
		if asJSON && f.all() {
			fmt.Fprintf(out, "%s\n", m.Value)
			return
		}
		fmt.Fprintf(errOut, "partition %d offset %d: %v\n", m.Partition, m.Offset, err)
		return
	}
	if !f.match(e) {
		return
	}
	if asJSON {
		fmt.Fprintf(out, "%s\n", m.Value)
		return
	}
	PrintStyled(out, e, colour)
	fmt.Fprintln(out)
}

// Filter selects events; a zero field selects everything.
type Filter struct {
	services map[string]bool
	types    map[string]bool
	minRank  int
}

// tailTypes maps --type names to event types.
var tailTypes = map[string]string{
	"started":  incident.TypeStarted,
	"updated":  incident.TypeUpdated,
	"resolved": incident.TypeResolved,
	"flood":    incident.TypeFloodSuspected,
}

var severityRanks = map[string]int{incident.SeverityMinor: 1, incident.SeverityMajor: 2, incident.SeverityCritical: 3}

// NewFilter parses the filter flags; flag names a flag for errors.
func NewFilter(services, types []string, minSeverity string, flag func(string) string) (Filter, error) {
	var f Filter
	for _, s := range services {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" {
			continue
		}
		if f.services == nil {
			f.services = map[string]bool{}
		}
		f.services[s] = true
	}
	for _, t := range types {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		full, ok := tailTypes[t]
		if !ok && slices.Contains([]string{incident.TypeStarted, incident.TypeUpdated, incident.TypeResolved, incident.TypeFloodSuspected}, t) {
			full, ok = t, true
		}
		if !ok {
			return f, fmt.Errorf("%s: unknown event type %q: want started, updated, resolved or flood", flag("type"), t)
		}
		if f.types == nil {
			f.types = map[string]bool{}
		}
		f.types[full] = true
	}
	if s := strings.ToLower(strings.TrimSpace(minSeverity)); s != "" {
		r, ok := severityRanks[s]
		if !ok {
			return f, fmt.Errorf("%s: unknown severity %q: want minor, major or critical", flag("severity"), minSeverity)
		}
		f.minRank = r
	}
	return f, nil
}

func (f Filter) all() bool { return f.services == nil && f.types == nil && f.minRank == 0 }

func (f Filter) match(e incident.Event) bool {
	if f.services != nil && !f.services[strings.ToLower(e.Data.Service)] {
		return false
	}
	if f.types != nil && !f.types[e.Type] {
		return false
	}
	return f.minRank == 0 || severityRanks[e.Data.Severity] >= f.minRank
}

// UseColour decides on colour for --color mode writing to out: auto colours a
// terminal unless NO_COLOR (https://no-color.org) is set or TERM is dumb.
func UseColour(mode string, out io.Writer) (bool, error) {
	switch strings.ToLower(mode) {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto", "":
		if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
			return false, nil
		}
		f, ok := out.(*os.File)
		return ok && term.IsTerminal(int(f.Fd())), nil
	}
	return false, fmt.Errorf("%q: want auto, always or never", mode)
}

func Partitions(ctx context.Context, d *kafka.Dialer, broker, topic string) ([]int, error) {
	conn, err := d.DialContext(ctx, "tcp", broker)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", broker, err)
	}
	defer conn.Close()
	ps, err := conn.ReadPartitions(topic)
	if err != nil {
		return nil, fmt.Errorf("list partitions of %s: %w", topic, err)
	}
	out := make([]int, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out, nil
}

// Options say what to follow and how to print it.
type Options struct {
	Brokers       []string
	Topic         string
	Security      kafkaconn.Security
	FromBeginning bool          // start at the oldest event instead of the newest
	Since         time.Duration // start from the events published this long ago, per partition
	JSON          bool          // print the raw CloudEvent, one per line
	Colour        bool
	Filter        Filter
}

// Follow prints the events of the alerts topic until ctx ends.
func Follow(ctx context.Context, o Options, out, errOut io.Writer) error {
	parts, err := Partitions(ctx, o.Security.Dialer(), o.Brokers[0], o.Topic)
	if err != nil {
		return err
	}
	start := kafka.LastOffset
	if o.FromBeginning {
		start = kafka.FirstOffset
	}
	from := time.Now().Add(-o.Since)
	msgs := make(chan kafka.Message)
	g, gctx := errgroup.WithContext(ctx)
	for _, p := range parts {
		g.Go(func() error {
			r := kafka.NewReader(kafka.ReaderConfig{Brokers: o.Brokers, Topic: o.Topic, Partition: p, MaxWait: 200 * time.Millisecond, Dialer: o.Security.Dialer()})
			defer r.Close()
			var err error
			if o.Since > 0 {
				// the first offset at or after from; the end when there is none
				err = r.SetOffsetAt(gctx, from)
			} else {
				err = r.SetOffset(start)
			}
			if err != nil {
				if gctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("tail partition %d: %w", p, err)
			}
			for {
				m, err := r.ReadMessage(gctx)
				if err != nil {
					if gctx.Err() != nil {
						return nil
					}
					return fmt.Errorf("tail partition %d: %w", p, err)
				}
				select {
				case msgs <- m:
				case <-gctx.Done():
					return nil
				}
			}
		})
	}
	g.Go(func() error {
		for {
			select {
			case m := <-msgs:
				printTailed(out, errOut, m, o.Filter, o.JSON, o.Colour)
			case <-gctx.Done():
				return nil
			}
		}
	})
	return g.Wait()
}
