// Package ingest brings posts from public streams (Bluesky's Jetstream, Mastodon's
// streaming API, X's filtered stream) into the posts topic as canonical posts.
//
// It is the stage before the source in the data flow (docs/architecture.md): a
// connector (a Source, one sub-package per protocol) reads its stream and turns each
// frame into an Event; Run dedupes them, holds them in a bounded buffer, produces the
// posts to Kafka and saves the stream's cursor with what it produced, so that a
// restart resumes where the last run stopped (rewinding a little and skipping what it
// had already produced). Connections are retried with jittered exponential back-off,
// over the endpoints in order. Nothing here decides anything about outages.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/outcry-dev/outcry/internal/ctxtime"
	"github.com/outcry-dev/outcry/post"
)

// Event is one frame of a source, read.
type Event struct {
	// Post is the canonical post of a frame that creates one; nil for the frames
	// that are not posts (deletes, identity and account events, edits, keep-alives).
	Post *post.Post
	// Kind says what the frame was, for the metrics: KindPost, KindDelete, ...
	Kind string
	// Key identifies the post for deduplication (Bluesky: did/collection/rkey);
	// "" when there is nothing to dedupe.
	Key string
	// Cursor is the position in the source after this frame (Jetstream: time_us), 0
	// when the frame carries none. Cursors increase along a stream.
	Cursor int64
	// At is when the source says the frame happened (for the lag metric); zero if
	// unknown.
	At time.Time
	// Bad is a frame that cannot be read: it goes to the dead-letter topic with
	// Reason and Detail.
	Bad            []byte
	Reason, Detail string
}

// Kinds of events, the metric's label.
const (
	KindPost     = "post"
	KindDelete   = "delete"
	KindUpdate   = "update"
	KindIdentity = "identity"
	KindAccount  = "account"
	KindOther    = "other" // other collections and event types
	KindBad      = "bad"   // unreadable frames (dead-lettered)
)

// Stream is one open connection to a source.
type Stream interface {
	// Next blocks for the next event. An error ends the stream; Run reconnects.
	Next(ctx context.Context) (Event, error)
	Close() error
}

// Source is a connector: it opens a stream at an endpoint, from a cursor (0: live).
type Source interface {
	Name() string // "bluesky": the metrics' label, the cursor's key, the posts' id prefix
	Open(ctx context.Context, endpoint string, cursor int64) (Stream, error)
}

// Producer writes posts to the posts topic. A nil error means all were written.
type Producer interface {
	Produce(ctx context.Context, posts []post.Post) error
}

// DeadLetterer writes unreadable frames to the dead-letter topic.
type DeadLetterer interface {
	DeadLetter(ctx context.Context, source string, frames []Event) error
}

// CursorStore keeps a source's cursor, and the keys of the posts produced near it:
// the next run resumes a little before the cursor and skips the posts it produced
// already (Redis in production: store.Store).
type CursorStore interface {
	// LoadCursor returns the saved cursor (0: none) and every key kept, with the
	// cursor each was read at.
	LoadCursor(ctx context.Context, source string) (cursor int64, keys map[string]int64, err error)
	// SaveCursor saves cursor with the keys produced since the last save; keys read
	// before forget are no longer needed.
	SaveCursor(ctx context.Context, source string, cursor int64, added map[string]int64, forget int64) error
}

// StopGrace is how long a stopped Run still tries to write the posts in hand.
const StopGrace = 5 * time.Second

// Options say how Run reads and writes. Defaults owns their values.
type Options struct {
	Endpoints    []string      // tried in order; the first that connects wins, the others are fallbacks
	Buffer       int           // events held between the source and the broker
	DropWhenFull bool          // drop (and count) events when the buffer is full, instead of pausing the source
	Rewind       time.Duration // how far before the saved cursor a restart resumes (the overlap is deduplicated)
	BackoffMin   time.Duration // first reconnect delay
	BackoffMax   time.Duration // longest reconnect delay
	Batch        int           // most posts per produce
	SaveEvery    time.Duration // how often the checkpoint is saved while posts flow
	// GiveUp: after this many rounds in a row in which no endpoint could be
	// connected to (before any connection succeeded), Run returns an
	// *UnreachableError; 0 retries for ever (a service waits for its source).
	GiveUp int
}

