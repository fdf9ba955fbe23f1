package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// command is one attendee command, kept until it is acked or refused so
// that it can be resent with the same id after a reconnect.
type command struct {
	id      string
	seq     int64
	phone   *phone
	op      string
	payload []byte
	sentAt  time.Duration // first send, since the run's start
	tries   int           // sends after a retryable error
	resent  atomic.Bool   // sent again after a reconnect or a retryable error

	choice int    // vote
	text   string // word.submit, qa.ask
	entry  string // qa.upvote
}

// ExportCheck is the comparison of the export with what was acked.
type ExportCheck struct {
	Checked  bool           `json:"checked"`
	Expected map[string]int `json:"expected"`
	Found    map[string]int `json:"found"`
	Lost     int            `json:"lost"`
	Doubled  int            `json:"doubled"`
	Error    string         `json:"error,omitempty"`
}

// scenario is what differs between vote, words, qa and queue: the activity,
// the next command of a phone, what an ack means for the expected end
// state, how the display shows progress, and how the export is checked.
// Its methods are called from the scheduler, the phones' readers and the
// display's reader at once, so each implementation locks its own state.
type scenario interface {
	activity() map[string]any
	// next builds the next command for phone i, or returns false when
	// that phone has nothing left to send.
	next(i int, rng *rand.Rand, cmd *command) bool
	acked(c *command, m *inMsg)
	failed(c *command, code string)
	// observe is given each version of the activity that the display sees.
	observe(raw json.RawMessage, now time.Duration)
	// display returns command-to-display latencies and how many acked
	// commands the display has not shown yet.
	display() ([]time.Duration, int)
	verify(act json.RawMessage) ExportCheck
}

func newScenario(name string, phones int, cfg *config) (scenario, error) {
	switch name {
	case "vote":
		return &voteScenario{options: cfg.options, voted: make([]bool, phones), last: make([]int64, phones), choice: make([]int, phones)}, nil
	case "words":
		vocab := append([]string(nil), wordList...)
		for i := len(vocab); i < cfg.vocabulary; i++ {
			vocab = append(vocab, "word"+strconv.Itoa(i))
		}
		return &wordsScenario{maxEntries: cfg.maxEntries, used: make([]int, phones), counts: map[string]int{}, vocab: vocab[:cfg.vocabulary]}, nil
	case "qa":
		return &qaScenario{asked: make([]bool, phones), upvoted: make([]map[string]bool, phones), votes: map[string]int{}, owner: map[string]int{},
			noAsk: cfg.questions > 0, skew: cfg.upvoteSkew}, nil
	case "queue":
		return &queueScenario{raised: make([]bool, phones), last: make([]int64, phones), hand: make([]string, phones),
			sentAt: map[string]time.Duration{}, seen: map[string][]time.Duration{}, visible: map[string]bool{}}, nil
	}
	return nil, fmt.Errorf("unknown scenario %q (vote, words, qa or queue)", name)
}

// appendCmd starts a command's JSON: {"type":"cmd","id":"…","op":"…","activity":"…"
// The ids and op names are ASCII, so strconv quoting is valid JSON.
func appendCmd(b []byte, id, op, activity string) []byte {
	b = append(b, `{"type":"cmd","id":`...)
	b = strconv.AppendQuoteToASCII(b, id)
	b = append(b, `,"op":`...)
	b = strconv.AppendQuoteToASCII(b, op)
	b = append(b, `,"activity":`...)
	b = strconv.AppendQuoteToASCII(b, activity)
	return b
}

// counterTrack measures command-to-display latency where the display shows
// a count that only grows with the measured commands (voters, submitted
// words, questions plus upvotes). The k-th acked counted command, in the
// order acks arrive, is taken to be visible when the display's count first
// reaches k; its latency is that moment minus the command's first send.
// Acks arrive in nearly the order of the log, so this pairs each command
// with the log position it most likely took, without any server help.
type counterTrack struct {
	mu      sync.Mutex
	sendAt  []time.Duration
	reachAt []time.Duration
}

func (t *counterTrack) acked(sentAt time.Duration) {
	t.mu.Lock()
	t.sendAt = append(t.sendAt, sentAt)
	t.mu.Unlock()
}

