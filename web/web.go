// Package web is the live page served at / (CONTRACT.md §5, §6): log in or
// register, pick a contest, watch the top 10 move and your own position,
// distance to the next place, point gains and places won or lost, and a
// countdown to the window's end. Plain HTML, CSS and JavaScript embedded in
// the binary; the page talks to /v1/auth/*, /v1/contests and /v1/ws.
package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// csp allows only the page's own scripts, styles and connections.
const csp = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"

// Mount serves the page at / and its assets under /assets/.
func Mount(mux *http.ServeMux) {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.FileServerFS(sub)
	mux.Handle("GET /{$}", headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, sub, "index.html")
	})))
	mux.Handle("GET /assets/", headers(http.StripPrefix("/assets/", files)))
}

func headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		next.ServeHTTP(w, r)
	})
}
