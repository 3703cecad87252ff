package auth

import (
	"net/http"

	"github.com/rankstream/rankstream/internal/httpjson"
)

// WriteError answers {"error": msg} with code.
func WriteError(w http.ResponseWriter, code int, msg string) {
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="rankstream"`)
	}
	httpjson.Error(w, code, msg)
}
