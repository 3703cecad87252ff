package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/contest"
	"github.com/rankstream/rankstream/internal/app"
	"github.com/rankstream/rankstream/internal/app/apptest"
	"github.com/rankstream/rankstream/internal/testkit"
)

// The one harness of the process tests: build the binary, write contests and
// configs, start `rankstream run` children, wait for them, read their API
// and metrics, stop them. And, for the in-process (apptest) tests, the
// shared-mode options and a steady traffic loop.

// poll waits for ok (testkit.Eventually), failing with what after d.
func poll(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	testkit.Eventually(t, d, func() error {
		if ok() {
			return nil
		}
		return errors.New(what)
	})
}

// windowYAML is a contest's window line (flow style), from start to end.
func windowYAML(start, end time.Time) string {
	return fmt.Sprintf("window: {start: %s, end: %s}\n", start.Format(time.RFC3339), end.Format(time.RFC3339))
}

// liveWindow is windowYAML of the hour before now to the hour after.
func liveWindow(now time.Time) string { return windowYAML(now.Add(-time.Hour), now.Add(time.Hour)) }

// secondsWindow is the start (truncated to the second, as contests store
// it) and the windowYAML of the hour before now to the hour after.
func secondsWindow(now time.Time) (time.Time, string) {
	start := now.Add(-time.Hour).Truncate(time.Second)
	return start, windowYAML(start, now.Add(time.Hour))
}

// sumContest is a live wager-sum contest for provider acme; extra scoring
// keys (", cap_per_event: 1000") go after the model.
func sumContest(id, title string, now time.Time, scoringExtra string) string {
	return "id: " + id + "\ntitle: " + title + "\n" + liveWindow(now) + "lateness: 90s\nscope: {providers: [acme]}\n" +
		"scoring: {model: wager" + scoringExtra + "}\nleaderboard: {type: sum, tiebreakers: [earliest_finish]}\n"
}

// procEnv is a temporary directory with a built binary and a contests
// folder, and the child processes started from it (killed when ctx ends).
type procEnv struct {
	t        *testing.T
	ctx      context.Context
	dir      string
	bin      string
	contests string
	procs    []*proc
	env      []string // added to the environment of the processes started next
}

// newProcEnv builds the binary (with -race when race) and writes the
// contests (file name → YAML) into the contests folder. The processes it
// starts run under context.Background until the caller sets ctx: the
// build (minutes under -race on a loaded machine) stays outside the
// test's own timeout.
func newProcEnv(t *testing.T, race bool, contests map[string]string) *procEnv {
	t.Helper()
	e := &procEnv{t: t, ctx: context.Background(), dir: t.TempDir()}
	e.bin = filepath.Join(e.dir, "rankstream")
	args := []string{"build", "-o", e.bin, "."}
	if race {
		args = []string{"build", "-race", "-o", e.bin, "."}
	}
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	e.contests = filepath.Join(e.dir, "contests")
	os.MkdirAll(e.contests, 0o755)
	for name, yml := range contests {
		os.WriteFile(filepath.Join(e.contests, name), []byte(yml), 0o644)
	}
	return e
}

