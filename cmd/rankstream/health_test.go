package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthCommand(t *testing.T) {
	code := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"ready":true}`))
	}))
	defer srv.Close()
	runHealth := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		rc := cmdHealth(context.Background(), args, &out, &errb)
		return rc, out.String(), errb.String()
	}
	if rc, out, _ := runHealth("--url", srv.URL); rc != 0 || !strings.Contains(out, "200") {
		t.Errorf("ready process: exit %d, out %q; want 0", rc, out)
	}
	code = http.StatusServiceUnavailable
	if rc, _, _ := runHealth("--url", srv.URL); rc != 1 {
		t.Errorf("503: exit %d, want 1", rc)
	}
	srv.Close()
	if rc, _, errs := runHealth("--url", srv.URL, "--timeout", "1s"); rc != 1 || errs == "" {
		t.Errorf("nothing listening: exit %d, stderr %q; want 1 and an error", rc, errs)
	}
	if rc, out, _ := runHealth("--help"); rc != 0 || !strings.Contains(out, "usage: rankstream health") {
		t.Errorf("--help: exit %d, out %q", rc, out)
	}
	if rc, _, errs := runHealth("--bogus"); rc != 2 || !strings.Contains(errs, "usage") {
		t.Errorf("bad flag: exit %d, stderr %q; want 2 with usage", rc, errs)
	}
}
