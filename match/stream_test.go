package match

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/outcry-dev/outcry/post"
)

// sampleStreams is where the shared sample streams live beside a checkout
// (they are not part of the repository).
const sampleStreams = "../../shared/data/scenarios"

// sampleStreamNames are the labelled sample streams.
var sampleStreamNames = []string{"launch-day", "whatsapp-2022-10-25"}

// sampleStreamsHere reports whether the sample streams are beside the checkout.
func sampleStreamsHere() bool {
	for _, name := range sampleStreamNames {
		if _, err := os.Stat(filepath.Join(sampleStreams, name, "labels.jsonl")); err != nil {
			return false
		}
	}
	return true
}

// streamKind is what a sample stream's label kind says of its service for
// training: complaints (an outage's, and one person's "ambient" ones),
// recoveries, and mentions (chatter, launch talk); replies name no service
// and unrelated posts none at all.
var streamKind = map[string]Kind{"outage": Outage, "ambient": Outage, "recovery": Recovery, "chatter": Mention, "launch": Mention}

// streamPosts reads the labelled posts of the named sample streams for
// training: distinct texts, at most streamCap of each label kind, drawn with
// a fixed seed (the streams repeat their templates thousands of times).
func streamPosts(names []string) ([]*labelled, error) {
	byKind := map[string][]*labelled{}
	seen := map[string]bool{}
	for _, name := range names {
		dir := filepath.Join(sampleStreams, name)
		labels, err := streamLabels(filepath.Join(dir, "labels.jsonl"))
		if err != nil {
			return nil, fmt.Errorf("reading the labels of sample stream %s: %w", name, err)
		}
		err = eachStreamPost(filepath.Join(dir, "posts.jsonl"), func(id, text string) {
			l, ok := labels[id]
			k, known := streamKind[l.Kind]
			if !ok || !known || l.Service == "" || seen[text] {
				return
			}
			seen[text] = true
			byKind[l.Kind] = append(byKind[l.Kind], &labelled{text: text, lang: l.Lang, kinds: map[string]Kind{l.Service: k}})
		})
		if err != nil {
			return nil, fmt.Errorf("reading the posts of sample stream %s: %w", name, err)
		}
	}
	r := rand.New(rand.NewPCG(trainSeed, 2))
	var out []*labelled
	for _, kind := range slices.Sorted(maps.Keys(byKind)) {
		ps := byKind[kind]
		r.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
		out = append(out, ps[:min(len(ps), streamCap)]...)
	}
	return out, nil
}

type streamLabel struct {
	Kind, Lang, Service string // (a null service decodes as "")
}

// streamLabels reads a sample stream's labels: post id → label (Service is
// "" when the label names none).
func streamLabels(path string) (map[string]streamLabel, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	labels := map[string]streamLabel{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var l struct {
			ID string
			streamLabel
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, err
		}
		labels[l.ID] = l.streamLabel
	}
	return labels, sc.Err()
}

// eachStreamPost calls f with the id and text of every post of a sample
// stream that decodes as the service decodes it (post.Decode: canonical posts,
// X API v2 lines...; the streams hold bad lines on purpose, which it refuses).
func eachStreamPost(path string, f func(id, text string)) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(nil, 64<<20) // (lines past Kafka's 1 MB too: Decode refuses them)
	for sc.Scan() {
		if p, _, err := post.Decode(sc.Bytes(), 0); err == nil {
			f(p.ID, p.Text)
		}
	}
	return sc.Err()
}

