package schema_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/outcry-dev/outcry/alert"
	"github.com/outcry-dev/outcry/detect/incident"
	"github.com/outcry-dev/outcry/schema"
)

func sampleEvent(t *testing.T) []byte {
	t.Helper()
	start := time.Date(2022, 10, 25, 7, 17, 10, 0, time.UTC)
	b, err := alert.Encode(incident.Event{ID: "whatsapp-20221025T0717-1", Type: incident.TypeStarted, Time: start.Add(time.Minute),
		Data: incident.Data{IncidentID: "whatsapp-20221025T0717", Service: "whatsapp", State: "started", Severity: "major",
			StartedAt: start, DetectedAt: start.Add(time.Minute), Window: incident.Span{Start: start.Add(-time.Minute), End: start.Add(time.Minute)},
			Mentions: 8, DistinctAuthors: 8, Baseline: 0.2, Ratio: 39.3, Score: 12,
			Problems: map[string]float64{"messages": 0.5}, Countries: map[string]float64{"IN": 0.5}, Languages: map[string]float64{"en": 0.4},
			Related: []string{}, Samples: []string{"1584756636692512768"}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDataSchema: an event's dataschema names the schema of its data (not of the
// whole event), which validates the data alone; the envelope's schema still accepts
// the events that named it before.
func TestDataSchema(t *testing.T) {
	v, err := schema.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	b := sampleEvent(t)
	if err := v.Validate(b); err != nil {
		t.Fatalf("a sample event: %v", err)
	}
	var ev struct {
		DataSchema string          `json:"dataschema"`
		Data       json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	var data struct {
		ID string `json:"$id"`
	}
	if err := json.Unmarshal(schema.AlertDataV1, &data); err != nil {
		t.Fatal(err)
	}
	if ev.DataSchema != schema.AlertDataV1URL || data.ID != ev.DataSchema {
		t.Errorf("dataschema %q, the data schema's $id %q: want both %q", ev.DataSchema, data.ID, schema.AlertDataV1URL)
	}
	if err := v.ValidateData(ev.Data); err != nil {
		t.Errorf("the event's data against its schema: %v", err)
	}
	if err := v.ValidateData(b); err == nil {
		t.Error("the whole event passed as data")
	}
	old := strings.Replace(string(b), schema.AlertDataV1URL, schema.AlertEventV1URL, 1)
	if err := v.Validate([]byte(old)); err != nil {
		t.Errorf("an event of before, naming the envelope: %v", err)
	}
	extra := strings.Replace(string(ev.Data), `"service":`, `"servise":"x","service":`, 1)
	if err := v.ValidateData([]byte(extra)); err == nil {
		t.Error("data with an unknown field passed")
	}
}
