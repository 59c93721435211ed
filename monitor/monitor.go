// Package monitor closes event-time buckets as the watermark passes them, reads them
// from the Redis windows, runs each service's evaluation series and incident tracker
// over them, and hands the resulting incident events to a publisher.
//
// It is the "evaluate → incidents → alerts" part of the data flow, driven by the
// pipeline after each stored batch. Events are kept until published (a failed publish
// is retried on the next call, never dropped), and each event id is claimed once in
// Redis so that several instances, or a restart replaying history, publish it once.
package monitor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/detect/evaluate"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/store"
)

// Reader reads closed buckets.
type Reader interface {
	// Mentioned reads the buckets of the services with posts in them.
	Mentioned(ctx context.Context, from, to int64) (map[string][]counts.Counts, error)
	Read(ctx context.Context, services []string, from, to int64) (map[string][]counts.Counts, error)
	DistinctAuthors(ctx context.Context, service string, from, to int64) (int64, error)
	DistinctVoices(ctx context.Context, service string, from, to int64) (int64, error)
}

// Claimer records that an event id is being published, once across instances, and
// the latest incident start of each service, so that a restarted evaluator continues
// an incident under its first id.
type Claimer interface {
	Claim(ctx context.Context, id string) (store.ClaimState, time.Time, error)
	Takeover(ctx context.Context, id string) error
	Confirm(ctx context.Context, id string) error
	Unclaim(ctx context.Context, id string) error
	SaveIncident(ctx context.Context, svc string, r store.IncidentRecord) error
	LastIncident(ctx context.Context, svc string) (store.IncidentRecord, bool, error)
}

// Coordinator is the Redis state shared by the instances of a consumer group.
type Coordinator interface {
	Lease(ctx context.Context, group, holder string, ttl time.Duration) (bool, error)
	Marks(ctx context.Context, group, topic string) (map[int]store.PartitionMark, error)
	SetClosed(ctx context.Context, group string, t time.Time) error
	Closed(ctx context.Context, group string) (time.Time, error)
}

// Publisher delivers incident events (to the alerts topic).
type Publisher interface {
	Publish(ctx context.Context, events []incident.Event) error
}

// Verifier looks on the alerts topic for an event written since a time. It settles
// claims left unconfirmed by a publisher that died between claiming an event and
// confirming it: the event is published again only when it is not there.
type Verifier interface {
	Published(ctx context.Context, e incident.Event, since time.Time) (bool, error)
}

// Config of a Monitor.
type Config struct {
	Services []string
	Evaluate evaluate.Params
	Incident incident.Params
	// History is how far before the first watermark the monitor replays stored buckets
	// to rebuild baselines and open incidents after a start; default 6h.
	History time.Duration
	// MaxRead bounds the buckets read in one round trip; default 360.
	MaxRead int
	// Retention is how long, in event time behind the buckets being closed, the
	// fine buckets are kept before they are trimmed; default History plus 15 minutes.
	// Restarts replay History, so it must be longer.
	Retention time.Duration

	// For Tick (the live pipeline):
	Group, Topic string
	Instance     string // this instance's name for the lease
	// Backlog returns every partition of the topic with the messages the group has
	// not committed yet; a partition no instance has reported progress for is waited
	// for while it has a backlog.
	Backlog  func(ctx context.Context) (map[int]int64, error)
	Lateness time.Duration // allowed lateness; default 2m
	// Idle is how long a partition may go without messages before the watermark stops
	// waiting for it (and, when the stream is live, moves on with the clock); default 30s.
	Idle  time.Duration
	Lease time.Duration    // evaluator lease; default 15s
	Now   func() time.Time // wall clock; default time.Now
}

// Monitor drives evaluation. Tick and Advance run one at a time; Admit, Stored,
// Closed and AddServices may be called beside them (the pipeline's storing stage).
type Monitor struct {
	cfg     Config
	reader  Reader
	claimer Claimer
	pub     Publisher
	log     *zap.Logger
	// The evaluation state of the services mentioned since the last reset; a
	// service is given its state at its first mention (see state).
	series   map[string]*evaluate.Series
	trackers map[string]*incident.Tracker
	order    map[string]int  // position of each service in cfg.Services
	awake    map[string]bool // services stepped at every bucket: not idle (see asleep)
	origin   int64           // first bucket evaluated since the reset (unix s)
	births   map[string]int64
	skips    [][2]int64 // stretches skipped as quiet since the reset: [from, to)
	stepping []ordered  // evaluate's buffer
	// eager is for tests: every service has its state from the start and is
	// stepped at every bucket, as before state and catchUp, their reference.
	eager     bool
	bucket    time.Duration
	params    evaluate.Params
	next      int64 // start of the next bucket to close (unix s); 0 before the first call
	pending   []incident.Event
	onEvent   func(incident.Event)
	onVerdict func(string, evaluate.Verdict)
	onBucket  func(time.Duration)
	coord     Coordinator
	verifier  Verifier
	hours     HourReader
	trimmer   Trimmer
	activity  Activity
	leader    bool
	started   time.Time
	// tickMu makes Tick and Advance one at a time (the pipeline's storing stage
	// ticks once at its start, beside the evaluation loop).
	tickMu sync.Mutex
	// admitMu guards the closed boundary, which the storing stage reads (Admit)
	// while a Tick runs, and the boundary the batch being stored was admitted under:
	// buckets from it on are not evaluated until that batch is stored (Stored).
	admitMu    sync.Mutex
	closed     time.Time
	admitted   bool
	admittedAt time.Time
	published  time.Time // the boundary in Redis: every bucket before it evaluated
	// inbox is what the stored batches added since the last Tick (Stored), taken
	// by the next one (takeStored).
	inboxMu     sync.Mutex
	inbox       []storedNote
	inboxNewest time.Time
	backlog     map[int]int64 // partition → messages not committed, as last fetched
	backlogAt   time.Time
	addMu       sync.Mutex
	added       []string // services added by a rules reload, taken at the next Advance
	// recent are the complaints per service and open bucket that this instance stored
	// (Stored), the cheap trigger for a speculative look at the open buckets.
	recent map[string]map[int64]int64
	newest time.Time // newest post seen in Stored
	// specCounts are the open buckets of each service looked at, as the last look
	// read them; specDirty is the first bucket this instance stored to since then
	// (none: 0). A look reads again only from there (see speculate).
	specCounts map[string]map[int64]counts.Counts
	specDirty  int64
	// specSeen is, per service, what its last look stepped over: the first and last
	// open bucket and the posts in them. Counts only grow and a series steps only
	// on closed buckets, so a look that would see the same is skipped: its verdict,
	// not anomalous, would be the same.
	specSeen    map[string][3]int64
	specBuckets []counts.Counts // reused by each look
	// covered is the newest event time every active partition has reached: buckets
	// after it lack the posts of partitions that are behind, so speculation stops there.
	covered time.Time
	specAt  time.Time // wall time of the last speculation
	specTo  time.Time // and the newest post it saw
	// newestMark is the newest post of any partition (Tick), trimNext the first
	// bucket not trimmed yet.
	newestMark time.Time
	trimNext   int64
	gaps       [][2]int64 // stretches skipped as quiet, not trimmed yet: [from, to)
	forgot     int64      // active hours before this are dropped
}

