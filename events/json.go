package events

import (
	"encoding/json"
	"fmt"
)

func jsonMarshal(env Envelope) ([]byte, error) {
	raw, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("encode envelope %s: %w", env.Type, err)
	}
	return raw, nil
}
