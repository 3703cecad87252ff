package aggregator

import "encoding/json"

// traceID is the event's trace_id (CONTRACT.md §1), "" when absent or
// unreadable: log lines about one event carry it so that an operator can
// follow an event from the provider's logs to ours. Used on the rare paths
// (dead letters, late events), never per counted event.
func traceID(data []byte) string {
	var v struct {
		TraceID string `json:"trace_id"`
	}
	if json.Unmarshal(data, &v) != nil {
		return ""
	}
	return v.TraceID
}
