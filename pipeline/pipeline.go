// Package pipeline is the counting stage of the data flow (docs/architecture.md): it
// reads the posts topic through the source, decodes each message (post), matches it
// (match), sums one batch in memory (counts), stores the batch in Redis together with its
// offsets (store), dead-letters what cannot be used, commits offsets only for work that is
// durably done, and hands the closed buckets to the evaluator (the monitor).
//
//	source → decode → match → aggregate → store → evaluator (monitor → alert sinks)
//	            └── bad input → dead-letter topic, with the reason in a header
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/match"
	"github.com/outcry-dev/outcry/post"
	"github.com/outcry-dev/outcry/source"
	"github.com/outcry-dev/outcry/store"
)

// Source is the consumer-group side of kafka-go's Reader that the pipeline uses. The
// value of a fetched message must never change afterwards (kafka-go allocates one per
// message): decoded posts are views of it.
type Source interface {
	FetchMessage(ctx context.Context) (kafka.Message, error)
	CommitMessages(ctx context.Context, msgs ...kafka.Message) error
}

// Counters stores a batch with its offsets atomically (store.Store).
type Counters interface {
	Apply(ctx context.Context, group, topic string, b *counts.Batch, stored store.Stored) error
	Offsets(ctx context.Context, group, topic string) (store.Stored, error)
	Lock(ctx context.Context, group, topic, holder string, parts []int, ttl time.Duration) (store.Offsets, error)
	Load(ctx context.Context) error // makes the store's scripts ready
}

// Matcher finds the services a post is about (match.Matcher).
type Matcher interface {
	Match(dst []match.Match, text string) []match.Match
}

// Evaluator closes buckets as the group's watermark passes them and publishes alerts
// (monitor.Monitor).
//
// Tick runs on a goroutine of its own, beside the storing of the next batch; Admit
// and Stored bracket the storing of one batch, so that no bucket the batch may add
// to is evaluated before it is stored.
type Evaluator interface {
	Tick(ctx context.Context) error                         // evaluate what the stored batches closed
	Admit() time.Time                                       // a batch is about to be stored: posts before this are too late
	Stored(b *counts.Batch)                                 // the admitted batch is stored (nil: given up); what it added (early firing)
	Advance(ctx context.Context, watermark time.Time) error // close up to watermark (end of input)
}

// DeadLetterer sends messages that cannot be used to the dead-letter topic.
type DeadLetterer interface {
	DeadLetter(ctx context.Context, letters []source.DeadLetter) error
}

// DefaultBatchSize is the most messages a batch holds by default: one Redis round
// trip and one offset commit per batch.
const DefaultBatchSize = 20000

// Limits of the configuration (Validate).
const (
	// MaxBatchSize bounds a batch: two batches of messages of up to MaxPostBytes are
	// held at once.
	MaxBatchSize = 200000
	// MaxMaxPostBytes is Apache Kafka's default message limit: nothing larger is
	// produced to the posts topic anyway.
	MaxMaxPostBytes = 1 << 20
	// MaxHorizon is how far back MaxAge may reach: the hourly rollups the baselines
	// are built from keep 16 days, and a post must land in a kept bucket.
	MaxHorizon = 14 * 24 * time.Hour
	// DefaultMaxAge is how far behind the group's newest post a post may be.
	DefaultMaxAge = 72 * time.Hour
	// DefaultDrain is how long a shutdown may spend storing and committing the batch
	// in hand.
	DefaultDrain = 25 * time.Second
)

