package testkit

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// Sign is the X-Signature header of CONTRACT.md §2 for body sent at unix
// second ts: "sha256=" + hex(HMAC-SHA256(secret, "<ts>.<body>")). It is
// written from the contract, apart from ingest's verifier, so a test using it
// checks that verifier.
func Sign(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ts, 10) + "."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// SignedRequest is a POST of body to url (the /v1/events endpoint) signed for
// provider with secret at the current time.
func SignedRequest(t testing.TB, url, provider, secret string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("testkit: request: %v", err)
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Provider-Id", provider)
	req.Header.Set("X-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Signature", Sign(secret, ts, body))
	return req
}

// PostEvents sends body signed (SignedRequest) and returns the status and the
// answer's body.
func PostEvents(t testing.TB, url, provider, secret string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(SignedRequest(t, url, provider, secret, body))
	if err != nil {
		t.Fatalf("testkit: post %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("testkit: read answer: %v", err)
	}
	return resp.StatusCode, b
}
