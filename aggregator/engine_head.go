package aggregator

// headHint remembers the user a partition looked up last and the first node
// of that user's windows: an event is scored for every contest, and each
// contest's window lookup would otherwise search the user table again (a
// hash of the id and a cache miss or two per contest). Every change of a
// user's first node goes through setHead or delUser, which keep it
// current, so it is never stale.
type headHint struct {
	user string
	head *userWin // nil: the user holds no window
	ok   bool
}

// head returns the first node of user's windows, or nil.
func (ps *partState) head(user string) *userWin {
	if ps.hint.ok && ps.hint.user == user {
		return ps.hint.head
	}
	h := ps.users.get(user)
	ps.hint = headHint{user: user, head: h, ok: true}
	return h
}

// setHead makes n, which holds its user's id, the first node of that user.
func (ps *partState) setHead(n *userWin) {
	ps.users.set(n)
	if ps.hint.ok && ps.hint.user == n.user {
		ps.hint.head = n
	}
}

// delUser drops user from the table.
func (ps *partState) delUser(user string) {
	ps.users.del(user)
	if ps.hint.ok && ps.hint.user == user {
		ps.hint.head = nil
	}
}
