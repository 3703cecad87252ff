package rewards

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rankstream/rankstream/internal/db"
	"github.com/rankstream/rankstream/streams"
)

// The kill test's child: a rewards stage and a claiming player on the
// parent's database and NATS, until it is killed.
const (
	childEnv   = "RANKSTREAM_REWARDS_KILL_CHILD"
	childDSN   = "RANKSTREAM_REWARDS_KILL_DSN"
	childNATS  = "RANKSTREAM_REWARDS_KILL_NATS"
	missionsSt = "MISSIONS_KILL"
	kBoards    = 24 // division boards of each of the two contests
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

func runChild() int {
	ctx := context.Background()
	pool, err := db.OpenApp(ctx, os.Getenv(childDSN))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	st, err := streams.Open(ctx, streams.Options{URL: os.Getenv(childNATS), Partitions: 2}, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	s, err := New(Options{Pool: pool, NC: st.NC, JS: st.JS, MissionsStream: missionsSt, Poll: 5 * time.Millisecond, Batch: 7,
		PayoutPart: 9}, nil, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	go claimLoop(ctx, s.Store)
	_ = s.Run(ctx)
	return 0
}

// claimLoop claims pending contest rewards, a few at a time, as players.
func claimLoop(ctx context.Context, st *Store) {
	for {
		rows, err := st.pool.Query(ctx, `SELECT user_id, ctx_id FROM rewards WHERE status = 'pending' AND NOT auto_grant
			AND context = 'contest' ORDER BY random() LIMIT 3`)
		if err == nil {
			var req [][2]string
			for rows.Next() {
				var u, c string
				_ = rows.Scan(&u, &c)
				req = append(req, [2]string{u, c})
			}
			rows.Close()
			for _, r := range req {
				_, _, _ = st.Claim(ctx, r[0], ClaimRequest{Context: ContextContest, ID: r[1], Window: WindowString(testWindow)})
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestKillDuringPayouts SIGKILLs a process running payouts, grants, claims,
// mission steps and the relay at random moments (12 times), then lets one
// finish: every reward is granted at most once, the ledger balances per
// transaction and overall, and each grant has exactly one wallet message.
func TestKillDuringPayouts(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	auto := `rewards:
  pool: {currency: EUR, total_minor: 100000}
  distribution: proportional
  auto_grant: true
`
	e.putContest(t, "t_auto", auto)
	e.putContest(t, "t_claim", ladderRewards)
	rng := rand.New(rand.NewPCG(11, 12))
	for d := 0; d < kBoards; d++ {
		scores := make([]int64, 40)
		for i := range scores {
			scores[i] = int64(4000 - 90*i - rng.IntN(50))
		}
		e.finalSnapshot(t, "t_auto", fmt.Sprintf("D%d", d), scores)
		e.finalSnapshot(t, "t_claim", fmt.Sprintf("D%d", d), scores)
	}
	publishMissionSteps(t, ctx, e.st.JS, 60)

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	start := func() *exec.Cmd {
		cmd := exec.Command(self, "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=1", childDSN+"="+e.dsn, childNATS+"="+e.st.URL())
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	counts := func() (boards, granted, sent int) {
		_ = e.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM reward_boards), (SELECT count(*) FROM grants),
			(SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL AND jetstream)`).Scan(&boards, &granted, &sent)
		return boards, granted, sent
	}
	interrupted := 0
	var progress []string
	for i := 0; i < 12; i++ {
		// Each child is killed soon after it has made progress (a fast
		// machine would otherwise finish everything in the first lives).
		b0, g0, s0 := counts()
		cmd := start()
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if b, g, s := counts(); b != b0 || g != g0 || s != s0 {
				break
			}
		}
		time.Sleep(time.Duration(rng.IntN(60)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		boards, granted, sent := counts()
		progress = append(progress, fmt.Sprintf("%d/%d/%d", boards, granted, sent))
		if boards < 2*kBoards || sent < granted {
			interrupted++
		}
	}
	t.Logf("after each kill, boards/grants/sent: %v", progress)
	if interrupted < 3 {
		t.Fatalf("only %d kills interrupted work in progress", interrupted)
	}
	// A last process finishes the work: nothing left to grant, claim or send.
	last := start()
	defer func() { _ = last.Process.Kill(); _ = last.Wait() }()
	eventually(t, 60*time.Second, "all rewards granted and relayed", func() bool {
		var open, unsent, boards, missions int
		_ = e.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM rewards WHERE status <> 'granted'),
			(SELECT count(*) FROM outbox WHERE sent_at IS NULL), (SELECT count(*) FROM reward_boards),
			(SELECT count(*) FROM rewards WHERE context = 'mission')`).Scan(&open, &unsent, &boards, &missions)
		return open == 0 && unsent == 0 && boards == 2*kBoards && missions == 60
	})
	assertPaidOnce(t, ctx, e)
}

// assertPaidOnce: every reward granted once, the ledger balanced, one
// wallet message per grant.
func assertPaidOnce(t *testing.T, ctx context.Context, e *env) {
	t.Helper()
	grants := e.ledgerCheck(t)
	var rewardsN, missions int
	if err := e.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE context = 'mission') FROM rewards`).Scan(&rewardsN, &missions); err != nil {
		t.Fatal(err)
	}
	if grants != rewardsN || missions != 60 {
		t.Fatalf("%d grants for %d rewards (%d missions)", grants, rewardsN, missions)
	}
	ids, _ := e.walletMsgs(t)
	var granted []string
	rows, _ := e.pool.Query(ctx, `SELECT reward_id FROM grants`)
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		granted = append(granted, id)
	}
	rows.Close()
	if len(ids) != len(granted) {
		t.Fatalf("%d distinct wallet messages for %d grants", len(ids), len(granted))
	}
	for _, id := range granted {
		if ids[id] != 1 {
			t.Fatalf("grant %s has %d wallet messages", id, ids[id])
		}
	}
	t.Logf("%d rewards (%d missions), %d grants, %d wallet messages", rewardsN, missions, grants, len(ids))
}

// publishMissionSteps creates the test's missions stream and publishes n
// completed steps (half auto-granted), each twice (duplicates are one).
func publishMissionSteps(t *testing.T, ctx context.Context, js jetstream.JetStream, n int) {
	t.Helper()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: missionsSt, Subjects: []string{"missions_kill.>"}}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		user := fmt.Sprintf("m_u%d", i)
		step := MissionStep{RewardID: MissionRewardID("m_kill", testWindow, user, "s1"), Mission: "m_kill",
			Window: WindowString(testWindow), User: user, Step: "s1", AutoGrant: true, ClaimWindow: "72h",
			Reward: MissionReward{Kind: KindFreespins, Amount: 10, Game: "g_66"}, CompletedAt: time.Now().Format(time.RFC3339Nano)}
		if i%2 == 1 {
			step.Reward = MissionReward{Kind: KindBonus, AmountMinor: 500, Currency: "EUR"}
		}
		body, _ := json.Marshal(step)
		for k := 0; k < 2; k++ {
			msg := &nats.Msg{Subject: "missions_kill.m_kill." + user, Data: body, Header: nats.Header{}}
			if k == 1 {
				msg.Header.Set(jetstream.MsgIDHeader, step.RewardID+"-dup") // a duplicate the stream keeps
			} else {
				msg.Header.Set(jetstream.MsgIDHeader, step.RewardID)
			}
			if _, err := js.PublishMsg(ctx, msg); err != nil {
				t.Fatal(err)
			}
		}
	}
}