// storedNote is what a stored batch added to one bucket of one service.
type storedNote struct {
	svc        string
	bucket     int64
	complaints int64
}

// Admit returns the closed boundary for a batch about to be stored: its posts before
// it are too late. Until the batch is stored (Stored), no bucket from that boundary
// on is evaluated, so a Tick running meanwhile cannot read a bucket the batch is
// about to add to.
func (m *Monitor) Admit() time.Time {
	m.admitMu.Lock()
	defer m.admitMu.Unlock()
	if !m.admitted {
		m.admitted, m.admittedAt = true, m.closed
	}
	return m.closed
}

// Stored tells the monitor that the batch admitted last is stored (nil: given up),
// and what it added, so that a burst of complaints in buckets that are not closed
// yet can fire at once (see speculate). It may be called while a Tick runs: the
// next one takes it.
func (m *Monitor) Stored(b *counts.Batch) {
	m.admitMu.Lock()
	m.admitted = false
	m.admitMu.Unlock()
	if b == nil {
		return
	}
	m.inboxMu.Lock()
	defer m.inboxMu.Unlock()
	for k, d := range b.Buckets {
		m.inbox = append(m.inbox, storedNote{k.Service, k.Bucket, d.Complaints})
	}
	for _, ms := range b.Watermarks {
		if t := time.UnixMilli(ms); t.After(m.inboxNewest) {
			m.inboxNewest = t
		}
	}
}

// takeStored takes what Stored noted since the last Tick: the complaints per
// service and open bucket, the cheap trigger for a speculative look.
func (m *Monitor) takeStored() {
	m.inboxMu.Lock()
	notes, newest := m.inbox, m.inboxNewest
	m.inbox = nil
	m.inboxMu.Unlock()
	if m.recent == nil {
		m.recent = map[string]map[int64]int64{}
	}
	for _, n := range notes {
		if n.bucket < m.next {
			continue
		}
		if m.specDirty == 0 || n.bucket < m.specDirty {
			m.specDirty = n.bucket
		}
		if n.complaints == 0 {
			continue
		}
		r := m.recent[n.svc]
		if r == nil {
			r = map[int64]int64{}
			m.recent[n.svc] = r
		}
		r[n.bucket] += n.complaints
	}
	if newest.After(m.newest) {
		m.newest = newest
	}
}

// speculate looks at the buckets that are still open (within the allowed lateness)
// for services whose open complaints alone could be an outage: a copy of the series is
// stepped over them, and if that says anomaly the incident starts now instead of when
// the buckets close. Late posts can only add complaints, so an early start stands;
// the real evaluation then continues the incident when the buckets close.
func (m *Monitor) speculate(ctx context.Context) error {
	now := m.cfg.Now()
	// Every specEvery of wall time, or of event time: a backlog being caught up
	// (a replay, a restart) moves minutes of posts in a wall second, and a look per
	// wall second would find a burst a minute after its first posts.
	if m.next == 0 || m.newest.IsZero() || now.Sub(m.specAt) < specEvery && m.newest.Sub(m.specTo) < specEvery {
		return nil
	}
	// Buckets closed but not evaluated yet (they wait for a batch being stored) are
	// not open: the look comes after them, at the next Tick.
	if c := m.Closed(); !c.IsZero() && m.next < c.Unix() {
		return nil
	}
	m.specAt, m.specTo = now, m.newest
	step := int64(m.bucket / time.Second)
	upto := m.newest
	if !m.covered.IsZero() && m.covered.Before(upto) {
		upto = m.covered
	}
	last := counts.BucketOf(upto, m.bucket)
	minC := m.params.MinComplaints
	// The services worth a look, read together: one command per shard and bucket
	// however many there are.
	var look []string
	for svc, r := range m.recent {
		var sum int64
		for b, n := range r {
			if b < m.next {
				delete(r, b)
				continue
			}
			sum += n
		}
		if sum < minC || last < m.next {
			continue
		}
		ser, tr := m.state(svc)
		if ser == nil || tr.Open() {
			continue
		}
		look = append(look, svc)
	}
	if len(look) == 0 {
		return nil
	}
	slices.SortFunc(look, func(a, b string) int { return m.order[a] - m.order[b] })
	if err := m.readOpen(ctx, look, last); err != nil {
		return err
	}
	seen := m.specSeen
	m.specSeen = make(map[string][3]int64, len(look))
	for _, svc := range look {
		open := m.specCounts[svc]
		var posts int64
		for _, c := range open {
			posts += c.Posts
		}
		key := [3]int64{m.next, last, posts}
		m.specSeen[svc] = key
		if k, ok := seen[svc]; ok && k == key {
			continue
		}
		ser, tr := m.state(svc)
		m.catchUp(svc, m.next)
		buckets := m.specBuckets[:0]
		for b := m.next; b <= last; b += step {
			buckets = append(buckets, open[b])
		}
		m.specBuckets = buckets
		// The first open bucket that is an outage is where it starts (Try stops
		// there): a look that comes late (a batch of minutes of posts) does not
		// date it later.
		v := ser.Try(time.Unix(m.next, 0).UTC(), buckets)
		if !v.Anomalous() {
			continue
		}
		evs := tr.Step(v, m.relatedTo(svc))
		tr.Tell(ser)
		m.awake[svc] = true
		m.pending = append(m.pending, evs...)
	}
	return nil
}

