package contest

import (
	"strings"
	"time"
)

// MissionRewardMsg is the body of a MISSIONS message (subject
// missions.<mission>.<user_id>, header Nats-Msg-Id = RewardID): a step, or
// the completion, became done and its reward is due. The rewards stage
// consumes it; a message may come more than once (same RewardID).
type MissionRewardMsg struct {
	RewardID    string         `json:"reward_id"`
	Mission     string         `json:"mission"`
	Window      string         `json:"window"` // window start, RFC 3339 UTC
	UserID      string         `json:"user_id"`
	Step        string         `json:"step"` // a step id or "completion"
	Reward      *MissionReward `json:"reward"`
	AutoGrant   bool           `json:"auto_grant"`
	ClaimWindow string         `json:"claim_window"` // Go duration, e.g. "72h"
	CompletedAt string         `json:"completed_at"` // stream time of the completing event, RFC 3339 nano
}

// RewardMsg is the MISSIONS message of completion c of user in window win,
// or ok=false when that step pays nothing (then no message is sent).
func (m *Mission) RewardMsg(win Window, user string, c Completed) (MissionRewardMsg, bool) {
	r := m.StepReward(c.Step)
	if r == nil {
		return MissionRewardMsg{}, false
	}
	return MissionRewardMsg{
		RewardID:    MissionRewardID(m.ID, win.Start, user, c.Step),
		Mission:     m.ID,
		Window:      win.Start.UTC().Format(time.RFC3339),
		UserID:      user,
		Step:        c.Step,
		Reward:      r,
		AutoGrant:   m.AutoGrant,
		ClaimWindow: FormatDuration(m.ClaimWindow),
		CompletedAt: time.Unix(0, c.Arrived).UTC().Format(time.RFC3339Nano),
	}, true
}

// FormatDuration writes d like time.Duration.String without zero trailing
// units: 72h, 1h30m, 90s → 1m30s.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
