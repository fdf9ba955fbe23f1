package session

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"time"
)

// Queue is a list of speakers with a speaking timer. The order in which the
// floor is given is computed from the raised hands, the policy and the
// record, so that every replica agrees on it.
type Queue struct {
	SpeakingSeconds int `json:"speakingSeconds"`
	// Constituencies are the queue's own list's identities: each one's
	// name in the session's default language when the list was given.
	Constituencies []string `json:"constituencies"`
	// ConstituencyTexts are their names per language, when the queue's
	// own list was given so (nil for plain names, and for the session's
	// list, which the session translates).
	ConstituencyTexts []Text `json:"constituencyTexts,omitempty"`
	Policy            string `json:"policy"`
	// OrderApproval holds points of order raised from phones where the
	// policy puts them until queue.approve sends them to the front: a
	// room where any phone could jump the queue needs it.
	OrderApproval bool `json:"orderApproval,omitempty"`
	// Waiting holds the raised hands in raise order, not in floor order.
	Waiting  []*Hand   `json:"waiting"`
	Speaking *Turn     `json:"speaking,omitempty"`
	Speeches []*Speech `json:"speeches"`

	// Derived, rebuilt by restore.
	byHand        map[string]*Hand  // waiting hands by id
	byParticipant map[string]*Hand  // waiting hands by participant (none for hands added by hand)
	spoke         map[string]bool   // speakers (speakerKey) with a finished turn
	lastTurn      map[string]int    // folded constituency → 1 + index of its latest speech
	consKey       map[string]string // folded name in any language → its identity
	consText      map[string]Text   // identity → its names per language (the queue's own list's)
	order         []*Hand           // Waiting in floor order
	stats         []StatView
}

// Hand is a participant's request for the floor.
type Hand struct {
	ID           string    `json:"id"`
	Participant  string    `json:"participant"`
	Name         string    `json:"name"`
	Constituency string    `json:"constituency"`
	Kind         string    `json:"kind"`
	RaisedAt     time.Time `json:"raisedAt"`
	// Seq is the offset of the raise: the raise order.
	Seq uint64 `json:"seq"`
	// Placed hands were moved by the facilitator to Index; MovedAt (the
	// offset of the last move) decides between two claiming one index.
	Placed  bool   `json:"placed,omitempty"`
	Index   int    `json:"index,omitempty"`
	MovedAt uint64 `json:"movedAt,omitempty"`
	// ByHand hands were added by the facilitator for someone without a
	// phone (queue.add): they have no participant.
	ByHand bool `json:"byHand,omitempty"`
	// Held is a point of order that waits for queue.approve (a queue with
	// OrderApproval); until then the policy places it like a hand to
	// speak.
	Held bool `json:"held,omitempty"`

	// Derived by refreshOrder: the 1-based place in the floor order, and
	// for a placed hand the index it was given after ties were settled.
	place int
	slot  int
	// key is the folded constituency, set when the hand is added or
	// restored: "alternate" groups by it on every change of the order,
	// and folding each hand's text each time was most of a raise's cost.
	key string
}

// Turn is the hand that has the floor, with its timer. Time spoken is
// ElapsedMS plus, while running, the time since RunningSince.
type Turn struct {
	Hand         string `json:"hand"`
	Participant  string `json:"participant"`
	Name         string `json:"name"`
	Constituency string `json:"constituency"`
	// Kind is the hand's: a point of order stays one in the record.
	Kind         string    `json:"kind,omitempty"`
	StartedAt    time.Time `json:"startedAt"`
	LimitSeconds int       `json:"limitSeconds"`
	Paused       bool      `json:"paused"`
	RunningSince time.Time `json:"runningSince"` // zero while paused
	ElapsedMS    int64     `json:"elapsedMS"`
	ByHand       bool      `json:"byHand,omitempty"`
}

// Speech is a finished turn. MS is the time actually spoken, pauses
// excluded, in milliseconds of event time.
type Speech struct {
	Hand         string    `json:"hand"`
	Participant  string    `json:"participant"`
	Name         string    `json:"name"`
	Constituency string    `json:"constituency"`
	Kind         string    `json:"kind,omitempty"` // empty in records made before it was kept
	StartedAt    time.Time `json:"startedAt"`
	EndedAt      time.Time `json:"endedAt"`
	MS           int64     `json:"ms"`
	ByHand       bool      `json:"byHand,omitempty"`
}

// speakerKey names a speaker for "firsttime": the participant, or for
// someone added by hand, who has no participant, the folded name: the
// same name added twice is taken for the same person. Participant ids
// start with "p", so the two never meet.
func speakerKey(participant, name string) string {
	if participant != "" {
		return participant
	}
	return "~" + foldKey(name)
}

// Queue policies: the order of hands that are neither points of order nor
// placed by the facilitator.
const (
	PolicyFIFO      = "fifo"      // by raise order
	PolicyAlternate = "alternate" // the constituency that spoke least recently next
	PolicyFirstTime = "firsttime" // those who have not spoken yet first
)

// Hand kinds.
const (
	HandSpeak = "speak"
	HandOrder = "order" // a point of order: to the front, after earlier ones
)

const (
	queueDefaultSeconds  = 180
	queueMinSeconds      = 10
	queueMaxSeconds      = 7200
	queueMaxConstituency = 50
	queueMaxText         = 80 // names and constituencies, in code points
	queueOther           = "other"
	queueDefaultAdd      = 60
	queueMaxAdd          = 3600
	queueMaxLimit        = 36000
)

// queueSpec is the queue's own part of a spec.
type queueSpec struct {
	OrderApproval bool `json:"orderApproval"`
}

