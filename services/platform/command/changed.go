package command

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"econdip/events"
)

// Changed names the fields of a record's state, by their JSON names and in
// the order given, whose values differ between before and after: what an
// update event lists as changed. Values compare as the event encodes them,
// so amounts equal but written otherwise (1000 and 1000.00) are the same,
// and an empty list is the same as none. A name the state type does not
// have is a programming error and panics (each service's tests reach it).
func Changed[E any](before, after E, fields ...string) []string {
	b, a := reflect.ValueOf(before), reflect.ValueOf(after)
	index := fieldIndex(b.Type())
	var out []string
	for _, name := range fields {
		i, ok := index[name]
		if !ok {
			panic(fmt.Sprintf("command.Changed: %s has no field %q", b.Type(), name))
		}
		if !sameJSON(b.Field(i).Interface(), a.Field(i).Interface()) {
			out = append(out, name)
		}
	}
	return out
}

// Updated is the event of an edit of a record's details: event gets the
// state after the change and the fields (of those named) that changed; nil,
// so nothing is stored, when none did.
func Updated[E any](before, after E, fields []string, event func(state E, changed []string) events.Event) Event[E] {
	changed := Changed(before, after, fields...)
	if len(changed) == 0 {
		return nil
	}
	return func(state E) events.Event { return event(state, changed) }
}

var indexes sync.Map // reflect.Type → map[string]int

// fieldIndex maps the JSON names of a struct's fields to their indexes.
func fieldIndex(t reflect.Type) map[string]int {
	if m, ok := indexes.Load(t); ok {
		return m.(map[string]int)
	}
	m := map[string]int{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = i
		}
	}
	indexes.Store(t, m)
	return m
}

func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	if errA != nil || errB != nil {
		return reflect.DeepEqual(a, b)
	}
	return bytes.Equal(empty(ja), empty(jb))
}

// empty folds the encodings of no list (null) and an empty one ([]).
func empty(j []byte) []byte {
	if string(j) == "null" {
		return []byte("[]")
	}
	return j
}
