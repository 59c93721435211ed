// Package scenario generates synthetic social-post streams: it feeds the posts
// topic for `outcry demo` (a built-in outage replayed at high speed) and gives the
// end-to-end tests small fixtures with one clear outage.
//
// A stream is JSONL, one canonical Post per line (post.Post; docs/architecture.md), in delivery
// order. It mixes brand chatter, individual ("ambient") complaints, unrelated
// posts, and for each configured Outage a wave of complaints in many languages
// (en, ar, es, pt, de, hi, romanised Hindi, id, tr) followed by recovery posts.
// Generation is deterministic for a Config (math/rand/v2 with a PCG source) and
// does no I/O except writing to the given io.Writer.
package scenario

import (
	"bufio"
	"errors"
	"io"
	"time"
)

// Outage is one simulated incident.
type Outage struct {
	Service    string        // e.g. "whatsapp"
	Onset      time.Time     // complaints start rising
	Peak       time.Duration // time from onset to the peak rate (ramp), e.g. 12m
	Recovery   time.Time     // complaints fall back; a burst of recovery posts follows
	PeakPerMin float64       // complaint posts per minute at the peak
	// Countries is the share of complaints per country, e.g.
	// {"IN":0.35,"ID":0.14,"SA":0.09,"GB":0.085,"DE":0.07,"EG":0.07}.
	// Shares are normalised when they sum to more than 1; a remainder below 1 goes
	// to other countries (BR, TR, MX, ES, US). Nil means the mix of WhatsApp20221025.
	// The language of a complaint follows its country (IN: en, hi-Latn, hi; SA: ar; ...).
	Countries map[string]float64
}

// Config describes a stream. Zero rates and shares take their defaults; a
// negative value turns that part off.
type Config struct {
	Seed       uint64
	Start, End time.Time // event-time range of the stream: every created_at is in [Start, End)
	// Services with background chatter and ambient complaints;
	// default whatsapp, x, facebook, instagram, telegram, youtube.
	Services []string
	// ChatterPerMin is brand-mention chatter posts per minute per service (default 6).
	// Chatter, ambient complaints and unrelated posts follow a daily cycle (±40%,
	// lowest at 03:00 UTC, highest at 15:00 UTC).
	ChatterPerMin   float64
	AmbientPerMin   float64 // background individual complaints per minute per service (default 0.15)
	UnrelatedPerMin float64 // posts mentioning no service (default 30)
	Outages         []Outage
	LateShare       float64 // share of posts delivered late (up to 60 s after their created_at), default 0.03
	// BadLines is the number of bad lines sprinkled in (invalid JSON, invalid
	// UTF-8, missing text, missing created_at, JSON array); default 0.
	BadLines int
}

// Stats says what was written. Lines = Posts + Bad and
// Posts = Complaints + Recovery + Chatter + Unrelated. Complaints counts
// outage complaints and ambient (individual) complaints; Chatter includes the
// spill-over chatter about other services during an outage.
type Stats struct{ Lines, Posts, Complaints, Recovery, Chatter, Unrelated, Bad int }

// defaultServices are the services with background traffic when Config.Services is empty.
var defaultServices = []string{"whatsapp", "x", "facebook", "instagram", "telegram", "youtube"}

// defaultCountries is the country mix of complaints when Outage.Countries is nil,
// modelled on the WhatsApp outage of 2022-10-25 (the rest, about 20%, goes to
// BR, TR, MX, ES and US, so that pt, tr and es complaints appear too).
func defaultCountries() map[string]float64 {
	return map[string]float64{"IN": 0.35, "ID": 0.14, "SA": 0.09, "GB": 0.085, "DE": 0.07, "EG": 0.07}
}

// maxLateness bounds how long after its created_at a post is delivered.
const maxLateness = 60 * time.Second

