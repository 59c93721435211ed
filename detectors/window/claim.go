package window

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// claimTTL outlives any history the monitor replays after a restart, so a replayed
// event is recognised as already published.
const claimTTL = 7 * 24 * time.Hour

func (s *Store) claimKey(id string) string { return s.opt.Prefix + ":alert:{" + id + "}" }

// Claim records, with SET NX, that the alert event id is being published; false means
// another instance (or an earlier run) has it already.
func (s *Store) Claim(ctx context.Context, id string) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.claimKey(id), 1, claimTTL).Result()
	if err != nil {
		return false, fmt.Errorf("claim %s: %w", id, err)
	}
	return ok, nil
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