// Config of a Pipeline. Zero values take the documented defaults.
type Config struct {
	Group        string        // consumer group (for stored offsets); required
	Topic        string        // posts topic; required
	Services     []string      // services of the rules (their stored offsets are loaded at start)
	BatchSize    int           // most messages per batch; default DefaultBatchSize, at most MaxBatchSize
	BatchWait    time.Duration // longest wait to fill a batch; default 100ms
	MaxPostBytes int           // larger messages are dead-lettered; default 64 KiB, at most MaxMaxPostBytes
	Bucket       time.Duration // event-time bucket; default 10s
	// Lateness is how far behind the newest post a post may arrive and still be
	// counted; later ones are dead-lettered as too_late. Default 2m.
	Lateness time.Duration
	// MaxAge is the group's horizon: a post older than the group's newest post by
	// more than this is dead-lettered as too_old, so one backdated post cannot make a
	// new group start years back. Default DefaultMaxAge; at least Lateness, at most
	// MaxHorizon.
	MaxAge time.Duration
	// MaxFuture is how far ahead of the wall clock a created_at may be; default 5m.
	MaxFuture time.Duration
	// Tick is how often the evaluator runs while no posts arrive; default 1s.
	Tick time.Duration
	// Retry is the first back-off after a failed Redis or Kafka call; default 200ms,
	// doubling up to 10s.
	Retry time.Duration
	// Drain bounds a shutdown: once the context given to Run ends, storing and
	// committing the batch in hand may take this long, then it is abandoned (it was
	// not committed, so it is consumed again). Default DefaultDrain.
	Drain time.Duration
	// NoSampleText keeps no post text with the buckets' sample complaints (only their
	// ids), for deployments that must not store what people wrote.
	NoSampleText bool
	// Instance names this consumer in the partition locks; default a random name.
	Instance string
	Now      func() time.Time // wall clock; default time.Now
}

// ConfigError is a configuration value out of its range; Field names the Config field.
type ConfigError struct {
	Field string
	Msg   string
}

func (e *ConfigError) Error() string { return e.Field + ": " + e.Msg }

// Validate checks the values set (zero values take defaults and are valid).
func (c Config) Validate() error {
	switch {
	case c.BatchSize < 0 || c.BatchSize > MaxBatchSize:
		return &ConfigError{"BatchSize", fmt.Sprintf("%d messages: want 1 to %d", c.BatchSize, MaxBatchSize)}
	case c.MaxPostBytes < 0 || c.MaxPostBytes > MaxMaxPostBytes:
		return &ConfigError{"MaxPostBytes", fmt.Sprintf("%d bytes: want 1 to %d (Apache Kafka's default message limit)", c.MaxPostBytes, MaxMaxPostBytes)}
	case c.Lateness < 0:
		return &ConfigError{"Lateness", fmt.Sprintf("%s: want a positive duration", c.Lateness)}
	case c.MaxAge < 0 || c.MaxAge > MaxHorizon:
		return &ConfigError{"MaxAge", fmt.Sprintf("%s: want a positive duration of at most %s (the hourly rollups behind the baselines keep 16 days)", c.MaxAge, MaxHorizon)}
	case c.MaxAge > 0 && c.MaxAge < max(c.Lateness, counts.DefaultLateness):
		return &ConfigError{"MaxAge", fmt.Sprintf("%s: want at least the allowed lateness (%s)", c.MaxAge, max(c.Lateness, counts.DefaultLateness))}
	case c.Drain < 0:
		return &ConfigError{"Drain", fmt.Sprintf("%s: want a positive duration", c.Drain)}
	}
	return nil
}

