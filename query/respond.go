package query

import (
	"encoding/json"
	"net/http"
	"strconv"
)

func writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		body = []byte(`{"error":"cannot encode the answer"}`)
	}
	body = append(body, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// errorBody is every error answer: {"error": "…"}.
type errorBody struct {
	Error string `json:"error"`
}

// divisionBody is the answer to a leaderboard request that needs a division:
// the error and the divisions to choose from.
type divisionBody struct {
	Error     string   `json:"error"`
	Divisions []string `json:"divisions"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorBody{Error: msg})
}

// readFailed answers a failed Redis read.
func (h *Handler) readFailed(w http.ResponseWriter, r *http.Request, endpoint string, err error) {
	h.m.ReadErrors.WithLabelValues(endpoint).Inc()
	h.log.Error("read model read failed", "path", r.URL.Path, "err", err)
	writeError(w, http.StatusServiceUnavailable, "read model unavailable")
}
