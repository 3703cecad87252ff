package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/rankstream/rankstream/internal/testkit"
	"github.com/rankstream/rankstream/streams"
)

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
func jsonUnmarshal(b []byte, v any) error         { return json.Unmarshal(b, v) }
func itoa(i int) string                           { return strconv.Itoa(i) }

// openStreams starts an embedded NATS with the project's streams (two
// partitions), closed when the test ends.
func openStreams(ctx context.Context, t *testing.T) *streams.Streams {
	t.Helper()
	st, err := streams.Open(ctx, streams.Options{Port: -1, StoreDir: t.TempDir(), Partitions: 2}, testkit.Logger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}
