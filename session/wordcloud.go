package session

import (
	"sort"
	"strconv"
)

// Cloud is a word cloud.
type Cloud struct {
	MaxEntries int    `json:"maxEntries"`
	MaxLength  int    `json:"maxLength"`
	Moderation string `json:"moderation"` // "hold" or "show": what to do with flagged words
	Entries    int    `json:"entries"`
	// Words are keyed by their folded form.
	Words map[string]*Word `json:"words"`
	// Sent is what each participant submitted, as submitted.
	Sent map[string][]string `json:"sent"`
	// Hidden words stay hidden for later submissions too.
	Hidden map[string]bool `json:"hidden"`
}

// Word counts the entries that normalize to one key.
type Word struct {
	Forms    map[string]*Form `json:"forms"`
	Count    int              `json:"count"`
	First    uint64           `json:"first"`
	Flagged  bool             `json:"flagged,omitempty"`
	Approved bool             `json:"approved,omitempty"`
}

// Form is one spelling of a word and when it was first sent.
type Form struct {
	Count int    `json:"count"`
	First uint64 `json:"first"`
}

const (
	defaultMaxEntries = 3
	defaultMaxLength  = 40
	topWords          = 100
)

func newCloud(spec *ActivitySpec) (*Cloud, *Error) {
	c := &Cloud{MaxEntries: spec.MaxEntries, MaxLength: spec.MaxLength, Moderation: spec.Moderation}
	if c.MaxEntries == 0 {
		c.MaxEntries = defaultMaxEntries
	}
	if c.MaxLength == 0 {
		c.MaxLength = defaultMaxLength
	}
	if c.MaxEntries < 1 || c.MaxEntries > 100 || c.MaxLength < 1 || c.MaxLength > 200 {
		return nil, errorf(CodeBadRequest, "maxEntries must be 1 to 100 and maxLength 1 to 200.")
	}
	switch c.Moderation {
	case "":
		c.Moderation = "hold"
	case "hold", "show":
	default:
		return nil, errorf(CodeBadRequest, "moderation must be \"hold\" or \"show\".")
	}
	c.restore()
	return c, nil
}

func (c *Cloud) restore() {
	if c.Words == nil {
		c.Words = map[string]*Word{}
	}
	if c.Sent == nil {
		c.Sent = map[string][]string{}
	}
	if c.Hidden == nil {
		c.Hidden = map[string]bool{}
	}
}

func init() {
	register("word.submit", Attendee, KindWordcloud, wordSubmit)
	register("word.hide", Facilitator, KindWordcloud, wordHide)
	register("word.unhide", Facilitator, KindWordcloud, wordHide)
	register("word.approve", Facilitator, KindWordcloud, wordApprove)
}

func wordSubmit(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	c := a.Cloud
	if err := needOpen(a); err != nil {
		return Result{}, nil, err
	}
	text, err := cleanText(e.Cmd.Text, c.MaxLength, false)
	if err != nil {
		return Result{}, nil, err
	}
	if len(c.Sent[e.Actor]) >= c.MaxEntries {
		return Result{}, nil, errorf(CodeBadRequest, "You have sent your "+strconv.Itoa(c.MaxEntries)+" entries.")
	}
	if dry {
		return Result{}, nil, nil
	}
	key := foldKey(text)
	w := c.Words[key]
	if w == nil {
		w = &Word{Forms: map[string]*Form{}, First: e.Offset, Flagged: Profane(text)}
		c.Words[key] = w
	}
	f := w.Forms[text]
	if f == nil {
		f = &Form{First: e.Offset}
		w.Forms[text] = f
	}
	f.Count++
	w.Count++
	c.Entries++
	c.Sent[e.Actor] = append(c.Sent[e.Actor], text)
	return Result{}, []string{e.Actor}, nil
}

func wordHide(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	text, err := cleanText(e.Cmd.Text, 200, false)
	if err != nil {
		return Result{}, nil, err
	}
	if dry {
		return Result{}, nil, nil
	}
	key := foldKey(text)
	if e.Cmd.Op == "word.hide" {
		a.Cloud.Hidden[key] = true
	} else {
		delete(a.Cloud.Hidden, key)
	}
	return Result{}, a.Cloud.senders(key), nil
}

