// Package api holds the OpenAPI 3 description of rankstream's HTTP endpoints
// (openapi.yaml, embedded) and serves it at GET /openapi.yaml. The spec is
// checked against the router and against recorded responses in spec_test.go.
package api

import (
	_ "embed"
	"net/http"
	"strconv"
)

//go:embed openapi.yaml
var spec []byte

// Spec returns the OpenAPI document (YAML). The slice must not be changed.
func Spec() []byte { return spec }

// Handler serves the document.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Header().Set("Content-Length", strconv.Itoa(len(spec)))
		_, _ = w.Write(spec)
	})
}