// UnreachableError says no endpoint of the source could be reached (GiveUp).
type UnreachableError struct {
	Source string
	Err    error // the last round's errors, one per endpoint
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach %s (is this machine online?): %v", e.Source, strings.ReplaceAll(e.Err.Error(), "\n", "; "))
}

// brief is the cause of a failed connection without the layers above it: "lookup
// jetstream1.us-east.bsky.network: no such host", not the WebSocket library's
// three-deep wrapping of it.
func brief(err error) error {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return op
	}
	return err
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Defaults are the options' defaults.
func Defaults() Options {
	return Options{
		Buffer:     10_000,
		Rewind:     5 * time.Second,
		BackoffMin: 500 * time.Millisecond,
		BackoffMax: 30 * time.Second,
		Batch:      500,
		SaveEvery:  time.Second,
	}
}

// Validate says what is wrong with o, and what is allowed.
func (o Options) Validate() error {
	var errs []error
	if len(o.Endpoints) == 0 {
		errs = append(errs, errors.New("no endpoint: give at least one --url"))
	}
	if o.Buffer < 1 || o.Buffer > 10_000_000 {
		errs = append(errs, fmt.Errorf("buffer %d: want 1 to 10,000,000 events", o.Buffer))
	}
	if o.Rewind < 0 || o.Rewind > time.Hour {
		errs = append(errs, fmt.Errorf("rewind %s: want 0 to 1h", o.Rewind))
	}
	if o.BackoffMin <= 0 || o.BackoffMax < o.BackoffMin {
		errs = append(errs, fmt.Errorf("back-off %s to %s: want 0 < min ≤ max", o.BackoffMin, o.BackoffMax))
	}
	if o.Batch < 1 || o.Batch > 100_000 {
		errs = append(errs, fmt.Errorf("batch %d: want 1 to 100,000", o.Batch))
	}
	if o.GiveUp < 0 {
		errs = append(errs, fmt.Errorf("give up after %d rounds: want 0 (never) or more", o.GiveUp))
	}
	if o.SaveEvery <= 0 {
		errs = append(errs, fmt.Errorf("save every %s: want > 0", o.SaveEvery))
	}
	return errors.Join(errs...)
}

// Deps are what Run talks to.
type Deps struct {
	Source   Source
	Producer Producer
	DLQ      DeadLetterer
	Cursors  CursorStore
	// Name keys the cursor and labels the metrics and dead letters; default
	// Source.Name(). Two runs of one connector on different servers need two names.
	Name    string
	Metrics *Metrics // optional
	Log     *zap.Logger
	Now     func() time.Time // default time.Now
	// Sleep waits d or until ctx ends (tests may shorten it); default a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Run reads the source and produces its posts until ctx ends (then it returns nil
// once the buffered posts are written and the checkpoint saved, if the broker and
// Redis allow), or until the checkpoint cannot be loaded at the start.
func Run(ctx context.Context, o Options, d Deps) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Sleep == nil {
		d.Sleep = ctxtime.Sleep
	}
	if d.Metrics == nil {
		d.Metrics = newUnregisteredMetrics()
	}
	name := d.Name
	if name == "" {
		name = d.Source.Name()
	}
	cursor, keys, err := d.Cursors.LoadCursor(ctx, name)
	if err != nil {
		return fmt.Errorf("load the %s cursor: %w", name, err)
	}
	if keys == nil {
		keys = map[string]int64{}
	}
	// The reader dedupes against what the last run produced, and what it reads now.
	r := &run{o: o, d: d, name: name, events: make(chan Event, o.Buffer), seen: keys, cursor: cursor}
	r.m = d.Metrics.forSource(name)
	r.m.cursorLoaded(cursor, d.Now())
	if cursor > 0 {
		d.Log.Info("resuming from the saved cursor", zap.String("source", name),
			zap.Time("cursor", time.UnixMicro(cursor)), zap.Duration("rewind", o.Rewind), zap.Int("keys", len(keys)))
	}

	eg, ectx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		defer close(r.events)
		return r.read(ectx, cursor)
	})
	eg.Go(func() error { return r.write(ctx) })
	err = eg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