func (c *Config) defaults() error {
	if c.Group == "" || c.Topic == "" {
		return errors.New("pipeline: group and topic are required")
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.BatchWait <= 0 {
		c.BatchWait = 100 * time.Millisecond
	}
	if c.MaxPostBytes <= 0 {
		c.MaxPostBytes = post.DefaultMaxPostBytes
	}
	if c.Bucket <= 0 {
		c.Bucket = counts.DefaultBucket
	}
	if c.Lateness <= 0 {
		c.Lateness = counts.DefaultLateness
	}
	if c.MaxAge <= 0 {
		c.MaxAge = DefaultMaxAge
	}
	if c.MaxFuture <= 0 {
		c.MaxFuture = 5 * time.Minute
	}
	if c.Tick <= 0 {
		c.Tick = time.Second
	}
	if c.Retry <= 0 {
		c.Retry = 200 * time.Millisecond
	}
	if c.Drain <= 0 {
		c.Drain = DefaultDrain
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Instance == "" {
		c.Instance = fmt.Sprintf("consumer-%d", rand.Int64())
	}
	return nil
}

// Stats are the pipeline's running totals.
type Stats struct {
	Consumed, Decoded, Matched, Complaints, DeadLettered, Skipped int64
	DeadByReason                                                  map[string]int64
}

// Pipeline consumes posts and feeds the windows and the monitor.
type Pipeline struct {
	cfg      Config
	src      Source
	counters Counters
	matcher  Matcher
	eval     Evaluator
	dlq      DeadLetterer
	log      *zap.Logger
	metrics  *Metrics

	stored  store.Stored  // per scope and partition: last offset whose effect is in Redis
	kick    chan struct{} // asks the evaluation loop for a Tick
	loaded  bool
	statsMu sync.Mutex // Stats is read by other goroutines (progress, benches)
	stats   Stats
	onBatch func(Stats)
}

// Deps are the parts a Pipeline works with, all given to New.
type Deps struct {
	Source      Source
	Counters    Counters
	Matcher     Matcher
	Evaluator   Evaluator
	DeadLetters DeadLetterer
	Metrics     *Metrics // optional
	// OnBatch, optional, is called with the running totals after every committed batch
	// (backtests use it to know when the input is consumed).
	OnBatch func(Stats)
}

// New returns a pipeline.
func New(cfg Config, d Deps, log *zap.Logger) (*Pipeline, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	return &Pipeline{
		cfg: cfg, src: d.Source, counters: d.Counters, matcher: d.Matcher, eval: d.Evaluator, dlq: d.DeadLetters,
		log:     log.With(zap.String("component", "pipeline")),
		metrics: d.Metrics,
		onBatch: d.OnBatch,
		stored:  store.Stored{},
		stats:   Stats{DeadByReason: map[string]int64{}},
	}, nil
}

// Run consumes until ctx ends. It returns nil on cancellation after the batch in hand
// is stored and committed.
//
// Two stages overlap: one goroutine fetches, decodes and matches the next batch while
// this one stores, commits and evaluates the last. Storing stays strictly in order, one
// batch at a time; what depends on the stored state (what is too late) is decided when
// a batch is stored, not when it is parsed.
func (p *Pipeline) Run(ctx context.Context) error {
	// Nothing is in hand yet: a shutdown while Redis or the broker is away at start
	// ends at once.
	if err := p.load(ctx); err != nil {
		return err
	}
	// Work in progress is finished with a context that outlives ctx by at most Drain,
	// so a shutdown neither abandons a batch half stored nor waits forever on a
	// dependency that is away.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	stopDrain := context.AfterFunc(ctx, func() {
		time.AfterFunc(p.cfg.Drain, func() {
			if work.Err() != nil {
				return // Run is over
			}
			p.log.Warn("shutdown: the batch in hand was not stored within the drain time; it is not committed and will be consumed again",
				zap.Duration("drain", p.cfg.Drain))
			cancelWork()
		})
	})
	defer stopDrain()
	fctx, stop := context.WithCancel(ctx)
	defer stop()
	batches := make(chan fetched) // unbuffered: at most one batch waits while one is stored
	var g errgroup.Group
	g.Go(func() error {
		defer close(batches)
		return p.fetchBatches(fctx, batches)
	})
	// Evaluation runs beside the storing stage: it reads what the batches stored,
	// while the next batch is stored.
	p.kick = make(chan struct{}, 1)
	stored := make(chan bool, 1)
	g.Go(func() error { return p.evaluateLoop(ctx, stored) })
	err := p.storeBatches(work, batches)
	stored <- err == nil
	if err != nil {
		// Storing failed: stop fetching and drop what was fetched but not stored (it
		// is not committed, so it is consumed again).
		stop()
		for b := range batches {
			b.discard()
		}
	}
	if ferr := g.Wait(); err == nil {
		err = ferr
	}
	if err != nil && ctx.Err() != nil && work.Err() != nil {
		// Shut down during a retry: what was not stored is consumed again.
		return fmt.Errorf("shutdown before the batch in hand was stored: %w", context.Canceled)
	}
	return err
}

// fetched is one batch handed from the fetching stage to the storing one; a batch
// without messages means none came within a tick (evaluate anyway).
type fetched struct {
	msgs []kafka.Message
	ps   *parser
}

func (f fetched) discard() {
	if f.ps != nil {
		f.ps.wait()
		f.ps.release()
	}
}

// nextOffsets holds, per partition of a batch, the offset its next message must have.
// A batch has a few partitions: a slice beats a map per message.
type nextOffsets []partNext

type partNext struct {
	part int
	next int64
}

// follows reports whether offset continues the partition's run, and records it.
func (n *nextOffsets) follows(part int, offset int64) bool {
	for i := range *n {
		if e := &(*n)[i]; e.part == part {
			if offset != e.next {
				return false
			}
			e.next++
			return true
		}
	}
	*n = append(*n, partNext{part, offset + 1})
	return true
}

