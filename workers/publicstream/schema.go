package publicstream

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/invopop/jsonschema"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/redact"
)

// Types lists the public event types of a catalogue (api.Catalogue),
// sorted.
func Types(catalogue map[string]domain.Registry) []string {
	var out []string
	for aggType, reg := range catalogue {
		if Public(aggType) {
			out = append(out, slices.Collect(maps.Keys(reg))...)
		}
	}
	slices.Sort(out)
	return out
}

// Schemas are the JSON schemas (draft 2020-12) of every public event type's
// CloudEvent, by type, reflected from the events' Go types with the
// redaction and the additions of Data applied: the documentation the
// repository keeps in docs/events/ and the server serves.
func Schemas(catalogue map[string]domain.Registry) (map[string][]byte, error) {
	// An event type may belong to several aggregates (the MFA API's code
	// events are a registration's or a verification's).
	aggTypes := map[string][]string{}
	news := map[string]func() domain.Event{}
	for aggType, reg := range catalogue {
		if !Public(aggType) {
			continue
		}
		for eventType, newEvent := range reg {
			aggTypes[eventType] = append(aggTypes[eventType], aggType)
			news[eventType] = newEvent
		}
	}
	out := map[string][]byte{}
	for eventType, aggs := range aggTypes {
		slices.Sort(aggs)
		s, err := schema(aggs, eventType, news[eventType]())
		if err != nil {
			return nil, fmt.Errorf("publicstream: schema of %s: %w", eventType, err)
		}
		out[eventType] = s
	}
	return out, nil
}

func schema(aggTypes []string, eventType string, ev domain.Event) ([]byte, error) {
	r := jsonschema.Reflector{DoNotReference: true, ExpandedStruct: true}
	raw, err := json.Marshal(r.Reflect(ev))
	if err != nil {
		return nil, err
	}
	var data map[string]any
	if err := json.Unmarshal(raw, &data); err != nil {
		return nil, err
	}
	delete(data, "$schema")
	delete(data, "$id")
	redactSchema(data)
	props, _ := data["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
		data["properties"] = props
	}
	required := toStrings(data["required"])
	for _, aggType := range aggTypes {
		if key, ok := idFields[aggType]; ok {
			props[key] = map[string]any{"type": "string"}
			if len(aggTypes) == 1 { // of one aggregate: always there
				required = append(required, key)
			}
		}
	}
	for key, def := range always[eventType] {
		if def == nil {
			props[key] = map[string]any{"type": []any{"string", "null"}}
		}
		required = append(required, key)
	}
	slices.Sort(required)
	data["required"] = slices.Compact(required)
	data["type"] = "object"
	envelope := map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         eventType + ".json",
		"title":       TypePrefix + eventType,
		"description": "The CloudEvent (structured mode) of " + eventType + " on stream AUTH_EVENTS, subject " + Subject(eventType) + ".",
		"type":        "object",
		"required": []string{"specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema",
			SeqExtension, "data"},
		"properties": map[string]any{
			"specversion":     map[string]any{"const": "1.0"},
			"id":              map[string]any{"type": "string", "description": "the event's id in the log"},
			"source":          map[string]any{"type": "string", "description": "the server's http.publicUrl"},
			"type":            map[string]any{"const": TypePrefix + eventType},
			"subject":         map[string]any{"type": "string", "description": "<aggregate type>/<aggregate id>"},
			"time":            map[string]any{"type": "string", "format": "date-time"},
			"datacontenttype": map[string]any{"const": "application/json"},
			"dataschema":      map[string]any{"type": "string", "format": "uri"},
			SeqExtension:      map[string]any{"type": "integer", "minimum": 1, "description": "the event's sequence in the log"},
			"data":            data,
		},
		"additionalProperties": false,
	}
	return json.MarshalIndent(envelope, "", "  ")
}

// redactSchema makes every secret property, at any depth, the mask.
func redactSchema(s map[string]any) {
	if props, ok := s["properties"].(map[string]any); ok {
		for name, p := range props {
			if redact.IsSecret(name) {
				props[name] = map[string]any{"const": redact.Mask}
				continue
			}
			if inner, ok := p.(map[string]any); ok {
				redactSchema(inner)
			}
		}
	}
	for _, key := range []string{"items", "additionalProperties"} {
		if inner, ok := s[key].(map[string]any); ok {
			redactSchema(inner)
		}
	}
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