func (t *counterTrack) observe(count int, now time.Duration) {
	t.mu.Lock()
	for len(t.reachAt) < count {
		t.reachAt = append(t.reachAt, now)
	}
	t.mu.Unlock()
}

func (t *counterTrack) latencies() ([]time.Duration, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := min(len(t.sendAt), len(t.reachAt))
	out := make([]time.Duration, n)
	for i := range n {
		// A display can show a count before the ack of the command paired
		// with it arrives; such a pairing is at worst zero, never negative.
		out[i] = max(0, t.reachAt[i]-t.sendAt[i])
	}
	return out, len(t.sendAt) - n
}

func (t *counterTrack) display() ([]time.Duration, int) { return t.latencies() }

// ---- vote ----

type voteScenario struct {
	counterTrack
	options int
	mu      sync.Mutex
	voted   []bool  // an ack has arrived for this phone
	last    []int64 // seq of the latest acked vote
	choice  []int   // its choice
}

func (s *voteScenario) activity() map[string]any {
	opts := make([]string, s.options)
	for i := range opts {
		opts[i] = "Option " + strconv.Itoa(i+1)
	}
	return map[string]any{"kind": "poll", "title": "Load test poll", "options": opts, "multi": false, "maxChoices": 1}
}

func (s *voteScenario) next(i int, rng *rand.Rand, c *command) bool {
	c.op = "vote"
	c.choice = rng.IntN(s.options)
	return true
}

func (s *voteScenario) acked(c *command, m *inMsg) {
	i := c.phone.idx
	s.mu.Lock()
	first := !s.voted[i]
	s.voted[i] = true
	if c.seq > s.last[i] {
		s.last[i], s.choice[i] = c.seq, c.choice
	}
	s.mu.Unlock()
	// Only a phone's first vote raises the voter count; later votes replace it.
	if first {
		s.counterTrack.acked(c.sentAt)
	}
}

func (s *voteScenario) failed(*command, string) {}

type pollView struct {
	ID      string `json:"id"`
	Voters  *int   `json:"voters"`
	Options []struct {
		Label string `json:"label"`
		Votes *int   `json:"votes"`
	} `json:"options"`
}

func (s *voteScenario) observe(raw json.RawMessage, now time.Duration) {
	var v pollView
	if json.Unmarshal(raw, &v) != nil {
		return
	}
	n := 0
	if v.Voters != nil {
		n = *v.Voters
	} else {
		for _, o := range v.Options {
			if o.Votes != nil {
				n += *o.Votes
			}
		}
	}
	s.counterTrack.observe(n, now)
}

func (s *voteScenario) verify(raw json.RawMessage) ExportCheck {
	var v pollView
	if err := json.Unmarshal(raw, &v); err != nil {
		return ExportCheck{Error: "poll in export: " + err.Error()}
	}
	exp := make([]int, s.options)
	voters := 0
	s.mu.Lock()
	for i, ok := range s.voted {
		if ok {
			voters++
			exp[s.choice[i]]++
		}
	}
	s.mu.Unlock()
	ch := ExportCheck{Checked: true, Expected: map[string]int{"voters": voters}, Found: map[string]int{}}
	if v.Voters != nil {
		ch.Found["voters"] = *v.Voters
	}
	if len(v.Options) != s.options {
		ch.Error = fmt.Sprintf("export has %d options, want %d", len(v.Options), s.options)
		return ch
	}
	var lostOpts, dupOpts int
	for i, o := range v.Options {
		got := 0
		if o.Votes != nil {
			got = *o.Votes
		}
		key := "option" + strconv.Itoa(i+1)
		ch.Expected[key], ch.Found[key] = exp[i], got
		lostOpts += max(0, exp[i]-got)
		dupOpts += max(0, got-exp[i])
	}
	gotVoters := ch.Found["voters"]
	ch.Lost = max(lostOpts, voters-gotVoters)
	ch.Doubled = max(dupOpts, gotVoters-voters)
	return ch
}

// ---- words ----

var wordList = []string{
	"river", "apple", "bridge", "candle", "garden", "harbor", "island", "lantern",
	"meadow", "orchard", "pebble", "quartz", "rocket", "saddle", "timber", "violet",
	"window", "yellow", "zephyr", "anchor", "basket", "cobalt", "dragon", "ember",
	"falcon", "glacier", "hammer", "igloo", "jasmine", "kettle",
}