// storeBatches stores and commits each fetched batch in order until the fetching
// stage closes the channel, and asks for an evaluation after each.
//
// Evaluation runs with the context of Run (evaluateLoop): on a shutdown the batch in
// hand is still stored and committed (with ctx), but evaluating it is left to the
// next evaluator, which goes on from the closed buckets Redis holds.
func (p *Pipeline) storeBatches(ctx context.Context, batches <-chan fetched) error {
	for b := range batches {
		if len(b.msgs) == 0 {
			// The watermark may move on with the clock or other instances.
			p.evaluateSoon()
			continue
		}
		err := p.process(ctx, b.msgs, b.ps.wait())
		b.ps.release()
		if err != nil {
			return err
		}
	}
	return nil
}

// fetchBatches fills batches of at most BatchSize messages (waiting at most BatchWait
// once the first is in), decoding and matching them as they come, and hands each to
// the storing stage. It ends when ctx does, after handing over the batch in hand.
func (p *Pipeline) fetchBatches(ctx context.Context, out chan<- fetched) error {
	// Two sets of buffers: one batch is filled while the other is stored.
	var msgBufs [2][]kafka.Message
	var resBufs [2][]parsed
	var carry kafka.Message // a message that starts the next batch
	carried := false
	for k := 0; ctx.Err() == nil; k ^= 1 {
		// Wait for the first message at most one tick: when none comes, the storing
		// stage evaluates anyway.
		var m kafka.Message
		if carried {
			m, carried = carry, false
		} else {
			// The broker away, a rebalance, an authorisation failure: none is a reason
			// to exit. Fetching is retried with back-off like any Kafka or Redis call,
			// and /readyz says so meanwhile.
			idle := false
			_ = p.retry(ctx, "fetch posts", func() error {
				var err error
				m, err = p.fetch(ctx, p.cfg.Tick)
				idle = errors.Is(err, context.DeadlineExceeded)
				if err == nil || idle || ctx.Err() != nil {
					return nil
				}
				if p.metrics != nil {
					p.metrics.fetchErrors.Inc()
				}
				return err
			})
			if ctx.Err() != nil {
				return nil
			}
			if idle {
				out <- fetched{} // none came within a tick: evaluate anyway
				continue
			}
			if p.metrics != nil {
				p.metrics.fetched()
			}
		}
		if cap(msgBufs[k]) < p.cfg.BatchSize {
			msgBufs[k] = make([]kafka.Message, 0, p.cfg.BatchSize)
			resBufs[k] = make([]parsed, p.cfg.BatchSize)
		}
		batch := append(msgBufs[k][:0], m)
		next := nextOffsets{{m.Partition, m.Offset + 1}}
		ps := &parser{p: p, out: resBufs[k]}
		// Fill the batch for at most BatchWait. The reader is called directly, with
		// one deadline per batch: no goroutine hop or timer per message.
		fctx, cancel := context.WithTimeout(ctx, p.cfg.BatchWait)
		for len(batch) < p.cfg.BatchSize {
			m, err := p.src.FetchMessage(fctx)
			if err != nil {
				break
			}
			// A batch stores, per scope, the offset range it covers: its messages of a
			// partition must be contiguous. A jump (the reader restarted at another
			// offset after a rebalance) starts a new batch, or the range would claim
			// messages this batch never saw.
			if !next.follows(m.Partition, m.Offset) {
				carry, carried = m, true
				break
			}
			batch = append(batch, m)
			ps.feed(batch, false)
		}
		cancel()
		ps.feed(batch, true)
		msgBufs[k] = batch
		out <- fetched{msgs: batch, ps: ps}
	}
	return nil
}

func (p *Pipeline) fetch(ctx context.Context, wait time.Duration) (kafka.Message, error) {
	fctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	return p.src.FetchMessage(fctx)
}

// lockTTL bounds how long a consumer that died while storing a batch keeps its
// partitions locked.
const lockTTL = 10 * time.Second

