// Package matchbench measures the matcher's throughput on a realistic
// firehose mix, beside a naive baseline measured in the same run.
//
// The mix ([Corpus]) is generated, not sampled from real data: 70% of the
// posts name no service, 20% are brand chatter, 10% are outage complaints,
// and about a quarter of the text is in a non-Latin script (Arabic,
// Devanagari, Cyrillic, Japanese). Throughput is measured on one goroutine
// with the default rules (about 50 services), with the default rules plus
// generated services up to 4,000 ([LargeRules]), and for a naive baseline:
// one case-insensitive alternation regexp over the same aliases as the
// default rules ([Baseline]), which only finds names and decides nothing.
package matchbench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	randv2 "math/rand/v2"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/outcry-dev/outcry/match"
	"github.com/outcry-dev/outcry/post"
)

// Result holds posts per second on one goroutine.
type Result struct {
	PostsPerS           float64 `json:"posts_per_s"`             // default rules
	PostsPerSLargeRules float64 `json:"posts_per_s_large_rules"` // 4,000 services
	RegexpPostsPerS     float64 `json:"regexp_posts_per_s"`      // naive regexp baseline, default aliases
}

// rounds is how often each rule set is measured (see Run).
const rounds = 4

// LargeServices is the size of the large rule set.
const LargeServices = 4000

// Run measures each figure for about d in all on the calling goroutine. It stops
// early (with an error) when ctx is done.
func Run(ctx context.Context, d time.Duration) (Result, error) {
	var res Result
	corpus := Corpus(4096, 1)
	small := match.NewMatcher(match.DefaultRules())
	lr, err := LargeRules(LargeServices)
	if err != nil {
		return res, err
	}
	large := match.NewMatcher(lr)
	re := Baseline(match.DefaultRules())
	var dst []match.Match
	// The two rule sets alternate over a few rounds, each keeping its best: the
	// machine's speed drifts, and a ratio of two figures measured seconds apart
	// would show the drift.
	for range rounds {
		rs, err := measure(ctx, d/rounds, len(corpus), func(i int) { dst = small.Match(dst[:0], corpus[i]) })
		if err != nil {
			return res, err
		}
		rl, err := measure(ctx, d/rounds, len(corpus), func(i int) { dst = large.Match(dst[:0], corpus[i]) })
		if err != nil {
			return res, err
		}
		res.PostsPerS, res.PostsPerSLargeRules = max(res.PostsPerS, rs), max(res.PostsPerSLargeRules, rl)
	}
	var sink int
	if res.RegexpPostsPerS, err = measure(ctx, d, len(corpus), func(i int) {
		if re.MatchString(corpus[i]) {
			sink++
		}
	}); err != nil {
		return res, err
	}
	_ = sink
	return res, nil
}

