package gateway_test

import (
	"encoding/json"
	"net/http"
	"strconv"
)

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
func jsonUnmarshal(b []byte, v any) error         { return json.Unmarshal(b, v) }
func itoa(i int) string                           { return strconv.Itoa(i) }
