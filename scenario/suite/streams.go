package suite

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/outcry-dev/outcry/scenario/suitetext"
)

// variety is what the suite varies, each list walked by the stream's index so that
// every value appears in both halves.
var (
	shapes    = []Shape{Step, Ramp, PeakDecay, Intermittent, Plateau}
	baselines = []Baseline{Steady, Seasonal, Sparse, Bursty, Trending}
	// peaks are complaints per minute at an outage's peak: from a regional outage of
	// a few complaints a minute to a global one.
	peaks = []float64{3, 5, 12, 40, 150, 600, 2500}
	// langMixes are who complains: the default mix, a region in minority languages,
	// one language of a region.
	langMixes = []map[string]float64{
		nil,
		{"fa": 0.5, "ru": 0.3, "uz-Latn": 0.1, "uz-Cyrl": 0.1},
		{"ar": 0.6, "ar-EG": 0.4},
		{"id": 0.5, "ms": 0.2, "tl": 0.3},
		{"tr": 0.6, "de": 0.2, "nl": 0.2},
		{"ja": 0.4, "ko": 0.3, "zh": 0.3},
		{"hi": 0.3, "hi-Latn": 0.3, "bn": 0.2, "ur": 0.2},
		{"pt": 0.5, "es": 0.5},
		{"fr": 0.3, "it": 0.2, "pl": 0.2, "ro": 0.2, "uk": 0.1},
		{"sw": 0.5, "en": 0.5},
		{"vi": 0.5, "th": 0.5},
	}
	negatives = []Negative{PastTalk, Launch, BotFlood, Show, OwnOutage}
	// services of a stream: the first is the one that fails; related ones share an
	// owner.
	serviceSets = [][]string{
		{"whatsapp", "instagram", "facebook"}, {"telegram", "youtube", "x"}, {"netflix", "spotify", "youtube"},
		{"discord", "steam", "playstation"}, {"chatgpt", "gmail", "outlook"}, {"tiktok", "instagram", "x"},
		{"roblox", "discord", "youtube"},
	}
	countriesOf = map[string][]string{"fa": {"IR", "RU", "UZ"}, "ar": {"SA", "EG", "AE"}, "id": {"ID", "PH", "MY"}, "tr": {"TR", "DE", "NL"},
		"ja": {"JP", "KR", "TW"}, "hi": {"IN", "BD", "PK"}, "pt": {"BR", "MX", "ES"}, "fr": {"FR", "IT", "PL"}, "sw": {"KE", "TZ", "US"},
		"vi": {"VN", "TH"}}
)

// Size of the suite.
const (
	// Streams is the number of streams of the suite; even ones are tuning streams,
	// odd ones held-out.
	Streams = 32
	// Small is how many streams of each half `make test` runs (the first ones).
	Small = 1
)

// All returns the suite's streams of one half, in a fixed order.
func All(h suitetext.Half) []Stream { return Round(h, 0) }

// Round returns the streams of one half of round r: round 0 is the suite
// (streams 0 to Streams-1), round r the next Streams streams, drawn by the
// same plan with other seeds. A held-out half whose results have been read
// too often to stay a fair test is replaced by the next round's.
func Round(h suitetext.Half, r int) []Stream {
	var out []Stream
	for i := r * Streams; i < (r+1)*Streams; i++ {
		if s := stream(i); s.Half == h {
			out = append(out, s)
		}
	}
	return out
}

// stream builds stream i. Every fifth stream has no outage (negatives only); the
// others have one outage on their second day, some with a related service failing
// too; every stream has a negative, and those with an outage have its next-day talk.
func stream(i int) Stream {
	r := rand.New(rand.NewPCG(uint64(i)+1, 0x5017e))
	half := suitetext.Tuning
	if i%2 == 1 {
		half = suitetext.Heldout
	}
	// Streams start on different weekdays and hours of the year 2026; later
	// rounds a year earlier each, so that no post is dated ahead of the clock
	// (the pipeline dead-letters those).
	round, k := i/Streams, i%Streams
	start := time.Date(2026-round, 1, 5, 0, 0, 0, 0, time.UTC).Add(time.Duration(k) * (8*24*time.Hour + 3*time.Hour)).Truncate(24 * time.Hour)
	s := Stream{
		Name: fmt.Sprintf("suite-%02d", i), Half: half, Seed: uint64(1000 + i),
		Start: start, End: start.Add(48 * time.Hour), Unrelated: 10,
	}
	svcs := serviceSets[i%len(serviceSets)]
	base := baselines[(i/2)%len(baselines)]
	for k, svc := range svcs {
		l := Load{Service: svc, Baseline: base, ChatterMin: 4 / float64(k+1), AmbientMin: 0.1 / float64(k+1)}
		if base == Sparse {
			l.ChatterMin, l.AmbientMin = 0.08, 0.004
		}
		s.Loads = append(s.Loads, l)
	}
	langs := langMixes[(i/2+i%2*5)%len(langMixes)]
	if i%5 != 4 {
		onsetHour := 6 + r.IntN(14)
		// The shapes go round the streams with an outage of each half.
		k := 0
		for j := i % 2; j < i; j += 2 {
			if j%5 != 4 {
				k++
			}
		}
		o := Outage{
			Service: svcs[0], Shape: shapes[k%len(shapes)],
			Onset:    start.Add(24*time.Hour + time.Duration(onsetHour)*time.Hour + time.Duration(r.IntN(60))*time.Minute),
			Duration: []time.Duration{25 * time.Minute, 50 * time.Minute, 90 * time.Minute, 3 * time.Hour}[(i/3)%4],
			PeakMin:  peaks[(i/2+i%2*3)%len(peaks)],
			Langs:    langs,
		}
		if o.Shape == Plateau {
			o.Duration = 4 * time.Hour
			o.PeakMin = max(3, o.PeakMin/4)
		}
		if langs != nil {
			for _, k := range []string{"fa", "ar", "id", "tr", "ja", "hi", "pt", "fr", "sw", "vi"} {
				if _, ok := langs[k]; ok {
					o.Countries = countriesOf[k]
				}
			}
		}
		if i%7 == 0 {
			o.Related = svcs[1:2] // WhatsApp and Instagram: one owner
		}
		s.Outages = append(s.Outages, o)
	}
	neg := negatives[(i+i/5)%len(negatives)]
	at := start.Add(time.Duration(8+r.IntN(10)) * time.Hour)
	if len(s.Outages) > 0 && at.Add(3*time.Hour).After(s.Outages[0].Onset) {
		at = start.Add(6 * time.Hour)
	}
	ev := Event{Kind: neg, Service: svcs[r.IntN(len(svcs))], At: at, Duration: 2 * time.Hour, Langs: langs}
	switch neg {
	case Launch:
		ev.PerMin = 40 // ten times the service's chatter
	case BotFlood:
		ev.PerMin, ev.Duration = 30, 40*time.Minute
	case Show:
		ev.PerMin, ev.Duration = 25, time.Hour
	case PastTalk:
		ev.PerMin, ev.Duration = 6, 4*time.Hour
	case OwnOutage:
		ev.PerMin = 15
	}
	s.Events = append(s.Events, ev)
	if neg == Show {
		ev.At = ev.At.Add(24 * time.Hour) // and the next day at the same hour
		s.Events = append(s.Events, ev)
	}
	return s
}