// readOpen brings specCounts up to date for the services of a look, over the open
// buckets up to last: a service new to it is read from the first open bucket, the
// others from the first bucket this instance stored to since the last look (the
// buckets before are as that look read them: what other instances stored there
// since is seen when the buckets close). Speculation looks every 200 ms, over two
// minutes of open buckets; reading them all each time would cost most of the
// Redis commands a post.
func (m *Monitor) readOpen(ctx context.Context, look []string, last int64) error {
	old := m.specCounts
	m.specCounts = make(map[string]map[int64]counts.Counts, len(look))
	var fresh, known []string
	for _, svc := range look {
		if c, ok := old[svc]; ok {
			for b := range c {
				if b < m.next {
					delete(c, b)
				}
			}
			m.specCounts[svc] = c
			known = append(known, svc)
		} else {
			m.specCounts[svc] = map[int64]counts.Counts{}
			fresh = append(fresh, svc)
		}
	}
	read := func(svcs []string, from int64) error {
		if len(svcs) == 0 || from > last {
			return nil
		}
		got, err := m.reader.Read(ctx, svcs, from, last)
		if err != nil {
			return fmt.Errorf("speculate on %d services: %w", len(svcs), err)
		}
		step := int64(m.bucket / time.Second)
		for svc, cs := range got {
			for i, c := range cs {
				m.specCounts[svc][from+int64(i)*step] = c
			}
		}
		return nil
	}
	if err := read(fresh, m.next); err != nil {
		m.specCounts = old
		return err
	}
	if m.specDirty != 0 {
		if err := read(known, max(m.next, m.specDirty)); err != nil {
			m.specCounts = old
			return err
		}
	}
	// Buckets after last (posts of partitions that are ahead) are read when they
	// are covered.
	m.specDirty = 0
	if n := counts.BucketOf(m.newest, m.bucket); n > last {
		m.specDirty = last + int64(m.bucket/time.Second)
	}
	return nil
}

// Trimmer deletes stored buckets that no evaluation will read again.
type Trimmer interface {
	// Trim deletes the buckets [from, to].
	Trim(ctx context.Context, from, to int64) error
}

// HourReader reads the hourly rollups that outlive the fine buckets.
type HourReader interface {
	// RolledUp reads the rollups of the services with any in [from, to).
	RolledUp(ctx context.Context, from, to time.Time) (map[string]map[int64]counts.Counts, error)
}

// seedSpan is how much hourly history seeds the baselines at start: two weeks, so the
// time-of-day and day-of-week profiles are there at once.
const seedSpan = 14 * 24 * time.Hour

// seed feeds every service's hourly rollups of the fortnight before start into its
// series, so a restart keeps its seasonal baseline.
func (m *Monitor) seed(ctx context.Context, start time.Time) error {
	hr := m.hours
	if hr == nil {
		return nil
	}
	to := start.Truncate(time.Hour)
	hours, err := hr.RolledUp(ctx, start.Add(-seedSpan), to)
	if err != nil {
		return err
	}
	for _, svc := range slices.Sorted(maps.Keys(hours)) {
		hs := hours[svc]
		ser, _ := m.state(svc)
		if ser == nil {
			continue // no longer in the rules
		}
		keys := make([]int64, 0, len(hs))
		for h := range hs {
			keys = append(keys, h)
		}
		slices.Sort(keys)
		for _, h := range keys {
			ser.Seed(time.Unix(h, 0).UTC(), time.Hour, hs[h])
		}
	}
	if len(hours) > 0 {
		m.log.Info("baselines seeded from hourly history", zap.Int("services", len(hours)), zap.Time("until", to))
	}
	return nil
}

// adopt handles the started event at the head of pending: when Redis records a start
// of the same service within the cool-down (this incident, started by an earlier run
// or on open buckets), the incident continues under that id, so its events keep their
// ids and claims; otherwise this start is recorded.
func (m *Monitor) adopt(ctx context.Context) error {
	e := m.pending[0]
	svc := e.Data.Service
	rec, ok, err := m.claimer.LastIncident(ctx, svc)
	if err != nil {
		return err
	}
	gap := e.Data.DetectedAt.Sub(rec.DetectedAt)
	if !ok || rec.ID == e.Data.IncidentID || gap < -adoptWithin || gap > adoptWithin {
		if !ok || rec.ID != e.Data.IncidentID {
			return m.claimer.SaveIncident(ctx, svc, store.IncidentRecord{ID: e.Data.IncidentID, StartedAt: e.Data.StartedAt, DetectedAt: e.Data.DetectedAt})
		}
		return nil
	}
	old := e.Data.IncidentID
	for i := range m.pending {
		p := &m.pending[i]
		if p.Data.IncidentID == old {
			p.ID = rec.ID + strings.TrimPrefix(p.ID, old)
			p.Data.IncidentID = rec.ID
			p.Data.StartedAt = rec.StartedAt.UTC()
		}
	}
	if t := m.trackers[svc]; t != nil {
		t.Adopt(rec.ID, rec.StartedAt)
	}
	return nil
}

