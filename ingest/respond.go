package ingest

import (
	"encoding/json"
	"net/http"
	"strconv"
)

func (h *HTTP) writeError(w http.ResponseWriter, r *http.Request, provider string, herr *httpError) int {
	switch herr.code {
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
		h.log.Warn("events stream unavailable", "provider", provider, "error", herr.msg)
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", http.MethodPost)
	case http.StatusUnauthorized:
		h.log.Warn("request refused", "provider", provider, "remote", r.RemoteAddr, "code", herr.code, "error", herr.msg)
	default:
		h.log.Info("request refused", "provider", provider, "remote", r.RemoteAddr, "code", herr.code, "error", herr.msg)
	}
	writeJSON(w, herr.code, ErrorBody{Error: herr.msg})
	return herr.code
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b = []byte(`{"error":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}