type run struct {
	o      Options
	d      Deps
	name   string
	m      sourceMetrics
	events chan Event

	seen   map[string]int64 // reader's: keys read (and produced by the last run), by cursor
	cursor int64            // the cursor loaded at the start
}

// read connects, reads and reconnects until ctx ends.
func (r *run) read(ctx context.Context, cursor int64) error {
	failures, connected := 0, false
	for ctx.Err() == nil {
		from := cursor
		if from > 0 {
			from -= r.o.Rewind.Microseconds()
		}
		st, endpoint, err := r.open(ctx, from)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			failures++
			if !connected && r.o.GiveUp > 0 && failures >= r.o.GiveUp {
				return &UnreachableError{Source: r.name, Err: err}
			}
			wait := r.backoff(err, failures)
			r.d.Log.Warn("cannot connect to the source; retrying", zap.String("source", r.name),
				zap.Error(err), zap.Duration("in", wait))
			r.m.connected(false)
			if err := r.d.Sleep(ctx, wait); err != nil {
				return nil
			}
			continue
		}
		r.m.connected(true)
		connected = true
		read, last, err := r.drain(ctx, st)
		_ = st.Close()
		r.m.connected(false)
		if last > cursor {
			cursor = last
		}
		if ctx.Err() != nil {
			return nil
		}
		r.m.reconnect()
		if read > 0 {
			failures = 0
		}
		failures++
		wait := r.backoff(err, failures)
		r.d.Log.Warn("the source's stream ended; reconnecting", zap.String("source", r.name),
			zap.String("endpoint", endpoint), zap.Int("events", read), zap.Error(err), zap.Duration("in", wait))
		if err := r.d.Sleep(ctx, wait); err != nil {
			return nil
		}
	}
	return nil
}

// Backoffer is a Source with its own reconnect delays (X publishes how its clients
// must back off); Run uses them instead of its own.
type Backoffer interface {
	Backoff(err error, attempt int) time.Duration
}

// backoff is the delay before reconnect attempt n after err.
func (r *run) backoff(err error, n int) time.Duration {
	if b, ok := r.d.Source.(Backoffer); ok {
		return b.Backoff(err, n)
	}
	return ctxtime.Backoff(r.o.BackoffMin, r.o.BackoffMax, n)
}