// adoptWithin is how close two starts of one service must be to be one incident.
const adoptWithin = 15 * time.Minute

// specEvery bounds how often open buckets are read for speculation.
const specEvery = 200 * time.Millisecond

// relatedTo lists the other services with an incident open.
func (m *Monitor) relatedTo(svc string) []string {
	var out []string
	for _, o := range m.cfg.Services {
		if t := m.trackers[o]; o != svc && t != nil && t.Open() {
			out = append(out, o)
		}
	}
	return out
}

// AddServices starts evaluating services that a rules reload added. Safe to call from
// any goroutine; they join at the next Advance.
func (m *Monitor) AddServices(names []string) {
	m.addMu.Lock()
	defer m.addMu.Unlock()
	m.added = append(m.added, names...)
}

func (m *Monitor) takeAdded() {
	m.addMu.Lock()
	added := m.added
	m.added = nil
	m.addMu.Unlock()
	for _, s := range added {
		if _, ok := m.order[s]; ok {
			continue
		}
		m.order[s] = len(m.cfg.Services)
		m.cfg.Services = append(m.cfg.Services, s)
		if m.next != 0 {
			// Evaluated from the next bucket, not from the origin: it was not
			// in the rules before, so its posts were not counted.
			m.births[s] = m.next
		}
		if m.eager {
			m.state(s)
		}
	}
}

// state returns the evaluation state of a service, created at its first mention
// (nil for a service not in the rules). A service not mentioned costs nothing.
func (m *Monitor) state(svc string) (*evaluate.Series, *incident.Tracker) {
	if s := m.series[svc]; s != nil {
		return s, m.trackers[svc]
	}
	if _, ok := m.order[svc]; !ok {
		return nil, nil
	}
	s, t := evaluate.NewSeries(m.cfg.Evaluate), incident.NewTracker(svc, m.cfg.Incident)
	m.series[svc], m.trackers[svc] = s, t
	return s, t
}

// catchUp brings a service's series to where it would be had it been stepped through
// every bucket before upto since the origin (or since the rules reload that added
// it): the buckets it was not stepped through held no post of it, so they are
// stepped as empty ones, and the stretches skipped as quiet are gaps, as for every
// service. Asleep, it cost nothing; caught up, it has done the same arithmetic.
func (m *Monitor) catchUp(svc string, upto int64) {
	s := m.series[svc]
	step := int64(m.bucket / time.Second)
	if s.Last().IsZero() {
		birth, ok := m.births[svc]
		if !ok {
			birth = m.origin
		}
		for _, g := range m.skips {
			if birth >= g[0] && birth < g[1] {
				birth = g[1] // a series not stepped yet ignores a gap
			}
		}
		if birth == 0 || birth >= upto {
			return
		}
		s.Step(time.Unix(birth, 0).UTC(), counts.Counts{})
	}
	for _, g := range m.skips {
		last := s.Last().Unix()
		if g[1] > upto || g[1] <= last+step {
			continue
		}
		if g[0]-step > last {
			s.Step(time.Unix(g[0]-step, 0).UTC(), counts.Counts{})
		}
		s.Gap(time.Unix(g[1], 0).UTC())
	}
	if last := s.Last().Unix(); last < upto-step {
		s.Step(time.Unix(upto-step, 0).UTC(), counts.Counts{})
	}
}

// asleep reports whether a service's buckets without posts need not be stepped as
// they close: its series is idle (evaluate.Series.Idle) and no incident is open or
// holding its baseline, so their verdicts could not start anything (the tracker of
// a service without an incident acts only on an anomaly or a flood) and change
// nothing outside the series, which catchUp steps through when it is mentioned
// again.
func asleep(s *evaluate.Series, t *incident.Tracker) bool {
	return s.Idle() && !t.Open() && !t.Holding()
}

// Deps are the parts a Monitor works with, all given to New. Reader and Claimer are
// required; each optional one switches a feature on (store.Store is all of them but
// Publisher and Verifier).
type Deps struct {
	Reader    Reader
	Claimer   Claimer
	Publisher Publisher // where events go; nil: only to OnEvent
	// Coordinator enables Tick: the group's shared watermark and evaluator lease.
	Coordinator Coordinator
	// Verifier lets the monitor settle unconfirmed claims by looking at the alerts
	// topic. Without one such an event is published again (at-least-once).
	Verifier Verifier
	Hours    HourReader // hourly rollups seed the baselines at start
	Trimmer  Trimmer    // deletes the buckets no evaluation reads again
	Activity Activity   // skips stretches in which the group stored no post
	// OnEvent is called for every event after it is published.
	OnEvent func(incident.Event)
	// OnVerdict is called with every closed bucket's verdict of every service, in
	// event-time order (the live page draws them).
	OnVerdict func(service string, v evaluate.Verdict)
	// OnBucket is called after the closed buckets of each read are evaluated, with
	// how long one took on average (the evaluation of all services, Redis reads
	// apart; live, a read is one bucket): the metric outcry_bucket_evaluation_seconds
	// and the bench's figure.
	OnBucket func(d time.Duration)
}

