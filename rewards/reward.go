package rewards

import (
	"errors"
	"time"

	"github.com/rankstream/rankstream/streams"
)

// Statuses of a reward.
const (
	StatusPending = "pending"
	StatusGranted = "granted"
	StatusHeld    = "held"
	StatusExpired = "expired"
)

// Errors of claims.
var (
	// ErrNotFound: nothing to claim.
	ErrNotFound = errors.New("rewards: no such reward")
	// ErrExpired: the claim window has passed.
	ErrExpired = errors.New("rewards: claim window passed")
	// ErrHeld: the user is on hold.
	ErrHeld = errors.New("rewards: user on hold")
)

// Reward is one stored reward.
type Reward struct {
	RewardID    string        `json:"reward_id"`
	Context     string        `json:"context"`
	ID          string        `json:"id"`
	Window      time.Time     `json:"window"`
	Division    string        `json:"division,omitempty"`
	Step        string        `json:"step,omitempty"`
	User        string        `json:"user_id"`
	Pos         *int          `json:"pos,omitempty"`
	AmountMinor int64         `json:"amount_minor"`
	Currency    string        `json:"currency"`
	Kind        string        `json:"kind"`
	Game        string        `json:"game,omitempty"`
	AutoGrant   bool          `json:"auto_grant"`
	ClaimWindow time.Duration `json:"-"`
	ComputedAt  time.Time     `json:"computed_at"`
	Status      string        `json:"status"`
	ExpiresAt   *time.Time    `json:"expires_at,omitempty"`
}

// PoolAccount is the ledger account a reward is paid from:
// pool:<contest>:<window>:<division> for contests,
// pool:mission:<mission>:<window> for missions.
func (r *Reward) PoolAccount() string {
	if r.Context == ContextMission {
		return "pool:mission:" + r.ID + ":" + WindowString(r.Window)
	}
	return "pool:" + r.ID + ":" + WindowString(r.Window) + ":" + r.Division
}

// PlayerAccount is the ledger account a reward is paid to.
func PlayerAccount(user string) string { return "player:" + user }

// PostingSubject is the wallet subject of a user's grants.
func PostingSubject(user string) string { return "wallet.postings." + user }

// NoticeSubject is a user's notice subject of a contest (CONTRACT.md §5).
func NoticeSubject(contestID, user string) string { return streams.LiveNoticeSubject(contestID, user) }

// Posting is the body of a wallet.postings message.
type Posting struct {
	RewardID    string `json:"reward_id"`
	User        string `json:"user_id"`
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"`
	Kind        string `json:"kind"`
	Context     string `json:"context"`
	ID          string `json:"id"`
	Window      string `json:"window"`
	Step        string `json:"step"`
}

// Posting returns the wallet message of the reward.
func (r *Reward) Posting() Posting {
	return Posting{RewardID: r.RewardID, User: r.User, AmountMinor: r.AmountMinor, Currency: r.Currency, Kind: r.Kind,
		Context: r.Context, ID: r.ID, Window: WindowString(r.Window), Step: r.Step}
}

// Non-money kinds post to the ledger in their own units: freespins as
// currency FS (amount_minor = number of spins), points as PTS.
const (
	CurrencyFreespins = "FS"
	CurrencyPoints    = "PTS"
)