func newQueue(spec *ActivitySpec) (*Queue, *Error) {
	var own queueSpec
	if err := spec.Decode(&own); err != nil {
		return nil, errorf(CodeBadRequest, "orderApproval must be true or false.")
	}
	q := &Queue{SpeakingSeconds: spec.SpeakingSeconds, Policy: spec.Policy, Constituencies: []string{}, OrderApproval: own.OrderApproval}
	if q.SpeakingSeconds == 0 {
		q.SpeakingSeconds = queueDefaultSeconds
	}
	if q.SpeakingSeconds < queueMinSeconds || q.SpeakingSeconds > queueMaxSeconds {
		return nil, errorf(CodeBadRequest, "speakingSeconds must be "+strconv.Itoa(queueMinSeconds)+" to "+strconv.Itoa(queueMaxSeconds)+".")
	}
	if q.Policy == "" {
		q.Policy = PolicyFIFO
	}
	if !validPolicy(q.Policy) {
		return nil, errorf(CodeBadRequest, "policy must be fifo, alternate or firsttime.")
	}
	names, err := spec.TextList("constituencies", spec.Constituencies)
	if err != nil {
		return nil, err
	}
	if len(names) > queueMaxConstituency {
		return nil, errorf(CodeBadRequest, "A queue has at most "+strconv.Itoa(queueMaxConstituency)+" constituencies.")
	}
	def := first(spec.langs)
	seen := map[string]bool{}
	translated := false
	texts := make([]Text, 0, len(names))
	for _, n := range names {
		t, err := spec.cleanText(n, queueMaxText, false)
		if err != nil {
			return nil, errorf(CodeBadRequest, "Constituency \""+n.In("", def)+"\": "+err.Message)
		}
		// As for the session's list: the identity is the default
		// language's name, so a translated one must have it.
		if t.Translated() && def != "" {
			if _, ok := t[def]; !ok {
				return nil, errorf(CodeBadRequest, "Constituency \""+t.In("", def)+"\" has no name in "+def+", the session's default language.")
			}
		}
		// No two constituencies share a name in any language, or a
		// French phone's choice would name two of them.
		for _, name := range t {
			k := foldKey(name)
			if seen[k] {
				return nil, errorf(CodeBadRequest, "Constituency \""+name+"\" is listed twice.")
			}
			seen[k] = true
		}
		translated = translated || t.Translated()
		texts = append(texts, t)
		q.Constituencies = append(q.Constituencies, t.In("", def))
	}
	if translated {
		q.ConstituencyTexts = texts
	}
	q.restore()
	return q, nil
}

// sessionDefaults gives a queue created without constituencies the
// session's (PROTOCOL.md 1.2): copied when it is made, so that a later
// change of the session's list does not reorder a queue in progress.
func (q *Queue) sessionDefaults(s *State) {
	if len(q.Constituencies) > 0 || len(s.Constituencies) == 0 {
		return
	}
	q.Constituencies = append([]string(nil), s.Constituencies...)
	q.restore()
}

func validPolicy(p string) bool {
	return p == PolicyFIFO || p == PolicyAlternate || p == PolicyFirstTime
}

func (q *Queue) restore() {
	if q.Constituencies == nil {
		q.Constituencies = []string{}
	}
	q.consKey = make(map[string]string, len(q.Constituencies))
	q.consText = make(map[string]Text, len(q.ConstituencyTexts))
	for i, c := range q.Constituencies {
		q.consKey[foldKey(c)] = c
		if i < len(q.ConstituencyTexts) {
			q.consText[c] = q.ConstituencyTexts[i]
			for _, name := range q.ConstituencyTexts[i] {
				q.consKey[foldKey(name)] = c
			}
		}
	}
	q.byHand = make(map[string]*Hand, len(q.Waiting))
	q.byParticipant = make(map[string]*Hand, len(q.Waiting))
	for _, h := range q.Waiting {
		q.byHand[h.ID] = h
		if h.Participant != "" {
			q.byParticipant[h.Participant] = h
		}
		h.key = foldKey(h.Constituency)
	}
	q.spoke = map[string]bool{}
	q.lastTurn = map[string]int{}
	for i, s := range q.Speeches {
		q.spoke[speakerKey(s.Participant, s.Name)] = true
		q.lastTurn[foldKey(s.Constituency)] = i + 1
	}
	q.refreshOrder()
	q.refreshStats()
}

func init() {
	register(Kind{
		Name: KindQueue, Field: "queue",
		Revealed: Revealed{Attendees: true, Display: true},
		New:      func(spec *ActivitySpec) (Body, *Error) { return newQueue(spec) },
		Empty:    func() Body { return &Queue{} },
		Ops: map[string]Op{
			"hand.raise":   {Role: Attendee, Fn: handRaise},
			"hand.lower":   {Role: Attendee, Fn: handLower},
			"queue.next":   {Role: Facilitator, Fn: queueNext},
			"queue.move":   {Role: Facilitator, Fn: queueMove},
			"queue.remove": {Role: Facilitator, Fn: queueRemove},
			"queue.readd":  {Role: Facilitator, Fn: queueReadd},
			"queue.timer":  {Role: Facilitator, Fn: queueTimer},
			"queue.policy": {Role: Facilitator, Fn: queuePolicy},
			// The hybrid room (PROTOCOL.md 1.2, "The team").
			"queue.add":     {Role: Facilitator, Fn: queueAdd},
			"queue.edit":    {Role: Facilitator, Args: true, Fn: queueEdit},
			"queue.approve": {Role: Facilitator, Fn: queueApprove},
		},
	})
}

