package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/outcry-dev/outcry/alert/tail"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/scenario"
	"github.com/outcry-dev/outcry/source"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
)

// DemoOptions say what the demo replays and how.
type DemoOptions struct {
	Scenario   scenario.Config // what is replayed
	Speed      float64         // a multiple of real time; 0 as fast as possible
	SpeedLabel string          // the speed as the user gave it
	Keep       bool            // stay up after the replay until ctx ends
	HTTPAddr   string          // the live page's address; "" for none
	Out        io.Writer       // where the alerts are printed
}

// ErrDemoUnresolved says the demo's replay ended without a resolved incident.
var ErrDemoUnresolved = errors.New("demo: the replay ended without a resolved incident")

// Demo runs Outcry on embedded parts (StartEmbedded), replays o.Scenario through it and
// prints the alerts as they fire, until the incident has resolved (or ctx ends, with
// Keep).
func Demo(ctx context.Context, o DemoOptions, log *zap.Logger) error {
	var posts bytes.Buffer
	sst, err := scenario.Write(&posts, o.Scenario)
	if err != nil {
		return fmt.Errorf("generate the demo scenario: %w", err)
	}
	env, err := StartEmbedded(ctx, "")
	if err != nil {
		return err
	}
	defer env.Close()
	out := o.Out
	fmt.Fprintf(out, "outcry demo on %s\n", env.Describe())
	ao := env.Options()
	ln, err := listenPage(o.HTTPAddr, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "replaying %d posts from %s to %s (WhatsApp outage 07:17–08:50 GMT) at %s× real time\n\n",
		sst.Posts, o.Scenario.Start.Format("2006-01-02 15:04Z"), o.Scenario.End.Format("15:04Z"), o.SpeedLabel)

	var (
		mu       sync.Mutex
		resolved = make(chan struct{})
		once     sync.Once
	)
	ao.HTTP = ln
	ao.OnEvent = func(e incident.Event) {
		mu.Lock()
		defer mu.Unlock()
		tail.Print(out, e)
		fmt.Fprintln(out)
		if e.Type == incident.TypeResolved {
			once.Do(func() { close(resolved) })
		}
	}
	a, err := New(ao, log)
	if err != nil {
		return err
	}
	defer a.Close()

	eg, ectx := errgroup.WithContext(ctx)
	runCtx, stop := context.WithCancel(ectx)
	defer stop()
	eg.Go(func() error { return a.Run(runCtx) })
	var last time.Time
	eg.Go(func() error {
		w := env.PostsWriter()
		defer w.Close()
		st, err := source.Replay(runCtx, w, bytes.NewReader(posts.Bytes()), source.ReplayOptions{Speed: o.Speed})
		last = st.Last
		if err != nil && runCtx.Err() == nil {
			return err
		}
		if o.Keep {
			fmt.Fprintf(out, "replay done; broker %s and Redis %s stay up (--keep): try `outcry tail --brokers %s --from-beginning`; Ctrl-C to stop\n",
				env.Kafka.Brokers[0], env.RedisAddr, env.Kafka.Brokers[0])
			return nil
		}
		// Wait for the tail of the stream to be evaluated.
		select {
		case <-resolved:
		case <-time.After(30 * time.Second):
			stop()
		case <-runCtx.Done():
		}
		return nil
	})
	eg.Go(func() error {
		if o.Keep {
			return nil
		}
		select {
		case <-resolved:
			stop()
		case <-runCtx.Done():
		}
		return nil
	})
	if err := eg.Wait(); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nil // Ctrl-C
	}
	select {
	case <-resolved:
		fmt.Fprintln(out, "the incident has resolved; demo done.")
		return nil
	default:
	}
	if err := a.Flush(ctx, last.Add(time.Minute)); err != nil {
		return err
	}
	select {
	case <-resolved:
		fmt.Fprintln(out, "the incident has resolved; demo done.")
		return nil
	default:
		return ErrDemoUnresolved
	}
}

// listenPage listens on addr for the live page of demo and watch and says where it
// is; nil for an empty addr.
func listenPage(addr string, out io.Writer) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--http %s: %w", addr, err)
	}
	fmt.Fprintf(out, "live page: http://%s/\n", ln.Addr())
	return ln, nil
}