// lock locks the batch's partitions in Redis for this consumer until the batch is
// stored, waiting while another consumer stores messages of them (around a rebalance
// the previous owner may still be storing a batch), and learns how far the group holds
// each partition: the group scope is stored last, so those messages are in every scope
// and no scope counts them again. Two consumers never decide differently (what is too
// late, for one) on the same messages at the same time.
func (p *Pipeline) lock(ctx context.Context, msgs []kafka.Message) error {
	var parts []int
	for _, m := range lastPerPartition(msgs) {
		parts = append(parts, m.Partition)
	}
	began := time.Now()
	logged := false
	for {
		var done store.Offsets
		var locked *store.ErrLocked
		err := p.retry(ctx, "lock partitions", func() error {
			var err error
			done, err = p.counters.Lock(ctx, p.cfg.Group, p.cfg.Topic, p.cfg.Instance, parts, lockTTL)
			if errors.As(err, &locked) {
				return nil
			}
			locked = nil
			return err
		})
		if err != nil {
			return err
		}
		if locked == nil {
			for part, off := range done {
				if off < 0 {
					continue
				}
				for _, sc := range append([]string{store.GroupScope}, store.Scopes()...) {
					if p.stored[sc] == nil {
						p.stored[sc] = store.Offsets{}
					}
					if o, ok := p.stored[sc][part]; !ok || o < off {
						p.stored[sc][part] = off
					}
				}
			}
			return nil
		}
		if !logged && time.Since(began) > time.Second {
			// A consumer that died holding the lock loses it after lockTTL.
			p.log.Info("waiting for another consumer's lock on a partition", zap.Int("partition", locked.Partition), zap.String("holder", locked.Holder))
			logged = true
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("lock partitions: %w", ctx.Err())
		}
	}
}

// load, once, readies the script in Redis, learns the closed boundary and reads the
// offsets Redis holds.
func (p *Pipeline) load(ctx context.Context) error {
	if p.loaded {
		return nil
	}
	if err := p.retry(ctx, "read stored offsets", func() error {
		if err := p.counters.Load(ctx); err != nil {
			return err
		}
		// Learn the closed boundary before deciding what is too late.
		if err := p.eval.Tick(ctx); err != nil {
			return err
		}
		s, err := p.counters.Offsets(ctx, p.cfg.Group, p.cfg.Topic)
		if err == nil {
			p.stored = s
		}
		return err
	}); err != nil {
		return err
	}
	p.loaded = true
	return nil
}

// process handles one batch: decode, match, aggregate, dead-letter, store, commit,
// ask for an evaluation. Failures of Redis or Kafka are retried with back-off until ctx ends;
// nothing is committed for work that is not stored.
func (p *Pipeline) process(ctx context.Context, msgs []kafka.Message, res []parsed) error {
	start := time.Now()
	if err := p.load(ctx); err != nil {
		return err
	}
	if err := p.lock(ctx, msgs); err != nil {
		return err
	}
	// From the lateness check to the write, the buckets the batch may add to are
	// not evaluated (Admit, Stored).
	p.classify(res)
	admitted := true
	defer func() {
		if admitted {
			p.eval.Stored(nil)
		}
	}()
	for {
		b, dead, stats := p.aggregate(msgs, res)
		b.Holder = p.cfg.Instance
		if err := p.deadLetter(ctx, dead); err != nil {
			return err
		}
		var stale *store.ErrStale
		err := p.retry(ctx, "store batch", func() error {
			began := time.Now()
			err := p.counters.Apply(ctx, p.cfg.Group, p.cfg.Topic, b, p.stored)
			if p.metrics != nil {
				p.metrics.redis(time.Since(began))
			}
			if errors.As(err, &stale) {
				return nil // not retried as such: aggregated again below
			}
			return err
		})
		if err != nil {
			return err
		}
		if stale != nil {
			// Redis holds part of this batch already (a crash before the commit, or
			// another instance before a rebalance): Apply merged what it holds into
			// p.stored, so aggregating again leaves out what was counted.
			p.log.Warn("skipping posts already counted", zap.Any("stored_offsets", stale.Stored))
			stale = nil
			continue
		}
		if ce := p.log.Check(zap.DebugLevel, "batch stored"); ce != nil {
			ce.Write(zap.Any("partitions", b.Partitions), zap.Int64("consumed", stats.Consumed), zap.Int64("skipped", stats.Skipped))
		}
		p.statsMu.Lock()
		p.stats.add(stats)
		p.statsMu.Unlock()
		p.eval.Stored(b)
		admitted = false
		if p.metrics != nil {
			p.metrics.observe(stats)
			p.metrics.observeBatch(b)
			p.metrics.lags(b.Lags)
		}
		break
	}
	if err := p.retry(ctx, "commit offsets", func() error { return p.src.CommitMessages(ctx, lastPerPartition(msgs)...) }); err != nil {
		return err
	}
	if p.metrics != nil {
		p.metrics.batch(time.Since(start))
	}
	p.evaluateSoon()
	if p.onBatch != nil {
		p.onBatch(p.Stats())
	}
	return nil
}

