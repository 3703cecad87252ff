// Package apitest checks HTTP exchanges against api/openapi.yaml: a
// RoundTripper that validates every response it carries (status, headers,
// body schema) with kin-openapi and records which operations it saw. Tests
// that talk to a rankstream process over HTTP use Client() to have their
// responses checked for free.
package apitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/rankstream/rankstream/api"
)

// Validator validates the responses of one server against the spec.
type Validator struct {
	router routers.Router
	base   http.RoundTripper

	mu   sync.Mutex
	errs []string
	seen map[string]int
}

var registerOnce sync.Once

// registerTextDecoders lets kin-openapi read the bodies of the live page
// and its assets (it knows JSON, YAML and text/plain).
func registerTextDecoders() {
	registerOnce.Do(func() {
		text := func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
			b, err := io.ReadAll(body)
			return string(b), err
		}
		for _, ct := range []string{"text/html", "text/javascript", "text/css", "image/svg+xml"} {
			openapi3filter.RegisterBodyDecoder(ct, text)
		}
	})
}

// New loads the spec for the server at baseURL ("http://127.0.0.1:1234").
func New(baseURL string) (*Validator, error) {
	registerTextDecoders()
	doc, err := openapi3.NewLoader().LoadFromData(api.Spec())
	if err != nil {
		return nil, fmt.Errorf("apitest: load spec: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("apitest: invalid spec: %w", err)
	}
	doc.Servers = openapi3.Servers{{URL: baseURL}}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("apitest: router: %w", err)
	}
	return &Validator{router: r, base: http.DefaultTransport, seen: map[string]int{}}, nil
}

// Client is an HTTP client whose every response is validated.
func (v *Validator) Client() *http.Client { return &http.Client{Transport: v} }

// RoundTrip performs req and validates the response; the caller gets the
// response with its body intact. Problems are collected (Errors), never
// returned, so that the test's own assertions still run.
func (v *Validator) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := v.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	v.check(req, resp, body)
	return resp, nil
}

func (v *Validator) check(req *http.Request, resp *http.Response, body []byte) {
	name := req.Method + " " + req.URL.Path
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		v.fail("%s: not in openapi.yaml: %v", name, err)
		return
	}
	op := req.Method + " " + route.Path
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(req.Context(), in); err != nil {
		v.fail("%s → %d %s: %v\nbody: %.300s", name, resp.StatusCode, resp.Header.Get("Content-Type"), err, body)
	}
	v.mu.Lock()
	v.seen[fmt.Sprintf("%s %d", op, resp.StatusCode)]++
	v.mu.Unlock()
}

func (v *Validator) fail(format string, args ...any) {
	v.mu.Lock()
	v.errs = append(v.errs, fmt.Sprintf(format, args...))
	v.mu.Unlock()
}

// Errors are the problems found so far.
func (v *Validator) Errors() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.errs...)
}

// Seen lists the validated exchanges as "METHOD /spec/path STATUS", sorted.
func (v *Validator) Seen() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]string, 0, len(v.seen))
	for k := range v.seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
