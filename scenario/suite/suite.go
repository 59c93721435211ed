// Package suite generates the evaluation suite of detection: labelled streams of posts
// that vary what a real firehose varies (volume, outage shape, baseline, languages,
// negatives such as next-day post-mortems, launches and bot floods), each written as a
// posts file and its truth, for `outcry backtest --posts ... --labels ...`.
//
// It sits upstream of everything it measures, beside package scenario (the demo's
// stream). The texts come from package suitetext, written by a writer who never saw
// the matcher's rules, and a stream takes them from one half only: the tuning streams
// from the tuning half, the held-out streams from the held-out half. The streams are
// fixed (seeds included), so a figure on the held-out half is comparable from run to
// run; nobody tuning reads the held-out streams or their misses.
package suite

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/outcry-dev/outcry/scenario"
	"github.com/outcry-dev/outcry/scenario/suitetext"
)

// Shape is how an outage's complaints rise and fall.
type Shape string

// Shapes of outages.
const (
	Step         Shape = "step"         // full rate within a minute, until recovery
	Ramp         Shape = "ramp"         // rises over 30 minutes
	PeakDecay    Shape = "peak_decay"   // a fast peak, then a slow decay over the outage
	Intermittent Shape = "intermittent" // on and off in 10-minute spells
	Plateau      Shape = "long_plateau" // hours at a modest rate
)

// Baseline is how a service's ordinary traffic behaves.
type Baseline string

// Baselines.
const (
	Steady   Baseline = "steady"   // a mild daily cycle
	Seasonal Baseline = "seasonal" // a strong daily and weekly cycle
	Sparse   Baseline = "sparse"   // a few posts an hour, zero most minutes
	Bursty   Baseline = "bursty"   // clustered posts (overdispersed)
	Trending Baseline = "trending" // grows steadily over the stream
)

// Negative is something that looks like an outage and is not one.
type Negative string

// Negatives.
const (
	PastTalk  Negative = "past_talk"  // the morning after an outage: questions, post-mortems, press
	Launch    Negative = "launch"     // a surge of chatter (a feature, an event)
	BotFlood  Negative = "bot_flood"  // a few accounts posting outage words many times
	Show      Negative = "show"       // a show at a fixed hour each day: chatter rises
	OwnOutage Negative = "own_outage" // a power cut: people complain of their own connection
)

// Load is a service's ordinary traffic.
type Load struct {
	Service    string
	Baseline   Baseline
	ChatterMin float64 // posts naming the service without a problem, per minute (mean)
	AmbientMin float64 // individual complaints per minute (someone's own trouble)
	// Langs is the share of posts per language (suitetext codes); nil: en 0.5, es 0.2,
	// pt 0.1, ar 0.1, hi-Latn 0.1.
	Langs map[string]float64
}

// Outage is one labelled incident.
type Outage struct {
	Service   string
	Shape     Shape
	Onset     time.Time
	Duration  time.Duration // until recovery
	PeakMin   float64       // complaints per minute at the peak
	Langs     map[string]float64
	Countries []string // the countries complaints come from, first most
	Related   []string // other services of the same owner failing with it (labelled too)
}

// Event is a labelled negative.
type Event struct {
	Kind     Negative
	Service  string
	At       time.Time
	Duration time.Duration
	PerMin   float64 // posts per minute of the event at its height
	Langs    map[string]float64
}

// Stream is one labelled stream of the suite.
type Stream struct {
	Name       string
	Half       suitetext.Half
	Seed       uint64
	Start, End time.Time
	Loads      []Load
	Outages    []Outage
	Events     []Event
	Unrelated  float64 // posts naming no service, per minute
	// Writer is whose templates the stream's posts are made of (suitetext.LoadWriter);
	// 0 is writer 1, the suite's.
	Writer int
}