// evaluateSoon asks the evaluation loop for a Tick (one is enough for any number of
// batches stored while it runs).
func (p *Pipeline) evaluateSoon() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// evaluateLoop runs a Tick for each request until the storing stage is done (stored
// says whether it ended well), then, if it did and one was asked for since, one more
// within the drain time: the last batch stored is evaluated before Run returns, and a
// Redis that is away then does not hold Run up.
func (p *Pipeline) evaluateLoop(run context.Context, stored <-chan bool) error {
	for {
		select {
		case <-p.kick:
			if err := p.evaluate(run); err != nil {
				return err
			}
		case ok := <-stored:
			select {
			case <-p.kick:
				if ok && run.Err() == nil {
					last, cancel := context.WithTimeout(run, p.cfg.Drain)
					defer cancel()
					return p.evaluate(last)
				}
			default:
			}
			return nil
		}
	}
}

// evaluate closes what the stored batches allow, retrying while Redis or Kafka is
// away, until run ends (a shutdown, which is not an error).
func (p *Pipeline) evaluate(run context.Context) error {
	err := p.retry(run, "evaluate", func() error { return p.eval.Tick(run) })
	if err != nil && run.Err() != nil {
		return nil
	}
	return err
}

// deadLetter writes the batch's dead letters, retrying while the broker is away. What
// the dead-letter topic refuses for good is logged and counted, and the pipeline goes
// on: the good posts must not wait for the bad ones.
func (p *Pipeline) deadLetter(ctx context.Context, dead []source.DeadLetter) error {
	if len(dead) == 0 {
		return nil
	}
	var refused *source.RefusedError
	if err := p.retry(ctx, "dead-letter", func() error {
		err := p.dlq.DeadLetter(ctx, dead)
		if errors.As(err, &refused) {
			return nil
		}
		refused = nil
		return err
	}); err != nil {
		return err
	}
	if refused != nil {
		p.log.Error("the dead-letter topic refused dead letters: their posts are counted as dead-lettered but are not on the topic",
			zap.Int("dead_letters", refused.N), zap.String("reason", refused.Reason), zap.Error(refused.Err))
		if p.metrics != nil {
			p.metrics.deadLettersUnwritable(refused.N, refused.Reason)
		}
	} else if p.metrics != nil {
		p.metrics.deadLettersWritten()
	}
	return nil
}

// Stats returns a copy of the running totals; it may be called from any goroutine.
func (p *Pipeline) Stats() Stats {
	p.statsMu.Lock()
	defer p.statsMu.Unlock()
	s := p.stats
	s.DeadByReason = make(map[string]int64, len(p.stats.DeadByReason))
	for k, v := range p.stats.DeadByReason {
		s.DeadByReason[k] = v
	}
	return s
}

func (s *Stats) add(o Stats) {
	s.Consumed += o.Consumed
	s.Decoded += o.Decoded
	s.Matched += o.Matched
	s.Complaints += o.Complaints
	s.DeadLettered += o.DeadLettered
	s.Skipped += o.Skipped
	for k, v := range o.DeadByReason {
		s.DeadByReason[k] += v
	}
}

// aggregate decodes and matches msgs (skipping offsets already stored) into one batch.
// It also advances the watermark; a post behind the closed buckets is too late.
// parsed is what decoding and matching made of one message.
type parsed struct {
	post    post.Post
	err     *post.DecodeError
	matches []match.Match
}

// parse decodes and matches every message and decides what is too late or ahead of
// the clock, as a stored batch does (tests).
func (p *Pipeline) parse(msgs []kafka.Message) []parsed {
	ps := &parser{p: p, out: make([]parsed, len(msgs))}
	ps.feed(msgs, true)
	res := ps.wait()
	p.classify(res)
	return res
}

// parser decodes and matches a batch while the rest of it is being fetched: each
// chunk of messages goes to a goroutine as soon as it is in, so the CPUs match posts
// while the Kafka client reads more.
type parser struct {
	p    *Pipeline
	out  []parsed
	done int // messages handed out
	wg   sync.WaitGroup
}

// parseChunk is the messages one goroutine decodes and matches.
const parseChunk = 1024