type wordsScenario struct {
	counterTrack
	maxEntries int
	mu         sync.Mutex
	used       []int          // words scheduled per phone
	counts     map[string]int // acked words
	vocab      []string       // the words phones send
}

func (s *wordsScenario) activity() map[string]any {
	return map[string]any{"kind": "wordcloud", "title": "Load test words", "maxEntries": s.maxEntries, "moderation": "show"}
}

func (s *wordsScenario) next(i int, rng *rand.Rand, c *command) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used[i] >= s.maxEntries {
		return false
	}
	s.used[i]++
	c.op = "word.submit"
	c.text = s.vocab[rng.IntN(len(s.vocab))]
	return true
}

func (s *wordsScenario) acked(c *command, m *inMsg) {
	s.mu.Lock()
	s.counts[c.text]++
	s.mu.Unlock()
	s.counterTrack.acked(c.sentAt)
}

func (s *wordsScenario) failed(*command, string) {}

type wordView struct {
	ID    string `json:"id"`
	Words []struct {
		Text   string `json:"text"`
		Count  int    `json:"count"`
		Hidden bool   `json:"hidden"`
	} `json:"words"`
}

// observe counts the sum of the displayed words' counts: the word list has
// fewer than the 100 words a view carries, so the sum is every entry.
func (s *wordsScenario) observe(raw json.RawMessage, now time.Duration) {
	var v wordView
	if json.Unmarshal(raw, &v) != nil {
		return
	}
	n := 0
	for _, w := range v.Words {
		n += w.Count
	}
	s.counterTrack.observe(n, now)
}

func (s *wordsScenario) verify(raw json.RawMessage) ExportCheck {
	var v wordView
	if err := json.Unmarshal(raw, &v); err != nil {
		return ExportCheck{Error: "word cloud in export: " + err.Error()}
	}
	found := map[string]int{}
	for _, w := range v.Words {
		found[w.Text] += w.Count
	}
	ch := ExportCheck{Checked: true, Expected: map[string]int{}, Found: found}
	s.mu.Lock()
	for w, n := range s.counts {
		ch.Expected[w] = n
	}
	s.mu.Unlock()
	for w, n := range ch.Expected {
		ch.Lost += max(0, n-found[w])
		ch.Doubled += max(0, found[w]-n)
	}
	for w, n := range found {
		if _, ok := ch.Expected[w]; !ok {
			ch.Doubled += n
		}
	}
	return ch
}

// ---- qa ----

type qaScenario struct {
	counterTrack
	mu      sync.Mutex
	asked   []bool
	upvoted []map[string]bool
	entries []string       // acked questions
	votes   map[string]int // acked upvotes per entry
	// sent is, per entry, the send time of each acked upvote, in the
	// order of their acks (voteSentAt).
	sent  map[string][]time.Duration
	owner map[string]int
	// With --questions the board is asked before the phones join; they
	// only upvote, and the display's count leaves the seeded ones out.
	noAsk  bool
	seeded int
	// skew, when above 1, picks the question to upvote by a Zipf law of
	// that exponent over the order of asking (the first asked the most
	// upvoted), as halls do; 0 spreads upvotes evenly, the worst case for
	// the churn at the attendees' top-200 cut.
	skew float64
}

// seed adds the questions asked before the run.
func (s *qaScenario) seed(entries []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range entries {
		s.entries = append(s.entries, e)
		s.votes[e] += 0
		s.owner[e] = -1
	}
	s.seeded += len(entries)
}

func (s *qaScenario) activity() map[string]any {
	return map[string]any{"kind": "qa", "title": "Load test questions", "moderated": false}
}

