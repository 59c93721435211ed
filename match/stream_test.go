package match

import (
	"bufio"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// sampleStreams is where the shared sample streams live beside a checkout
// (they are not part of the repository).
const sampleStreams = "../../shared/data/scenarios"

// TestSampleStreamChatter: the sample streams' chatter (posts naming a service
// with no complaint) read as complaints stays under maxChatterShare. No
// labelled corpus holds a stream's plain chatter in its proportions, and a
// model can pass every corpus test while reading a repeated chatter template
// as a complaint (2026-12-06: "whatsapp ke bina kya karein", 436 posts of the
// WhatsApp day). Skipped where the streams are not beside the checkout.
func TestSampleStreamChatter(t *testing.T) {
	const maxChatterShare = 0.004
	m := NewMatcher(DefaultRules())
	for _, name := range []string{"launch-day", "whatsapp-2022-10-25"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(sampleStreams, name)
			kinds, err := streamKinds(filepath.Join(dir, "labels.jsonl"))
			if errors.Is(err, fs.ErrNotExist) {
				t.Skipf("%s not here", dir)
			}
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(filepath.Join(dir, "posts.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 64<<20) // the streams hold lines past Kafka's 1 MB on purpose
			var chatter, read int
			for sc.Scan() {
				var p struct {
					ID, Text string
					Data     struct{ ID, Text string } // X API v2 lines
				}
				if json.Unmarshal(sc.Bytes(), &p) != nil {
					continue // the streams hold bad lines on purpose
				}
				if p.ID == "" {
					p.ID, p.Text = p.Data.ID, p.Data.Text
				}
				if kinds[p.ID] != "chatter" {
					continue
				}
				chatter++
				for _, mt := range m.Match(nil, p.Text) {
					if mt.Kind == Outage {
						read++
						break
					}
				}
			}
			if err := sc.Err(); err != nil {
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

// streamKinds reads a sample stream's labels: post id → kind.
func streamKinds(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	kinds := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20) // the streams hold lines past Kafka's 1 MB on purpose
	for sc.Scan() {
		var l struct{ ID, Kind string }
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, err
		}
		kinds[l.ID] = l.Kind
	}
	return kinds, sc.Err()
}