// start writes name.yml (an http line on a free port, then cfg) and starts
// `rankstream run --config name.yml [--only only]`.
func (e *procEnv) start(name, cfg, only string) *proc {
	e.t.Helper()
	port := testkit.FreePort(e.t)
	path := filepath.Join(e.dir, name+".yml")
	os.WriteFile(path, []byte(fmt.Sprintf("http: {addr: \"127.0.0.1:%d\"}\n%s", port, cfg)), 0o644)
	p := &proc{name: name, http: fmt.Sprintf("127.0.0.1:%d", port), logs: &testkit.SyncBuffer{}}
	args := []string{"run", "--config", path}
	if only != "" {
		args = append(args, "--only", only)
	}
	p.cmd = exec.CommandContext(e.ctx, e.bin, args...)
	if e.env != nil {
		p.cmd.Env = append(os.Environ(), e.env...)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.procs = append(e.procs, p)
	return p
}

// startFront starts the process "front" (ingest and the API, hosting the
// embedded NATS server on natsPort with mpPartitions partitions) with the
// config common and waits until it is ready. external is the config of
// processes on its NATS server.
func (e *procEnv) startFront(natsPort int, common string) (front *proc, external string) {
	e.t.Helper()
	front = e.start("front", fmt.Sprintf("nats: {port: %d, store_dir: %s, partitions: %d}\n%s",
		natsPort, filepath.Join(e.dir, "nats"), mpPartitions, common), "ingest,api")
	waitReady(e.t, front, 60*time.Second)
	return front, fmt.Sprintf("nats: {url: \"nats://127.0.0.1:%d\", partitions: %d}\n%s", natsPort, mpPartitions, common)
}

// stop interrupts the processes and prints their logs on failure.
func (e *procEnv) stop() {
	for _, p := range e.procs {
		p.cmd.Process.Signal(os.Interrupt)
	}
	for _, p := range e.procs {
		done := make(chan struct{})
		go func() { p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
		}
		if e.t.Failed() {
			e.t.Logf("--- %s output:\n%s", p.name, p.logs.String())
		}
	}
}

// proc is one `rankstream run` child process.
type proc struct {
	name string
	cmd  *exec.Cmd
	http string
	logs *testkit.SyncBuffer
}

// base is the process's HTTP address as a URL.
func (p *proc) base() string { return "http://" + p.http }

// waitReady polls p's /readyz until it answers 200.
func waitReady(t *testing.T, p *proc, d time.Duration) {
	t.Helper()
	poll(t, d, p.name+" ready", func() bool {
		resp, err := http.Get(p.base() + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
}

// metric reads the sum of the samples of a metric (name with labels or not)
// from a process's /metrics; ok false when the process does not answer.
func (p *proc) metric(name string) (float64, bool) {
	resp, err := http.Get(p.base() + "/metrics")
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			sum += v
		}
	}
	return sum, true
}

// jsAt is a JetStream client on a connection to url with opts, closed
// at the test's end.
func jsAt(t *testing.T, url string, opts ...nats.Option) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// putVersion PUTs yml as the next version of contest id through the admin
// API at base with the admin token and fails unless it is stored (201).
func putVersion(t *testing.T, base, token, id, yml string) {
	t.Helper()
	req, _ := http.NewRequest("PUT", base+"/v1/admin/contests/"+id, strings.NewReader(yml))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("put a version of %s: %d", id, resp.StatusCode)
	}
}

// roundEnd is a round_end event of provider acme with a bet, ts now.
func roundEnd(id, user string, bet int64) []byte {
	body, _ := json.Marshal(map[string]any{"event_id": id, "ts": time.Now().UTC().Format(time.RFC3339Nano), "type": "round_end",
		"user_id": user, "game": map[string]any{"id": "g_1", "provider": "acme"},
		"bet": map[string]any{"amount_minor": bet, "currency": "EUR"}})
	return body
}

// eventMsg is an event body of user as a NATS message of provider acme
// with its Nats-Msg-Id.
func eventMsg(id, user string, body []byte) *nats.Msg {
	m := nats.NewMsg("events.acme." + user)
	m.Data = body
	m.Header.Set("Nats-Msg-Id", id)
	return m
}

// standingsDiff reads p's board of contestID once and says how it differs
// from want ("" when equal; an error when p does not answer).
func standingsDiff(p *proc, contestID string, want map[string]int64) (string, error) {
	resp, err := http.Get(p.base() + "/v1/leaderboards/" + contestID + "?top=1000")
	if err != nil {
		return "", fmt.Errorf("leaderboard of %s: %w", p.name, err)
	}
	var lb struct {
		Top []struct {
			User  string
			Score int64
		}
	}
	json.NewDecoder(resp.Body).Decode(&lb)
	resp.Body.Close()
	got := map[string]int64{}
	for _, r := range lb.Top {
		got[r.User] = r.Score
	}
	diff := ""
	for u, w := range want {
		if got[u] != w {
			diff += fmt.Sprintf(" %s: got %d want %d;", u, got[u], w)
		}
	}
	if len(got) != len(want) {
		diff += fmt.Sprintf(" %d users, want %d", len(got), len(want))
	}
	return diff, nil
}

// waitStandings polls p's API until the board equals want exactly.
func waitStandings(t *testing.T, p *proc, contestID string, want map[string]int64, d time.Duration) {
	t.Helper()
	var diff string
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		dd, err := standingsDiff(p, contestID, want)
		if err == nil {
			if diff = dd; diff == "" {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: standings differ:%s", p.name, diff)
}

// sharedMode is the apptest option of an aggregator process sharing the
// partitions as instance name, on the NATS at url ("" for its own), with
// the given snapshot interval (0 for the default).
func sharedMode(name, url string, snapshots time.Duration) func(*app.Options) {
	return func(o *app.Options) {
		o.Instance, o.LeaseTTL = name, 2*time.Second
		if snapshots > 0 {
			o.SnapshotInterval = snapshots
		}
		if url != "" {
			o.Streams.URL = url
		}
	}
}

// traffic sends events (send(i) for i = 1, 2, ...) one by one or in a loop
// with a millisecond between them.
type traffic struct {
	n    atomic.Int64
	send func(i int64)
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// one sends the next event.
func (tr *traffic) one() { tr.send(tr.n.Add(1)) }

// sent is how many events were sent.
func (tr *traffic) sent() int64 { return tr.n.Load() }

// run sends in a loop until ctx ends, Stop is called or (max > 0) max
// events were sent.
func (tr *traffic) run(ctx context.Context, max int64) {
	tctx, stop := context.WithCancel(ctx)
	tr.stop = stop
	tr.wg.Add(1)
	go func() {
		defer tr.wg.Done()
		for tctx.Err() == nil && (max == 0 || tr.n.Load() < max) {
			tr.one()
			time.Sleep(time.Millisecond)
		}
	}()
}

// wait waits for the loop to end by itself (max reached).
func (tr *traffic) wait() { tr.wg.Wait() }

// Stop ends the loop and waits for it.
func (tr *traffic) Stop() {
	if tr.stop != nil {
		tr.stop()
	}
	tr.wg.Wait()
}

// snapshotContests are the two contests of the snapshot tests over win:
// <p>_sum (wager sum by market division) and <p>_best (best 3 wins).
func snapshotContests(t *testing.T, p, win string) []*contest.Contest {
	t.Helper()
	var cs []*contest.Contest
	for _, yml := range snapshotYAML(p, win) {
		cs = append(cs, parseContest(t, yml))
	}
	return cs
}

// snapshotYAML is the YAML of snapshotContests (<p>_sum, then <p>_best).
func snapshotYAML(p, win string) []string {
	return []string{
		"id: " + p + "_sum\ntitle: Sum\n" + win + "scoring: {model: wager}\nleaderboard: {type: sum, divisions: market, tiebreakers: [earliest_finish]}\n",
		"id: " + p + "_best\ntitle: Best\n" + win + "scoring: {model: win_amount}\nleaderboard: {type: best_n, n: 3}\n",
	}
}

// publishMarketEvent publishes to a, as provider acme, the i-th event of
// the mixed traffic: bet 10+i%7, win i%13*5, market DE and SE in turn.
func publishMarketEvent(t *testing.T, a *app.App, id, user string, ts time.Time, i int64) {
	t.Helper()
	apptest.Publish(t, a, "acme", user, id,
		apptest.Event(id, user, "acme", ts, 10+i%7, i%13*5, []string{"DE", "SE"}[i%2]))
}

// marketTraffic is traffic of publishMarketEvent to a: event i of user
// u_<i%users>, id <prefix><i>, i%3000 seconds before now.
func marketTraffic(t *testing.T, a *app.App, now time.Time, prefix string, users int64) *traffic {
	return &traffic{send: func(i int64) {
		publishMarketEvent(t, a, fmt.Sprintf("%s%d", prefix, i), fmt.Sprintf("u_%d", i%users), now.Add(-time.Duration(i%3000)*time.Second), i)
	}}
}