// Write writes the stream as JSONL (one message per line, in delivery order) and
// returns what it wrote.
//
// Every good line is a canonical Post: {"id","text","author","created_at","lang","country","source"}
// (created_at RFC 3339 UTC with second precision, id a unique numeric string,
// author "u<digits>"; country only on about 60% of posts, as in real data).
// Delivery order is by created_at, except late posts, which appear up to 60 s
// after their created_at.
func Write(w io.Writer, cfg Config) (Stats, error) {
	posts, err := plan(cfg)
	if err != nil {
		return Stats{}, err
	}
	c := withDefaults(cfg)
	var st Stats
	bw := bufio.NewWriterSize(w, 64<<10)
	bad := badLines(c, len(posts))
	buf := make([]byte, 0, 512)
	bi := 0
	for i := 0; i <= len(posts); i++ {
		for bi < len(bad) && bad[bi].pos == i {
			buf = append(buf[:0], bad[bi].line...)
			buf = append(buf, '\n')
			if _, err := bw.Write(buf); err != nil {
				return st, err
			}
			st.Lines++
			st.Bad++
			bi++
		}
		if i == len(posts) {
			break
		}
		p := &posts[i]
		buf = appendPost(buf[:0], p)
		if _, err := bw.Write(buf); err != nil {
			return st, err
		}
		st.Lines++
		st.Posts++
		switch p.kind {
		case kindComplaint, kindAmbient:
			st.Complaints++
		case kindRecovery:
			st.Recovery++
		case kindChatter, kindSpill:
			st.Chatter++
		case kindUnrelated:
			st.Unrelated++
		}
	}
	return st, bw.Flush()
}

// WhatsApp20221025 is the built-in demo scenario modelled on the WhatsApp outage
// of 2022-10-25: stream 2022-10-25T04:00Z–09:40Z (quiet hours before), WhatsApp
// outage onset 07:17Z, ramp 12 min, recovery 08:50Z, peak about 100
// complaints/min, countries led by IN, ID, SA, GB, DE, EG. About 40k posts.
func WhatsApp20221025() Config {
	day := time.Date(2022, 10, 25, 0, 0, 0, 0, time.UTC)
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	return Config{
		Seed:            20221025,
		Start:           at(4, 0),
		End:             at(9, 40),
		Services:        append([]string(nil), defaultServices...),
		ChatterPerMin:   8,
		AmbientPerMin:   0.15,
		UnrelatedPerMin: 65,
		Outages: []Outage{{
			Service:    "whatsapp",
			Onset:      at(7, 17),
			Peak:       12 * time.Minute,
			Recovery:   at(8, 50),
			PeakPerMin: 100,
			Countries:  defaultCountries(),
		}},
		LateShare: 0.03,
		BadLines:  20,
	}
}

// Fixture is a small stream for tests: 2 hours, one clear outage of service
// lasting 20 minutes starting 60 minutes in, about 8k posts, no bad lines.
// Deterministic for a seed. The stream starts at 2024-03-05T12:00:00Z.
func Fixture(service string, seed uint64) Config {
	start := time.Date(2024, 3, 5, 12, 0, 0, 0, time.UTC)
	return Config{
		Seed:            seed,
		Start:           start,
		End:             start.Add(2 * time.Hour),
		Services:        append([]string(nil), defaultServices...),
		ChatterPerMin:   4,
		AmbientPerMin:   0.15,
		UnrelatedPerMin: 16,
		Outages: []Outage{{
			Service:    service,
			Onset:      start.Add(60 * time.Minute),
			Peak:       4 * time.Minute,
			Recovery:   start.Add(80 * time.Minute),
			PeakPerMin: 60,
			Countries:  defaultCountries(),
		}},
		LateShare: 0.03,
	}
}

func withDefaults(c Config) Config {
	if len(c.Services) == 0 {
		c.Services = defaultServices
	}
	def := func(v *float64, d float64) {
		switch {
		case *v == 0:
			*v = d
		case *v < 0:
			*v = 0
		}
	}
	def(&c.ChatterPerMin, 6)
	def(&c.AmbientPerMin, 0.15)
	def(&c.UnrelatedPerMin, 30)
	def(&c.LateShare, 0.03)
	if c.LateShare > 1 {
		c.LateShare = 1
	}
	if c.BadLines < 0 {
		c.BadLines = 0
	}
	return c
}

func validate(c Config) error {
	if c.Start.IsZero() || c.End.IsZero() {
		return errors.New("scenario: Start and End are required")
	}
	if !c.End.After(c.Start) {
		return errors.New("scenario: End must be after Start")
	}
	for _, o := range c.Outages {
		if o.Service == "" {
			return errors.New("scenario: outage without a service")
		}
		if o.Recovery.Before(o.Onset) {
			return errors.New("scenario: outage " + o.Service + " recovers before its onset")
		}
		if o.PeakPerMin < 0 || o.Peak < 0 {
			return errors.New("scenario: outage " + o.Service + " has a negative peak")
		}
	}
	return nil
}