// New returns a Monitor.
func New(cfg Config, d Deps, log *zap.Logger) (*Monitor, error) {
	if d.Reader == nil || d.Claimer == nil {
		return nil, errors.New("monitor: a Reader and a Claimer are required")
	}
	if cfg.History <= 0 {
		cfg.History = 6 * time.Hour
	}
	if cfg.MaxRead <= 0 {
		cfg.MaxRead = 360
	}
	if cfg.Retention < cfg.History {
		cfg.Retention = cfg.History + 15*time.Minute
	}
	if cfg.Lateness <= 0 {
		cfg.Lateness = counts.DefaultLateness
	}
	if cfg.Idle <= 0 {
		cfg.Idle = 30 * time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 15 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m := &Monitor{
		cfg: cfg, reader: d.Reader, claimer: d.Claimer, pub: d.Publisher,
		coord: d.Coordinator, verifier: d.Verifier, hours: d.Hours, trimmer: d.Trimmer, activity: d.Activity,
		onEvent: d.OnEvent, onVerdict: d.OnVerdict, onBucket: d.OnBucket,
		log:     log.With(zap.String("component", "monitor")),
		started: cfg.Now(),
	}
	m.reset()
	return m, nil
}

// reset forgets the evaluation state; the next Advance rebuilds it from the stored
// history (after a start, or after the lease was held by another instance).
func (m *Monitor) reset() {
	m.series = map[string]*evaluate.Series{}
	m.trackers = map[string]*incident.Tracker{}
	m.order = make(map[string]int, len(m.cfg.Services))
	for i, s := range m.cfg.Services {
		m.order[s] = i
	}
	m.awake = map[string]bool{}
	m.births = map[string]int64{}
	m.origin, m.skips = 0, nil
	if m.eager {
		for _, s := range m.cfg.Services {
			m.state(s)
		}
	}
	// The parameters in effect (defaults filled in), read once rather than from a
	// new series each time.
	m.params = evaluate.NewSeries(m.cfg.Evaluate).Params()
	m.bucket = m.params.Bucket
	m.next = 0
	m.trimNext = 0
	m.gaps, m.forgot = nil, 0
	m.pending = nil
}

// Closed returns the boundary before which buckets are closed: a post older than it
// is too late to be counted.
func (m *Monitor) Closed() time.Time {
	m.admitMu.Lock()
	defer m.admitMu.Unlock()
	return m.closed
}

// close moves the closed boundary on to c (never back) and returns how far buckets
// may be evaluated now: up to c, or up to the boundary the batch being stored was
// admitted under.
func (m *Monitor) close(c time.Time) time.Time {
	m.admitMu.Lock()
	defer m.admitMu.Unlock()
	if c.After(m.closed) {
		m.closed = c
	}
	if m.admitted && m.admittedAt.Before(c) {
		return m.admittedAt
	}
	return c
}

// Tick is the live pipeline's evaluation step, called after every stored batch and
// periodically while idle. The instance holding the group's lease computes the group
// watermark from every partition's progress in Redis and advances to it; the others
// only learn the closed boundary.
func (m *Monitor) Tick(ctx context.Context) error {
	m.tickMu.Lock()
	defer m.tickMu.Unlock()
	if m.coord == nil {
		return errors.New("monitor: Tick needs a coordinator")
	}
	m.takeStored()
	held, err := m.coord.Lease(ctx, m.cfg.Group, m.cfg.Instance, m.cfg.Lease)
	if err != nil {
		return err
	}
	if !held {
		if m.leader {
			m.log.Info("evaluator lease moved to another instance")
			m.reset()
		}
		m.leader = false
		c, err := m.coord.Closed(ctx, m.cfg.Group)
		if err != nil {
			return err
		}
		m.admitMu.Lock()
		m.closed = c
		m.admitMu.Unlock()
		return nil
	}
	if !m.leader {
		m.log.Info("holding the evaluator lease", zap.String("instance", m.cfg.Instance))
		m.leader = true
		// Start from the boundary the previous evaluator published: posts it
		// found too late stay too late, so a replay decides like the first run.
		c, err := m.coord.Closed(ctx, m.cfg.Group)
		if err != nil {
			return err
		}
		m.close(c)
		m.published = c
	}
	wm, first, ok, err := m.watermark(ctx)
	if err != nil || !ok {
		return err
	}
	if m.next == 0 {
		if err := m.begin(ctx, first); err != nil {
			return err
		}
	}
	// The boundary moves on here before the buckets before it are read: a batch
	// stored after this finds its posts before it too late, and one being stored
	// now was admitted under the old one, whose buckets wait for it.
	upto, c := wm, counts.BucketTime(wm, m.bucket)
	if l := m.close(c); l.Before(c) {
		upto = l
	}
	if err := m.advance(ctx, upto); err != nil {
		return err
	}
	if err := m.speculate(ctx); err != nil {
		return err
	}
	if err := m.flush(ctx); err != nil {
		return err
	}
	if ce := m.log.Check(zap.DebugLevel, "watermark"); ce != nil {
		ce.Write(zap.Time("watermark", wm), zap.Time("evaluated_to", upto))
	}
	// In Redis, for the other instances and the next evaluator, the boundary is
	// published once the buckets before it are evaluated and their events out.
	if c := counts.BucketTime(upto, m.bucket); c.After(m.published) {
		if err := m.coord.SetClosed(ctx, m.cfg.Group, c); err != nil {
			return err
		}
		m.published = c
	}
	return nil
}

// begin sets the first bucket to evaluate: where the group's data starts (first),
// or, when buckets were closed before (a restart, a lease taken over), History
// before that, to rebuild the baselines and open incidents; events published
// already are claimed.
func (m *Monitor) begin(ctx context.Context, first time.Time) error {
	closed, err := m.coord.Closed(ctx, m.cfg.Group)
	if err != nil {
		return err
	}
	start := counts.BucketTime(first, m.bucket)
	if !closed.IsZero() {
		start = closed.Add(-m.cfg.History)
	}
	if err := m.seed(ctx, start); err != nil {
		return err
	}
	m.next = start.Unix()
	return nil
}

// watermark is the group's event-time watermark: the oldest of the partitions' newest
// posts, minus the allowed lateness. Partitions that are caught up and without messages
// for cfg.Idle are not waited for; one never seen is waited for only during cfg.Idle
// while it has a backlog. When
// every partition is idle and the stream is live (its newest post was near the clock),
// the watermark follows the clock, so the last buckets close while traffic is quiet.
func (m *Monitor) watermark(ctx context.Context) (wm, first time.Time, ok bool, err error) {
	marks, err := m.coord.Marks(ctx, m.cfg.Group, m.cfg.Topic)
	if err != nil {
		return time.Time{}, time.Time{}, false, err
	}
	now := m.cfg.Now()
	// The backlog costs Kafka requests: it is fetched again only every few seconds,
	// and only while some partition has not reported progress.
	if m.cfg.Backlog != nil && (m.backlog == nil || now.Sub(m.backlogAt) > 5*time.Second) {
		unseen := m.backlog == nil
		for p := range m.backlog {
			if mk, ok := marks[p]; !ok || mk.Event.Unix() <= 0 {
				unseen = true
			}
		}
		if unseen {
			b, err := m.cfg.Backlog(ctx)
			if err != nil {
				return time.Time{}, time.Time{}, false, err
			}
			m.backlog, m.backlogAt = b, now
		}
	}
	backlog := m.backlog
	parts := make([]int, 0, len(marks)+len(backlog))
	for p := range backlog {
		parts = append(parts, p)
	}
	for p := range marks {
		if !slices.Contains(parts, p) {
			parts = append(parts, p)
		}
	}
	if ce := m.log.Check(zap.DebugLevel, "partition marks"); ce != nil {
		ce.Write(zap.Any("marks", marks), zap.Ints("partitions", parts))
	}
	var low, newest time.Time
	var newestWall time.Time
	active := 0
	for _, p := range parts {
		mk, ok := marks[p]
		if !ok || mk.Event.Unix() <= 0 {
			if backlog[p] > 0 || (backlog == nil && now.Sub(m.started) < m.cfg.Idle) {
				return time.Time{}, time.Time{}, false, nil // a partition not consumed yet: wait for it
			}
			continue
		}
		if mk.Event.After(newest) {
			newest, newestWall = mk.Event, mk.Wall
		}
		if !mk.First.IsZero() && (first.IsZero() || mk.First.Before(first)) {
			first = mk.First
		}
		// Idle: caught up and without messages for a while. A partition with
		// messages left (a consumer behind, stalled or gone) is always waited for.
		if mk.Lag == 0 && now.Sub(mk.Wall) > m.cfg.Idle {
			continue
		}
		active++
		if low.IsZero() || mk.Event.Before(low) {
			low = mk.Event
		}
	}
	if newest.IsZero() {
		return time.Time{}, time.Time{}, false, nil
	}
	m.newestMark = newest
	if first.IsZero() {
		first = newest
	}
	if active == 0 {
		m.covered = newest
		if newestWall.Sub(newest) < liveLag {
			return now.Add(-m.cfg.Lateness), first, true, nil
		}
		low = newest
	}
	m.covered = low
	return low.Add(-m.cfg.Lateness), first, true, nil
}

// liveLag is how far behind the clock the newest post may have been, when it was
// consumed, for the stream to count as live.
const liveLag = 10 * time.Minute

// Advance closes every bucket that ends at or before watermark, evaluates it and
// publishes the events it produces. On error nothing is lost: buckets not yet read
// are read again and unpublished events are retried on the next call.
func (m *Monitor) Advance(ctx context.Context, watermark time.Time) error {
	m.tickMu.Lock()
	defer m.tickMu.Unlock()
	m.takeStored()
	if m.next == 0 && m.coord != nil {
		// No Tick has evaluated yet (a backtest whose posts were stored in one
		// batch, the storing stage ending before its Tick): start where Tick would.
		_, first, ok, err := m.watermark(ctx)
		if err != nil {
			return err
		}
		if ok {
			if err := m.begin(ctx, first); err != nil {
				return err
			}
		}
	}
	return m.advance(ctx, watermark)
}

func (m *Monitor) advance(ctx context.Context, watermark time.Time) error {
	m.takeAdded()
	step := int64(m.bucket / time.Second)
	end := counts.BucketOf(watermark, m.bucket) // buckets starting before end are closed
	if m.next == 0 {
		m.next = end - int64(m.cfg.History/time.Second)
	}
	if m.origin == 0 {
		m.origin = m.next
	}
	if m.trimNext == 0 {
		m.trimNext = m.next - int64(m.cfg.Retention/time.Second)
	}
	for m.next < end {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("evaluate buckets: %w", err) // a shutdown: the next evaluator goes on from here
		}
		skipped, err := m.skipQuiet(ctx, end)
		if err != nil {
			return err
		}
		if skipped {
			continue
		}
		to := min(end-step, m.next+int64(m.cfg.MaxRead-1)*step)
		counts, err := m.reader.Mentioned(ctx, m.next, to)
		if err != nil {
			return fmt.Errorf("evaluate buckets: %w", err)
		}
		// Timed per read, not per bucket: a catch-up or a backtest evaluates
		// millions of buckets, and a clock read for each showed.
		began, evaluated := time.Now(), 0
		for i, b := 0, m.next; b <= to; i, b = i+1, b+step {
			m.evaluate(time.Unix(b, 0).UTC(), i, counts)
			evaluated++
			m.next = b + step
			if m.startPending() {
				// A start is judged (its authors and voices counted) before the next
				// bucket is stepped: one taken back must not have the buckets after it
				// stepped as its incident's, nor lose the starts they would make.
				if err := m.flush(ctx); err != nil {
					return err
				}
			}
		}
		if m.onBucket != nil && evaluated > 0 {
			m.onBucket(time.Since(began) / time.Duration(evaluated))
		}
		// Publish before trimming: a start's authors are counted over its window's
		// buckets, which a long catch-up (a replay, a restart) would otherwise have
		// trimmed already, and a flood would pass for people.
		if err := m.flush(ctx); err != nil {
			return err
		}
		m.trim(ctx, to)
	}
	return m.flush(ctx)
}

