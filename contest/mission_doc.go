package contest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// MissionProgressDoc is the answer of GET /v1/missions/{id}/progress
// (CONTRACT.md §7), as the scorers publish it for the query API.
type MissionProgressDoc struct {
	Mission     string            `json:"mission"`
	Window      string            `json:"window"`
	Steps       []StepProgressDoc `json:"steps"`
	RewardReady bool              `json:"reward_ready"`
}

// StepProgressDoc is one step of a MissionProgressDoc.
type StepProgressDoc struct {
	ID       string `json:"id"`
	Done     bool   `json:"done"`
	Progress int64  `json:"progress"`
	Target   int64  `json:"target"`
}

// ProgressDoc is u's progress in window win of m. RewardReady: a step (or
// the completion) that has a reward is done, so a reward waits (the claim
// status is consulted by the query API through Mission.ReadyWith).
func (u *UserMission) ProgressDoc(win Window) MissionProgressDoc {
	d := MissionProgressDoc{Mission: u.m.ID, Window: win.Start.UTC().Format(time.RFC3339)}
	ps := u.Progress()
	d.Steps = make([]StepProgressDoc, len(ps))
	all := true
	for i, p := range ps {
		d.Steps[i] = StepProgressDoc{ID: p.ID, Done: p.Done, Progress: p.Progress, Target: p.Target}
		if p.Done && u.m.Steps[i].Reward != nil {
			d.RewardReady = true
		}
		all = all && p.Done
	}
	if all && u.m.Completion != nil {
		d.RewardReady = true
	}
	return d
}

// EmptyProgressDoc is the progress of a user without a counted event.
func (m *Mission) EmptyProgressDoc(win Window) MissionProgressDoc {
	return NewUserMission(m).ProgressDoc(win)
}

// AppendProgressJSON appends the JSON of u.ProgressDoc(win) to b (as
// encoding/json writes it, without its reflection: the scorer writes one
// per changed user mission window).
func (u *UserMission) AppendProgressJSON(b []byte, win Window) []byte {
	d := u.ProgressDoc(win)
	b = append(b, `{"mission":`...)
	b = strconv.AppendQuote(b, d.Mission)
	b = append(b, `,"window":`...)
	b = strconv.AppendQuote(b, d.Window)
	b = append(b, `,"steps":[`...)
	for i, s := range d.Steps {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = strconv.AppendQuote(b, s.ID)
		b = append(b, `,"done":`...)
		b = strconv.AppendBool(b, s.Done)
		b = append(b, `,"progress":`...)
		b = strconv.AppendInt(b, s.Progress, 10)
		b = append(b, `,"target":`...)
		b = strconv.AppendInt(b, s.Target, 10)
		b = append(b, '}')
	}
	b = append(b, `],"reward_ready":`...)
	b = strconv.AppendBool(b, d.RewardReady)
	return append(b, '}')
}

// UserProgressDoc returns, from a user's progress value (a JSON array of
// MissionProgressDoc, as the scorers publish it), the document of mission's
// window starting at start; ok is false when the value has none.
func UserProgressDoc(value []byte, mission string, start time.Time) (doc []byte, ok bool, err error) {
	var docs []json.RawMessage
	if err := json.Unmarshal(value, &docs); err != nil {
		return nil, false, fmt.Errorf("contest: mission progress value: %w", err)
	}
	want := start.UTC().Format(time.RFC3339)
	for _, d := range docs {
		var head struct {
			Mission string `json:"mission"`
			Window  string `json:"window"`
		}
		if err := json.Unmarshal(d, &head); err != nil {
			return nil, false, fmt.Errorf("contest: mission progress document: %w", err)
		}
		if head.Mission == mission && head.Window == want {
			return d, true, nil
		}
	}
	return nil, false, nil
}
