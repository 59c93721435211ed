package suite

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/scenario/suitetext"
)

// The suite has its size, both halves, every shape, baseline and negative in each
// half, and streams that write valid canonical posts in created_at order.
func TestSuite(t *testing.T) {
	tune, held := All(suitetext.Tuning), All(suitetext.Heldout)
	if len(tune)+len(held) < 30 || len(tune) != len(held) {
		t.Fatalf("%d tuning and %d held-out streams", len(tune), len(held))
	}
	for _, half := range [][]Stream{tune, held} {
		shapesSeen, basesSeen, negSeen := map[Shape]bool{}, map[Baseline]bool{}, map[Negative]bool{}
		for _, s := range half {
			for _, o := range s.Outages {
				shapesSeen[o.Shape] = true
			}
			basesSeen[s.Loads[0].Baseline] = true
			for _, e := range s.Events {
				negSeen[e.Kind] = true
			}
		}
		if len(shapesSeen) != len(shapes) || len(basesSeen) != len(baselines) || len(negSeen) != len(negatives) {
			t.Errorf("%s half: shapes %v, baselines %v, negatives %v", half[0].Half, shapesSeen, basesSeen, negSeen)
		}
	}
}

func TestWrite(t *testing.T) {
	s := All(suitetext.Tuning)[0]
	var a, b bytes.Buffer
	ta, err := Write(&a, s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(&b, s); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two writes of one stream differ")
	}
	sc := bufio.NewScanner(&a)
	sc.Buffer(nil, 1<<20)
	var last time.Time
	n := 0
	for sc.Scan() {
		var p struct {
			ID, Text, Author, Lang string
			CreatedAt              time.Time `json:"created_at"`
		}
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil || p.ID == "" || p.Text == "" || p.Author == "" || p.Lang == "" {
			t.Fatalf("line %d: %v %s", n+1, err, sc.Bytes())
		}
		if p.CreatedAt.Before(last) || p.CreatedAt.Before(s.Start) || !p.CreatedAt.Before(s.End.Add(time.Hour)) {
			t.Fatalf("line %d: created_at %s out of order or range", n+1, p.CreatedAt)
		}
		last = p.CreatedAt
		n++
	}
	if n != ta.Posts || n < 1000 {
		t.Errorf("%d lines, truth says %d", n, ta.Posts)
	}
	want := 0
	for _, o := range s.Outages {
		want += 1 + len(o.Related)
	}
	if len(ta.Incidents) != want || ta.NegativeDays <= 0 {
		t.Errorf("truth %+v", ta)
	}
}

// No round dates its posts ahead of the clock: the pipeline dead-letters those,
// and a held-out round would measure nothing.
func TestRoundsInThePast(t *testing.T) {
	for r := range 3 {
		for _, h := range []suitetext.Half{suitetext.Tuning, suitetext.Heldout} {
			for _, s := range Round(h, r) {
				if s.End.After(time.Now()) {
					t.Errorf("round %d, %s: ends %s, after now", r, s.Name, s.End)
				}
			}
		}
	}
}