// Activity tells in which hours the group stored posts (store.Store).
type Activity interface {
	NextActive(ctx context.Context, group string, from int64) (hour int64, ok, known bool, err error)
	ForgetActive(ctx context.Context, group string, before int64) error
}

// quietGap is the shortest stretch without any post that is skipped rather than
// evaluated bucket by bucket: the longest window (6h), so no window spans it.
const quietGap = 6 * time.Hour

// skipQuiet moves the next bucket to close past a stretch in which the group stored
// no post at all, when it is at least quietGap long: such a stretch is a hole in the
// input (a backdated first post, an instance that was down for days), not hours of
// silence, so the series are told of a gap instead of walking it bucket by bucket.
// The cost is one Redis call, whatever the stretch's length.
func (m *Monitor) skipQuiet(ctx context.Context, end int64) (bool, error) {
	act := m.activity
	if act == nil || m.cfg.Group == "" || time.Duration(end-m.next)*time.Second < quietGap {
		return false, nil
	}
	h, ok, known, err := act.NextActive(ctx, m.cfg.Group, m.next)
	if err != nil {
		return false, fmt.Errorf("evaluate buckets: %w", err)
	}
	if !known {
		return false, nil // no record of the active hours (an older version stored the posts)
	}
	target := end // no later post: quiet up to the watermark (an idle stream, or days down)
	if ok {
		target = min(end, counts.BucketOf(time.Unix(h, 0), m.bucket))
	}
	if time.Duration(target-m.next)*time.Second < quietGap {
		return false, nil
	}
	m.log.Info("skipping a stretch without posts", zap.Time("from", time.Unix(m.next, 0).UTC()), zap.Time("to", time.Unix(target, 0).UTC()))
	// Every series takes the gap when it is next stepped (catchUp).
	m.skips = append(m.skips, [2]int64{m.next, target})
	if m.eager {
		for _, s := range m.cfg.Services {
			m.series[s].Gap(time.Unix(target, 0).UTC())
		}
	}
	m.gaps = append(m.gaps, [2]int64{m.next, target})
	m.next = target
	return true, nil
}

