package events

import (
	"bytes"
	"embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaFiles holds the JSON Schema of the envelope and of every event type.
//
//go:embed schemas/*.json
var SchemaFiles embed.FS

var (
	compileOnce sync.Once
	compiled    map[string]*jsonschema.Schema
	compileErr  error
)

func compileSchemas() {
	compiled = map[string]*jsonschema.Schema{}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	names := append([]string{"envelope"}, Types()...)
	for _, name := range names {
		raw, err := SchemaFiles.ReadFile("schemas/" + name + ".json")
		if err != nil {
			compileErr = fmt.Errorf("schema for %s: %w", name, err)
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			compileErr = fmt.Errorf("schema for %s: %w", name, err)
			return
		}
		url := "urn:econdip:schema:" + name
		if err := c.AddResource(url, doc); err != nil {
			compileErr = fmt.Errorf("schema for %s: %w", name, err)
			return
		}
		if compiled[name], err = c.Compile(url); err != nil {
			compileErr = fmt.Errorf("compile schema for %s: %w", name, err)
			return
		}
	}
}

// ValidateSchema checks an encoded event against the envelope schema and the
// schema of its type. Producers' tests use it; consumers decode into structs.
func ValidateSchema(raw []byte) error {
	compileOnce.Do(compileSchemas)
	if compileErr != nil {
		return compileErr
	}
	parsed, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("event is not JSON: %w", err)
	}
	doc, ok := parsed.(map[string]any)
	if !ok {
		return fmt.Errorf("event is not a JSON object")
	}
	if err := compiled["envelope"].Validate(doc); err != nil {
		return fmt.Errorf("envelope: %w", err)
	}
	t, _ := doc["type"].(string)
	s, known := compiled[t]
	if !known {
		return fmt.Errorf("no schema for event type %q", t)
	}
	if err := s.Validate(doc["data"]); err != nil {
		return fmt.Errorf("%s data: %w", t, err)
	}
	return nil
}
