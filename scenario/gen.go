package scenario

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"
)

type kind uint8

const (
	kindComplaint kind = iota // outage complaint
	kindAmbient               // individual background complaint
	kindRecovery              // "it's back"
	kindChatter               // brand mention without outage intent
	kindSpill                 // chatter about another service during an outage
	kindUnrelated             // no service at all
)

// post is one generated post; kind, service and problem are what the generator
// meant and are not written out (tests use them).
type post struct {
	t       int64 // event time, Unix nanoseconds (created_at is t truncated to the second)
	deliver int64 // delivery time, Unix nanoseconds
	id      uint64
	kind    kind
	service string
	problem string
	lang    string
	country string
	source  string
	author  uint32
	text    string
}

func (p *post) created() int64 { return p.t - p.t%int64(time.Second) }

const (
	halfLifeDecay    = 3 * time.Minute // complaints after recovery
	halfLifeRecovery = 4 * time.Minute // recovery posts
	recoveryShare    = 0.25            // recovery posts/min right after recovery, relative to PeakPerMin
	spillShare       = 0.025           // spill-over chatter relative to the complaint rate
	countryShare     = 0.6             // share of posts that carry a country
	authorPool       = 1_000_000
	chatterPool      = 200_000
	twitterEpochMs   = 1288834974657
)

// outageModel holds an outage with its precomputed noise and country mix.
type outageModel struct {
	Outage
	noise     []float64 // per-minute multiplicative noise from onset
	countries []Weighted
	others    []string // services for spill-over chatter
}

func (o *outageModel) noiseAt(t time.Time) float64 {
	m := int(t.Sub(o.Onset) / time.Minute)
	if m < 0 || len(o.noise) == 0 {
		return 1
	}
	if m >= len(o.noise) {
		m = len(o.noise) - 1
	}
	return o.noise[m]
}

// complaintRate is the outage's complaint rate in posts per minute at t (on top of ambient).
func (o *outageModel) complaintRate(t time.Time) float64 {
	if t.Before(o.Onset) {
		return 0
	}
	level := func(t time.Time) float64 {
		d := t.Sub(o.Onset)
		if o.Peak > 0 && d < o.Peak {
			return o.PeakPerMin * float64(d) / float64(o.Peak)
		}
		return o.PeakPerMin
	}
	if t.Before(o.Recovery) {
		return level(t) * o.noiseAt(t)
	}
	r := level(o.Recovery) * o.noiseAt(o.Recovery) * math.Exp2(-float64(t.Sub(o.Recovery))/float64(halfLifeDecay))
	if r < 0.01 {
		return 0
	}
	return r
}

// recoveryRate is the rate of "it's back" posts per minute at t.
func (o *outageModel) recoveryRate(t time.Time) float64 {
	d := t.Sub(o.Recovery)
	if d < 0 || d > 45*time.Minute {
		return 0
	}
	x := float64(d) / float64(time.Minute)
	return recoveryShare * o.PeakPerMin * (1 - math.Exp(-x)) * math.Exp2(-float64(d)/float64(halfLifeRecovery))
}

// dailyCycle is the multiplier of background traffic: ±40%, lowest at 03:00 UTC.
func dailyCycle(t time.Time) float64 {
	h := float64(t.UTC().Hour()) + float64(t.UTC().Minute())/60
	return 1 + 0.4*math.Sin(2*math.Pi*(h-9)/24)
}

// Poisson draws from a Poisson distribution with mean lambda (Knuth for small means,
// a normal approximation above 30).
func Poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 {
		n := int(math.Round(lambda + math.Sqrt(lambda)*r.NormFloat64()))
		return max(n, 0)
	}
	l := math.Exp(-lambda)
	n := 0
	for p := r.Float64(); p > l; p *= r.Float64() {
		n++
	}
	return n
}

