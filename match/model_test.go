package match

import (
	"bytes"
	"flag"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/outcry-dev/outcry/scenario/suitetext"
	"golang.org/x/sync/errgroup"
)

var (
	train = flag.Bool("train", false, "retrain the model and write model.bin")
	// A model that has not read the suite's tuning templates scores the
	// suite's tuning half as it would score text it never saw; the committed
	// model reads them, and so understates the false alerts there.
	withoutSuite = flag.Bool("without-suite", false, "leave the suite's tuning templates out of training (to score the suite's tuning half fairly; never commit the model it writes)")
	modelOut     = flag.String("model-out", "model.bin", "with -train, where to write the model")
	// Leaving one sample stream out of training measures the model on a
	// scenario of the streams' generator it has not read (docs/matching.md).
	trainStreams = flag.String("streams", strings.Join(sampleStreamNames, ","), "with -train, the sample streams (comma-separated; \"\" for none) whose labelled posts join the training set")
	leftOut      = flag.Bool("left-out", false, "TestStreamsLeftOut: train without each sample stream in turn and score the matcher on it (about a minute; flags after the package)")
)

// Training parameters (fixed: the model is what these make of the tuning
// corpora and the sample streams, nothing else).
const (
	trainEpochs = 12
	trainRate   = 0.3 // AdaGrad step
	// per update. 1e-5 until 2026-12-07, when the model was found to weigh
	// single words of its writers' briefs ("smart" of smart TVs, "seems", "on"
	// before a name) enough to overturn the rules on the plain posts of the
	// sample streams; 1e-3 then; 3e-4 since the sample streams joined the
	// training set (the same day): with them, 1e-4 promoted launch-day chatter
	// when launch day was left out, and 1e-3 cost a point of recall on the
	// writers' held-out sets (docs/matching.md)
	trainL2    = 3e-4
	trainFolds = 5
	trainSeed  = 20261205
	// Each model is the average of this many fits over differently shuffled
	// orders: one fit moves with any small change to the training set (a
	// post more or less reorders them all); the average does not. Four until
	// 2026-12-07, when one training example more (a rule fix) moved three of
	// launch day's posts when launch day was left out; with eight it moved none.
	trainBag = 8
	// The model overrides the rules only when the out-of-fold estimate says
	// it is right at least this often,
	overridePrecision = 0.97
	// in a stream where posts naming a service without a complaint are this
	// many times the complaints (the tuning corpora hold about as many of
	// each; a live stream holds many more mentions, even during an outage).
	mentionsPerComplaint = 4
	// At most this many labelled posts of each kind (chatter, launch talk,
	// complaints...) of the sample streams join the training set, distinct
	// texts drawn with a fixed seed: the streams' chatter would otherwise be
	// most of the set (all of it: 150,000 examples; precision on the writers'
	// held-out sets 0.3 points lower, leave-one-out the same; 4,000: launch day
	// left out 1 point less precise; docs/matching.md).
	streamCap = 12000
)

type example struct {
	fold  int // the out-of-fold estimate's fold, by the post's text and service
	feats []uint32
	class int  // postClass
	y     bool // a complaint about the service it is read for
	rules Kind // what the rules alone said
}

// untrained are tuning files the rules are tuned on and the model is not
// trained on. The second set of an outage's first half hour (tune_an to
// tune_ap, 2026-12-07), trained on, moved no held-out figure (heldout59's
// recall 0.856 → 0.859, the first such set's held halves 0.846 → 0.848) and
// cost the detection suite two false alerts in 21 fresh rounds (6 → 8) and the
// launch day, left out of training, a post of precision in each half. The
// partial outages' set (tune_aq to tune_as, 2026-12-07), trained on, moved its
// own held halves by one post each way (recall 0.817 → 0.820, precision 0.973
// → 0.970) and the nine writers' sets not at all (0.974 / 0.941). The onlookers'
// reports (tune_at, tune_au: "looks like Insta is down everywhere" and the same
// words of an outage that is over), trained on, lifted WhatsApp day left out of
// training by 0.4 points, all of it from two lines that copied that stream's
// templates from the brief's examples (removed); without them, nothing.
var untrained = map[string]bool{"tune_an": true, "tune_ao": true, "tune_ap": true, "tune_aq": true, "tune_ar": true, "tune_as": true,
	"tune_at": true, "tune_au": true}

