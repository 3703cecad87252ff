package ingest

import (
	"net/http"
	"strconv"

	"github.com/rankstream/rankstream/internal/httpjson"
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
	httpjson.Write(w, herr.code, ErrorBody{Error: herr.msg})
	return herr.code
}