// plan generates all posts of a stream, sorted in delivery order, with ids assigned.
func plan(cfg Config) ([]post, error) {
	if err := validate(cfg); err != nil {
		return nil, err
	}
	c := withDefaults(cfg)
	r := rand.New(rand.NewPCG(c.Seed, 0x6f75746372790001))
	g := &gen{r: r}

	start := c.Start.Truncate(time.Second)
	if start.Before(c.Start) {
		start = start.Add(time.Second)
	}
	end := c.End

	outs := make([]*outageModel, len(c.Outages))
	for i, o := range c.Outages {
		m := &outageModel{Outage: o}
		span := o.Recovery.Sub(o.Onset) + 2*time.Hour
		n := int(span/time.Minute) + 1
		m.noise = make([]float64, n)
		z := 0.0
		for k := range m.noise {
			z = 0.5*z + 0.1*r.NormFloat64()
			m.noise[k] = math.Exp(z)
		}
		m.countries = countryMix(o.Countries)
		for _, s := range c.Services {
			if s != o.Service {
				m.others = append(m.others, s)
			}
		}
		outs[i] = m
	}

	est := (c.ChatterPerMin+c.AmbientPerMin)*float64(len(c.Services)) + c.UnrelatedPerMin
	posts := make([]post, 0, int(est*end.Sub(start).Minutes()*1.1)+1024)

	add := func(sec time.Time, k kind, service string) *post {
		off := r.Int64N(int64(time.Second))
		t := sec.UnixNano() + off
		if t >= end.UnixNano() {
			return nil
		}
		posts = append(posts, post{t: t, kind: k, service: service})
		return &posts[len(posts)-1]
	}

	perSec := func(perMin float64) float64 { return perMin / 60 }
	for sec := start; sec.Before(end); sec = sec.Add(time.Second) {
		mid := sec.Add(500 * time.Millisecond)
		cyc := dailyCycle(mid)
		for _, s := range c.Services {
			for range Poisson(r, perSec(c.ChatterPerMin*cyc)) {
				if p := add(sec, kindChatter, s); p != nil {
					g.chatter(p)
				}
			}
			for range Poisson(r, perSec(c.AmbientPerMin*cyc)) {
				if p := add(sec, kindAmbient, s); p != nil {
					g.complaint(p, nil, true)
				}
			}
		}
		for range Poisson(r, perSec(c.UnrelatedPerMin*cyc)) {
			if p := add(sec, kindUnrelated, ""); p != nil {
				g.unrelated(p)
			}
		}
		for _, o := range outs {
			cr := o.complaintRate(mid)
			for range Poisson(r, perSec(cr)) {
				if p := add(sec, kindComplaint, o.Service); p != nil {
					g.complaint(p, o.countries, false)
				}
			}
			if len(o.others) > 0 {
				for range Poisson(r, perSec(cr*spillShare)) {
					if p := add(sec, kindSpill, o.others[r.IntN(len(o.others))]); p != nil {
						g.spill(p, o.Service)
					}
				}
			}
			for range Poisson(r, perSec(o.recoveryRate(mid))) {
				if p := add(sec, kindRecovery, o.Service); p != nil {
					g.recovery(p, o.countries)
				}
			}
		}
	}

	// Event-time order (within a second posts were appended by stream), then
	// snowflake-like ids, then delivery times.
	slices.SortStableFunc(posts, func(a, b post) int { return cmpInt64(a.t, b.t) })
	for i := range posts {
		p := &posts[i]
		ms := uint64(max(p.t/int64(time.Millisecond)-twitterEpochMs, 0))
		p.id = ms<<22 | uint64(i)&(1<<22-1)
		p.deliver = p.t
		if c.LateShare > 0 && r.Float64() < c.LateShare {
			// Late: delivered 1..60 s after created_at (always after t, too).
			p.deliver = p.created() + int64(time.Second) + r.Int64N(int64(maxLateness-time.Second)+1)
		}
	}
	slices.SortStableFunc(posts, func(a, b post) int { return cmpInt64(a.deliver, b.deliver) })
	return posts, nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// countryMix turns an Outage.Countries map into a deterministic Weighted list.
func countryMix(m map[string]float64) []Weighted {
	if m == nil {
		m = defaultCountries()
	}
	keys := make([]string, 0, len(m))
	sum := 0.0
	for k, v := range m {
		if v > 0 {
			keys = append(keys, k)
			sum += v
		}
	}
	sort.Strings(keys)
	var out []Weighted
	for _, k := range keys {
		out = append(out, Weighted{k, m[k]})
	}
	if sum < 1 {
		rest := 1 - sum
		for _, w := range restOfWorld {
			out = append(out, Weighted{w.S, w.W * rest})
		}
	}
	return out
}

var restOfWorld = []Weighted{{"BR", 0.3}, {"TR", 0.27}, {"MX", 0.14}, {"ES", 0.12}, {"US", 0.17}}

// badLine is a bad line to write before the post at index pos.
type badLine struct {
	pos  int
	line []byte
}

func badLines(c Config, nposts int) []badLine {
	if c.BadLines <= 0 {
		return nil
	}
	r := rand.New(rand.NewPCG(c.Seed, 0x6f75746372790002))
	span := c.End.Sub(c.Start)
	out := make([]badLine, c.BadLines)
	for i := range out {
		ts := c.Start.Add(time.Duration(r.Int64N(int64(span)))).UTC().Truncate(time.Second)
		created := ts.Format(time.RFC3339)
		var line []byte
		switch i % 5 {
		case 0:
			line = []byte(`{"id":"1","text":`)
		case 1:
			line = []byte(`{"id":"4","text":"whatsapp ` + "\xff\xfe" + ` broken bytes","author":"u42","created_at":"` + created + `","source":"x"}`)
		case 2:
			line = []byte(`{"id":"2","created_at":"` + created + `"}`)
		case 3:
			line = []byte(`{"id":"3","text":"hi"}`)
		case 4:
			line = []byte(`[1,2,3]`)
		}
		out[i] = badLine{pos: r.IntN(nposts + 1), line: line}
	}
	slices.SortStableFunc(out, func(a, b badLine) int { return a.pos - b.pos })
	return out
}

// appendPost appends p as one canonical JSON line.
func appendPost(b []byte, p *post) []byte {
	b = append(b, `{"id":"`...)
	b = strconv.AppendUint(b, p.id, 10)
	b = append(b, `","text":`...)
	b = appendJSONString(b, p.text)
	b = append(b, `,"author":"u`...)
	b = strconv.AppendUint(b, uint64(p.author), 10)
	b = append(b, `","created_at":"`...)
	b = time.Unix(0, p.created()).UTC().AppendFormat(b, time.RFC3339)
	b = append(b, `","lang":"`...)
	b = append(b, p.lang...)
	if p.country != "" {
		b = append(b, `","country":"`...)
		b = append(b, p.country...)
	}
	b = append(b, `","source":"`...)
	b = append(b, p.source...)
	b = append(b, "\"}\n"...)
	return b
}

const hexDigits = "0123456789abcdef"

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
