package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// claimTTL outlives any history the monitor replays after a restart, so a replayed
// event is recognised as already published.
const claimTTL = 7 * 24 * time.Hour

func (s *Store) claimKey(id string) string { return s.opt.Prefix + ":alert:{" + id + "}" }

// ClaimState is what a claim on an alert event id found.
type ClaimState int

const (
	// Claimed: the caller holds the claim now and publishes the event.
	Claimed ClaimState = iota
	// Published: the event was published and confirmed; nothing to do.
	Published
	// Pending: a claim was taken but never confirmed. Its publisher died, or failed to
	// confirm, between the claim and the confirmation: the event may or may not be on
	// the alerts topic.
	Pending
)

// Claim records that the alert event id is being published. Published means an
// earlier run or another instance published it; Pending means one claimed it and
// never confirmed, at the returned time (see Takeover).
func (s *Store) Claim(ctx context.Context, id string) (ClaimState, time.Time, error) {
	now := time.Now()
	r, err := claimScript.Run(ctx, s.rdb, []string{s.claimKey(id)}, now.UnixMilli(), claimTTL.Milliseconds()).Slice()
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("claim %s: %w", id, err)
	}
	st, _ := r[0].(int64)
	switch ClaimState(st) {
	case Claimed:
		return Claimed, now, nil
	case Published:
		return Published, time.Time{}, nil
	}
	v, _ := r[1].(string)
	ms, err := strconv.ParseInt(strings.TrimPrefix(v, "p:"), 10, 64)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("claim %s: unreadable claim %q", id, v)
	}
	return Pending, time.UnixMilli(ms), nil
}

// Takeover claims a pending event afresh, for an evaluator that found it not published.
func (s *Store) Takeover(ctx context.Context, id string) error {
	if err := s.rdb.Set(ctx, s.claimKey(id), "p:"+strconv.FormatInt(time.Now().UnixMilli(), 10), claimTTL).Err(); err != nil {
		return fmt.Errorf("take over claim %s: %w", id, err)
	}
	return nil
}

// Confirm records that the claimed event is on the alerts topic.
func (s *Store) Confirm(ctx context.Context, id string) error {
	if err := s.rdb.Set(ctx, s.claimKey(id), "done", claimTTL).Err(); err != nil {
		return fmt.Errorf("confirm claim %s: %w", id, err)
	}
	return nil
}

// Unclaim releases a claim whose publication failed, so it is retried.
func (s *Store) Unclaim(ctx context.Context, id string) error {
	if err := s.rdb.Del(ctx, s.claimKey(id)).Err(); err != nil {
		return fmt.Errorf("release claim %s: %w", id, err)
	}
	return nil
}

// IncidentRecord is what Redis remembers of a service's latest incident start, so that
// a restarted or new evaluator continues that incident under the same id.
type IncidentRecord struct {
	ID         string    `json:"id"`
	StartedAt  time.Time `json:"started_at"`
	DetectedAt time.Time `json:"detected_at"`
}

func (s *Store) incidentKey(svc string) string { return s.opt.Prefix + ":{" + svc + "}:incident" }

// SaveIncident records the start of a service's incident.
func (s *Store) SaveIncident(ctx context.Context, svc string, r IncidentRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := s.rdb.Set(ctx, s.incidentKey(svc), b, claimTTL).Err(); err != nil {
		return fmt.Errorf("record incident of %s: %w", svc, err)
	}
	return nil
}

// LastIncident returns the latest recorded incident start of svc, if any.
func (s *Store) LastIncident(ctx context.Context, svc string) (IncidentRecord, bool, error) {
	b, err := s.rdb.Get(ctx, s.incidentKey(svc)).Bytes()
	if errors.Is(err, redis.Nil) {
		return IncidentRecord{}, false, nil
	}
	if err != nil {
		return IncidentRecord{}, false, fmt.Errorf("read incident of %s: %w", svc, err)
	}
	var r IncidentRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return IncidentRecord{}, false, fmt.Errorf("read incident of %s: %w", svc, err)
	}
	return r, true, nil
}
