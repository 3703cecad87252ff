package notifier

// TypeNotice is the "type" of a notice message (lb.<contest>.user.<id>.notice
// and the WebSocket).
const TypeNotice = "notice"

// Notice kinds (CONTRACT.md §5).
const (
	KindEndsSoon         = "ends_soon"
	KindEnteredTop       = "entered_top"
	KindEnteredPrizeZone = "entered_prize_zone"
	KindLeftPrizeZone    = "left_prize_zone"
	KindRewardAvailable  = "reward_available"
)

// NoticeMsg is a one-off notice on lb.<contest>.user.<user_id>.notice, sent
// over the WebSocket as is. The rewards stage sends reward_available with
// this type too.
type NoticeMsg struct {
	Type     string `json:"type"` // "notice"
	Contest  string `json:"contest"`
	Window   string `json:"window"`
	Division string `json:"division,omitempty"`
	Kind     string `json:"kind"`
	User     string `json:"user,omitempty"`
	// Top is the level an entered_top notice is about.
	Top int `json:"top,omitempty"`
	// Pos and Score are the standing that caused a rank notice.
	Pos   int   `json:"pos,omitempty"`
	Score int64 `json:"score,omitempty"`
	// PrizeMinor and Currency: what the position would win now (a ladder's
	// fixed amount), on entered_prize_zone.
	PrizeMinor int64  `json:"prize_minor,omitempty"`
	Currency   string `json:"currency,omitempty"`
	// EndsAt is the window's end (RFC 3339), on ends_soon.
	EndsAt string `json:"ends_at,omitempty"`
	// RewardID is the claimable reward, on reward_available.
	RewardID string `json:"reward_id,omitempty"`
}