// Truth is what a stream's truth.json holds (the shape `outcry backtest --labels`
// reads, plus what the suite reports on).
type Truth struct {
	Name      string          `json:"name"`
	Half      string          `json:"half"`
	Start     time.Time       `json:"start"`
	End       time.Time       `json:"end"`
	Incidents []TruthIncident `json:"incidents"`
	Negatives []TruthNegative `json:"negatives"`
	// NegativeDays is how many days of the stream hold no outage: the denominator of
	// false alerts per negative day.
	NegativeDays float64 `json:"negative_days"`
	Posts        int     `json:"posts"`
}

// TruthIncident is a labelled outage.
type TruthIncident struct {
	Service      string    `json:"service"`
	Onset        time.Time `json:"onset"`
	Recovery     time.Time `json:"recovery"`
	Shape        Shape     `json:"shape"`
	PeakPerMin   float64   `json:"peak_per_min"`
	CountriesTop []string  `json:"countries_top"`
	ProblemsTop  []string  `json:"problems_top"`
	Related      []string  `json:"related"`
}

// TruthNegative is a labelled negative.
type TruthNegative struct {
	Kind    Negative  `json:"kind"`
	Service string    `json:"service"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
}

// kind of a generated post.
type kind uint8

const (
	kChatter kind = iota
	kAmbient
	kOutage
	kRecovery
	kPast
	kBot
	kOwn
	kUnrelated
)

type post struct {
	at      time.Time
	kind    kind
	service string
	lang    string
	country string
	author  string
}

var defaultLangs = map[string]float64{"en": 0.5, "es": 0.2, "pt": 0.1, "ar": 0.1, "hi-Latn": 0.1}

// countryOf is the country a language's posts mostly come from.
var countryOf = map[string]string{
	"en": "US", "es": "MX", "pt": "BR", "fr": "FR", "de": "DE", "it": "IT", "nl": "NL", "tr": "TR", "ru": "RU",
	"uk": "UA", "uz-Latn": "UZ", "uz-Cyrl": "UZ", "fa": "IR", "ar": "SA", "ar-EG": "EG", "hi": "IN", "hi-Latn": "IN",
	"bn": "BD", "ur": "PK", "id": "ID", "ms": "MY", "tl": "PH", "vi": "VN", "th": "TH", "ja": "JP", "ko": "KR",
	"zh": "TW", "sw": "KE", "pl": "PL", "ro": "RO",
}

// brand is how a service's own name is written, whatever the language.
var brand = map[string][]string{
	"whatsapp": {"WhatsApp", "whatsapp", "Whatsapp", "WHATSAPP"}, "x": {"Twitter", "twitter", "X"},
	"facebook": {"Facebook", "facebook", "FB", "fb"}, "instagram": {"Instagram", "instagram", "IG", "insta"},
	"telegram": {"Telegram", "telegram"}, "youtube": {"YouTube", "youtube", "Youtube", "YT"},
	"tiktok": {"TikTok", "tiktok", "Tiktok"}, "gmail": {"Gmail", "gmail"}, "discord": {"Discord", "discord"},
	"netflix": {"Netflix", "netflix", "NETFLIX"}, "spotify": {"Spotify", "spotify"}, "steam": {"Steam", "steam"},
	"playstation": {"PlayStation", "PSN", "playstation"}, "outlook": {"Outlook", "outlook"},
	"chatgpt": {"ChatGPT", "chatgpt", "chat gpt"}, "roblox": {"Roblox", "roblox"},
}

// handle is the support account people tag.
var handle = map[string]string{
	"whatsapp": "WhatsApp", "x": "Support", "facebook": "facebook", "instagram": "instagram", "telegram": "telegram",
	"youtube": "TeamYouTube", "tiktok": "tiktok_us", "gmail": "gmail", "discord": "discord", "netflix": "Netflixhelps",
	"spotify": "SpotifyCares", "steam": "SteamSupport", "playstation": "AskPlayStation", "outlook": "Outlook",
	"chatgpt": "OpenAI", "roblox": "Roblox",
}

var cities = []string{"Lagos", "Jakarta", "Tehran", "Tashkent", "São Paulo", "Mumbai", "Cairo", "Riyadh", "Istanbul", "Madrid", "Manila", "Nairobi"}

// Post is one generated post.
type Post struct {
	ID, Text, Author, Lang, Country string
	At                              time.Time
}

// Generate draws the stream's posts, calls emit with each in created_at order and
// returns the stream's truth.
func Generate(s Stream, emit func(Post) error) (Truth, error) {
	texts, err := suitetext.LoadWriter(cmp.Or(s.Writer, 1), s.Half)
	if err != nil {
		return Truth{}, err
	}
	r := rand.New(rand.NewPCG(s.Seed, 0x0c47a11))
	n := 0
	prefix := "s" + strconv.FormatUint(s.Seed, 10) + "-"
	for i, p := range plan(r, s) {
		text, ok := textOf(r, texts, p)
		if !ok {
			continue
		}
		err := emit(Post{ID: prefix + strconv.Itoa(i), Text: text, Author: p.author, Lang: p.lang, Country: p.country, At: p.at})
		if err != nil {
			return Truth{}, err
		}
		n++
	}
	t := truthOf(s)
	t.Posts = n
	return t, nil
}

// Write writes the stream's posts (canonical JSONL, in created_at order) and returns
// its truth.
func Write(w io.Writer, s Stream) (Truth, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	var line []byte
	t, err := Generate(s, func(p Post) error {
		line = append(line[:0], `{"id":"`...)
		line = append(line, p.ID...)
		line = append(line, `","text":`...)
		tb, _ := json.Marshal(p.Text)
		line = append(line, tb...)
		line = append(line, `,"author":"`...)
		line = append(line, p.Author...)
		line = append(line, `","created_at":"`...)
		line = p.At.UTC().AppendFormat(line, time.RFC3339)
		line = append(line, `","lang":"`...)
		line = append(line, p.Lang...)
		line = append(line, '"')
		if p.Country != "" {
			line = append(line, `,"country":"`...)
			line = append(line, p.Country...)
			line = append(line, '"')
		}
		line = append(line, `,"source":"suite"}`...)
		line = append(line, '\n')
		_, err := bw.Write(line)
		return err
	})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return Truth{}, fmt.Errorf("write %s: %w", s.Name, err)
	}
	return t, nil
}