// measure calls f over the corpus indices for about d (after a short warm
// up) and returns calls per second.
func measure(ctx context.Context, d time.Duration, n int, f func(int)) (float64, error) {
	for i := 0; i < n && i < 256; i++ { // warm up: pools, caches
		f(i)
	}
	const batch = 256
	start := time.Now()
	calls := 0
	for i := 0; ; {
		for k := 0; k < batch; k++ {
			f(i)
			if i++; i == n {
				i = 0
			}
		}
		calls += batch
		el := time.Since(start)
		if el >= d {
			return float64(calls) / el.Seconds(), nil
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
	}
}

// Baseline returns the naive baseline: one case-insensitive alternation
// regexp over every alias of the rules (longest first).
func Baseline(r *match.Rules) *regexp.Regexp {
	var alts []string
	seen := map[string]bool{}
	for _, s := range r.Services() {
		for _, a := range r.Aliases(s.Name) {
			if !seen[a] {
				seen[a] = true
				alts = append(alts, regexp.QuoteMeta(a))
			}
		}
	}
	sort.Slice(alts, func(i, j int) bool { return len(alts[i]) > len(alts[j]) })
	return regexp.MustCompile(`(?i)(?:` + strings.Join(alts, "|") + `)`)
}

var (
	nothing = []string{
		"it's raining again in %s, can't believe it",
		"who's watching the match tonight in %s?",
		"just had the best coffee in %s, highly recommend the place on the corner",
		"wait, the bus to %s is late again lol",
		"cansada demais hoje, o trânsito em %s tá impossível",
		"es regnet schon wieder in %s, ich bleibe heute zu Hause",
		"bugün %s çok sıcak, dışarı çıkmıyorum",
		"makan siang di %s enak banget, besok lagi ah",
		"new blog post: ten things I learned moving to %s",
		"the traffic in %s this morning was unreal, took me an hour",
		"happy birthday to my best friend from %s!!",
		"finally friday, heading to %s for the weekend",
		"quelqu'un connaît un bon restaurant à %s ?",
		"¿alguien sabe si hay metro hasta tarde en %s?",
		"thread: why housing in %s is so expensive (1/7)",
	}
	nothingNonLatin = []string{
		"هل شفتوا المباراة امس في %s؟ كانت رهيبة",
		"الجو حار جدا اليوم في %s",
		"क्रिकेट देख रहे हो? %s में बारिश हो रही है",
		"сегодня в %s очень жарко, сижу дома",
		"%sで雨が降ってる、傘忘れた",
		"امروز هوا در %s خیلی گرمه",
	}
	chatter = []string{
		"just sent a %s message to mom",
		"new AI stickers on %s are fun",
		"follow me on %s pls, link in bio",
		"mandei um %s pra minha mãe agora",
		"%s pe bhej de photos yaar",
		"watching old videos on %s instead of sleeping",
		"%s launched a new feature today and everyone is talking about it",
	}
	chatterNonLatin = []string{
		"ابوي يرسل رسايل في %s كل يوم",
		"%sに新しいスタンプが来た",
		"подписывайтесь на мой %s",
	}
	complaint = []string{
		"is %s down? messages not sending #outage",
		"%s not working for me, can't log in",
		"%s caiu? não consigo mandar mensagem",
		"%s down hai kya? app hang ho raha hai",
		"¿se cayó %s? no carga nada",
	}
	complaintNonLatin = []string{
		"%s لا يعمل من ساعة",
		"%s落ちてる？",
		"%s не работает с утра",
	}
	latinNames    = []string{"WhatsApp", "whatsapp", "Instagram", "insta", "YouTube", "Facebook", "Telegram", "TikTok", "Twitter", "Netflix", "Spotify", "Discord"}
	nonLatinNames = []string{"واتساب", "انستقرام", "ツイッター", "インスタ", "ютуб", "телеграм", "व्हाट्सएप"}
	places        = []string{"London", "São Paulo", "Jakarta", "Riyadh", "Mumbai", "Berlin", "Istanbul", "Lagos", "Mexico City", "Osaka"}
	placesNL      = []string{"الرياض", "मुंबई", "Москве", "大阪", "تهران"}
)

// Corpus returns n generated posts: 70% naming no service, 20% brand
// chatter, 10% outage complaints; a quarter of each kind in a non-Latin
// script. The same seed gives the same posts.
func Corpus(n int, seed int64) []string {
	rng := rand.New(rand.NewSource(seed))
	return mix(n, rng, func(nonLatin bool) string {
		if nonLatin {
			return nonLatinNames[rng.Intn(len(nonLatinNames))]
		}
		return latinNames[rng.Intn(len(latinNames))]
	})
}

// mix draws n posts of the firehose mix from rng, naming services with name (in a
// non-Latin script when asked).
func mix(n int, rng *rand.Rand, name func(nonLatin bool) string) []string {
	pick := func(l []string) string { return l[rng.Intn(len(l))] }
	out := make([]string, n)
	for i := range out {
		nonLatin := rng.Intn(4) == 0
		switch x := rng.Intn(10); {
		case x < 7 && nonLatin:
			out[i] = fmt.Sprintf(pick(nothingNonLatin), pick(placesNL))
		case x < 7:
			out[i] = fmt.Sprintf(pick(nothing), pick(places))
		case x < 9 && nonLatin:
			out[i] = fmt.Sprintf(pick(chatterNonLatin), name(true))
		case x < 9:
			out[i] = fmt.Sprintf(pick(chatter), name(false))
		case nonLatin:
			out[i] = fmt.Sprintf(pick(complaintNonLatin), name(true))
		default:
			out[i] = fmt.Sprintf(pick(complaint), name(false))
		}
	}
	return out
}

// Messages renders n posts of the mix ([Corpus]) as canonical JSON messages,
// as they arrive on the posts topic: created_at from start on at rate posts
// per second of event time. The same seed gives the same messages.
func Messages(n int, start time.Time, rate float64, seed int64) [][]byte {
	return render(Corpus(n, seed), start, rate, seed)
}

// render makes canonical JSON messages of texts (Messages).
func render(texts []string, start time.Time, rate float64, seed int64) [][]byte {
	n := len(texts)
	r := randv2.New(randv2.NewPCG(uint64(seed), 99))
	langs := []string{"en", "en", "es", "pt", "ar", "hi", "id", "tr", "de", "ja"}
	out := make([][]byte, n)
	for i, t := range texts {
		ts := start.Add(time.Duration(float64(i) / rate * float64(time.Second))).UTC()
		b, _ := json.Marshal(post.Post{ID: strconv.Itoa(i + 1), Text: t, Author: "u" + strconv.Itoa(r.IntN(2_000_000)),
			CreatedAt: ts.Truncate(time.Second), Lang: langs[r.IntN(len(langs))], Country: "IN", Source: "x"})
		out[i] = b
	}
	return out
}

// LargeRules returns the default rules plus generated services (made-up
// names with a Latin alias, a two-word alias, and for some an Arabic,
// Cyrillic or Katakana alias, a context alias, fuzzy matching) up to n
// services in all.
func LargeRules(n int) (*match.Rules, error) {
	return match.ParseRules([]byte(LargeRulesYAML(n)))
}

// LargeRulesYAML is the rules file of [LargeRules].
func LargeRulesYAML(n int) string {
	var b strings.Builder
	b.Write(match.DefaultRulesYAML())
	if !strings.HasSuffix(b.String(), "\n") {
		b.WriteByte('\n')
	}
	rng := rand.New(rand.NewSource(42))
	syl := []string{"ka", "zo", "ri", "ven", "tal", "qu", "mir", "dex", "no", "lu", "sha", "bor", "fi", "gan", "pel", "tro", "xu", "yam", "wen", "cor"}
	ar := []rune("بتثجحخدذرزسشصضطظعغفقكلمنهوي")
	ru := []rune("бвгджзклмнпрстфхцчшщ")
	ja := []rune("カキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモラリルレロ")
	word := func(alpha []rune, k int) string {
		w := make([]rune, k)
		for i := range w {
			w[i] = alpha[rng.Intn(len(alpha))]
		}
		return string(w)
	}
	seen := map[string]bool{}
	have := len(match.DefaultRules().Services())
	for i := 0; have+i < n; i++ {
		var name string
		for name == "" || seen[name] {
			name = ""
			for k := 2 + rng.Intn(2); k > 0; k-- {
				name += syl[rng.Intn(len(syl))]
			}
			name += fmt.Sprint(rng.Intn(100))
		}
		seen[name] = true
		fmt.Fprintf(&b, "\n  - name: %s\n    display: %s\n    fuzzy: %v\n    aliases:\n      latin: [%s, \"%s app\"]\n",
			name, strings.ToUpper(name[:1])+name[1:], i%3 == 0, name, name)
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "      ar: [%s]\n", word(ar, 5))
		case 1:
			fmt.Fprintf(&b, "      ru: [%s]\n", word(ru, 6))
		case 2:
			fmt.Fprintf(&b, "      ja: [%s]\n", word(ja, 4))
		}
		if i%10 == 0 {
			fmt.Fprintf(&b, "    context_aliases:\n      - alias: %s\n        requires_context: [app, login]\n", syl[rng.Intn(len(syl))]+syl[rng.Intn(len(syl))]+"o")
		}
	}
	return b.String()
}

