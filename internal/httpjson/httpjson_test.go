package httpjson

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

func TestWrite(t *testing.T) {
	cases := []struct {
		name     string
		code     int
		v        any
		wantCode int
		wantBody string
	}{
		{"object", http.StatusAccepted, map[string]int{"accepted": 2}, http.StatusAccepted, `{"accepted":2}` + "\n"},
		{"error", http.StatusBadRequest, ErrorBody{Error: "bad"}, http.StatusBadRequest, `{"error":"bad"}` + "\n"},
		{"cannot encode", http.StatusOK, map[string]any{"f": func() {}}, http.StatusInternalServerError, encodeFailed + "\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rec.Header().Set("Retry-After", "1")
			Write(rec, c.code, c.v)
			if rec.Code != c.wantCode || rec.Body.String() != c.wantBody {
				t.Fatalf("got %d %q, want %d %q", rec.Code, rec.Body.String(), c.wantCode, c.wantBody)
			}
			h := rec.Header()
			if h.Get("Content-Type") != "application/json" || h.Get("Cache-Control") != "no-store" ||
				h.Get("Content-Length") != strconv.Itoa(len(c.wantBody)) || h.Get("Retry-After") != "1" {
				t.Fatalf("headers %v", h)
			}
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("body %q is not JSON", rec.Body.String())
			}
		})
	}
}

func TestError(t *testing.T) {
	rec := httptest.NewRecorder()
	Error(rec, http.StatusUnauthorized, `bad "signature"`)
	var b ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || b.Error != `bad "signature"` || rec.Code != http.StatusUnauthorized {
		t.Fatalf("got %d %q (%v)", rec.Code, rec.Body.String(), err)
	}
}