// open tries the endpoints in order.
func (r *run) open(ctx context.Context, cursor int64) (Stream, string, error) {
	var errs []error
	for _, e := range r.o.Endpoints {
		st, err := r.d.Source.Open(ctx, e, cursor)
		if err == nil {
			r.d.Log.Info("connected", zap.String("source", r.name), zap.String("endpoint", e),
				zap.Bool("resumed", cursor > 0))
			return st, e, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", e, brief(err)))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, "", errors.Join(errs...)
}

// drain reads one stream until it fails or ctx ends; it returns how many events it
// read and the last cursor seen.
func (r *run) drain(ctx context.Context, st Stream) (int, int64, error) {
	n := 0
	var last int64
	for {
		ev, err := st.Next(ctx)
		if err != nil {
			return n, last, err
		}
		n++
		if ev.Cursor > last {
			last = ev.Cursor
		}
		r.m.event(ev.Kind)
		if !ev.At.IsZero() {
			r.m.lag(r.d.Now().Sub(ev.At))
		}
		if ev.Post == nil && ev.Bad == nil {
			continue
		}
		if ev.Key != "" {
			if _, dup := r.seen[ev.Key]; dup {
				r.m.duplicate()
				continue
			}
			r.seen[ev.Key] = ev.Cursor
			r.forget(ev.Cursor)
		}
		if r.o.DropWhenFull {
			select {
			case r.events <- ev:
			default:
				r.m.dropped()
			}
			continue
		}
		select {
		case r.events <- ev:
		case <-ctx.Done():
			return n, last, nil
		}
	}
}

// forget drops keys read well before cursor: a resume never goes back that far.
// It runs when the map has grown, not on every event.
func (r *run) forget(cursor int64) {
	if len(r.seen) < 2*r.o.Buffer+100_000 || cursor == 0 {
		return
	}
	horizon := cursor - 4*r.o.Rewind.Microseconds() - int64(time.Minute/time.Microsecond)
	for k, c := range r.seen {
		if c < horizon {
			delete(r.seen, k)
		}
	}
}

// write produces the buffered posts in batches and saves the checkpoint.
func (r *run) write(ctx context.Context) error {
	batch := make([]post.Post, 0, r.o.Batch)
	var bad []Event
	cursor, added := r.cursor, map[string]int64{}
	lastSave := r.d.Now()
	dirty := false
	// A stop still writes what is in hand, for at most StopGrace after ctx ends, so
	// that a broker away cannot hold the exit (what is not written is read again
	// after the restart: the cursor was not saved past it).
	fctx, fcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer fcancel()
	defer context.AfterFunc(ctx, func() { time.AfterFunc(StopGrace, fcancel) })()
	flush := func() error {
		if len(bad) > 0 {
			if err := r.d.DLQ.DeadLetter(fctx, r.name, bad); err != nil {
				r.d.Log.Warn("cannot dead-letter unreadable frames", zap.String("source", r.name), zap.Int("frames", len(bad)), zap.Error(err))
			} else {
				r.m.deadLettered(len(bad))
			}
			bad = bad[:0]
		}
		if len(batch) > 0 {
			failures := 0
			for {
				err := r.d.Producer.Produce(fctx, batch)
				if err == nil {
					break
				}
				if fctx.Err() != nil {
					r.d.Log.Warn("stopped before these posts could be produced; the next run reads them again",
						zap.String("source", r.name), zap.Int("posts", len(batch)), zap.Error(err))
					return fmt.Errorf("produce %d posts: %w", len(batch), err)
				}
				failures++
				r.m.produceFailed()
				wait := ctxtime.Backoff(r.o.BackoffMin, r.o.BackoffMax, failures)
				r.d.Log.Warn("cannot produce to the posts topic; retrying (the source is paused or dropping meanwhile)",
					zap.String("source", r.name), zap.Int("posts", len(batch)), zap.Error(err), zap.Duration("in", wait))
				if err := r.d.Sleep(fctx, wait); err != nil {
					return fmt.Errorf("produce %d posts: %w", len(batch), err)
				}
			}
			r.m.produced(len(batch))
			batch = batch[:0]
			dirty = true
		}
		if dirty && (ctx.Err() != nil || r.d.Now().Sub(lastSave) >= r.o.SaveEvery) {
			forget := cursor - 2*r.o.Rewind.Microseconds()
			if err := r.d.Cursors.SaveCursor(fctx, r.name, cursor, added, forget); err != nil {
				// Not fatal: a restart then re-reads a little more (and dedupes what
				// the last save knew).
				r.d.Log.Warn("cannot save the cursor", zap.String("source", r.name), zap.Error(err))
				r.m.saveFailed()
			} else {
				r.m.saved(cursor, r.d.Now())
				lastSave, dirty = r.d.Now(), false
				clear(added)
			}
		}
		return nil
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case ev, ok := <-r.events:
			if !ok {
				return flush()
			}
			if ev.Bad != nil {
				bad = append(bad, ev)
			} else {
				batch = append(batch, *ev.Post)
				if ev.Key != "" {
					added[ev.Key] = ev.Cursor
				}
			}
			cursor = max(cursor, ev.Cursor)
			r.m.buffered(len(r.events))
			if len(batch) >= r.o.Batch || len(bad) >= r.o.Batch {
				if err := flush(); err != nil {
					return err
				}
			}
		case <-tick.C:
			r.m.buffered(len(r.events))
			if err := flush(); err != nil {
				return err
			}
		}
	}
}
