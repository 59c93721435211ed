// Package counts is the counted model every stage after matching shares: a service's
// counters in one event-time bucket (Counts), the increments of one consumed batch
// (Batch, Delta) and the bucket arithmetic.
//
// It sits between matching and storage in the data flow: the pipeline sums the matches of
// one batch into a Batch in memory, the store writes it to Redis in one call, and the pure
// evaluation reads Counts back. It imports nothing beyond the standard library, so the
// pure core (detect/...) does not link a Redis or Kafka client.
package counts

import (
	"cmp"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Counts are the counters of one service in one bucket (or summed over a window).
type Counts struct {
	Posts      int64 // posts naming the service, whatever their intent
	Complaints int64 // posts with outage intent
	Recoveries int64 // posts saying the service is back
	Authors    int64 // distinct complaint authors (HyperLogLog estimate)
	Problems   map[string]int64
	Countries  map[string]int64
	Languages  map[string]int64
	Samples    []string // a few complaint post ids
	// SamplePosts are the samples an analyst can read (those whose text was kept,
	// Complaint.Text): at most MaxSamples.
	SamplePosts []SamplePost
}

// SamplePost is a sample complaint as the live page shows it.
type SamplePost struct {
	ID      string `json:"id"`
	Text    string `json:"text"` // at most MaxSampleText bytes
	Lang    string `json:"lang,omitempty"`
	Country string `json:"country,omitempty"`
	Source  string `json:"source,omitempty"`
}

// Empty reports whether c counts nothing (adding it changes nothing).
func (c *Counts) Empty() bool {
	return c.Posts == 0 && c.Complaints == 0 && c.Recoveries == 0 && c.Authors == 0 &&
		len(c.Problems) == 0 && len(c.Countries) == 0 && len(c.Languages) == 0 &&
		len(c.Samples) == 0 && len(c.SamplePosts) == 0
}

// Add sums o into c.
func (c *Counts) Add(o Counts) {
	c.AddTotals(o)
	c.AddBreakdowns(o)
}

// AddTotals sums o's counters and samples into c, not its breakdowns (AddBreakdowns):
// a sum over a window that only decides needs no maps, which are most of the cost.
func (c *Counts) AddTotals(o Counts) {
	c.Posts += o.Posts
	c.Complaints += o.Complaints
	c.Recoveries += o.Recoveries
	c.Authors += o.Authors
	for _, s := range o.Samples {
		if len(c.Samples) >= MaxSamples {
			break
		}
		c.Samples = append(c.Samples, s)
	}
	for _, s := range o.SamplePosts {
		if len(c.SamplePosts) >= MaxSamples {
			break
		}
		c.SamplePosts = append(c.SamplePosts, s)
	}
}

// AddBreakdowns sums o's problems, countries and languages into c.
func (c *Counts) AddBreakdowns(o Counts) {
	c.Problems = addMap(c.Problems, o.Problems)
	c.Countries = addMap(c.Countries, o.Countries)
	c.Languages = addMap(c.Languages, o.Languages)
}

func addMap(dst, src map[string]int64) map[string]int64 {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]int64, len(src))
	}
	for k, v := range src {
		dst[k] += v
	}
	return dst
}

// Shares turns counts into fractions of total, keeping the top n, largest first.
func Shares(m map[string]int64, n int) map[string]float64 {
	type kv struct {
		k string
		v int64
	}
	var all []kv
	var total int64
	for k, v := range m {
		all = append(all, kv{k, v})
		total += v
	}
	if total == 0 {
		return map[string]float64{}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].v != all[j].v {
			return all[i].v > all[j].v
		}
		return all[i].k < all[j].k
	})
	out := make(map[string]float64, n)
	for i, e := range all {
		if i >= n {
			break
		}
		out[e.k] = float64(int64(float64(e.v)/float64(total)*1000+0.5)) / 1000
	}
	return out
}