// trainingSet reads the tuning corpora: the hand-written corpus, the two
// tuning held-out files, the tuning half of every tune_*.jsonl, the tuning
// half of every writer's scenario suite templates, and the labelled posts of
// the sample streams (streams: their names). Never a held-out file.
func trainingSet(t *testing.T, streams []string) []example {
	t.Helper()
	var posts []*labelled
	files := append([]corpusFile{{"testdata/corpus.jsonl", ""}}, tuningFiles()...)
	for _, f := range files {
		if untrained[f.name()] {
			continue
		}
		p, _ := loadLabelled(t, f.path, f.split)
		posts = append(posts, p...)
	}
	sp, err := streamPosts(streams)
	if err != nil {
		t.Fatal(err)
	}
	posts = append(posts, sp...)
	fill := []struct{ svc, name string }{{"whatsapp", "WhatsApp"}, {"youtube", "YouTube"}, {"instagram", "Instagram"},
		{"telegram", "Telegram"}, {"netflix", "Netflix"}, {"gmail", "Gmail"}, {"discord", "Discord"}, {"x", "Twitter"}}
	classes := []struct {
		name string
		kind Kind
	}{{suitetext.Outage, Outage}, {suitetext.Recovery, Recovery}, {suitetext.Past, Past}, {suitetext.Chatter, Mention}}
	writers := suitetext.Writers // all of them (writer 3's since 2026-12-06, after both its halves were measured)
	if *withoutSuite {
		writers = 0
	}
	for w := 1; w <= writers; w++ {
		texts, err := suitetext.LoadWriter(w, suitetext.Tuning)
		if err != nil {
			t.Fatal(err)
		}
		for _, lang := range texts.Languages() {
			for _, c := range classes {
				for i, tpl := range texts.Templates(lang, c.name) {
					f := fill[i%len(fill)]
					text := suitetext.Fill{Service: f.name, Other: "Spotify", Handle: f.name, Code: "503", City: "Lagos"}.Fill(tpl)
					posts = append(posts, &labelled{text: text, lang: lang, kinds: map[string]Kind{f.svc: c.kind}})
				}
			}
		}
	}
	m := rulesOnly()
	m.keepTentative = true
	index := map[string]int32{}
	for i, sv := range m.r.services {
		index[sv.Name] = int32(i)
	}
	sc := &scratch{}
	var out []example
	for _, p := range posts {
		if !m.prepare(sc, p.text) {
			continue
		}
		got := m.decide(sc, nil) // groups the mentions
		for _, g := range got {
			svc := index[g.Service]
			if sc.isDest(svc) {
				continue // the rules decide where people went
			}
			feats, others := m.features(sc, nil, sc.groupsOf(svc))
			class, rules := sc.classFor(svc, feats, others), g.Kind
			if sc.tentativeOnly(svc) {
				rules = tentativeKind(rules)
			}
			out = append(out, example{fold: foldOf(p.text, g.Service), feats: feats, class: class, y: p.kinds[g.Service] == Outage, rules: rules})
		}
	}
	return out
}

// foldOf puts a post and service in a fold by a hash of the two: a post more or
// less leaves every other example in its fold, so the out-of-fold estimates,
// and the thresholds chosen from them, move only with what changed.
func foldOf(text, service string) int {
	h := fnv.New32a()
	h.Write([]byte(service + "\x00" + text))
	return int(h.Sum32() % trainFolds)
}

// complaints counts the examples that are complaints.
func complaints(ex []example) int {
	n := 0
	for _, e := range ex {
		if e.y {
			n++
		}
	}
	return n
}

// fitBag averages trainBag fits of ex.
func fitBag(ex []example, seed uint64) (w []float32, bias float32) {
	w = make([]float32, modelDim)
	for k := range trainBag {
		wk, bk := fit(ex, seed+uint64(k)*7919)
		for i, x := range wk {
			w[i] += x / trainBag
		}
		bias += bk / trainBag
	}
	return w, bias
}

// fit trains logistic regression with AdaGrad on examples, in an order fixed
// by the seed, classes weighted to balance.
func fit(ex []example, seed uint64) (w []float32, bias float32) {
	w = make([]float32, modelDim)
	g2 := make([]float32, modelDim)
	var bg2 float32
	pos := complaints(ex)
	wPos, wNeg := float32(len(ex))/float32(2*max(pos, 1)), float32(len(ex))/float32(2*max(len(ex)-pos, 1))
	order := make([]int, len(ex))
	for i := range order {
		order[i] = i
	}
	r := rand.New(rand.NewPCG(seed, 1))
	for range trainEpochs {
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			e := ex[i]
			if len(e.feats) == 0 {
				continue
			}
			norm := 1 / float32(math.Sqrt(float64(len(e.feats))))
			p := probOf(w, bias, e.feats)
			grad, cw := p, wNeg
			if e.y {
				grad, cw = p-1, wPos
			}
			grad *= cw
			for _, f := range e.feats {
				g := grad*norm + trainL2*w[f]
				g2[f] += g * g
				w[f] -= trainRate * g / float32(math.Sqrt(float64(g2[f]))+1e-6)
			}
			bg2 += grad * grad
			bias -= trainRate * grad / float32(math.Sqrt(float64(bg2))+1e-6)
		}
	}
	return w, bias
}

