package rewards

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
)

// MissionStep is a completed mission step as the scorer publishes it on
// the MISSIONS stream (subject missions.<mission_id>.<user_id>, Nats-Msg-Id
// = reward_id).
type MissionStep struct {
	RewardID    string        `json:"reward_id"`
	Mission     string        `json:"mission"`
	Window      string        `json:"window"`
	User        string        `json:"user_id"`
	Step        string        `json:"step"`
	Reward      MissionReward `json:"reward"`
	AutoGrant   bool          `json:"auto_grant"`
	ClaimWindow string        `json:"claim_window"`
	CompletedAt string        `json:"completed_at"`
}

// MissionReward is what a step pays: amount for freespins and points (a
// count), amount_minor and currency for cash and bonus.
type MissionReward struct {
	Kind        string `json:"kind"`
	Amount      int64  `json:"amount"`
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"`
	Game        string `json:"game"`
}

// ErrBadStep marks a mission message that can never become a reward.
var ErrBadStep = errors.New("rewards: bad mission step")

// Reward turns the step into a reward. Freespins post as currency FS and
// points as PTS, their count as amount_minor.
func (m MissionStep) ToReward() (Reward, error) {
	bad := func(format string, args ...any) (Reward, error) {
		return Reward{}, fmt.Errorf("%w: %s", ErrBadStep, fmt.Sprintf(format, args...))
	}
	win, err := time.Parse(time.RFC3339, m.Window)
	if err != nil || m.Mission == "" || m.User == "" || m.Step == "" {
		return bad("mission, window (RFC 3339), user_id and step are required")
	}
	if id := MissionRewardID(m.Mission, win, m.User, m.Step); m.RewardID != id {
		return bad("reward_id %q, want %q", m.RewardID, id)
	}
	cw := DefaultClaimWindow
	if m.ClaimWindow != "" {
		if cw, err = time.ParseDuration(m.ClaimWindow); err != nil || cw <= 0 {
			return bad("claim_window %q", m.ClaimWindow)
		}
	}
	r := Reward{RewardID: m.RewardID, Context: ContextMission, ID: m.Mission, Window: win.UTC(), Step: m.Step, User: m.User,
		Kind: m.Reward.Kind, Game: m.Reward.Game, AutoGrant: m.AutoGrant, ClaimWindow: cw}
	switch m.Reward.Kind {
	case KindFreespins:
		r.AmountMinor, r.Currency = m.Reward.Amount, CurrencyFreespins
	case KindPoints:
		r.AmountMinor, r.Currency = m.Reward.Amount, CurrencyPoints
	case KindCash, KindBonus:
		r.AmountMinor, r.Currency = m.Reward.AmountMinor, m.Reward.Currency
		if !currencyRE.MatchString(r.Currency) {
			return bad("currency %q", r.Currency)
		}
	default:
		return bad("reward kind %q", m.Reward.Kind)
	}
	if r.AmountMinor <= 0 {
		return bad("amount must be > 0")
	}
	return r, nil
}

// SaveMissionReward stores a mission step's reward once (by reward_id) and,
// with auto_grant, grants it in the same transaction. It returns whether
// the reward was new.
func (s *Store) SaveMissionReward(ctx context.Context, r Reward) (bool, error) {
	isNew := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		now := s.now()
		ins, err := s.insertRewards(ctx, tx, []Reward{r}, now)
		if err != nil || len(ins) == 0 {
			return err
		}
		isNew = true
		if ins[0].AutoGrant && ins[0].Status == StatusPending {
			return s.grantTx(ctx, tx, ins, ViaAuto, now)
		}
		return nil
	})
	return isNew, err
}

// consumeMissions turns MISSIONS messages into rewards with a durable
// consumer, acking each after its reward is committed. A message that can
// never be a reward is logged and terminated.
func (s *Stage) consumeMissions(ctx context.Context) {
	s.consumeStream(ctx, s.opts.MissionsStream, "rewards", 1000, nil, s.handleMission)
}

func (s *Stage) handleMission(ctx context.Context, msg jetstream.Msg) {
	var (
		step MissionStep
		r    Reward
	)
	err := json.Unmarshal(msg.Data(), &step)
	if err != nil {
		err = fmt.Errorf("%w: %v", ErrBadStep, err)
	} else {
		r, err = step.ToReward()
	}
	if err != nil {
		s.log.Error("mission step refused", "subject", msg.Subject(), "err", err)
		_ = msg.Term()
		return
	}
	isNew, err := s.Store.SaveMissionReward(ctx, r)
	if err != nil {
		s.m.GrantErrors.Inc()
		s.log.Error("mission reward", "reward_id", r.RewardID, "err", err)
		_ = msg.NakWithDelay(time.Second)
		return
	}
	s.m.Missions.Inc()
	if isNew && r.AutoGrant {
		s.m.Granted.Inc()
	}
	_ = msg.Ack()
}