// feed hands out the messages appended since the last call, in whole chunks, and the
// rest too when final. msgs only grows between calls.
func (ps *parser) feed(msgs []kafka.Message, final bool) {
	for len(msgs)-ps.done >= parseChunk || (final && ps.done < len(msgs)) {
		lo, hi := ps.done, min(ps.done+parseChunk, len(msgs))
		ps.done = hi
		if final && lo == 0 && hi-lo < 256 {
			ps.parseRange(msgs, lo, hi) // a small live batch: no goroutine
			continue
		}
		ps.wg.Add(1)
		go func() {
			defer ps.wg.Done()
			ps.parseRange(msgs, lo, hi)
		}()
	}
}

// wait returns the results once every chunk handed out is done.
func (ps *parser) wait() []parsed {
	ps.wg.Wait()
	return ps.out[:ps.done]
}

// release drops the references the results hold, for the buffer's next batch.
func (ps *parser) release() { clear(ps.out[:ps.done]) }

func (ps *parser) parseRange(msgs []kafka.Message, lo, hi int) {
	p, out := ps.p, ps.out
	// Matches of a chunk share one arena.
	var arena []match.Match
	for i := lo; i < hi; i++ {
		pst, _, err := post.DecodeShared(msgs[i].Value, p.cfg.MaxPostBytes)
		if err != nil {
			var de *post.DecodeError
			errors.As(err, &de)
			out[i].err = de
			continue
		}
		out[i].post = pst
		start := len(arena)
		arena = p.matcher.Match(arena, pst.Text)
		if len(arena) > start {
			out[i].matches = arena[start:len(arena):len(arena)]
		}
	}
}

// classify dead-letters the decoded posts that are ahead of the clock, too old for the
// group's horizon, or too late (behind the closed buckets). It runs when the batch is
// about to be stored: the closed boundary is then what the batches stored before it
// left.
//
// The horizon is MaxAge behind the newest post the group knows of: the newest in this
// batch, or the closed boundary plus the lateness. It follows event time, not the
// clock, so a replay of last year's outage is counted, while one backdated post
// cannot make a new group start years before its other posts.
func (p *Pipeline) classify(res []parsed) {
	now, closed := p.cfg.Now(), p.eval.Admit()
	future := now.Add(p.cfg.MaxFuture)
	var newest time.Time
	if !closed.IsZero() {
		newest = closed.Add(p.cfg.Lateness)
	}
	for i := range res {
		if r := &res[i]; r.err == nil && !r.post.CreatedAt.After(future) && r.post.CreatedAt.After(newest) {
			newest = r.post.CreatedAt
		}
	}
	horizon := newest.Add(-p.cfg.MaxAge)
	for i := range res {
		r := &res[i]
		if r.err != nil {
			continue
		}
		switch at := r.post.CreatedAt; {
		case at.After(future):
			r.err = &post.DecodeError{Reason: post.ReasonFuture, Detail: fmt.Sprintf("created_at %s is ahead of the clock", at.Format(time.RFC3339))}
		case at.Before(horizon) || at.Unix() < 0:
			r.err = &post.DecodeError{Reason: post.ReasonTooOld, Detail: fmt.Sprintf("created_at %s is more than %s before the group's newest post (%s)",
				at.Format(time.RFC3339), p.cfg.MaxAge, newest.Format(time.RFC3339))}
		case !closed.IsZero() && at.Before(closed):
			r.err = &post.DecodeError{Reason: post.ReasonTooLate, Detail: fmt.Sprintf("created_at %s is behind the closed buckets (before %s)",
				at.Format(time.RFC3339), closed.Format(time.RFC3339))}
		default:
			continue
		}
		r.post, r.matches = post.Post{}, nil
	}
}