func truthOf(s Stream) Truth {
	t := Truth{Name: s.Name, Half: s.Half.String(), Start: s.Start, End: s.End}
	outageTime := time.Duration(0)
	for _, o := range s.Outages {
		for _, svc := range append([]string{o.Service}, o.Related...) {
			var related []string
			for _, x := range append([]string{o.Service}, o.Related...) {
				if x != svc {
					related = append(related, x)
				}
			}
			t.Incidents = append(t.Incidents, TruthIncident{
				Service: svc, Onset: o.Onset, Recovery: o.Onset.Add(o.Duration), Shape: o.Shape, PeakPerMin: o.PeakMin,
				CountriesTop: o.Countries, Related: related,
			})
		}
		// A day around an outage is not a negative day.
		outageTime += o.Duration + 12*time.Hour
	}
	for _, e := range s.Events {
		t.Negatives = append(t.Negatives, TruthNegative{Kind: e.Kind, Service: e.Service, From: e.At, To: e.At.Add(e.Duration)})
	}
	t.NegativeDays = math.Max(0, (s.End.Sub(s.Start)-outageTime).Hours()/24)
	return t
}

// plan draws every post of the stream, in created_at order.
func plan(r *rand.Rand, s Stream) []post {
	var out []post
	step := 10 * time.Second
	days := s.End.Sub(s.Start).Hours() / 24
	regulars := 5000 // authors of ordinary posts
	for _, l := range s.Loads {
		langs := pickLangs(l.Langs)
		burst := 1.0
		for t := s.Start; t.Before(s.End); t = t.Add(step) {
			f := baselineFactor(l.Baseline, t, t.Sub(s.Start).Hours()/24/math.Max(days, 1))
			if l.Baseline == Bursty {
				// A slowly wandering multiplier (log-normal random walk) clusters posts.
				burst = math.Exp(math.Log(burst)*0.98 + r.NormFloat64()*0.12)
			}
			perStep := step.Minutes() * f * burst
			for range scenario.Poisson(r, l.ChatterMin*perStep) {
				out = append(out, mk(r, t, step, kChatter, l.Service, langs, regulars))
			}
			for range scenario.Poisson(r, l.AmbientMin*perStep) {
				out = append(out, mk(r, t, step, kAmbient, l.Service, langs, regulars))
			}
		}
	}
	for _, o := range s.Outages {
		langs := pickLangs(o.Langs)
		end := o.Onset.Add(o.Duration)
		for _, svc := range append([]string{o.Service}, o.Related...) {
			scale := 1.0
			if svc != o.Service {
				scale = 0.6 // a related service draws fewer complaints
			}
			for t := o.Onset; t.Before(end.Add(30 * time.Minute)); t = t.Add(step) {
				rate := o.PeakMin * scale * shapeAt(o.Shape, t.Sub(o.Onset), o.Duration)
				for range scenario.Poisson(r, rate*step.Minutes()) {
					p := mk(r, t, step, kOutage, svc, langs, 0)
					if len(o.Countries) > 0 && r.Float64() < 0.7 {
						p.country = o.Countries[min(len(o.Countries)-1, int(math.Abs(r.NormFloat64())*1.2))]
					}
					out = append(out, p)
				}
				// People say it is back: a burst over the 20 minutes after recovery.
				if !t.Before(end) {
					since := t.Sub(end).Minutes()
					rec := 0.25 * o.PeakMin * scale * math.Exp(-since/8)
					for range scenario.Poisson(r, rec*step.Minutes()) {
						out = append(out, mk(r, t, step, kRecovery, svc, langs, 0))
					}
				}
			}
			// The next morning: questions, post-mortems, press (a negative of its own).
			next := time.Date(end.Year(), end.Month(), end.Day()+1, 7, 0, 0, 0, time.UTC)
			for t := next; t.Before(next.Add(5*time.Hour)) && t.Before(s.End); t = t.Add(step) {
				rate := 0.12 * o.PeakMin * scale * math.Exp(-t.Sub(next).Hours()/1.5)
				for range scenario.Poisson(r, rate*step.Minutes()) {
					out = append(out, mk(r, t, step, kPast, svc, langs, 0))
				}
			}
		}
	}
	for _, e := range s.Events {
		langs := pickLangs(e.Langs)
		for t := e.At; t.Before(e.At.Add(e.Duration)); t = t.Add(step) {
			x := t.Sub(e.At).Minutes() / e.Duration.Minutes()
			rate := e.PerMin * math.Sin(math.Pi*x) // rises and falls over the event
			for range scenario.Poisson(r, rate*step.Minutes()) {
				switch e.Kind {
				case BotFlood:
					p := mk(r, t, step, kBot, e.Service, langs, 0)
					p.author = "bot" + strconv.Itoa(r.IntN(4)) // a handful of accounts
					out = append(out, p)
				case PastTalk:
					out = append(out, mk(r, t, step, kPast, e.Service, langs, 0))
				case OwnOutage:
					out = append(out, mk(r, t, step, kOwn, e.Service, langs, 0))
				default:
					out = append(out, mk(r, t, step, kChatter, e.Service, langs, 0))
				}
			}
		}
	}
	for t := s.Start; t.Before(s.End); t = t.Add(step) {
		for range scenario.Poisson(r, s.Unrelated*step.Minutes()) {
			out = append(out, mk(r, t, step, kUnrelated, "", pickLangs(nil), regulars))
		}
	}
	slices.SortStableFunc(out, func(a, b post) int { return a.at.Compare(b.at) })
	return out
}