// trim deletes the buckets that fell Retention behind the closed ones. It goes no
// further than the newest post allows (minus the lateness): when the watermark
// follows the clock in a quiet live stream, what Redis holds still depends on the
// input alone, so two runs over the same posts hold the same. A failed trim is left
// to the keys' TTLs: those buckets are evaluated already.
func (m *Monitor) trim(ctx context.Context, to int64) {
	t := m.trimmer
	if t == nil {
		return
	}
	step := int64(m.bucket / time.Second)
	r := int64(m.cfg.Retention / time.Second)
	upto := to - r
	if !m.newestMark.IsZero() {
		upto = min(upto, counts.BucketOf(m.newestMark.Add(-m.cfg.Lateness), m.bucket)-r)
	}
	for m.trimNext <= upto {
		// A stretch skipped as quiet holds nothing to trim.
		for len(m.gaps) > 0 && m.trimNext >= m.gaps[0][0] {
			m.trimNext = max(m.trimNext, m.gaps[0][1])
			m.gaps = m.gaps[1:]
		}
		if m.trimNext > upto {
			break
		}
		last := min(upto, m.trimNext+int64(m.cfg.MaxRead-1)*step)
		if len(m.gaps) > 0 {
			last = min(last, m.gaps[0][0]-step)
		}
		if err := t.Trim(ctx, m.trimNext, last); err != nil {
			if ctx.Err() == nil { // shutting down is not a failure to trim
				m.log.Warn("trim old buckets", zap.Error(err))
			}
			return
		}
		m.trimNext = last + step
		if act := m.activity; act != nil && m.cfg.Group != "" && m.trimNext-m.forgot >= 3600 {
			if err := act.ForgetActive(ctx, m.cfg.Group, m.trimNext); err != nil {
				if ctx.Err() == nil {
					m.log.Warn("trim old buckets", zap.Error(err))
				}
				return
			}
			m.forgot = m.trimNext
		}
	}
}