// constituency is the stored form of what a participant chose: the
// configured spelling, "other", or, with no list configured, the cleaned text,
// which may be empty: a queue without constituencies does not ask for one.
//
// Before version 1.1 rules (v11 false) a hand always needed one, so that an
// old log folds as it did.
func (q *Queue) constituency(s string, v11 bool) (string, *Error) {
	c, err := cleanText(s, queueMaxText, true)
	if err != nil {
		return "", err
	}
	if len(q.Constituencies) == 0 && (c != "" || v11) {
		return c, nil
	}
	if c == "" {
		return "", errorf(CodeBadRequest, "Choose a constituency.")
	}
	k := foldKey(c)
	if name, ok := q.consKey[k]; ok {
		return name, nil
	}
	if k == queueOther {
		return queueOther, nil
	}
	return "", errorf(CodeBadRequest, "Choose one of the constituencies, or \"other\".")
}

// constituencyOf is constituency for a name in any of the session's
// languages: "Société civile" is the queue's entry that names the same
// constituency of the session's list, in whichever language the queue's
// own list (one written in a French console, say) spells it.
func (q *Queue) constituencyOf(a *Activity, s string, v11 bool) (string, *Error) {
	if c, err := cleanText(s, queueMaxText, true); err == nil && c != "" && a.s != nil {
		if i := a.s.constituencyIndex(c); i >= 0 {
			for _, qc := range q.Constituencies {
				if a.s.constituencyIndex(qc) == i {
					return qc, nil
				}
			}
		}
	}
	return q.constituency(s, v11)
}

// inQueue says whether a participant is waiting or speaking. Hands added
// by hand have no participant: "" is never in the queue.
func (q *Queue) inQueue(participant string) bool {
	if participant == "" {
		return false
	}
	return q.byParticipant[participant] != nil || (q.Speaking != nil && q.Speaking.Participant == participant)
}

// byHandQueued says whether someone added by hand with that name and
// constituency waits or speaks: two consoles adding the same person at
// once must not put them in twice.
func (q *Queue) byHandQueued(name, constituency string) bool {
	k, c := foldKey(name), foldKey(constituency)
	if t := q.Speaking; t != nil && t.ByHand && foldKey(t.Name) == k && foldKey(t.Constituency) == c {
		return true
	}
	for _, h := range q.Waiting {
		if h.ByHand && foldKey(h.Name) == k && h.key == c {
			return true
		}
	}
	return false
}

func handRaise(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	q := a.Body.(*Queue)
	if err := needOpen(a); err != nil {
		return Result{}, nil, err
	}
	if q.inQueue(e.Actor) {
		return Result{}, nil, errorf(CodeBadRequest, "You are already in the queue.")
	}
	name, err := cleanText(e.Cmd.Name, queueMaxText, false)
	if err != nil {
		return Result{}, nil, errorf(CodeBadRequest, "Name: "+err.Message)
	}
	cons, err := q.constituencyOf(a, e.Cmd.Constituency, a.v11())
	if err != nil {
		return Result{}, nil, err
	}
	kind, err := handKind(e.Cmd.Kind)
	if err != nil {
		return Result{}, nil, err
	}
	id := "h" + strconv.FormatUint(e.Offset, 10)
	if dry {
		return Result{Hand: id}, nil, nil
	}
	h := &Hand{ID: id, Participant: e.Actor, Name: name, Constituency: cons, Kind: kind, RaisedAt: e.Time, Seq: e.Offset,
		Held: kind == HandOrder && q.OrderApproval}
	q.add(h)
	if q.Policy == PolicyFIFO && (kind == HandSpeak || h.Held) {
		return Result{Hand: id}, q.appendFIFO(h), nil
	}
	return Result{Hand: id}, with(q.refreshOrder(), e.Actor), nil
}

// handKind is a hand's kind as sent: "speak" when absent.
func handKind(k string) (string, *Error) {
	switch k {
	case "":
		return HandSpeak, nil
	case HandSpeak, HandOrder:
		return k, nil
	}
	return "", errorf(CodeBadRequest, "kind must be \"speak\" or \"order\".")
}

// appendFIFO puts a new hand into the floor order where refreshOrder would,
// without computing the whole order again: in a first-come queue a hand
// to speak comes after every hand there but the placed ones that wait at
// the end only because nobody else was left (their index lies beyond the
// queue). That keeps a raise's cost flat however long the queue is. It
// returns the participants whose place changed, the raiser first.
func (q *Queue) appendFIFO(h *Hand) []string {
	j := len(q.order)
	for j > 0 && q.order[j-1].Placed && q.order[j-1].slot > j-1 {
		j--
	}
	q.order = append(q.order, nil)
	copy(q.order[j+1:], q.order[j:])
	q.order[j] = h
	var you []string
	for i := j; i < len(q.order); i++ {
		q.order[i].place = i + 1
		if p := q.order[i].Participant; p != "" {
			you = append(you, p)
		}
	}
	return you
}

// with is list with p added first, unless it is there or is no
// participant (a hand added by hand).
func with(list []string, p string) []string {
	if p == "" || slices.Contains(list, p) {
		return list
	}
	return append([]string{p}, list...)
}

// merge appends to a, a short list, what b has that a lacks, in b's order.
// b has no duplicates (one hand per participant), so only a is searched.
func merge(a, b []string) []string {
	head := len(a)
	for _, p := range b {
		if !slices.Contains(a[:head], p) {
			a = append(a, p)
		}
	}
	return a
}

func (q *Queue) add(h *Hand) {
	h.key = foldKey(h.Constituency)
	q.Waiting = append(q.Waiting, h)
	q.byHand[h.ID] = h
	if h.Participant != "" {
		q.byParticipant[h.Participant] = h
	}
}

