// Package alert is the alert event contract and its delivery: an incident.Event rendered
// as a CloudEvent 1.0 (Encode, Decode), the Publisher interface every sink implements, and
// Fanout, which delivers each event to every sink without duplicates. The sinks are
// subpackages (kafkasink: the alerts topic; webhook: HTTP POST). Pure of Kafka and HTTP.
//
// It is the last stage of the data flow (docs/architecture.md): the monitor publishes here.
package alert

import (
	"encoding/json"
	"fmt"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/outcry-dev/outcry/detect/incident"
)

// Alert event contract (README, "Alert event"); the schemas are
// schema/alert-event.v1.json (the envelope) and schema/alert-data.v1.json (data), whose
// URL, and so its version, is carried in dataschema.
const (
	ContentType = "application/cloudevents+json"
	EventSource = "outcry"
	DataSchema  = "https://github.com/outcry-dev/outcry/schema/alert-data.v1.json"
)

// Encode renders an incident event as a CloudEvent in structured JSON mode.
func Encode(e incident.Event) ([]byte, error) {
	ce := cloudevents.New(cloudevents.CloudEventsVersionV1)
	ce.SetID(e.ID)
	ce.SetSource(EventSource)
	ce.SetType(e.Type)
	ce.SetSubject(e.Data.Service)
	ce.SetTime(e.Time)
	ce.SetDataSchema(DataSchema)
	if err := ce.SetData("application/json", e.Data); err != nil {
		return nil, fmt.Errorf("encode alert %s: %w", e.ID, err)
	}
	if err := ce.Validate(); err != nil {
		return nil, fmt.Errorf("encode alert %s: %w", e.ID, err)
	}
	b, err := json.Marshal(ce)
	if err != nil {
		return nil, fmt.Errorf("encode alert %s: %w", e.ID, err)
	}
	return b, nil
}

// Decode parses an alert event back (for tail and tests).
func Decode(b []byte) (incident.Event, error) {
	var ce cloudevents.Event
	if err := json.Unmarshal(b, &ce); err != nil {
		return incident.Event{}, fmt.Errorf("decode alert event: %w", err)
	}
	var d incident.Data
	if err := ce.DataAs(&d); err != nil {
		return incident.Event{}, fmt.Errorf("decode alert event %s data: %w", ce.ID(), err)
	}
	return incident.Event{ID: ce.ID(), Type: ce.Type(), Time: ce.Time().UTC(), Data: d}, nil
}
