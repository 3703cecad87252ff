package loadgen

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func TestRunRejectsBadOptions(t *testing.T) {
	var js jetstream.JetStream = &pendingProbe{} // never used: validation fails first
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no door", Options{Count: 1}, "neither JS nor HTTPURL"},
		{"two doors", Options{JS: js, HTTPURL: "http://x", Secrets: testSecrets}, "both JS and HTTPURL"},
		{"missing secret", Options{HTTPURL: "http://x", Providers: []string{"acme", "other"}, Secrets: testSecrets}, "other"},
		{"bad url", Options{HTTPURL: "x:/y", Secrets: testSecrets}, "HTTP URL"},
		{"negative rate", Options{JS: js, Rate: -1}, "rate"},
		{"negative count", Options{JS: js, Count: -1}, "count"},
		{"negative duration", Options{JS: js, Duration: -time.Second}, "duration"},
		{"invalid rate above 1", Options{JS: js, InvalidRate: 1.5}, "invalid rate"},
		{"duplicate rate above 1", Options{JS: js, DuplicateRate: 2}, "duplicate rate"},
		{"batch too large", Options{HTTPURL: "http://x", Secrets: testSecrets, BatchSize: 1001}, "batch size"},
		{"provider not a subject token", Options{JS: js, Providers: []string{"a.b"}}, "provider"},
		{"market too long", Options{JS: js, Markets: []string{strings.Repeat("M", 33)}}, "market"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(context.Background(), tt.opts, nil)
			if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run error %v, want ErrInvalidOptions mentioning %q", err, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	o, err := Options{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.Users != 10000 || len(o.Games) != 50 || o.Games[49] != "g_50" || o.Providers[0] != "acme" ||
		len(o.Markets) != 3 || len(o.Brands) != 2 || o.DuplicateRate != 0.01 || o.BonusRate != 0.1 ||
		o.InvalidRate != 0 || o.BatchSize != 100 || o.MaxInFlight != DefaultMaxInFlight {
		t.Errorf("defaults %+v", o)
	}
	o, err = Options{DuplicateRate: -1, BonusRate: -1}.withDefaults()
	if err != nil || o.DuplicateRate != 0 || o.BonusRate != 0 {
		t.Errorf("negative rates: %v %v %v, want both off", o.DuplicateRate, o.BonusRate, err)
	}
}

func TestPacer(t *testing.T) {
	start := time.Unix(1000, 0)
	p := newPacer(1000, start)
	if got := p.due(start); got != 0 {
		t.Errorf("due at start = %d, want 0", got)
	}
	if got := p.due(start.Add(10 * time.Millisecond)); got != 10 {
		t.Errorf("due after 10ms at 1000/s = %d, want 10", got)
	}
	p.take(10)
	if got := p.due(start.Add(15 * time.Millisecond)); got != 5 {
		t.Errorf("due after 15ms with 10 sent = %d, want 5", got)
	}
	p.take(5)
	// Ten seconds behind: only the bucket's capacity (one second) is due.
	if got := p.due(start.Add(10 * time.Second)); got != 1000 {
		t.Errorf("due 10s behind = %d, want the capacity 1000", got)
	}
	p.take(1000)
	if got := p.due(start.Add(10*time.Second + 100*time.Millisecond)); got != 100 {
		t.Errorf("due 100ms after catching up = %d, want 100", got)
	}

	// wait returns at once when ctx is done.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if p.wait(ctx, time.Now(), time.Time{}) {
		t.Error("wait with a cancelled ctx returned true")
	}
}

func TestProgressBar(t *testing.T) {
	_, srv := newFakeWebhook(t, 0)
	var buf bytes.Buffer
	opts := Options{Count: 500, Seed: 1, HTTPURL: srv.URL, Secrets: testSecrets, Progress: &buf}
	if _, err := Run(context.Background(), opts, nil); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out := buf.String(); !strings.Contains(out, "loadgen") || !strings.Contains(out, "500/500") {
		t.Errorf("progress output %q: want the description and 500/500", out)
	}
}