// leave takes a waiting hand out. Placed hands behind it move up one place,
// as the facilitator put them at a distance from the front: when someone
// ahead leaves (or gets the floor) they come closer, so that a hand placed
// third does not stay third for ever. Called with q.order up to date.
func (q *Queue) leave(h *Hand) {
	pos := -1
	for i, o := range q.order {
		if o == h {
			pos = i
			break
		}
	}
	for i, w := range q.Waiting {
		if w == h {
			q.Waiting = append(q.Waiting[:i:i], q.Waiting[i+1:]...)
			break
		}
	}
	delete(q.byHand, h.ID)
	if q.byParticipant[h.Participant] == h {
		delete(q.byParticipant, h.Participant)
	}
	h.place = 0
	for _, w := range q.Waiting {
		if pos >= 0 && w.Placed && w.Index > pos {
			w.Index--
		}
	}
}

func handLower(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	q := a.Body.(*Queue)
	h := q.byParticipant[e.Actor]
	if h == nil {
		return Result{}, nil, errorf(CodeNotFound, "Your hand is not raised.")
	}
	if dry {
		return Result{}, []string{e.Actor}, nil
	}
	q.leave(h)
	return Result{}, with(q.refreshOrder(), e.Actor), nil
}

func queueNext(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	q := a.Body.(*Queue)
	// The facilitator says whose turn they saw end: a click replayed
	// after the floor changed hands must not end someone else's turn.
	if cur := e.Cmd.Current; cur != nil {
		holder := ""
		if q.Speaking != nil {
			holder = q.Speaking.Hand
		}
		if *cur != holder {
			if q.Speaking == nil {
				return Result{}, nil, errorf(CodeConflict, "Nobody has the floor now: nothing was changed.").with(ReasonFloorEmpty, 0, "")
			}
			return Result{}, nil, errorf(CodeConflict, q.Speaking.Name+" has the floor now: nothing was changed.").with(ReasonFloorTaken, 0, q.Speaking.Name)
		}
	}
	if dry {
		return Result{}, nil, nil
	}
	you := q.endTurn(e.Time)
	if len(q.order) > 0 {
		h := q.order[0]
		q.leave(h)
		q.Speaking = &Turn{Hand: h.ID, Participant: h.Participant, Name: h.Name, Constituency: h.Constituency, Kind: h.Kind,
			StartedAt: e.Time, RunningSince: e.Time, LimitSeconds: q.SpeakingSeconds, ByHand: h.ByHand}
		if h.Participant != "" {
			you = append(you, h.Participant)
		}
		you = merge(you, q.refreshOrder())
	}
	return Result{}, you, nil
}

// endTurn records the current speaker's turn as ended at the given time,
// if someone has the floor, and returns that participant, then those whose
// place changed (a policy may order the queue by who spoke).
func (q *Queue) endTurn(at time.Time) []string {
	t := q.Speaking
	if t == nil {
		return nil
	}
	s := &Speech{Hand: t.Hand, Participant: t.Participant, Name: t.Name, Constituency: t.Constituency, Kind: t.Kind,
		StartedAt: t.StartedAt, EndedAt: at, MS: t.spokenMS(at), ByHand: t.ByHand}
	q.Speeches = append(q.Speeches, s)
	q.spoke[speakerKey(s.Participant, s.Name)] = true
	q.lastTurn[foldKey(s.Constituency)] = len(q.Speeches)
	q.Speaking = nil
	moved := q.refreshOrder()
	q.refreshStats()
	return merge(with(nil, s.Participant), moved)
}

// spokenMS is the time spoken until now, pauses excluded. A time stamp
// earlier than the turn's (clocks of two appenders) counts as no time.
func (t *Turn) spokenMS(now time.Time) int64 {
	ms := t.ElapsedMS
	if !t.Paused {
		if d := now.Sub(t.RunningSince).Milliseconds(); d > 0 {
			ms += d
		}
	}
	return ms
}

func (q *Queue) waitingHand(id string) (*Hand, *Error) {
	if id == "" {
		return nil, errorf(CodeBadRequest, "The command needs a hand.")
	}
	h := q.byHand[id]
	if h == nil {
		return nil, errorf(CodeNotFound, "There is no such hand waiting.")
	}
	return h, nil
}

func queueMove(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	q := a.Body.(*Queue)
	h, err := q.waitingHand(e.Cmd.Hand)
	if err != nil {
		return Result{}, nil, err
	}
	if e.Cmd.To == nil {
		return Result{}, nil, errorf(CodeBadRequest, "queue.move needs \"to\".")
	}
	to := min(max(*e.Cmd.To, 0), len(q.Waiting)-1)
	if dry {
		return Result{}, nil, nil
	}
	h.Placed, h.Index, h.MovedAt = true, to, e.Offset
	return Result{}, q.refreshOrder(), nil
}

func queueRemove(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	q := a.Body.(*Queue)
	h, err := q.waitingHand(e.Cmd.Hand)
	if err != nil {
		return Result{}, nil, err
	}
	if dry {
		return Result{}, with(nil, h.Participant), nil
	}
	q.leave(h)
	return Result{}, with(q.refreshOrder(), h.Participant), nil
}

func queueReadd(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	q := a.Body.(*Queue)
	if len(q.Speeches) == 0 {
		return Result{}, nil, errorf(CodeNotFound, "Nobody has spoken yet.")
	}
	last := q.Speeches[len(q.Speeches)-1]
	if q.inQueue(last.Participant) || (last.ByHand && q.byHandQueued(last.Name, last.Constituency)) {
		return Result{}, nil, errorf(CodeBadRequest, "The last speaker is already in the queue.")
	}
	id := "h" + strconv.FormatUint(e.Offset, 10)
	if dry {
		return Result{Hand: id}, nil, nil
	}
	q.add(&Hand{ID: id, Participant: last.Participant, Name: last.Name, Constituency: last.Constituency,
		Kind: HandSpeak, RaisedAt: e.Time, Seq: e.Offset, Placed: true, Index: 0, MovedAt: e.Offset, ByHand: last.ByHand})
	return Result{Hand: id}, with(q.refreshOrder(), last.Participant), nil
}

