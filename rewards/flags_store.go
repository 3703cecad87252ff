package rewards

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rankstream/rankstream/streams"
)

// Flag is a stored abuse flag (migration 00040, docs/flags.md).
type Flag struct {
	ID      int64     `json:"id"`
	Contest string    `json:"contest"`
	Window  time.Time `json:"window"`
	User    string    `json:"user_id"`
	Flag    string    `json:"flag"`
	// Subject is what the flag is about beyond the user: the device token
	// for shared_device, empty for uniform_timing.
	Subject     string          `json:"subject,omitempty"`
	RuleVersion int             `json:"rule_version"`
	Hold        bool            `json:"hold"`
	Evidence    json.RawMessage `json:"evidence"`
	RaisedAt    time.Time       `json:"raised_at"`
	ClearedAt   *time.Time      `json:"cleared_at"`
	ClearedBy   string          `json:"cleared_by,omitempty"`
}

// DeviceEvidence is the evidence of a shared_device flag: the device and
// its users in the window when the flag was raised.
type DeviceEvidence struct {
	Device    string       `json:"device"`
	DeviceID  string       `json:"device_id"`
	Threshold int          `json:"shared_device_users"`
	Users     []DeviceUser `json:"users"`
}

// DeviceUser is one user of a device: the first counted event from it.
type DeviceUser struct {
	User    string    `json:"user_id"`
	FirstTS time.Time `json:"first_ts"`
	EventID string    `json:"event_id"`
}

const flagColumns = `id, contest_id, window_start, user_id, flag, subject, rule_version, hold, evidence, raised_at,
	cleared_at, coalesce(cleared_by, '')`

func scanFlag(row pgx.Row) (Flag, error) {
	var f Flag
	err := row.Scan(&f.ID, &f.Contest, &f.Window, &f.User, &f.Flag, &f.Subject, &f.RuleVersion, &f.Hold, &f.Evidence,
		&f.RaisedAt, &f.ClearedAt, &f.ClearedBy)
	f.Window, f.RaisedAt = f.Window.UTC(), f.RaisedAt.UTC()
	if f.ClearedAt != nil {
		t := f.ClearedAt.UTC()
		f.ClearedAt = &t
	}
	return f, err
}

func collectFlags(rows pgx.Rows) ([]Flag, error) {
	defer rows.Close()
	var out []Flag
	for rows.Next() {
		f, err := scanFlag(rows)
		if err != nil {
			return nil, fmt.Errorf("rewards: scan flag: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rewards: flags: %w", err)
	}
	return out, nil
}

// insertFlag stores f once (by contest, window, user, flag, subject) and,
// with hold, holds the user's pending rewards of the window. It returns
// whether f was new.
func (s *Store) insertFlag(ctx context.Context, tx pgx.Tx, f Flag, now time.Time) (bool, error) {
	if err := lockFlagBoard(ctx, tx, f.Contest, f.Window); err != nil {
		return false, err
	}
	tag, err := tx.Exec(ctx, `INSERT INTO abuse_flags (contest_id, window_start, user_id, flag, subject, rule_version, hold,
		evidence, raised_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (contest_id, window_start, user_id, flag, subject) DO NOTHING`,
		f.Contest, f.Window, f.User, f.Flag, f.Subject, f.RuleVersion, f.Hold, []byte(f.Evidence), now)
	if err != nil {
		return false, fmt.Errorf("rewards: insert flag: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	if f.Hold {
		return true, s.holdFlagUser(ctx, tx, f.Contest, f.Window, f.User, now)
	}
	return true, nil
}

// RaiseFlag stores a flag a scorer raised (uniform_timing); see insertFlag.
func (s *Store) RaiseFlag(ctx context.Context, f Flag) (bool, error) {
	isNew := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) (err error) {
		isNew, err = s.insertFlag(ctx, tx, f, s.now())
		return err
	})
	return isNew, err
}

// SightDevice records that a user used a device in a contest window and,
// when the device has d.MinUsers or more users in that window, raises
// shared_device for every one of them (each once). The count of one device
// is serialized by a transaction-scoped advisory lock on (contest, window,
// device), so two consumers (processes) never both miss the threshold. It
// returns the flags newly raised.
func (s *Store) SightDevice(ctx context.Context, d streams.DeviceSighting) ([]Flag, error) {
	win, err := time.Parse(time.RFC3339, d.Window)
	if err != nil {
		return nil, fmt.Errorf("%w: window %q", ErrBadFlag, d.Window)
	}
	first, err := time.Parse(time.RFC3339Nano, d.TS)
	if err != nil || d.Contest == "" || d.User == "" || d.Device != streams.DeviceToken(d.DeviceID) || d.MinUsers < 0 {
		return nil, fmt.Errorf("%w: device sighting %+v", ErrBadFlag, d)
	}
	var raised []Flag
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		raised = nil
		now := s.now()
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
			d.Contest+"|"+d.Window+"|"+d.Device); err != nil {
			return fmt.Errorf("rewards: device lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO abuse_device_users (contest_id, window_start, device, user_id, device_id,
			first_ts, event_id, seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
			d.Contest, win, d.Device, d.User, d.DeviceID, first, d.EventID, now); err != nil {
			return fmt.Errorf("rewards: device user: %w", err)
		}
		users, err := deviceUsers(ctx, tx, d.Contest, win, d.Device)
		if err != nil || d.MinUsers == 0 || len(users) < d.MinUsers {
			return err
		}
		ev, err := json.Marshal(DeviceEvidence{Device: d.Device, DeviceID: d.DeviceID, Threshold: d.MinUsers, Users: users})
		if err != nil {
			return fmt.Errorf("rewards: device evidence: %w", err)
		}
		for _, u := range users {
			f := Flag{Contest: d.Contest, Window: win, User: u.User, Flag: streams.FlagSharedDevice, Subject: d.Device,
				RuleVersion: d.Version, Hold: d.Hold, Evidence: ev, RaisedAt: now}
			isNew, err := s.insertFlag(ctx, tx, f, now)
			if err != nil {
				return err
			}
			if isNew {
				raised = append(raised, f)
			}
		}
		return nil
	})
	return raised, err
}

