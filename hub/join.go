package hub

import "github.com/townhall/townhall/session"

// JoinState is what a join checks before it appends, as this replica
// knows it now: how many participants the session has and whether it has
// ended.
func (h *Hub) JoinState() (participants int, ended bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.state.Participants), h.state.Ended
}

// CheckJoin says whether the session would take a join with these fields
// (its constituency), as this replica knows it now, so that a refused
// join is answered before anything is appended.
func (h *Hub) CheckJoin(c session.Command) *session.Error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	_, err := h.state.JoinConstituency(c.Constituency)
	return err
}

// JoinInfo is what a phone shows before it joins: the session's title and
// the constituencies it may choose from (POST /api/join/preview).
type JoinInfo struct {
	Title          string            `json:"title"`
	Titles         map[string]string `json:"titles,omitempty"`
	Languages      []string          `json:"languages,omitempty"`
	Constituencies []string          `json:"constituencies"`
	// ConstituencyNames are each constituency's names per language, for
	// the phone to show its own (session.State.ConstituencyNames).
	ConstituencyNames []map[string]string `json:"constituencyNames,omitempty"`
}

// JoinInfo is the session's JoinInfo as this replica knows it now.
func (h *Hub) JoinInfo() JoinInfo {
	h.mu.RLock()
	defer h.mu.RUnlock()
	s := h.state
	cons := s.Constituencies
	if cons == nil {
		cons = []string{}
	}
	return JoinInfo{Title: s.Title, Titles: s.Titles.Map(), Languages: s.Languages, Constituencies: cons,
		ConstituencyNames: s.ConstituencyNames()}
}