// Refusal reasons of the hybrid queue's ops (Error.Reason).
const (
	ReasonAlreadyQueued   = "already_queued"     // Name, added by hand, waits or speaks
	ReasonNotPointOfOrder = "not_point_of_order" // queue.approve of a hand to speak
	ReasonNotHeld         = "not_held"           // queue.approve of a point of order already at the front
)

// queueAdd puts someone without a phone in the queue (a speaker on the
// video call, or in the room): a hand with no participant. The team adds
// it, so a point of order added by hand is approved by being added.
func queueAdd(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	q := a.Body.(*Queue)
	if err := needOpen(a); err != nil {
		return Result{}, nil, err
	}
	name, err := cleanText(e.Cmd.Name, queueMaxText, false)
	if err != nil {
		return Result{}, nil, errorf(CodeBadRequest, "Name: "+err.Message)
	}
	cons, err := q.constituencyOf(a, e.Cmd.Constituency, true)
	if err != nil {
		return Result{}, nil, err
	}
	kind, err := handKind(e.Cmd.Kind)
	if err != nil {
		return Result{}, nil, err
	}
	// Two consoles adding the same speaker at once: the second is told,
	// and the speaker is in the queue once.
	if q.byHandQueued(name, cons) {
		return Result{}, nil, errorf(CodeConflict, name+" is already in the queue: nothing was changed.").with(ReasonAlreadyQueued, 0, name)
	}
	id := "h" + strconv.FormatUint(e.Offset, 10)
	if dry {
		return Result{Hand: id}, nil, nil
	}
	q.add(&Hand{ID: id, Name: name, Constituency: cons, Kind: kind, RaisedAt: e.Time, Seq: e.Offset, ByHand: true})
	return Result{Hand: id}, q.refreshOrder(), nil
}

// queueEditArgs are queue.edit's own fields: absent leaves a field as it
// is, which a plain string could not tell from "".
type queueEditArgs struct {
	Name         *string `json:"name"`
	Constituency *string `json:"constituency"`
}

// queueEdit corrects a waiting hand's or the speaker's name or
// constituency (a phone that chose the wrong one, a name misheard). The
// record of finished turns is history and stays as it was.
func queueEdit(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	q := a.Body.(*Queue)
	var args queueEditArgs
	if err := e.Cmd.Decode(&args); err != nil {
		return Result{}, nil, errorf(CodeBadRequest, "name and constituency must be text.")
	}
	if e.Cmd.Hand == "" {
		return Result{}, nil, errorf(CodeBadRequest, "The command needs a hand.")
	}
	if args.Name == nil && args.Constituency == nil {
		return Result{}, nil, errorf(CodeBadRequest, "queue.edit needs \"name\" or \"constituency\".")
	}
	h := q.byHand[e.Cmd.Hand]
	t := q.Speaking
	if t != nil && t.Hand != e.Cmd.Hand {
		t = nil
	}
	if h == nil && t == nil {
		return Result{}, nil, errorf(CodeNotFound, "There is no such hand waiting or speaking.")
	}
	name, cons, participant := "", "", ""
	if h != nil {
		name, cons, participant = h.Name, h.Constituency, h.Participant
	} else {
		name, cons, participant = t.Name, t.Constituency, t.Participant
	}
	var err *Error
	if args.Name != nil {
		if name, err = cleanText(*args.Name, queueMaxText, false); err != nil {
			return Result{}, nil, errorf(CodeBadRequest, "Name: "+err.Message)
		}
	}
	if args.Constituency != nil {
		if cons, err = q.constituencyOf(a, *args.Constituency, a.v11()); err != nil {
			return Result{}, nil, err
		}
	}
	if dry {
		return Result{Hand: e.Cmd.Hand}, nil, nil
	}
	if h != nil {
		h.Name, h.Constituency, h.key = name, cons, foldKey(cons)
	} else {
		t.Name, t.Constituency = name, cons
	}
	// "alternate" orders by constituency, the speaker's included.
	return Result{Hand: e.Cmd.Hand}, with(q.refreshOrder(), participant), nil
}

// queueApprove sends a held point of order to the front.
func queueApprove(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	q := a.Body.(*Queue)
	h, err := q.waitingHand(e.Cmd.Hand)
	if err != nil {
		return Result{}, nil, err
	}
	if h.Kind != HandOrder {
		return Result{}, nil, errorf(CodeBadRequest, "That hand is not a point of order: nothing was changed.").with(ReasonNotPointOfOrder, 0, "")
	}
	// Approved already (by another console) or never held.
	if !h.Held {
		return Result{}, nil, errorf(CodeConflict, "That point of order is not waiting for approval: nothing was changed.").with(ReasonNotHeld, 0, "")
	}
	if dry {
		return Result{Hand: h.ID}, nil, nil
	}
	h.Held = false
	return Result{Hand: h.ID}, with(q.refreshOrder(), h.Participant), nil
}