// TestSampleStreamChatter: the sample streams' chatter (posts naming a service
// with no complaint) read as complaints stays under maxChatterShare. No
// labelled corpus holds a stream's plain chatter in its proportions, and a
// model can pass every corpus test while reading a repeated chatter template
// as a complaint (2026-12-06: "whatsapp ke bina kya karein", 436 posts of the
// WhatsApp day). Since the model is trained on these streams too, this guards
// the rules and that training, not the model's reading of unseen chatter (the
// leave-one-out of docs/matching.md measures that). Skipped where the streams
// are not beside the checkout.
func TestSampleStreamChatter(t *testing.T) {
	const maxChatterShare = 0.004
	m := NewMatcher(DefaultRules())
	for _, name := range sampleStreamNames {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(sampleStreams, name)
			labels, err := streamLabels(filepath.Join(dir, "labels.jsonl"))
			if errors.Is(err, fs.ErrNotExist) {
				t.Skipf("%s not here", dir)
			}
			if err != nil {
				t.Fatal(err)
			}
			var chatter, read int
			err = eachStreamPost(filepath.Join(dir, "posts.jsonl"), func(id, text string) {
				if labels[id].Kind != "chatter" {
					return
				}
				chatter++
				for _, mt := range m.Match(nil, text) {
					if mt.Kind == Outage {
						read++
						break
					}
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			share := float64(read) / float64(max(chatter, 1))
			t.Logf("%s: %d of %d chatter posts read as complaints (%.4f)", name, read, chatter, share)
			if chatter == 0 || share > maxChatterShare {
				t.Errorf("chatter read as complaints: %.4f of %d posts, want at most %.3f", share, chatter, maxChatterShare)
			}
		})
	}
}

// TestStreamsLeftOut trains the model without each sample stream in turn and
// scores the matcher on the stream left out, by halves of its posts (by id):
// the closest estimate the project has of labelled streams it never saw, since
// the model has not read the scored stream (the rules were tuned on both). A
// complaint is a post labelled outage or ambient, for the services the stream's
// labels name. Run with -left-out after the package (go test ./match -run
// TestStreamsLeftOut -left-out; about a minute); the bars are a little
// below the figures of 2026-12-07 (docs/matching.md, forty-second round).
func TestStreamsLeftOut(t *testing.T) {
	if !*leftOut {
		t.Skip("run with -left-out")
	}
	if !sampleStreamsHere() {
		t.Skipf("the sample streams are not beside the checkout (%s)", sampleStreams)
	}
	const minPrecision, minRecall = 0.975, 0.97
	for _, out := range sampleStreamNames {
		t.Run(out, func(t *testing.T) {
			var others []string
			for _, name := range sampleStreamNames {
				if name != out {
					others = append(others, name)
				}
			}
			w, b := fitBag(trainingSet(t, others), trainSeed)
			md, err := decodeModel(encodeModel(w, b, modelUp, modelVeto)) // quantised, as shipped
			if err != nil {
				t.Fatal(err)
			}
			m := NewMatcher(DefaultRules())
			m.model = md
			dir := filepath.Join(sampleStreams, out)
			labels, err := streamLabels(filepath.Join(dir, "labels.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			labelled := map[string]bool{}
			for _, l := range labels {
				if l.Service != "" {
					labelled[l.Service] = true
				}
			}
			var tp, fp, fn [2]int
			err = eachStreamPost(filepath.Join(dir, "posts.jsonl"), func(id, text string) {
				l, ok := labels[id]
				if !ok {
					return
				}
				h := fnv.New32a()
				h.Write([]byte(id))
				half := h.Sum32() % 2
				want := ""
				if l.Kind == "outage" || l.Kind == "ambient" {
					want = l.Service
				}
				found := false
				for _, mt := range m.Match(nil, text) {
					switch {
					case mt.Kind != Outage || !labelled[mt.Service]:
					case mt.Service == want:
						found = true
					default:
						fp[half]++
					}
				}
				switch {
				case found:
					tp[half]++
				case want != "":
					fn[half]++
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			for half := range 2 {
				p := float64(tp[half]) / float64(max(tp[half]+fp[half], 1))
				r := float64(tp[half]) / float64(max(tp[half]+fn[half], 1))
				t.Logf("%s left out of training, half %d: outage precision %.4f, recall %.4f (%d complaints found, %d false, %d missed)", out, half, p, r, tp[half], fp[half], fn[half])
				if p < minPrecision || r < minRecall {
					t.Errorf("%s half %d: precision %.4f, recall %.4f; want at least %.3f and %.3f", out, half, p, r, minPrecision, minRecall)
				}
			}
		})
	}
}
