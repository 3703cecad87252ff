package query

import (
	"net/http"

	"github.com/rankstream/rankstream/internal/httpjson"
)

// divisionBody is the answer to a leaderboard request that needs a division:
// the error and the divisions to choose from.
type divisionBody struct {
	Error     string   `json:"error"`
	Divisions []string `json:"divisions"`
}

// readFailed answers a failed Redis read.
func (h *Handler) readFailed(w http.ResponseWriter, r *http.Request, endpoint string, err error) {
	h.m.ReadErrors.WithLabelValues(endpoint).Inc()
	h.log.Error("read model read failed", "path", r.URL.Path, "err", err)
	httpjson.Error(w, http.StatusServiceUnavailable, "read model unavailable")
}