func queueTimer(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	t := a.Body.(*Queue).Speaking
	if t == nil {
		return Result{}, nil, errorf(CodeBadRequest, "Nobody has the floor.")
	}
	switch e.Cmd.Action {
	case "pause":
		// Pausing a paused timer (two clicks at once) changes nothing.
		if !dry && !t.Paused {
			t.ElapsedMS = t.spokenMS(e.Time)
			t.Paused, t.RunningSince = true, time.Time{}
		}
	case "resume":
		if !dry && t.Paused {
			t.Paused, t.RunningSince = false, e.Time
		}
	case "add":
		s := queueDefaultAdd
		if e.Cmd.Seconds != nil {
			s = *e.Cmd.Seconds
		}
		if s < -queueMaxAdd || s > queueMaxAdd {
			return Result{}, nil, errorf(CodeBadRequest, "seconds must be -"+strconv.Itoa(queueMaxAdd)+" to "+strconv.Itoa(queueMaxAdd)+".")
		}
		if !dry {
			// The limit stays within what "set" may set, and never below zero.
			t.LimitSeconds = min(max(t.LimitSeconds+s, 0), queueMaxLimit)
		}
	case "set":
		if e.Cmd.Seconds == nil || *e.Cmd.Seconds < 1 || *e.Cmd.Seconds > queueMaxLimit {
			return Result{}, nil, errorf(CodeBadRequest, "seconds must be 1 to "+strconv.Itoa(queueMaxLimit)+".")
		}
		if !dry {
			t.LimitSeconds = *e.Cmd.Seconds
		}
	default:
		return Result{}, nil, errorf(CodeBadRequest, "action must be pause, resume, add or set.")
	}
	return Result{}, nil, nil
}

func queuePolicy(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	q := a.Body.(*Queue)
	if !validPolicy(e.Cmd.Policy) {
		return Result{}, nil, errorf(CodeBadRequest, "policy must be fifo, alternate or firsttime.")
	}
	if dry {
		return Result{}, nil, nil
	}
	q.Policy = e.Cmd.Policy
	return Result{}, q.refreshOrder(), nil
}

// refreshOrder computes the order in which the floor will be given, by
// simulating the turns one place at a time: a placed hand takes its place
// (the most recently moved first when two claim one index, the other right
// after it), except that points of order, by raise order, go before
// everyone: they promise the front. Then the policy chooses. Each simulated turn counts for "alternate" as its
// constituency speaking, so the list shown is the list that queue.next
// will follow, whatever happens in between but new hands and moves.
// It returns the participants whose place changed, in floor order; those
// who left the queue are their callers' to report.
func (q *Queue) refreshOrder() []string {
	var placed, orders, rest []*Hand
	for _, h := range q.Waiting {
		switch {
		case h.Placed:
			placed = append(placed, h)
		case h.Kind == HandOrder && !h.Held:
			orders = append(orders, h)
		default:
			rest = append(rest, h)
		}
	}
	// Waiting is in raise order, and stable sorts keep it for ties.
	sort.SliceStable(placed, func(i, j int) bool {
		if placed[i].Index != placed[j].Index {
			return placed[i].Index < placed[j].Index
		}
		return placed[i].MovedAt > placed[j].MovedAt
	})
	slots := make([]int, len(placed))
	for i, h := range placed {
		slots[i] = h.Index
		if i > 0 && slots[i] <= slots[i-1] {
			slots[i] = slots[i-1] + 1
		}
		h.slot = slots[i]
	}
	p := q.newPicker(rest)
	out := make([]*Hand, 0, len(q.Waiting))
	for len(out) < len(q.Waiting) {
		var h *Hand
		switch {
		case len(orders) > 0:
			h, orders = orders[0], orders[1:]
		case len(placed) > 0 && (slots[0] <= len(out) || !p.more()):
			h, placed, slots = placed[0], placed[1:], slots[1:]
		default:
			h = p.next()
		}
		p.spoke(h)
		out = append(out, h)
	}
	q.order = out
	var moved []string
	for i, h := range out {
		if h.place != i+1 {
			h.place = i + 1
			if h.Participant != "" {
				moved = append(moved, h.Participant)
			}
		}
	}
	return moved
}

// picker gives the policy's next hand among those neither placed nor
// points of order.
type picker struct {
	flat   []*Hand       // fifo and firsttime: the order itself
	groups []*queueGroup // alternate: constituencies, the next to speak first
}

type queueGroup struct {
	key   string
	hands []*Hand // in raise order
}

func (q *Queue) newPicker(rest []*Hand) *picker {
	switch q.Policy {
	case PolicyFirstTime:
		flat := make([]*Hand, 0, len(rest))
		for _, h := range rest {
			if !q.spoke[speakerKey(h.Participant, h.Name)] {
				flat = append(flat, h)
			}
		}
		for _, h := range rest {
			if q.spoke[speakerKey(h.Participant, h.Name)] {
				flat = append(flat, h)
			}
		}
		return &picker{flat: flat}
	case PolicyAlternate:
		// Groups are made in order of their earliest hand, then sorted
		// by when they last spoke (never first), stably: after each turn
		// the group that spoke goes to the end, which keeps the rotation
		// sorted by recency.
		var groups []*queueGroup
		byKey := map[string]*queueGroup{}
		for _, h := range rest {
			k := h.key
			g := byKey[k]
			if g == nil {
				g = &queueGroup{key: k}
				byKey[k] = g
				groups = append(groups, g)
			}
			g.hands = append(g.hands, h)
		}
		// The constituency speaking now spoke the most recently.
		speaking := ""
		if q.Speaking != nil {
			speaking = foldKey(q.Speaking.Constituency)
		}
		rank := func(k string) int {
			if q.Speaking != nil && k == speaking {
				return len(q.Speeches) + 1
			}
			return q.lastTurn[k]
		}
		sort.SliceStable(groups, func(i, j int) bool { return rank(groups[i].key) < rank(groups[j].key) })
		return &picker{groups: groups}
	}
	return &picker{flat: rest}
}

func (p *picker) more() bool { return len(p.flat) > 0 || len(p.groups) > 0 }

func (p *picker) next() *Hand {
	if len(p.groups) == 0 {
		h := p.flat[0]
		p.flat = p.flat[1:]
		return h
	}
	g := p.groups[0]
	h := g.hands[0]
	g.hands = g.hands[1:]
	if len(g.hands) == 0 {
		p.groups = p.groups[1:]
		return h
	}
	// The group goes to the end, in place: appending after slicing the
	// front off made a new array every few turns.
	copy(p.groups, p.groups[1:])
	p.groups[len(p.groups)-1] = g
	return h
}

