package contest

// CompletionStep is the step name of a mission's completion reward
// (CONTRACT.md §7 reward ids).
const CompletionStep = "completion"

// RewardStatus tells what became of a mission reward: stored false when the
// rewards stage has not stored it (yet); claimable when it waits for the
// player's claim (pending).
type RewardStatus func(step string) (stored, claimable bool)

// ReadyWith is reward_ready of doc consulting the claim status: a reward
// waits to be claimed when a done step (or the completion) with a reward
// has one that is claimable, or has none stored yet on a mission without
// auto_grant (the rewards stage is about to store it pending). A claimed,
// granted, held or expired reward does not wait.
func (m *Mission) ReadyWith(doc MissionProgressDoc, status RewardStatus) bool {
	all := len(doc.Steps) == len(m.Steps)
	waits := func(step string) bool {
		stored, claimable := status(step)
		return claimable || (!stored && !m.AutoGrant)
	}
	for i, s := range doc.Steps {
		all = all && s.Done
		if i < len(m.Steps) && s.Done && m.Steps[i].Reward != nil && waits(m.Steps[i].ID) {
			return true
		}
	}
	return all && m.Completion != nil && waits(CompletionStep)
}