const (
	// MaxSamples is how many complaint post ids a bucket (and a summed window) keeps.
	MaxSamples = 5
	// MaxSampleText bounds the text of a sample post kept for reading: a long post
	// is cut at a rune boundary.
	MaxSampleText = 600
	// Caps on the distinct labels one batch may add per bucket, so a flood of made-up
	// countries or languages cannot grow a batch or a Redis hash without bound.
	maxLabelsPerBucket  = 64
	maxAuthorsPerBucket = 50000
)

// Event-time defaults every stage shares: the store writes buckets of DefaultBucket, the
// pipeline counts a post up to DefaultLateness behind the newest one, and the monitor
// waits that long before it closes a bucket. They are set here only; app.Options passes
// one value of each to all of them.
const (
	DefaultBucket   = 10 * time.Second
	DefaultLateness = 2 * time.Minute
)

// Key names one service's bucket.
type Key struct {
	Service string
	Bucket  int64 // bucket start, unix seconds
}

// Complaint is what the aggregator needs to know of one post that matched a service.
type Complaint struct {
	Author, Country, Lang, PostID string
	Problems                      []string
	// Text and Source are kept with the bucket's sample posts, for analysts to
	// read; empty Text keeps none (--no-sample-text).
	Text, Source string
	// Wording is the post's match.Match.Wording: copies of one wording are one
	// voice, whoever posts them (Voice).
	Wording uint64
}

// Delta is the increment of one bucket within a batch.
type Delta struct {
	Counts
	authors map[string]struct{}
	voices  map[voice]struct{}
}

// voice is a complaint's Voice before it is written out: its wording, or its author
// when it has none (kept apart, so counting it allocates nothing).
type voice struct {
	wording uint64
	author  string
}

// AuthorIDs returns the distinct complaint authors counted, sorted (at most
// maxAuthorsPerBucket of them).
func (d *Delta) AuthorIDs() []string {
	ids := make([]string, 0, len(d.authors))
	for a := range d.authors {
		ids = append(ids, a)
	}
	slices.Sort(ids)
	return ids
}

// VoiceIDs returns the distinct complaint voices counted (Voice), sorted (at most
// maxAuthorsPerBucket of them).
func (d *Delta) VoiceIDs() []string {
	ids := make([]string, 0, len(d.voices))
	for v := range d.voices {
		ids = append(ids, Voice(v.author, v.wording))
	}
	slices.Sort(ids)
	return ids
}

// PartitionRange is the span of offsets of one partition in a batch.
type PartitionRange struct{ First, Last int64 }

// Batch aggregates one consumed batch in memory before its single Redis write.
type Batch struct {
	Partitions map[int]PartitionRange
	Buckets    map[Key]*Delta
	// Totals counted for audits (outcry stats): consumed, matched, dead_lettered, late.
	Totals map[string]int64
	// Watermarks are the newest post time (unix ms) seen per partition; Wall is when
	// the batch was consumed.
	Watermarks map[int]int64
	Firsts     map[int]int64 // oldest post time (unix ms) per partition
	Lags       map[int]int64 // messages left in the partition after this batch
	// Hours are the hours (unix seconds, multiples of 3600) in which the batch has
	// posts: the evaluator skips the stretches without any (Store.NextActive).
	Hours map[int64]bool
	Wall  time.Time
	// Holder is the consumer that locked the batch's partitions (Store.Lock); storing
	// the batch releases them.
	Holder string
	bucket int64
}

// NewBatch returns an empty batch for buckets of the given size.
func NewBatch(bucket time.Duration) *Batch {
	return &Batch{
		Partitions: map[int]PartitionRange{},
		Buckets:    map[Key]*Delta{},
		Totals:     map[string]int64{},
		Watermarks: map[int]int64{},
		Firsts:     map[int]int64{},
		Lags:       map[int]int64{},
		Hours:      map[int64]bool{},
		bucket:     int64(bucket / time.Second),
	}
}

// BucketOf returns the start (unix seconds) of the bucket holding t.
func BucketOf(t time.Time, bucket time.Duration) int64 {
	s := int64(bucket / time.Second)
	u := t.Unix()
	return u - ((u%s)+s)%s
}