// spoke records a simulated turn: its constituency becomes the one that
// spoke most recently.
func (p *picker) spoke(h *Hand) {
	if len(p.groups) == 0 {
		return
	}
	k := h.key
	for i, g := range p.groups {
		if g.key == k {
			// In place: a new slice per simulated turn was most of the
			// cost of an alternating queue's order.
			copy(p.groups[i:], p.groups[i+1:])
			p.groups[len(p.groups)-1] = g
			return
		}
	}
}

// refreshStats counts finished turns per constituency: the configured ones
// in their order (those with no turn too), then the others alphabetically.
// Seconds are summed in milliseconds and rounded once.
func (q *Queue) refreshStats() {
	type row struct {
		name  string
		turns int
		ms    int64
	}
	rows := make([]*row, 0, len(q.Constituencies)+1)
	byKey := map[string]*row{}
	for _, c := range q.Constituencies {
		r := &row{name: c}
		rows = append(rows, r)
		byKey[foldKey(c)] = r
	}
	var others []*row
	otherKey := map[*row]string{}
	for _, s := range q.Speeches {
		k := foldKey(s.Constituency)
		r := byKey[k]
		if r == nil {
			r = &row{name: s.Constituency}
			byKey[k] = r
			otherKey[r] = k
			others = append(others, r)
		}
		r.turns++
		r.ms += s.MS
	}
	sort.Slice(others, func(i, j int) bool {
		if otherKey[others[i]] != otherKey[others[j]] {
			return otherKey[others[i]] < otherKey[others[j]]
		}
		return others[i].name < others[j].name
	})
	rows = append(rows, others...)
	q.stats = make([]StatView, len(rows))
	for i, r := range rows {
		q.stats[i] = StatView{Constituency: r.name, Turns: r.turns, Seconds: tenths(r.ms)}
	}
}

// tenths reports milliseconds as seconds rounded to 0.1: the record is kept
// to the millisecond, and a tenth is as precise as a speaking time means.
func tenths(ms int64) float64 { return math.Round(float64(ms)/100) / 10 }

// queueTime formats times with milliseconds: pages count down from
// runningSince, and whole seconds would put the countdown off by up to one.
func queueTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// HandView is a waiting hand.
type HandView struct {
	Hand         string `json:"hand"`
	Name         string `json:"name"`
	Constituency string `json:"constituency"`
	Kind         string `json:"kind"`
	RaisedAt     string `json:"raisedAt"`
	Placed       bool   `json:"placed,omitempty"`
	ByHand       bool   `json:"byHand,omitempty"`
	Held         bool   `json:"held,omitempty"`
}

// SpeakingView is the speaker with the floor. Time left is LimitSeconds -
// ElapsedSeconds - (now - RunningSince); ElapsedSeconds is exact to the
// millisecond because the pages count down from it.
type SpeakingView struct {
	Hand           string  `json:"hand"`
	Name           string  `json:"name"`
	Constituency   string  `json:"constituency"`
	StartedAt      string  `json:"startedAt"`
	LimitSeconds   int     `json:"limitSeconds"`
	Paused         bool    `json:"paused"`
	RunningSince   *string `json:"runningSince"`
	ElapsedSeconds float64 `json:"elapsedSeconds"`
	ByHand         bool    `json:"byHand,omitempty"`
}

// StatView is the floor time of one constituency, finished turns only.
type StatView struct {
	Constituency string  `json:"constituency"`
	Turns        int     `json:"turns"`
	Seconds      float64 `json:"seconds"`
}

// SpeechView is one finished turn in the export; Seconds is rounded to 0.1.
// Kind is "speak" or "order" ("" for a turn recorded before kinds were
// kept); FirstTime says it was the speaker's first turn in this queue.
type SpeechView struct {
	Hand         string  `json:"hand"`
	Name         string  `json:"name"`
	Constituency string  `json:"constituency"`
	Kind         string  `json:"kind,omitempty"`
	FirstTime    bool    `json:"firstTime"`
	StartedAt    string  `json:"startedAt"`
	EndedAt      string  `json:"endedAt"`
	Seconds      float64 `json:"seconds"`
	ByHand       bool    `json:"byHand,omitempty"`
}

type queueView struct {
	baseView
	SpeakingSeconds int      `json:"speakingSeconds"`
	Policy          string   `json:"policy"`
	OrderApproval   bool     `json:"orderApproval"`
	Constituencies  []string `json:"constituencies"`
	// ConstituencyNames, for facilitators, displays and the export, are
	// the queue's own list's names per language (null for a plain one),
	// when any was given so.
	ConstituencyNames []map[string]string `json:"constituencyNames,omitempty"`
	Speaking          *SpeakingView       `json:"speaking"`
	Waiting           []HandView          `json:"waiting"`
	WaitingCount      int                 `json:"waitingCount"`
	Spoken            int                 `json:"spoken"`
	Stats             []StatView          `json:"stats,omitzero"`
	LastSpeaker       *string             `json:"lastSpeaker"`
}

type queueExport struct {
	queueView
	Speakers []SpeechView `json:"speakers"`
}

