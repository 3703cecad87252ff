package app

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rankstream/rankstream/admin"
)

// Operator actions (freeze, unfreeze, finalize) are recorded in Postgres by
// the process whose admin API took them. Every process puts them in force:
// the recording process publishes a note on actionsSubject and every
// process then reads the actions recorded since the last it applied (and
// does so every actionsPoll anyway, should a note be lost). So a finalize
// shows `final` in every process's /v1/leaderboards at once, and every
// process's scorers stop counting the window.

const (
	actionsSubject = "rankstream.admin.actions"
	actionsPoll    = 2 * time.Second
)

// loadActions puts the recorded freezes and finalizes in force.
func (a *App) loadActions(ctx context.Context) error {
	if a.Versions == nil {
		return nil
	}
	if err := a.applyNewActions(ctx); err != nil {
		return fmt.Errorf("app: contest actions: %w", err)
	}
	return nil
}

// applyNewActions applies the actions recorded after the last one applied.
func (a *App) applyNewActions(ctx context.Context) error {
	as, err := a.Versions.Actions(ctx, "")
	if err != nil {
		return err
	}
	for _, act := range as {
		if act.ID <= a.actionsSeen {
			continue
		}
		admin.Apply(a.Rules, act)
		a.actionsSeen = act.ID
		if a.Streams != nil { // not at start
			a.log.Info("operator action put in force", "contest", act.Contest, "action", act.Action, "effective_at", act.EffectiveAt)
		}
	}
	return nil
}

// announceAction tells every process that an action was recorded
// (admin.Options.OnAction).
func (a *App) announceAction(act admin.Action) {
	data, _ := json.Marshal(map[string]any{"contest": act.Contest, "action": act.Action})
	if err := a.Streams.NC.Publish(actionsSubject, data); err != nil {
		a.log.Warn("action note not published; other processes read it within "+actionsPoll.String(), "err", err)
	}
}

// followActions subscribes to the notes now (so none sent after New is
// missed) and follows them while the process runs.
func (a *App) followActions(context.Context) error {
	notes := make(chan *nats.Msg, 16)
	sub, err := a.Streams.NC.ChanSubscribe(actionsSubject, notes)
	if err != nil {
		return fmt.Errorf("app: action notes: %w", err)
	}
	a.cleanup.push(func() { _ = sub.Unsubscribe() })
	a.goStage("actions", func(ctx context.Context) error {
		t := time.NewTicker(actionsPoll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-notes:
			case <-t.C:
			}
			if err := a.applyNewActions(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("operator actions not read; retrying", "err", err)
			}
		}
	})
	return nil
}