func wordApprove(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	text, err := cleanText(e.Cmd.Text, 200, false)
	if err != nil {
		return Result{}, nil, err
	}
	w := a.Cloud.Words[foldKey(text)]
	if w == nil {
		return Result{}, nil, errorf(CodeNotFound, "Nobody sent that word.")
	}
	if dry {
		return Result{}, nil, nil
	}
	w.Approved = true
	return Result{}, a.Cloud.senders(foldKey(text)), nil
}

// WordView is one word of a cloud. Key names it in patches (PROTOCOL.md
// 1.1, "Patches"): its normalized form, stable while the displayed Text
// may change. First is the log offset of its first submission, the
// tie-break of the order clients sort patched words into.
type WordView struct {
	Key     string `json:"key"`
	Text    string `json:"text"`
	Count   int    `json:"count"`
	First   uint64 `json:"first"`
	Hidden  bool   `json:"hidden,omitempty"`
	Flagged bool   `json:"flagged,omitempty"`
	Pending bool   `json:"pending,omitempty"`
}

type cloudView struct {
	baseView
	MaxEntries int        `json:"maxEntries"`
	MaxLength  int        `json:"maxLength"`
	Moderation string     `json:"moderation"`
	Entries    *int       `json:"entries,omitempty"`
	Words      []WordView `json:"words,omitzero"`
}

// display is the form shown: the most submitted, the earliest on a tie.
func (w *Word) display() string {
	var best string
	var bf *Form
	for text, f := range w.Forms {
		if bf == nil || f.Count > bf.Count || (f.Count == bf.Count && f.First < bf.First) {
			best, bf = text, f
		}
	}
	return best
}

// words lists the words role may see, most frequent first (earliest on a
// tie), at most limit of them (0: all).
func (c *Cloud) words(all bool, limit int) []WordView {
	type kw struct {
		key string
		w   *Word
	}
	list := make([]kw, 0, len(c.Words))
	for k, w := range c.Words {
		if !all && (c.Hidden[k] || c.held(k)) {
			continue
		}
		list = append(list, kw{k, w})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].w.Count != list[j].w.Count {
			return list[i].w.Count > list[j].w.Count
		}
		return list[i].w.First < list[j].w.First
	})
	if limit > 0 && len(list) > limit {
		list = list[:limit]
	}
	out := make([]WordView, len(list))
	for i, x := range list {
		out[i] = WordView{Key: x.key, Text: x.w.display(), Count: x.w.Count, First: x.w.First}
		if all {
			out[i].Hidden = c.Hidden[x.key]
			out[i].Flagged = x.w.Flagged
			// A hidden word is settled: it no longer waits for approval.
			out[i].Pending = c.held(x.key)
		}
	}
	return out
}

func (c *Cloud) view(a *Activity, role Role) cloudView {
	v := cloudView{baseView: a.base(), MaxEntries: c.MaxEntries, MaxLength: c.MaxLength, Moderation: c.Moderation}
	if a.revealedTo(role) {
		n := c.Entries
		v.Entries = &n
		v.Words = c.words(role == Facilitator, topWords)
	}
	return v
}

func (c *Cloud) export(a *Activity) cloudView {
	v := c.view(a, Facilitator)
	v.Words = c.words(true, 0)
	return v
}

func (c *Cloud) you(participant string) map[string]any {
	sent := c.Sent[participant]
	held := []string{}
	for _, text := range sent {
		if c.held(foldKey(text)) {
			held = append(held, text)
		}
	}
	return map[string]any{"words": nonNil(sent), "remaining": c.MaxEntries - len(sent), "held": held}
}

// held says whether a word waits for the facilitator's approval.
func (c *Cloud) held(key string) bool {
	w := c.Words[key]
	return w != nil && w.Flagged && !w.Approved && c.Moderation == "hold" && !c.Hidden[key]
}

// senders lists, in a fixed order, the participants who sent a word: their
// own view of it changes when it is approved or hidden.
func (c *Cloud) senders(key string) []string {
	var out []string
	for p, texts := range c.Sent {
		for _, text := range texts {
			if foldKey(text) == key {
				out = append(out, p)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}