// mk is one post at a random moment of [t, t+step). Authors are drawn from a pool of
// regulars when pool > 0, else are new (people complaining once).
func mk(r *rand.Rand, t time.Time, step time.Duration, k kind, svc string, langs []scenario.Weighted, pool int) post {
	lang := scenario.PickWeighted(r, langs)
	p := post{at: t.Add(time.Duration(r.Int64N(int64(step)))), kind: k, service: svc, lang: lang}
	if r.Float64() < 0.6 {
		p.country = countryOf[lang]
	}
	if pool > 0 {
		p.author = "r" + strconv.Itoa(r.IntN(pool))
	} else {
		p.author = "u" + strconv.FormatUint(r.Uint64()%1e12, 10)
	}
	return p
}

// elsewhere fills {other} in the templates: the service people left ("{other}
// is down so I came to {service}") is one Outcry does not follow, since a
// followed one would get complaints no truth accounts for (Instagram had about
// four a minute in every stream).
const elsewhere = "BeReal"

// textOf fills a template of the post's class.
func textOf(r *rand.Rand, texts *suitetext.Texts, p post) (string, bool) {
	class := map[kind]string{
		kChatter: suitetext.Chatter, kAmbient: suitetext.Outage, kOutage: suitetext.Outage, kRecovery: suitetext.Recovery,
		kPast: suitetext.Past, kBot: suitetext.Bot, kOwn: suitetext.OtherOutage, kUnrelated: suitetext.OtherOutage,
	}[p.kind]
	name := p.service
	if forms := append(slices.Clone(brand[p.service]), texts.Names(p.lang, p.service)...); len(forms) > 0 {
		name = forms[r.IntN(len(forms))]
	}
	f := suitetext.Fill{Service: name, Other: elsewhere, Handle: handle[p.service], Code: strconv.Itoa(400 + r.IntN(200)),
		City: cities[r.IntN(len(cities))]}
	if p.kind == kUnrelated {
		f.Service = "my phone" // unrelated posts name no listed service
	}
	return texts.Pick(r, p.lang, class, f)
}

