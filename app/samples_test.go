package app

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/internal/testenv"
	"github.com/outcry-dev/outcry/scenario"
)

// TestSampleText: an incident carries sample posts to read, kept in Redis with their
// buckets, through the real pipeline; with NoSampleText (--no-sample-text) their ids
// only.
func TestSampleText(t *testing.T) {
	var posts bytes.Buffer
	if _, err := scenario.Write(&posts, scenario.Fixture("whatsapp", 3)); err != nil {
		t.Fatal(err)
	}
	broker := testenv.Kafka(t, 1).ListenAddrs()[0]
	rdb := testenv.RedisClient(t, testenv.Redis(t).Addr)
	for _, noText := range []bool{false, true} {
		group := map[bool]string{false: "text", true: "notext"}[noText]
		started := make(chan incident.Event, 1)
		var once sync.Once
		startApp(t, broker, rdb, group, func(o *Options) {
			o.Kafka.PostsTopic = "posts-" + group
			o.NoSampleText = noText
			o.OnEvent = func(e incident.Event) {
				if e.Type == incident.TypeStarted {
					once.Do(func() { started <- e })
				}
			}
		})
		produce(t, broker, "posts-"+group, posts.Bytes())
		var e incident.Event
		select {
		case e = <-started:
		case <-time.After(120 * time.Second):
			t.Fatalf("%s: no incident", group)
		}
		if len(e.Data.Samples) == 0 {
			t.Errorf("%s: no sample ids", group)
		}
		switch {
		case noText && len(e.Data.SamplePosts) != 0:
			t.Errorf("--no-sample-text kept %d texts", len(e.Data.SamplePosts))
		case !noText && len(e.Data.SamplePosts) == 0:
			t.Errorf("no sample text kept")
		}
		for _, p := range e.Data.SamplePosts {
			if strings.TrimSpace(p.Text) == "" || !strings.Contains(strings.Join(e.Data.Samples, " "), p.ID) {
				t.Errorf("sample post %+v: no text, or not one of the samples %v", p, e.Data.Samples)
			}
		}
		var texts int
		for _, p := range e.Data.SamplePosts {
			if strings.Contains(posts.String(), p.Text) {
				texts++
			}
		}
		if texts != len(e.Data.SamplePosts) {
			t.Errorf("%d of %d sample texts are posts of the input", texts, len(e.Data.SamplePosts))
		}
	}
}