// view is the queue as role sees it. Attendees get the front of a long
// queue only, and their own place in "you": the whole list is what every
// phone was sent on every raise, a cost that grew with the square of the
// queue (2,000 hands: 356 KB to each phone).
func (q *Queue) view(a *Activity, role Role, lang string) queueView {
	shown := q.order
	if n := a.limits().queueShown(); role == Attendee && len(shown) > n {
		shown = shown[:n]
	}
	v := queueView{baseView: a.base(role, lang), SpeakingSeconds: q.SpeakingSeconds, Policy: q.Policy, OrderApproval: q.OrderApproval,
		Constituencies: nonNil(q.Constituencies), Spoken: len(q.Speeches),
		Waiting: make([]HandView, len(shown)), WaitingCount: len(q.order)}
	if t := q.Speaking; t != nil {
		sv := &SpeakingView{Hand: t.Hand, Name: t.Name, Constituency: t.Constituency, StartedAt: queueTime(t.StartedAt),
			LimitSeconds: t.LimitSeconds, Paused: t.Paused, ElapsedSeconds: float64(t.ElapsedMS) / 1000, ByHand: t.ByHand}
		if !t.Paused {
			s := queueTime(t.RunningSince)
			sv.RunningSince = &s
		}
		v.Speaking = sv
	}
	for i, h := range shown {
		v.Waiting[i] = HandView{Hand: h.ID, Name: h.Name, Constituency: h.Constituency, Kind: h.Kind,
			RaisedAt: queueTime(h.RaisedAt), Placed: h.Placed, ByHand: h.ByHand, Held: h.Held}
	}
	if a.revealedTo(role) {
		v.Stats = nonNil(q.stats)
	}
	if n := len(q.Speeches); n > 0 {
		last := q.Speeches[n-1].Hand
		v.LastSpeaker = &last
	}
	if role != Attendee && len(q.ConstituencyTexts) > 0 {
		v.ConstituencyNames = make([]map[string]string, len(q.Constituencies))
		for i, c := range q.Constituencies {
			v.ConstituencyNames[i] = q.consText[c].Map()
		}
	}
	q.translate(a, &v, lang)
	return v
}

// translate names the view's constituencies in lang, when the queue's own
// list or the session's gives them per language (the export, in no
// language, keeps the identities).
func (q *Queue) translate(a *Activity, v *queueView, lang string) {
	s := a.s
	if lang == "" || (len(q.ConstituencyTexts) == 0 && (s == nil || len(s.ConstituencyTexts) == 0)) {
		return
	}
	in := func(c string) string {
		if t := q.consText[c]; t != nil {
			return t.In(lang, s.defaultLang())
		}
		return s.ConstituencyIn(c, lang)
	}
	cons := make([]string, len(v.Constituencies))
	for i, c := range v.Constituencies {
		cons[i] = in(c)
	}
	v.Constituencies = cons
	if v.Speaking != nil {
		sp := *v.Speaking
		sp.Constituency = in(sp.Constituency)
		v.Speaking = &sp
	}
	for i := range v.Waiting {
		v.Waiting[i].Constituency = in(v.Waiting[i].Constituency)
	}
	if v.Stats != nil {
		stats := make([]StatView, len(v.Stats))
		for i, st := range v.Stats {
			st.Constituency = in(st.Constituency)
			stats[i] = st
		}
		v.Stats = stats
	}
}

// responses counts hands: waiting, speaking and done.
func (q *Queue) responses() int {
	n := len(q.Waiting) + len(q.Speeches)
	if q.Speaking != nil {
		n++
	}
	return n
}

// View implements Body.
func (q *Queue) View(a *Activity, role Role, lang string) any { return q.view(a, role, lang) }

// constituencyText implements ownConstituencies.
func (q *Queue) constituencyText(id string) Text { return q.consText[id] }

// Export implements Body: the view with every finished turn.
func (q *Queue) Export(a *Activity) any { return q.export(a) }

// You implements Body.
func (q *Queue) You(a *Activity, participant string) map[string]any { return q.you(participant) }

func (q *Queue) end(a *Activity, at time.Time) { q.endTurn(at) }

// CSV implements Body: every finished turn, then, exported mid-session,
// the queue's present too, which is part of its record: who speaks now,
// and who waits, in order.
func (q *Queue) CSV(a *Activity) []CSVRow {
	x := q.export(a)
	var rows []CSVRow
	for _, s := range x.Speakers {
		rows = append(rows, CSVRow{Item: s.Name, Status: "spoke", Name: s.Name, Constituency: s.Constituency,
			Started: s.StartedAt, Ended: s.EndedAt, Seconds: strconv.FormatFloat(s.Seconds, 'f', -1, 64)})
	}
	if sp := x.Speaking; sp != nil {
		rows = append(rows, CSVRow{Item: sp.Name, Status: "speaking", Name: sp.Name, Constituency: sp.Constituency, Started: sp.StartedAt})
	}
	for _, h := range x.Waiting {
		rows = append(rows, CSVRow{Item: h.Name, Status: "waiting " + h.Kind, Name: h.Name, Constituency: h.Constituency, Created: h.RaisedAt})
	}
	return rows
}

func (q *Queue) export(a *Activity) queueExport {
	x := queueExport{queueView: q.view(a, Facilitator, ""), Speakers: make([]SpeechView, len(q.Speeches))}
	spoke := map[string]bool{}
	for i, s := range q.Speeches {
		// A hand added for someone without a phone has no participant:
		// their name is who they are, as for the floor order.
		who := speakerKey(s.Participant, s.Name)
		x.Speakers[i] = SpeechView{Hand: s.Hand, Name: s.Name, Constituency: s.Constituency, Kind: s.Kind, FirstTime: !spoke[who],
			StartedAt: queueTime(s.StartedAt), EndedAt: queueTime(s.EndedAt), Seconds: tenths(s.MS), ByHand: s.ByHand}
		spoke[who] = true
	}
	return x
}

// you is the participant's hand (waiting or speaking) and place in the
// floor order, 1-based, 0 when not waiting.
func (q *Queue) you(participant string) map[string]any {
	hand, place := "", 0
	if h := q.byParticipant[participant]; h != nil {
		hand, place = h.ID, h.place
	} else if q.Speaking != nil && q.Speaking.Participant == participant {
		hand = q.Speaking.Hand
	}
	return map[string]any{"hand": hand, "place": place}
}