func deviceUsers(ctx context.Context, tx pgx.Tx, contestID string, win time.Time, device string) ([]DeviceUser, error) {
	rows, err := tx.Query(ctx, `SELECT user_id, first_ts, event_id FROM abuse_device_users
		WHERE contest_id = $1 AND window_start = $2 AND device = $3 ORDER BY user_id`, contestID, win, device)
	if err != nil {
		return nil, fmt.Errorf("rewards: device users: %w", err)
	}
	defer rows.Close()
	var out []DeviceUser
	for rows.Next() {
		var u DeviceUser
		if err := rows.Scan(&u.User, &u.FirstTS, &u.EventID); err != nil {
			return nil, fmt.Errorf("rewards: device users: %w", err)
		}
		u.FirstTS = u.FirstTS.UTC()
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rewards: device users: %w", err)
	}
	return out, nil
}

// Flags lists a contest's flags of one window (zero: the latest window
// with flags), cleared ones included, by user, flag and subject. It
// returns the window listed.
func (s *Store) Flags(ctx context.Context, contestID string, win time.Time) ([]Flag, time.Time, error) {
	if win.IsZero() {
		var last *time.Time
		err := s.pool.QueryRow(ctx, `SELECT max(window_start) FROM abuse_flags WHERE contest_id = $1`, contestID).Scan(&last)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("rewards: last flag window: %w", err)
		}
		if last == nil {
			return nil, time.Time{}, nil
		}
		win = *last
	}
	rows, err := s.pool.Query(ctx, `SELECT `+flagColumns+` FROM abuse_flags WHERE contest_id = $1 AND window_start = $2
		ORDER BY user_id, flag, subject`, contestID, win)
	if err != nil {
		return nil, win, fmt.Errorf("rewards: list flags: %w", err)
	}
	fs, err := collectFlags(rows)
	return fs, win.UTC(), err
}

// ClearFlags clears a user's uncleared flags of a contest (one window, or
// every window when win is zero) and releases the rewards they held
// (through the one grant path with auto_grant: paid once). It returns the
// flags cleared (none: ErrNotFound) and how many rewards were released.
func (s *Store) ClearFlags(ctx context.Context, contestID, user string, win time.Time, by string) ([]Flag, int, error) {
	var (
		cleared  []Flag
		released int
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		now := s.now()
		if err := lockUserFlagWindows(ctx, tx, contestID, user, win); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `UPDATE abuse_flags SET cleared_at = $1, cleared_by = $2
			WHERE contest_id = $3 AND user_id = $4 AND cleared_at IS NULL AND ($5::timestamptz IS NULL OR window_start = $5)
			RETURNING `+flagColumns, now, by, contestID, user, nullTime(win))
		if err != nil {
			return fmt.Errorf("rewards: clear flags: %w", err)
		}
		if cleared, err = collectFlags(rows); err != nil || len(cleared) == 0 {
			return err
		}
		released, err = s.releaseRewards(ctx, tx, `r.user_id = $2 AND r.context = 'contest' AND r.ctx_id = $3`, now, user, contestID)
		return err
	})
	if err == nil && len(cleared) == 0 {
		err = ErrNotFound
	}
	return cleared, released, err
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// ErrBadFlag marks a flag record that can never be stored.
var ErrBadFlag = errors.New("rewards: bad flag record")

// FlagFromRecord turns a flags.raised record into a Flag.
func FlagFromRecord(r streams.RaisedFlag) (Flag, error) {
	win, err := time.Parse(time.RFC3339, r.Window)
	if err != nil || r.Contest == "" || r.User == "" || r.Flag != streams.FlagUniformTiming {
		return Flag{}, fmt.Errorf("%w: %+v", ErrBadFlag, r)
	}
	ev, err := json.Marshal(r.Evidence)
	if err != nil {
		return Flag{}, fmt.Errorf("%w: evidence: %w", ErrBadFlag, err)
	}
	return Flag{Contest: r.Contest, Window: win.UTC(), User: r.User, Flag: r.Flag, RuleVersion: r.Version, Hold: r.Hold,
		Evidence: ev}, nil
}

// lockUserFlagWindows takes the flag lock of every window in which user has
// uncleared flags of a contest (win: only that one), in window order, so a
// board computed meanwhile either sees the flags cleared or has its held
// rewards found by the release.
func lockUserFlagWindows(ctx context.Context, tx pgx.Tx, contestID, user string, win time.Time) error {
	rows, err := tx.Query(ctx, `SELECT DISTINCT window_start FROM abuse_flags WHERE contest_id = $1 AND user_id = $2
		AND cleared_at IS NULL AND ($3::timestamptz IS NULL OR window_start = $3) ORDER BY window_start`, contestID, user, nullTime(win))
	if err != nil {
		return fmt.Errorf("rewards: flag windows: %w", err)
	}
	wins, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
	if err != nil {
		return fmt.Errorf("rewards: flag windows: %w", err)
	}
	for _, w := range wins {
		if err := lockFlagBoard(ctx, tx, contestID, w); err != nil {
			return err
		}
	}
	return nil
}
