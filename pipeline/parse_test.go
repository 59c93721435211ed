package pipeline

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/outcry-dev/outcry/counts"
	"github.com/outcry-dev/outcry/match"
	"github.com/outcry-dev/outcry/post"
)

// closedAt is an evaluator that has closed every bucket before a time.
type closedAt time.Time

func (c closedAt) Tick(context.Context) error               { return nil }
func (c closedAt) Admit() time.Time                         { return time.Time(c) }
func (c closedAt) Stored(*counts.Batch)                     {}
func (c closedAt) Advance(context.Context, time.Time) error { return nil }

// Posts behind the closed buckets and posts from the future are dead-lettered with
// their reason; the rest is matched, in parallel for a large batch.
func TestParseLateAndFuture(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	closed := now.Add(-5 * time.Minute)
	p, err := New(Config{Group: "g", Topic: "t", Now: func() time.Time { return now }},
		Deps{Matcher: match.NewMatcher(nil), Evaluator: closedAt(closed)}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	msg := func(i int, at time.Time) kafka.Message {
		return kafka.Message{Offset: int64(i), Value: fmt.Appendf(nil, `{"id":"%d","text":"whatsapp is down","created_at":%q}`, i, at.Format(time.RFC3339))}
	}
	var msgs []kafka.Message
	for i := range 2000 {
		at := now.Add(-time.Minute)
		switch i % 4 {
		case 1:
			at = closed.Add(-time.Second) // too late
		case 2:
			at = now.Add(2 * time.Hour) // ahead of the clock
		}
		msgs = append(msgs, msg(i, at))
	}
	res := p.parse(msgs)
	for i, r := range res {
		var want string
		switch i % 4 {
		case 1:
			want = post.ReasonTooLate
		case 2:
			want = post.ReasonFuture
		}
		switch {
		case want == "" && (r.err != nil || len(r.matches) != 1 || r.matches[0].Service != "whatsapp"):
			t.Fatalf("post %d: err %v, matches %v", i, r.err, r.matches)
		case want != "" && (r.err == nil || r.err.Reason != want):
			t.Fatalf("post %d: %v, want %s", i, r.err, want)
		}
	}
}

// The group's horizon follows its newest post: a post older than MaxAge behind it, or
// before 1970, is too_old; an old post alone is the group's newest and is counted.
func TestParseTooOld(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	old := time.Date(2016, 3, 1, 9, 0, 0, 0, time.UTC)
	msg := func(i int, at time.Time) kafka.Message {
		return kafka.Message{Offset: int64(i), Value: fmt.Appendf(nil, `{"id":"%d","text":"whatsapp is down","created_at":%q}`, i, at.Format(time.RFC3339))}
	}
	tests := []struct {
		name   string
		closed time.Time
		maxAge time.Duration
		at     []time.Time
		want   []string
	}{
		{"a 2016 post among today's", time.Time{}, 0, []time.Time{old, now.Add(-time.Minute), now}, []string{post.ReasonTooOld, "", ""}},
		{"within the horizon", time.Time{}, 0, []time.Time{now.Add(-71 * time.Hour), now}, []string{"", ""}},
		{"a shorter horizon", time.Time{}, time.Hour, []time.Time{now.Add(-71 * time.Hour), now}, []string{post.ReasonTooOld, ""}},
		{"alone, it is the newest", time.Time{}, 0, []time.Time{old}, []string{""}},
		{"behind the closed buckets' horizon", now.Add(-time.Hour), 0, []time.Time{old}, []string{post.ReasonTooOld}},
		{"late but within the horizon", now.Add(-time.Hour), 0, []time.Time{now.Add(-2 * time.Hour)}, []string{post.ReasonTooLate}},
		{"before 1970", time.Time{}, 0, []time.Time{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)}, []string{post.ReasonTooOld}},
		{"a future post does not move the horizon", time.Time{}, time.Hour, []time.Time{now.Add(-2 * time.Hour), now.Add(48 * time.Hour)}, []string{"", post.ReasonFuture}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(Config{Group: "g", Topic: "t", MaxAge: tt.maxAge, Now: func() time.Time { return now }},
				Deps{Matcher: match.NewMatcher(nil), Evaluator: closedAt(tt.closed)}, zap.NewNop())
			if err != nil {
				t.Fatal(err)
			}
			var msgs []kafka.Message
			for i, at := range tt.at {
				msgs = append(msgs, msg(i, at))
			}
			for i, r := range p.parse(msgs) {
				got := ""
				if r.err != nil {
					got = r.err.Reason
				}
				if got != tt.want[i] {
					t.Errorf("post %d (%s): %q (%v), want %q", i, tt.at[i].Format(time.RFC3339), got, r.err, tt.want[i])
				}
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		cfg   Config
		field string
	}{
		{Config{}, ""},
		{Config{BatchSize: MaxBatchSize}, ""},
		{Config{BatchSize: MaxBatchSize + 1}, "BatchSize"},
		{Config{BatchSize: -1}, "BatchSize"},
		{Config{MaxPostBytes: 2 << 20}, "MaxPostBytes"},
		{Config{MaxAge: MaxHorizon + time.Hour}, "MaxAge"},
		{Config{MaxAge: time.Minute}, "MaxAge"},
		{Config{MaxAge: 10 * time.Minute, Lateness: 15 * time.Minute}, "MaxAge"},
		{Config{Lateness: -time.Second}, "Lateness"},
		{Config{Drain: -time.Second}, "Drain"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		var ce *ConfigError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%+v: %v", tt.cfg, err)
		case tt.field != "" && (!errors.As(err, &ce) || ce.Field != tt.field):
			t.Errorf("%+v: %v, want an error on %s", tt.cfg, err, tt.field)
		}
	}
}