// aggregate sums the parsed messages into one batch, leaving out, per scope, what
// Redis holds already.
func (p *Pipeline) aggregate(msgs []kafka.Message, res []parsed) (*counts.Batch, []source.DeadLetter, Stats) {
	b := counts.NewBatch(p.cfg.Bucket)
	st := Stats{DeadByReason: map[string]int64{}}
	var dead []source.DeadLetter
	b.Wall = p.cfg.Now()
	// Messages come in runs of one partition: the per-partition figures are kept in
	// locals over a run and written to the batch's maps once per run.
	for lo := 0; lo < len(msgs); {
		part := msgs[lo].Partition
		hi := lo + 1
		for hi < len(msgs) && msgs[hi].Partition == part {
			hi++
		}
		b.Offset(part, msgs[lo].Offset)
		b.Offset(part, msgs[hi-1].Offset)
		wm := b.Watermarks[part] // 0 when the partition is new to the batch
		first, hasFirst := b.Firsts[part]
		groupStored, groupHas := p.stored[store.GroupScope][part]
		lastHour := int64(math.MinInt64)
		for i := lo; i < hi; i++ {
			m := &msgs[i]
			if m.HighWaterMark > 0 {
				b.Lags[part] = max(0, m.HighWaterMark-m.Offset-1)
			}
			// A scope (the group's totals, or a shard of services) counts a message only when
			// Redis does not hold it yet for that scope.
			groupFresh := !groupHas || m.Offset > groupStored
			if groupFresh {
				st.Consumed++
			} else {
				st.Skipped++
			}
			r := &res[i]
			if r.err != nil {
				if groupFresh {
					dead = append(dead, source.DeadLetter{Msg: *m, Reason: r.err.Reason, Detail: r.err.Detail})
					st.DeadLettered++
					st.DeadByReason[r.err.Reason]++
				}
				continue
			}
			post := &r.post
			if groupFresh {
				st.Decoded++
			}
			ms := post.CreatedAt.UnixMilli()
			wm = max(wm, ms)
			if h := ms - ((ms%3_600_000)+3_600_000)%3_600_000; h != lastHour {
				lastHour = h
				b.Hours[h/1000] = true
			}
			if !hasFirst || ms < first {
				first, hasFirst = ms, true
			}
			if len(r.matches) > 0 && groupFresh {
				st.Matched++
			}
			for _, mt := range r.matches {
				if o, ok := p.stored[store.ScopeOf(mt.Service)][part]; ok && m.Offset <= o {
					continue
				}
				switch mt.Kind {
				case match.Outage:
					st.Complaints++
					c := counts.Complaint{
						Author: post.Author, Country: post.Country, Lang: post.Lang, PostID: post.ID, Problems: mt.Problems,
						Wording: mt.Wording, Source: post.Source,
					}
					if !p.cfg.NoSampleText {
						c.Text = post.Text
					}
					b.Complain(mt.Service, post.CreatedAt, c)
				case match.Recovery:
					b.Recovery(mt.Service, post.CreatedAt)
				default:
					b.Mention(mt.Service, post.CreatedAt)
				}
			}
		}
		b.Watermarks[part] = wm
		if hasFirst {
			b.Firsts[part] = first
		}
		lo = hi
	}
	b.Totals["consumed"] = st.Consumed
	b.Totals["matched"] = st.Matched
	b.Totals["dead_lettered"] = st.DeadLettered
	for r, n := range st.DeadByReason {
		b.Totals["dead_lettered:"+r] = n
	}
	return b, dead, st
}

// Flush closes every bucket up to until (a backtest's end of input) and evaluates them.
func (p *Pipeline) Flush(ctx context.Context, until time.Time) error {
	return p.eval.Advance(ctx, until)
}

// retry runs f until it succeeds or ctx ends, backing off exponentially; while it
// fails, the pipeline is not ready.
func (p *Pipeline) retry(ctx context.Context, what string, f func() error) error {
	delay := p.cfg.Retry
	for attempt := 1; ; attempt++ {
		err := f()
		if err == nil {
			if p.metrics != nil && attempt > 1 {
				p.metrics.failed(what, nil)
			}
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if p.metrics != nil {
			p.metrics.failed(what, err)
		}
		p.log.Warn("retrying", zap.String("op", what), zap.Int("attempt", attempt), zap.Duration("backoff", delay), zap.Error(err))
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, err)
		}
		delay = min(delay*2, 10*time.Second)
	}
}

// lastPerPartition returns the message with the highest offset of each partition:
// committing it commits everything before it.
func lastPerPartition(msgs []kafka.Message) []kafka.Message {
	// A batch holds a few partitions: a linear search beats a map per message.
	var out []kafka.Message
	for i := range msgs {
		m := &msgs[i]
		k := 0
		for k < len(out) && out[k].Partition != m.Partition {
			k++
		}
		switch {
		case k == len(out):
			out = append(out, *m)
		case m.Offset > out[k].Offset:
			out[k] = *m
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Partition < out[j].Partition })
	return out
}
