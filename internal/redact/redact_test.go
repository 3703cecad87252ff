package redact

import "testing"

func TestURLsHidePasswords(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "",
		"nats://127.0.0.1:4222":     "nats://127.0.0.1:4222",
		"nats://app:s3cret@h1:4222": "nats://app:xxxxx@h1:4222",
		"nats://a:p1@h1:4222, nats://b:p2@h2:4222": "nats://a:xxxxx@h1:4222,nats://b:xxxxx@h2:4222",
		"clickhouse://u:pw@h:9000/db?x=1":          "clickhouse://u:xxxxx@h:9000/db?x=1",
		"nats://u:p@h:4222,://bad:pass@%zz":        "nats://u:xxxxx@h:4222,(unparsable url)",
	} {
		if got := URLs(in); got != want {
			t.Errorf("URLs(%q) = %q, want %q", in, got, want)
		}
	}
}