// ZipfCorpus is Corpus with the names drawn from every service of rs, by a Zipf
// law over the rules' order (s = 1.1: the first services, the default rules' big
// ones, get most of the mentions; the thousands after them a long tail), as real
// attention is. A post naming a service uses one of its aliases, in the script of
// the post's template where the service has one.
func ZipfCorpus(n int, seed int64, rs *match.Rules) []string {
	rng := rand.New(rand.NewSource(seed))
	pick := func(l []string) string { return l[rng.Intn(len(l))] }
	names := rs.Names()
	latin, other := make([][]string, len(names)), make([][]string, len(names))
	for i, s := range names {
		for _, a := range rs.Aliases(s) {
			if isASCII(a) {
				latin[i] = append(latin[i], a)
			} else {
				other[i] = append(other[i], a)
			}
		}
	}
	z := rand.NewZipf(rng, 1.1, 1, uint64(len(names)-1))
	name := func(nonLatin bool) string {
		i := int(z.Uint64())
		if nonLatin && len(other[i]) > 0 {
			return pick(other[i])
		}
		if len(latin[i]) > 0 {
			return pick(latin[i])
		}
		return pick(other[i])
	}
	return mix(n, rng, name)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// ZipfMessages is Messages over ZipfCorpus: the posts name the services of rs by a
// Zipf law.
func ZipfMessages(n int, start time.Time, rate float64, seed int64, rs *match.Rules) [][]byte {
	return render(ZipfCorpus(n, seed, rs), start, rate, seed)
}

// ScaleResult is the matcher at many services against the default rules, each on
// a Zipf mix over its own services, measured in the same run.
type ScaleResult struct {
	Services   int     `json:"services"`
	MatchRatio float64 `json:"match_ratio"` // posts/s at Services ÷ posts/s at the default rules
	PostsPerS  float64 `json:"match_posts_per_s"`
	BasePerS   float64 `json:"match_posts_per_s_default"`
	LoadS      float64 `json:"rules_load_s"` // parsing and compiling the rules file of Services
	// The pipeline (bench): posts/s at Services ÷ at the default rules, each on a
	// Zipf mix over its services; Redis commands per post (INFO commandstats) of
	// each; Redis memory after the passes; Outcry's peak RSS.
	PipelineRatio        float64 `json:"pipeline_ratio,omitempty"`
	PipelinePerS         float64 `json:"pipeline_posts_per_s,omitempty"`
	PipelineBasePerS     float64 `json:"pipeline_posts_per_s_default,omitempty"`
	RedisCmdsPerPost     float64 `json:"redis_cmds_per_post,omitempty"`
	RedisCmdsPerPostBase float64 `json:"redis_cmds_per_post_default,omitempty"`
	EvalMsPerBucket      float64 `json:"eval_ms_per_bucket,omitempty"` // median, one closed bucket of every service
	EvalMsPerBucketBase  float64 `json:"eval_ms_per_bucket_default,omitempty"`
	// CPU a post of Outcry, the broker and Redis together (µs): on a machine whose
	// cores they share, the pipeline's ratio follows the ratio of these.
	CPUPerPost     float64 `json:"cpu_us_per_post,omitempty"`
	CPUPerPostBase float64 `json:"cpu_us_per_post_default,omitempty"`
	RedisMB        float64 `json:"redis_mb,omitempty"`
	RSSMB          float64 `json:"rss_mb,omitempty"`
}

// RunScale measures the matcher at n services and at the default rules, alternating
// (as Run does) for about d in all.
func RunScale(ctx context.Context, n int, d time.Duration) (ScaleResult, error) {
	res := ScaleResult{Services: n}
	y := LargeRulesYAML(n)
	start := time.Now()
	lr, err := match.ParseRules([]byte(y))
	if err != nil {
		return res, err
	}
	large := match.NewMatcher(lr)
	res.LoadS = time.Since(start).Seconds()
	res.Services = len(lr.Services())
	small := match.NewMatcher(match.DefaultRules())
	cl, cs := ZipfCorpus(4096, 1, lr), ZipfCorpus(4096, 1, match.DefaultRules())
	var dst []match.Match
	for range rounds {
		rs, err := measure(ctx, d/(2*rounds), len(cs), func(i int) { dst = small.Match(dst[:0], cs[i]) })
		if err != nil {
			return res, err
		}
		rl, err := measure(ctx, d/(2*rounds), len(cl), func(i int) { dst = large.Match(dst[:0], cl[i]) })
		if err != nil {
			return res, err
		}
		res.BasePerS, res.PostsPerS = max(res.BasePerS, rs), max(res.PostsPerS, rl)
	}
	res.MatchRatio = res.PostsPerS / res.BasePerS
	return res, nil
}
