package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
	"golang.org/x/term"

	"github.com/outcry-dev/outcry/alert"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/devstack"
)

func newTailCmd(_ *globals) *cobra.Command {
	var (
		brokers, topic    string
		ksec              kafkaSecFlags
		asJSON, begin     bool
		colorMode, minSev string
		services, types   []string
		since             time.Duration
	)
	cmd := &cobra.Command{
		Use:   "tail",
		Short: "Follow the alerts topic and print each incident event",
		Long: `Tail follows the alerts topic and prints every incident event as it arrives, readably
(in colour on a terminal), or with --json as the raw CloudEvent, one per line. It starts
at the end of the topic unless --from-beginning or --since is given.

Filters apply to both forms: --service keeps the named services, --severity keeps
events at or above a severity (minor < major < critical), --type keeps event types
(started, updated, resolved, flood).

Colour: --color auto (the default) colours only when standard output is a terminal,
NO_COLOR is not set and TERM is not "dumb"; always and never force it.`,
		Example: `  outcry tail
  outcry tail --since 2h --service whatsapp,facebook --severity major
  outcry tail --type started,resolved --color never
  outcry tail --from-beginning --json | jq .data.service`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := devstack.SplitAddrs(brokers)
			if len(b) == 0 {
				return fmt.Errorf("%s is empty: give host:port[,host:port...]", flagName(cmd, "brokers"))
			}
			filter, err := newTailFilter(services, types, minSev, func(n string) string { return flagName(cmd, n) })
			if err != nil {
				return err
			}
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			colour, err := useColour(colorMode, out)
			if err != nil {
				return fmt.Errorf("%s: %w", flagName(cmd, "color"), err)
			}
			if since < 0 {
				return fmt.Errorf("%s %s: want a positive duration such as 30m or 2h", flagName(cmd, "since"), since)
			}
			if since > 0 && begin {
				return fmt.Errorf("%s and %s both say where to start: give one", flagName(cmd, "since"), flagName(cmd, "from-beginning"))
			}
			ctx := cmd.Context()
			sec, err := ksec.security(cmd)
			if err != nil {
				return err
			}
			parts, err := partitionsWith(ctx, sec.Dialer(), b[0], topic)
			if err != nil {
				return err
			}
			start := kafka.LastOffset
			if begin {
				start = kafka.FirstOffset
			}
			from := time.Now().Add(-since)
			msgs := make(chan kafka.Message)
			g, gctx := errgroup.WithContext(ctx)
			for _, p := range parts {
				g.Go(func() error {
					r := kafka.NewReader(kafka.ReaderConfig{Brokers: b, Topic: topic, Partition: p, MaxWait: 200 * time.Millisecond, Dialer: sec.Dialer()})
					defer r.Close()
					var err error
					if since > 0 {
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
						printTailed(out, errOut, m, filter, asJSON, colour)
					case <-gctx.Done():
						return nil
					}
				}
			})
			return g.Wait()
		},
	}
	f := cmd.Flags()
	f.StringVar(&brokers, "brokers", "127.0.0.1:9092", "Kafka bootstrap brokers, comma-separated")
	f.StringVar(&topic, "topic", "alerts", "alerts topic to follow")
	ksec.register(f)
	f.BoolVar(&asJSON, "json", false, "print each event as raw CloudEvents JSON, one per line")
	f.BoolVar(&begin, "from-beginning", false, "start at the oldest event on the topic instead of the newest")
	f.DurationVar(&since, "since", 0, "start from the events published in the last DURATION (e.g. 2h), per partition")
	f.StringVar(&colorMode, "color", "auto", "colour the output: auto (on a terminal without NO_COLOR), always or never")
	f.StringSliceVar(&services, "service", nil, "only these services, comma-separated (default: all)")
	f.StringVar(&minSev, "severity", "", "only events at or above this severity: minor, major or critical (default: all)")
	f.StringSliceVar(&types, "type", nil, "only these event types, comma-separated: started, updated, resolved, flood (default: all)")
	return cmd
}

// printTailed prints one message of the alerts topic if it passes the filter.
func printTailed(out, errOut io.Writer, m kafka.Message, f tailFilter, asJSON, colour bool) {
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
	printEventStyled(out, e, colour)
	fmt.Fprintln(out)
}

// tailFilter selects events; a zero field selects everything.
type tailFilter struct {
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

// newTailFilter parses the filter flags; flag names a flag for errors.
func newTailFilter(services, types []string, minSeverity string, flag func(string) string) (tailFilter, error) {
	var f tailFilter
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

func (f tailFilter) all() bool { return f.services == nil && f.types == nil && f.minRank == 0 }

func (f tailFilter) match(e incident.Event) bool {
	if f.services != nil && !f.services[strings.ToLower(e.Data.Service)] {
		return false
	}
	if f.types != nil && !f.types[e.Type] {
		return false
	}
	return f.minRank == 0 || severityRanks[e.Data.Severity] >= f.minRank
}

// useColour decides on colour for --color mode writing to out: auto colours a
// terminal unless NO_COLOR (https://no-color.org) is set or TERM is dumb.
func useColour(mode string, out io.Writer) (bool, error) {
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

// partitions lists the partitions of topic, creating it (on brokers that allow it)
// so that tail can start before the first alert.
func partitions(ctx context.Context, broker, topic string) ([]int, error) {
	return partitionsWith(ctx, &kafka.Dialer{Timeout: 10 * time.Second}, broker, topic)
}

func partitionsWith(ctx context.Context, d *kafka.Dialer, broker, topic string) ([]int, error) {
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