// next asks one question per phone while few are known, then upvotes
// questions of others, each at most once so that counts only grow.
func (s *qaScenario) next(i int, rng *rand.Rand, c *command) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.noAsk && !s.asked[i] && (len(s.entries) < 5 || rng.IntN(5) == 0) {
		s.asked[i] = true
		c.op = "qa.ask"
		c.text = "Question " + strconv.Itoa(i) + " from the load test"
		return true
	}
	for range 5 {
		if len(s.entries) == 0 {
			break
		}
		k := rng.IntN(len(s.entries))
		if s.skew > 1 && len(s.entries) > 1 {
			k = int(rand.NewZipf(rng, s.skew, 1, uint64(len(s.entries)-1)).Uint64())
		}
		e := s.entries[k]
		if s.owner[e] == i || s.upvoted[i][e] {
			continue
		}
		if s.upvoted[i] == nil {
			s.upvoted[i] = map[string]bool{}
		}
		s.upvoted[i][e] = true
		c.op = "qa.upvote"
		c.entry = e
		return true
	}
	return false
}

func (s *qaScenario) acked(c *command, m *inMsg) {
	s.mu.Lock()
	switch c.op {
	case "qa.ask":
		if m.Entry != "" {
			s.entries = append(s.entries, m.Entry)
			s.votes[m.Entry] += 0
			s.owner[m.Entry] = c.phone.idx
		}
	case "qa.upvote":
		s.votes[c.entry]++
		if s.sent == nil {
			s.sent = map[string][]time.Duration{}
		}
		s.sent[c.entry] = append(s.sent[c.entry], c.sentAt)
	}
	s.mu.Unlock()
	s.counterTrack.acked(c.sentAt)
}

func (s *qaScenario) failed(*command, string) {}

// voteSentAt implements voteClock.
func (s *qaScenario) voteSentAt(entry string, k int) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k < 1 || k > len(s.sent[entry]) {
		return 0, false
	}
	return s.sent[entry][k-1], true
}

type qaView struct {
	ID      string `json:"id"`
	Entries []struct {
		ID    string `json:"id"`
		Votes int    `json:"votes"`
	} `json:"entries"`
}

func (s *qaScenario) observe(raw json.RawMessage, now time.Duration) {
	var v qaView
	if json.Unmarshal(raw, &v) != nil {
		return
	}
	n := len(v.Entries)
	for _, e := range v.Entries {
		n += e.Votes
	}
	s.mu.Lock()
	n -= s.seeded
	s.mu.Unlock()
	s.counterTrack.observe(n, now)
}

func (s *qaScenario) verify(raw json.RawMessage) ExportCheck {
	var v qaView
	if err := json.Unmarshal(raw, &v); err != nil {
		return ExportCheck{Error: "Q&A in export: " + err.Error()}
	}
	found := map[string]int{}
	for _, e := range v.Entries {
		if _, dup := found[e.ID]; dup {
			return ExportCheck{Error: "entry " + e.ID + " twice in export"}
		}
		found[e.ID] = e.Votes
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := ExportCheck{Checked: true, Expected: map[string]int{"questions": len(s.votes)}, Found: map[string]int{"questions": len(found)}}
	var expVotes, gotVotes int
	for id, n := range s.votes {
		expVotes += n
		got, ok := found[id]
		if !ok {
			ch.Lost += 1 + n
			continue
		}
		gotVotes += got
		ch.Lost += max(0, n-got)
		ch.Doubled += max(0, got-n)
	}
	for id, got := range found {
		if _, ok := s.votes[id]; !ok {
			ch.Doubled += 1 + got
			gotVotes += got
		}
	}
	ch.Expected["upvotes"], ch.Found["upvotes"] = expVotes, gotVotes
	return ch
}

// ---- queue ----

type queueScenario struct {
	mu      sync.Mutex
	raised  []bool   // as scheduled: the next command raises or lowers
	last    []int64  // seq of the latest acked command
	hand    []string // hand id if that command was a raise, else ""
	sentAt  map[string]time.Duration
	seen    map[string][]time.Duration // each time a hand appeared on the display
	visible map[string]bool
}

func (s *queueScenario) activity() map[string]any {
	return map[string]any{"kind": "queue", "title": "Load test queue", "speakingSeconds": 180,
		"constituencies": constituencies, "policy": "fifo"}
}

func (s *queueScenario) next(i int, rng *rand.Rand, c *command) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.raised[i] {
		c.op = "hand.lower"
	} else {
		c.op = "hand.raise"
		c.text = "Phone " + strconv.Itoa(i)
		c.choice = rng.IntN(2)
	}
	s.raised[i] = !s.raised[i]
	return true
}

