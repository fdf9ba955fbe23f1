package hub

// JoinState is what a join checks before it appends, as this replica
// knows it now: how many participants the session has and whether it has
// ended.
func (h *Hub) JoinState() (participants int, ended bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.state.Participants), h.state.Ended
}