func probOf(w []float32, bias float32, feats []uint32) float32 {
	z := bias
	norm := 1 / float32(math.Sqrt(float64(len(feats))))
	for _, f := range feats {
		z += w[f] * norm
	}
	return 1 / (1 + float32(math.Exp(float64(-z))))
}

// The model's thresholds, by post class (short, long, multi-service): the
// probability from which it turns a mention into a complaint, and below which
// it takes a complaint back. Fixed, not fitted at each training: fitted ones
// moved with any small change to the training set (a few posts more, and a
// veto at 0.30 became 0.40), flipping many posts at once. They are the safe
// bounds of the 2026-12-05 training (see checkThresholds) on a 0.05 grid (the
// short posts' promotion moved from 0.85 to 0.90 on 2026-12-06, when writer 3's
// templates joined the training set and put its bound at 0.86, then to 0.85
// and, with the larger model and the grams of the words near the name, to
// 0.80, the grid step above its bound of 0.78; an ambiguous name nothing
// validated from 0.98 to 0.95 on 2026-12-08, the grid step above its bound
// of 0.94);
// TestModel checks that they stay where the out-of-fold estimates say the
// model is right at least overridePrecision of the time, and fails when a
// change to the corpora or the rules moves the bounds past them.
var (
	modelUp   = [nClasses]float32{0.80, 0.90, 1.01, 0.95}
	modelVeto = [nClasses]float32{0.35, 0.15, 0, 0}
)

// precisionAt is, from out-of-fold probabilities of the model alone, for posts
// of one class, how often those at c and above are complaints and those below
// c are not (1 when there are none). They do not depend on the rules: the
// rules were tuned on these posts, so what they leave over here is not what
// they leave over on new text.
func precisionAt(ex []example, oof []float32, class int, c float32) (above, below float64) {
	pos := complaints(ex)
	negWeight := mentionsPerComplaint * float64(pos) / float64(len(ex)-pos)
	var n, right, m, mRight float64
	for i, e := range ex {
		if e.class != class {
			continue
		}
		// Mentions weigh as in a live stream for turning mentions into
		// complaints; for taking the rules' complaints back, as they come
		// (those posts are mostly complaints).
		if oof[i] >= c {
			w := 1.0
			if !e.y {
				w = negWeight
			}
			n += w
			if e.y {
				right += w
			}
		} else {
			m++
			if !e.y {
				mRight++
			}
		}
	}
	above, below = 1, 1
	if n > 0 {
		above = right / n
	}
	if m > 0 {
		below = mRight / m
	}
	return above, below
}

// checkThresholds reports the safe range of each threshold of class (where the
// model is right at least overridePrecision of the time) and fails when the
// fixed one is outside it.
func checkThresholds(t *testing.T, ex []example, oof []float32, class int) {
	up, veto := float32(1.01), float32(0)
	for step := 1; step <= 99; step++ {
		c := float32(step) / 100
		above, below := precisionAt(ex, oof, class, c)
		if above >= overridePrecision && c < up {
			up = c
		}
		if below >= overridePrecision {
			veto = c
		}
	}
	name := []string{"short", "long", "multi-service", "ambiguous-name"}[class]
	t.Logf("%s posts: %d-fold out-of-fold estimates: safe from %.2f for mention → outage (fixed %.2f), below %.2f for outage → mention (fixed %.2f)",
		name, trainFolds, up, modelUp[class], veto, modelVeto[class])
	if above, _ := precisionAt(ex, oof, class, modelUp[class]); modelUp[class] <= 1 && above < overridePrecision {
		t.Errorf("%s posts: at %.2f and above the model is right %.3f of the time, under %.2f: raise modelUp", name, modelUp[class], above, overridePrecision)
	}
	if _, below := precisionAt(ex, oof, class, modelVeto[class]); below < overridePrecision {
		t.Errorf("%s posts: below %.2f the model is right %.3f of the time, under %.2f: lower modelVeto", name, modelVeto[class], below, overridePrecision)
	}
}