// shapeAt is the complaint rate at d after onset, as a share of the peak.
func shapeAt(s Shape, d, dur time.Duration) float64 {
	m := d.Minutes()
	if d >= dur {
		// Complaints fade over 15 minutes after recovery.
		return math.Exp(-(d-dur).Minutes()/5) * tail(s)
	}
	switch s {
	case Ramp:
		return math.Min(1, m/30)
	case PeakDecay:
		if m < 8 {
			return m / 8
		}
		return math.Max(0.08, math.Exp(-(m-8)/(dur.Minutes()/2.5)))
	case Intermittent:
		if int(m/10)%2 == 1 {
			return 0.1
		}
		return math.Min(1, m)
	case Plateau:
		return math.Min(1, m/10)
	default: // Step
		return math.Min(1, m)
	}
}

func tail(s Shape) float64 {
	if s == PeakDecay {
		return 0.08
	}
	return 0.3
}

// baselineFactor is the multiple of a load's mean rate at t (progress: 0..1 over the
// stream).
func baselineFactor(b Baseline, t time.Time, progress float64) float64 {
	h := float64(t.Hour()) + float64(t.Minute())/60
	daily := 1 + 0.3*math.Sin(2*math.Pi*(h-9)/24)
	switch b {
	case Seasonal:
		daily = 1 + 0.8*math.Sin(2*math.Pi*(h-9)/24)
		if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
			daily *= 0.6
		}
		return math.Max(0.05, daily)
	case Trending:
		return daily * (0.6 + 0.8*progress)
	default:
		return daily
	}
}

func pickLangs(m map[string]float64) []scenario.Weighted {
	if m == nil {
		m = defaultLangs
	}
	var out []scenario.Weighted
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, scenario.Weighted{S: k, W: m[k]})
	}
	return out
}