// Offset records that the message at offset of partition is part of the batch.
func (b *Batch) Offset(partition int, offset int64) {
	r, ok := b.Partitions[partition]
	if !ok {
		r = PartitionRange{First: offset, Last: offset}
	}
	if offset < r.First {
		r.First = offset
	}
	if offset > r.Last {
		r.Last = offset
	}
	b.Partitions[partition] = r
}

func (b *Batch) delta(service string, t time.Time) *Delta {
	k := Key{Service: service, Bucket: BucketOf(t, time.Duration(b.bucket)*time.Second)}
	d := b.Buckets[k]
	if d == nil {
		d = &Delta{}
		b.Buckets[k] = d
	}
	return d
}

// Mention counts a post naming service without outage or recovery intent.
func (b *Batch) Mention(service string, t time.Time) { b.delta(service, t).Posts++ }

// Recovery counts a post saying service is back.
func (b *Batch) Recovery(service string, t time.Time) {
	d := b.delta(service, t)
	d.Posts++
	d.Recoveries++
}

// Complain counts an outage complaint about service.
func (b *Batch) Complain(service string, t time.Time, c Complaint) {
	d := b.delta(service, t)
	d.Posts++
	d.Complaints++
	for _, p := range c.Problems {
		d.Problems = incCapped(d.Problems, p)
	}
	if c.Country != "" {
		d.Countries = incCapped(d.Countries, c.Country)
	}
	if c.Lang != "" {
		d.Languages = incCapped(d.Languages, c.Lang)
	}
	if c.Author != "" && len(d.authors) < maxAuthorsPerBucket {
		if d.authors == nil {
			d.authors = map[string]struct{}{}
		}
		d.authors[c.Author] = struct{}{}
	}
	if len(d.voices) < maxAuthorsPerBucket {
		if d.voices == nil {
			d.voices = map[voice]struct{}{}
		}
		v := voice{wording: c.Wording}
		if v.wording == 0 {
			v.author = c.Author
		}
		d.voices[v] = struct{}{}
	}
	if len(d.Samples) < MaxSamples && c.PostID != "" {
		d.Samples = append(d.Samples, c.PostID)
		if c.Text != "" {
			d.SamplePosts = append(d.SamplePosts, SamplePost{ID: c.PostID, Text: cut(c.Text, MaxSampleText),
				Lang: c.Lang, Country: c.Country, Source: c.Source})
		}
	}
}

// cut is s in at most n bytes, cut at a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func incCapped(m map[string]int64, k string) map[string]int64 {
	if m == nil {
		m = map[string]int64{}
	}
	if _, ok := m[k]; !ok && len(m) >= maxLabelsPerBucket {
		k = "other"
	}
	m[k]++
	return m
}

// BucketTime returns the start of the bucket holding t.
func BucketTime(t time.Time, bucket time.Duration) time.Time {
	return time.Unix(BucketOf(t, bucket), 0).UTC()
}

// DistinctAuthors is how many distinct complaint authors the delta holds.
func (d *Delta) DistinctAuthors() int { return len(d.authors) }

// DistinctVoices is how many distinct complaint voices the delta holds.
func (d *Delta) DistinctVoices() int { return len(d.voices) }

// Top returns the n keys of a share map with the largest shares, largest first (ties by
// name), as an alert's evidence names them.
func Top(m map[string]float64, n int) []string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(m[b], m[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return keys[:min(n, len(keys))]
}

// Voice returns the key under which a complaint counts as one witness: its
// wording (match.Match.Wording: what it says apart from the service's name,
// handles and links) when it has one, so that copies of a text (a headline
// reposted, a pasted message, a bot's script, a template posted with the name
// spelled several ways) are one voice however many accounts post them;
// otherwise, for a post too short to tell one writer from another, its author,
// because many people write "#Xdown" or "X down?" on their own. Detection asks
// a start to be surprising in voices as well as in authors (evaluate's
// Params.Authors).
func Voice(author string, wording uint64) string {
	if wording == 0 {
		return "a:" + author
	}
	return "t:" + strconv.FormatUint(wording, 36)
}
