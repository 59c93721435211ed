package match

import (
	"fmt"
	"math/rand"
	"testing"
)

// Generated benchmark corpus: templates × services × fillers, not real data.
var (
	benchNothing = []string{
		"it's raining again in %s, can't believe it",
		"cansada demais hoje, %s foi longo",
		"who's watching the match tonight in %s?",
		"es regnet schon wieder in %s",
		"هل شفتوا المباراة امس في %s",
		"क्रिकेट देख रहे हो? %s में बारिश",
		"makan siang di %s enak banget",
		"bugün %s çok sıcak",
		"wait, the bus to %s is late again lol",
		"just had the best coffee in %s ☕",
	}
	benchChatter = []string{
		"just sent a %s to mom",
		"new AI stickers on %s are fun",
		"follow me on %s pls",
		"mandei um %s pra minha mãe",
		"ابوي يرسل رسايل في %s كل يوم",
		"%s pe bhej de photos",
	}
	benchComplaint = []string{
		"is %s down? messages not sending #outage",
		"%s not working for me, can't log in",
		"%s لا يعمل من ساعة",
		"%s caiu? não consigo mandar mensagem",
		"%s down hai kya? app hang ho raha hai",
	}
	benchServices = []string{"whatsapp", "WhatsApp", "instagram", "youtube", "facebook", "telegram", "واتساب", "tiktok"}
	benchPlaces   = []string{"London", "São Paulo", "Jakarta", "Riyadh", "Mumbai", "Berlin"}

	benchSentences = func() []string {
		var out []string
		for _, t := range benchNothing {
			for _, p := range benchPlaces {
				out = append(out, fmt.Sprintf(t, p))
			}
		}
		for _, t := range append(append([]string{}, benchChatter...), benchComplaint...) {
			for _, s := range benchServices {
				out = append(out, fmt.Sprintf(t, s))
			}
		}
		return out
	}()
)

func benchCorpus(kind string, n int) []string {
	rng := rand.New(rand.NewSource(1))
	pick := func(tpl []string, args []string) string {
		return fmt.Sprintf(tpl[rng.Intn(len(tpl))], args[rng.Intn(len(args))])
	}
	out := make([]string, n)
	for i := range out {
		k := kind
		if kind == "mix" {
			switch x := rng.Intn(10); {
			case x < 7:
				k = "nomatch"
			case x < 9:
				k = "chatter"
			default:
				k = "complaint"
			}
		}
		switch k {
		case "nomatch":
			out[i] = pick(benchNothing, benchPlaces)
		case "chatter":
			out[i] = pick(benchChatter, benchServices)
		case "complaint":
			out[i] = pick(benchComplaint, benchServices)
		}
	}
	return out
}

func BenchmarkMatch(b *testing.B) {
	m := NewMatcher(DefaultRules())
	for _, kind := range []string{"nomatch", "chatter", "complaint", "mix"} {
		corpus := benchCorpus(kind, 1024)
		b.Run(kind, func(b *testing.B) {
			dst := make([]Match, 0, 8)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				dst = m.Match(dst[:0], corpus[i%len(corpus)])
			}
		})
	}
}

func BenchmarkNormalize(b *testing.B) {
	corpus := benchCorpus("mix", 1024)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Normalize(corpus[i%len(corpus)])
	}
}