// evaluate steps the bucket starting at start (index i of counts) of every service
// mentioned in it and of every service awake, in the rules' order; the others are
// asleep and stay so.
func (m *Monitor) evaluate(start time.Time, i int, got map[string][]counts.Counts) {
	b := start.Unix()
	// In the rules' order, each service's place looked up once (a comparison that
	// looked both up showed in the profile at thousands of services a bucket).
	svcs := m.stepping[:0]
	if m.eager {
		for o, s := range m.cfg.Services {
			svcs = append(svcs, ordered{o, s})
		}
	} else {
		for s := range m.awake {
			svcs = append(svcs, ordered{m.order[s], s})
		}
		for s, cs := range got {
			if c := cs[i]; (c.Posts > 0 || c.Complaints > 0) && !m.awake[s] {
				if o, ok := m.order[s]; ok {
					svcs = append(svcs, ordered{o, s})
				}
			}
		}
	}
	slices.SortFunc(svcs, func(a, b ordered) int { return a.o - b.o })
	m.stepping = svcs
	verdicts := make(map[string]evaluate.Verdict, len(svcs))
	// The services failing now, found once: with thousands of services, looking at
	// every other one for each would cost their square per bucket.
	var failing []string
	for _, x := range svcs {
		s := x.s
		ser, tr := m.state(s)
		if !m.eager {
			m.catchUp(s, b)
		}
		var c counts.Counts
		if cs := got[s]; cs != nil {
			c = cs[i]
		}
		v := ser.Step(start, c)
		verdicts[s] = v
		if m.onVerdict != nil {
			m.onVerdict(s, v)
		}
		if tr.Open() || v.Anomalous() {
			failing = append(failing, s)
		}
	}
	for _, x := range svcs {
		s := x.s
		var related []string
		for _, o := range failing {
			if o != s {
				related = append(related, o)
			}
		}
		ser, tr := m.series[s], m.trackers[s]
		evs := tr.Step(verdicts[s], related)
		tr.Tell(ser)
		m.pending = append(m.pending, evs...)
		if asleep(ser, tr) {
			delete(m.awake, s)
		} else {
			m.awake[s] = true
		}
	}
}

// ordered is a service with its place in the rules.
type ordered struct {
	o int
	s string
}

// startPending reports whether a started event waits to be judged and published.
func (m *Monitor) startPending() bool {
	for _, e := range m.pending {
		if e.Type == incident.TypeStarted {
			return true
		}
	}
	return false
}

// flush fills in what needs I/O (distinct authors over the window), claims and
// publishes the pending events in order.
func (m *Monitor) flush(ctx context.Context) error {
	for len(m.pending) > 0 {
		e := m.pending[0]
		var distinct int64
		if e.Type != incident.TypeResolved {
			from := counts.BucketOf(e.Data.Window.Start, m.bucket)
			to := counts.BucketOf(e.Data.Window.End.Add(-time.Second), m.bucket)
			n, err := m.reader.DistinctAuthors(ctx, e.Data.Service, from, to)
			if err != nil {
				return err
			}
			distinct = n
		}
		if e.Type == incident.TypeStarted {
			// No authors stored (yet) for the window, as for a start on buckets still
			// open, is not a flood: it is not known.
			if distinct > 0 {
				// A few accounts posting in every bucket: not an outage after all,
				// nor the series' noise (the window's authors are counted already;
				// a flood episode's longer span is counted here).
				var ok bool
				var err error
				m.pending, ok, err = m.trackers[e.Data.Service].CheckStart(m.pending, 0, m.series[e.Data.Service], m.params,
					func(from time.Time) (int64, int64, error) {
						to := counts.BucketOf(e.Data.Window.End.Add(-time.Second), m.bucket)
						n := distinct
						if from.Before(e.Data.Window.Start) {
							var err error
							if n, err = m.reader.DistinctAuthors(ctx, e.Data.Service, counts.BucketOf(from, m.bucket), to); err != nil {
								return 0, 0, err
							}
						}
						v, err := m.reader.DistinctVoices(ctx, e.Data.Service, counts.BucketOf(from, m.bucket), to)
						return n, v, err
					})
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
			}
			if err := m.adopt(ctx); err != nil {
				return err
			}
			e = m.pending[0]
		}
		if e.Type != incident.TypeResolved {
			e.Data.DistinctAuthors = distinct
		}
		publish, err := m.claim(ctx, e)
		if err != nil {
			return err
		}
		if publish {
			if err := m.pub.Publish(ctx, []incident.Event{e}); err != nil {
				if uerr := m.claimer.Unclaim(ctx, e.ID); uerr != nil {
					m.log.Warn("release claim", zap.String("event", e.ID), zap.Error(uerr))
				}
				return fmt.Errorf("publish alert %s: %w", e.ID, err)
			}
			// Unconfirmed, the claim is settled by the next evaluator that replays
			// this event (it looks for it on the topic), so it is not an error here.
			if err := m.claimer.Confirm(ctx, e.ID); err != nil {
				m.log.Warn("confirm published alert", zap.String("event", e.ID), zap.Error(err))
			}
			m.log.Info("alert published", zap.String("event", e.ID), zap.String("type", e.Type),
				zap.String("service", e.Data.Service), zap.String("severity", e.Data.Severity))
			if m.onEvent != nil {
				m.onEvent(e)
			}
		}
		m.pending = m.pending[1:]
	}
	return nil
}

// claim decides whether this instance publishes e: it claims the event id in Redis,
// and when an earlier claim was never confirmed, it looks for the event on the topic.
func (m *Monitor) claim(ctx context.Context, e incident.Event) (bool, error) {
	st, at, err := m.claimer.Claim(ctx, e.ID)
	if err != nil {
		return false, fmt.Errorf("claim alert %s: %w", e.ID, err)
	}
	switch st {
	case store.Claimed:
		return true, nil
	case store.Published:
		return false, nil
	}
	found := false
	if m.verifier != nil {
		// A minute of margin for clocks that differ between hosts.
		if found, err = m.verifier.Published(ctx, e, at.Add(-time.Minute)); err != nil {
			return false, fmt.Errorf("settle unconfirmed alert %s: %w", e.ID, err)
		}
	}
	m.log.Info("unconfirmed alert claim settled", zap.String("event", e.ID), zap.Time("claimed", at), zap.Bool("on_topic", found))
	if found {
		if err := m.claimer.Confirm(ctx, e.ID); err != nil {
			return false, fmt.Errorf("confirm alert %s: %w", e.ID, err)
		}
		return false, nil
	}
	if err := m.claimer.Takeover(ctx, e.ID); err != nil {
		return false, fmt.Errorf("claim alert %s: %w", e.ID, err)
	}
	return true, nil
}
