// Package httpjson is the one JSON responder of rankstream's HTTP handlers:
// every JSON answer (ingest, query, admin, auth, rewards, the process's own
// endpoints) is written by Write, every {"error": "…"} by Error.
package httpjson

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// encodeFailed is the body of the 500 answer when v cannot be encoded.
const encodeFailed = `{"error":"cannot encode the answer"}`

// Write answers code with v as JSON and a final newline, with Content-Type
// application/json, Content-Length and Cache-Control: no-store (answers are
// live data or secrets, never for a cache). A v that cannot be encoded gives
// 500 {"error": "cannot encode the answer"} instead, so a client never reads
// a half-written body. Headers set on w before the call are kept.
func Write(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		code, body = http.StatusInternalServerError, []byte(encodeFailed)
	}
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// ErrorBody is every error answer: {"error": "…"}.
type ErrorBody struct {
	Error string `json:"error"`
}

// Error answers code with {"error": msg}.
func Error(w http.ResponseWriter, code int, msg string) {
	Write(w, code, ErrorBody{Error: msg})
}
