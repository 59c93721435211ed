// Package schema holds the versioned JSON Schemas of Outcry's alert events, for
// downstream services to validate what they consume from the alerts topic: the
// envelope (alert-event.v1.json, the whole CloudEvent) and its data
// (alert-data.v1.json, which the events' dataschema names), and a validator that
// checks an event against them and against the CloudEvents 1.0 JSON schema
// (cloudevents-1.0.json, from github.com/cloudevents/spec, Apache License 2.0).
package schema

import (
	"bytes"
	_ "embed"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// AlertEventV1 is the JSON Schema (draft 2020-12) of an alert event, version 1.
//
//go:embed alert-event.v1.json
var AlertEventV1 []byte

// AlertDataV1 is the JSON Schema of an alert event's data, version 1: what the
// events' dataschema names.
//
//go:embed alert-data.v1.json
var AlertDataV1 []byte

// The schemas' URLs (their $id).
const (
	AlertEventV1URL = "https://github.com/outcry-dev/outcry/schema/alert-event.v1.json"
	AlertDataV1URL  = "https://github.com/outcry-dev/outcry/schema/alert-data.v1.json"
)

//go:embed cloudevents-1.0.json
var cloudEvents []byte

// Validator checks alert events.
type Validator struct {
	alert, data, ce *jsonschema.Schema
}

// NewValidator compiles the schemas.
func NewValidator() (*Validator, error) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for name, b := range map[string][]byte{AlertEventV1URL: AlertEventV1, AlertDataV1URL: AlertDataV1, "cloudevents.json": cloudEvents} {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("load schema %s: %w", name, err)
		}
		if err := c.AddResource(name, doc); err != nil {
			return nil, fmt.Errorf("load schema %s: %w", name, err)
		}
	}
	alert, err := c.Compile(AlertEventV1URL)
	if err != nil {
		return nil, fmt.Errorf("compile alert schema: %w", err)
	}
	data, err := c.Compile(AlertDataV1URL)
	if err != nil {
		return nil, fmt.Errorf("compile alert data schema: %w", err)
	}
	ce, err := c.Compile("cloudevents.json")
	if err != nil {
		return nil, fmt.Errorf("compile CloudEvents schema: %w", err)
	}
	return &Validator{alert: alert, data: data, ce: ce}, nil
}

// Validate checks one alert event (JSON) against both schemas.
func (v *Validator) Validate(event []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(event))
	if err != nil {
		return fmt.Errorf("alert event is not JSON: %w", err)
	}
	if err := v.ce.Validate(doc); err != nil {
		return fmt.Errorf("not a CloudEvent: %w", err)
	}
	if err := v.alert.Validate(doc); err != nil {
		return fmt.Errorf("not an Outcry alert event v1: %w", err)
	}
	return nil
}

// ValidateData checks an alert event's data alone (JSON) against its schema.
func (v *Validator) ValidateData(data []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("alert data is not JSON: %w", err)
	}
	if err := v.data.Validate(doc); err != nil {
		return fmt.Errorf("not Outcry alert data v1: %w", err)
	}
	return nil
}