// TestModel trains the model on the tuning corpora and checks that model.bin
// is what training makes of them (on amd64, where float arithmetic is not
// fused); with -train it writes model.bin.
func TestModel(t *testing.T) {
	if raceBuild {
		// 24 fits of a million weights: minutes under the race detector, for
		// arithmetic that shares nothing but each fold's own estimates.
		t.Skip("make test runs TestModel without the race detector")
	}
	streams := sampleStreamNames
	if *train {
		streams = strings.FieldsFunc(*trainStreams, func(r rune) bool { return r == ',' })
	}
	if !*train && !sampleStreamsHere() {
		// model.bin is trained on them too: without them training makes
		// another model, and nothing here can say whether it is right.
		t.Skipf("the sample streams are not beside the checkout (%s): model.bin cannot be retrained here", sampleStreams)
	}
	ex := trainingSet(t, streams)
	pos := complaints(ex)
	t.Logf("training set: %d examples (one per post and service named, destinations left out), %d of them complaints", len(ex), pos)
	// The folds and the final fit are independent (each fit is pure, each fold
	// writes its own examples' estimates): trained side by side, one per core.
	oof := make([]float32, len(ex))
	var finalW []float32
	var finalB float32
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for f := range trainFolds {
		g.Go(func() error {
			var in []example
			for _, e := range ex {
				if e.fold != f {
					in = append(in, e)
				}
			}
			w, b := fitBag(in, trainSeed+uint64(f))
			for i, e := range ex {
				if e.fold == f {
					oof[i] = probOf(w, b, e.feats)
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		finalW, finalB = fitBag(ex, trainSeed)
		return nil
	})
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	up, veto := modelUp, modelVeto
	for l := range nClasses {
		if !*withoutSuite { // the thresholds are the shipped model's
			checkThresholds(t, ex, oof, l)
		}
	}
	var hi, hiRight int
	for i, e := range ex {
		if oof[i] >= up[e.class] {
			hi++
			if e.y {
				hiRight++
			}
		}
	}
	t.Logf("out-of-fold, the model alone at its thresholds: precision %.3f, recall %.3f", float64(hiRight)/float64(max(hi, 1)), float64(hiRight)/float64(max(pos, 1)))
	var tp, fp, fn int
	for i, e := range ex {
		k := e.rules
		switch {
		case k == Mention && oof[i] >= up[e.class]:
			k = Outage
		case k == Outage && oof[i] < veto[e.class]:
			k = Mention
		}
		switch {
		case k == Outage && e.y:
			tp++
		case k == Outage:
			fp++
		case e.y:
			fn++
		}
	}
	t.Logf("out-of-fold on the tuning set, rules and model: precision %.3f, recall %.3f", float64(tp)/float64(tp+fp), float64(tp)/float64(tp+fn))
	bin := encodeModel(finalW, finalB, up, veto)
	if *train {
		if err := os.WriteFile(*modelOut, bin, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", *modelOut, len(bin))
		return
	}
	if runtime.GOARCH == "amd64" && !bytes.Equal(bin, modelBin) {
		t.Errorf("model.bin is not what training makes of the tuning corpora: run go test ./match -run TestModel -train")
	}
	if md, err := decodeModel(bin); err != nil || md.up != up || md.veto != veto {
		t.Errorf("model round trip: %v", err)
	}
}

// The model reads a CJK run with only the names in it masked: the rest of the
// sentence is what it judges ("5年前に§で妻と出会った", not "5 §").
func TestFeaturesMaskRun(t *testing.T) {
	m := NewMatcher(DefaultRules())
	sc := &scratch{}
	if !m.prepare(sc, "5年前にアウトルックで妻と出会った") {
		t.Fatal("no mention found")
	}
	feats, others := m.features(sc, nil, sc.groupsOf(sc.mentions[0].svc))
	has := func(gram string) bool {
		g := charGrams(nil, []byte(gram), true)
		return slices.Contains(feats, g[utf8.RuneCountInString(gram)-1]) // the whole gram
	}
	if others {
		t.Error("others: want false, the run names one service")
	}
	for _, g := range []string{"妻", "§で", "出会っ"} {
		if !has(g) {
			t.Errorf("no feature for %q", g)
		}
	}
	if has("ルッ") {
		t.Error(`a gram of the name ("ルッ"): want it masked`)
	}
}

// charGramsASCII gives the grams of the general path, for words of every length
// up to its limit and beyond it.
func TestCharGramsASCII(t *testing.T) {
	words := []string{"", "a", "ab", "abc", "down", "whatsapp", "can't", "x.com", "^$", strings.Repeat("z", 63), strings.Repeat("y", 64), strings.Repeat("w", 65)}
	for _, w := range words {
		got := charGrams(nil, []byte(w), false)
		if want := charGramsRunes(nil, []byte(w), false); !slices.Equal(got, want) {
			t.Errorf("%q: %v, general path %v", w, got, want)
		}
	}
}
