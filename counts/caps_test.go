package counts

import (
	"fmt"
	"testing"
	"time"
)

// A flood of made-up countries, languages and authors cannot grow one batch's maps
// without bound.
func TestBatchCaps(t *testing.T) {
	b := NewBatch(10 * time.Second)
	at := time.Date(2022, 10, 25, 7, 17, 0, 0, time.UTC)
	for i := range 200_000 {
		b.Complain("whatsapp", at, Complaint{
			Author: fmt.Sprint("a", i), Country: fmt.Sprint("C", i), Lang: fmt.Sprint("l", i), PostID: fmt.Sprint(i),
			Problems: []string{"messages"},
		})
	}
	d := b.Buckets[Key{"whatsapp", BucketOf(at, 10*time.Second)}]
	if d.Complaints != 200_000 {
		t.Fatalf("complaints %d", d.Complaints)
	}
	if len(d.Countries) > maxLabelsPerBucket+1 || len(d.Languages) > maxLabelsPerBucket+1 {
		t.Errorf("labels grew to %d countries, %d languages", len(d.Countries), len(d.Languages))
	}
	if d.Countries["other"] == 0 {
		t.Error("labels over the cap should be counted as other")
	}
	if len(d.authors) > maxAuthorsPerBucket || len(d.Samples) > MaxSamples {
		t.Errorf("authors %d, samples %d", len(d.authors), len(d.Samples))
	}
}