func (s *queueScenario) acked(c *command, m *inMsg) {
	i := c.phone.idx
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.op == "hand.raise" && m.Hand != "" {
		s.sentAt[m.Hand] = c.sentAt
	}
	if c.seq > s.last[i] {
		s.last[i] = c.seq
		s.hand[i] = ""
		if c.op == "hand.raise" {
			s.hand[i] = m.Hand
		}
	}
}

// failed puts the phone's schedule back in line with its last acked state.
func (s *queueScenario) failed(c *command, code string) {
	i := c.phone.idx
	s.mu.Lock()
	s.raised[i] = s.hand[i] != ""
	s.mu.Unlock()
}

type queueView struct {
	ID       string `json:"id"`
	Speaking *struct {
		Hand string `json:"hand"`
	} `json:"speaking"`
	Waiting []struct {
		Hand string `json:"hand"`
	} `json:"waiting"`
}

func (v *queueView) hands() []string {
	out := make([]string, 0, len(v.Waiting)+1)
	if v.Speaking != nil && v.Speaking.Hand != "" {
		out = append(out, v.Speaking.Hand)
	}
	for _, w := range v.Waiting {
		out = append(out, w.Hand)
	}
	return out
}

// observe records when each hand appears in the display's queue; a raise's
// latency is its first appearance after it was sent.
func (s *queueScenario) observe(raw json.RawMessage, now time.Duration) {
	var v queueView
	if json.Unmarshal(raw, &v) != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := make(map[string]bool, len(v.Waiting)+1)
	for _, h := range v.hands() {
		cur[h] = true
		if !s.visible[h] {
			s.seen[h] = append(s.seen[h], now)
		}
	}
	s.visible = cur
}

func (s *queueScenario) display() ([]time.Duration, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []time.Duration
	missing := 0
	raised := make(map[string]bool, len(s.hand))
	for _, h := range s.hand {
		raised[h] = h != ""
	}
	for h, sent := range s.sentAt {
		found := false
		for _, at := range s.seen[h] {
			if at >= sent {
				out, found = append(out, at-sent), true
				break
			}
		}
		// A hand lowered within one push tick of its raise is never
		// shown (pushes are coalesced): only hands still up are missing.
		if !found && raised[h] {
			missing++
		}
	}
	return out, missing
}

func (s *queueScenario) verify(raw json.RawMessage) ExportCheck {
	var v queueView
	if err := json.Unmarshal(raw, &v); err != nil {
		return ExportCheck{Error: "queue in export: " + err.Error()}
	}
	found := map[string]int{}
	for _, h := range v.hands() {
		found[h]++
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	want := map[string]bool{}
	ch := ExportCheck{Checked: true}
	for _, h := range s.hand {
		if h == "" {
			continue
		}
		want[h] = true
		if found[h] == 0 {
			ch.Lost++
		}
	}
	got := 0
	for h, n := range found {
		got += n
		if n > 1 {
			ch.Doubled += n - 1
		}
		if !want[h] {
			ch.Doubled++
		}
	}
	ch.Expected = map[string]int{"hands": len(want)}
	ch.Found = map[string]int{"hands": got}
	return ch
}

var constituencies = []string{"north", "south"}

// encode writes the command's JSON into c.payload.
func (c *command) encode(activity string) {
	b := appendCmd(make([]byte, 0, 128), c.id, c.op, activity)
	switch c.op {
	case "vote":
		b = append(b, `,"choices":[`...)
		b = strconv.AppendInt(b, int64(c.choice), 10)
		b = append(b, ']')
	case "word.submit", "qa.ask":
		b = append(b, `,"text":`...)
		b = strconv.AppendQuoteToASCII(b, c.text)
	case "qa.upvote":
		b = append(b, `,"entry":`...)
		b = strconv.AppendQuoteToASCII(b, c.entry)
	case "hand.raise":
		b = append(b, `,"name":`...)
		b = strconv.AppendQuoteToASCII(b, c.text)
		b = append(b, `,"constituency":`...)
		b = strconv.AppendQuoteToASCII(b, constituencies[c.choice])
		b = append(b, `,"kind":"speak"`...)
	}
	c.payload = append(b, '}')
}
