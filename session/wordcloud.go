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
	// Merges are words counted as one (word.merge), by the key of the
	// name they are shown as.
	Merges map[string]*Merge `json:"merges,omitempty"`

	mergedInto map[string]string // a merged word's key → its merge's
}

// Merge is words counted as one: "Housing", "Logement" and "Vivienda" as
// "Housing". Keys are the words' keys, in the order given.
type Merge struct {
	As   string   `json:"as"`
	Keys []string `json:"keys"`
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
	if _, err := CheckSegmenting(spec); err != nil {
		return nil, err
	}
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
	c.mergedInto = map[string]string{}
	for gk, m := range c.Merges {
		for _, k := range m.Keys {
			c.mergedInto[k] = gk
		}
	}
}

func init() {
	register(Kind{
		Name: KindWordcloud, Field: "cloud",
		Revealed: Revealed{Attendees: false, Display: true},
		New:      func(spec *ActivitySpec) (Body, *Error) { return newCloud(spec) },
		Empty:    func() Body { return &Cloud{} },
		Ops: map[string]Op{
			"word.submit":  {Role: Attendee, Fn: wordSubmit},
			"word.hide":    {Role: Facilitator, Fn: wordHide},
			"word.unhide":  {Role: Facilitator, Fn: wordHide},
			"word.approve": {Role: Facilitator, Fn: wordApprove},
			"word.merge":   {Role: Facilitator, Args: true, Fn: wordMerge},
			"word.unmerge": {Role: Facilitator, Args: true, Fn: wordUnmerge},
		},
	})
}

func wordSubmit(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	c := a.Body.(*Cloud)
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
		a.Body.(*Cloud).Hidden[key] = true
	} else {
		delete(a.Body.(*Cloud).Hidden, key)
	}
	return Result{}, a.Body.(*Cloud).senders(key), nil
}

func wordApprove(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	text, err := cleanText(e.Cmd.Text, 200, false)
	if err != nil {
		return Result{}, nil, err
	}
	w := a.Body.(*Cloud).Words[foldKey(text)]
	if w == nil {
		return Result{}, nil, errorf(CodeNotFound, "Nobody sent that word.")
	}
	if dry {
		return Result{}, nil, nil
	}
	w.Approved = true
	return Result{}, a.Body.(*Cloud).senders(foldKey(text)), nil
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
	// Merged lists, for facilitators and the export, the words a merge
	// counts as this one.
	Merged []string `json:"merged,omitempty"`
}

type cloudView struct {
	baseView
	MaxEntries int        `json:"maxEntries"`
	MaxLength  int        `json:"maxLength"`
	Moderation string     `json:"moderation"`
	Entries    *int       `json:"entries,omitempty"`
	Words      []WordView `json:"words,omitzero"`
	segmentFields
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
		key   string
		w     *Word
		merge *Merge
	}
	list := make([]kw, 0, len(c.Words))
	for k, w := range c.Words {
		if c.mergedInto[k] != "" || (!all && (c.Hidden[k] || c.held(k))) {
			continue
		}
		list = append(list, kw{k, w, nil})
	}
	for gk, m := range c.Merges {
		// A merge counts what of its words a role may see; hiding it
		// (word.hide of its name) hides all of it.
		sum := &Word{First: ^uint64(0)}
		for _, k := range m.Keys {
			w := c.Words[k]
			if w == nil || (!all && (c.Hidden[k] || c.held(k))) {
				continue
			}
			sum.Count += w.Count
			sum.First = min(sum.First, w.First)
		}
		if !all && (sum.Count == 0 || c.Hidden[gk]) {
			continue
		}
		list = append(list, kw{gk, sum, m})
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
		out[i] = WordView{Key: x.key, Count: x.w.Count, First: x.w.First}
		if x.merge != nil {
			out[i].Text = x.merge.As
			if all {
				for _, k := range x.merge.Keys {
					if w := c.Words[k]; w != nil {
						out[i].Merged = append(out[i].Merged, w.display())
					}
				}
				out[i].Hidden = c.Hidden[x.key]
			}
			continue
		}
		out[i].Text = x.w.display()
		if all {
			out[i].Hidden = c.Hidden[x.key]
			out[i].Flagged = x.w.Flagged
			// A hidden word is settled: it no longer waits for approval.
			out[i].Pending = c.held(x.key)
		}
	}
	return out
}

func (c *Cloud) view(a *Activity, role Role, lang string) cloudView {
	v := cloudView{baseView: a.base(role, lang), MaxEntries: c.MaxEntries, MaxLength: c.MaxLength, Moderation: c.Moderation}
	if a.revealedTo(role) {
		n := c.Entries
		v.Entries = &n
		v.Words = c.words(role == Facilitator, topWords)
	}
	v.segmentFields = segmentsIn(a, role, lang, c.Sent, c.segmentCounts(role == Facilitator, segmentWords))
	return v
}

// segmentWords is how many words each constituency's cloud has in a view.
const segmentWords = 20

// cloudCounts are a cloud's counts for one constituency.
type cloudCounts struct {
	Entries int        `json:"entries"`
	Words   []WordView `json:"words"`
}

// segmentCounts counts one constituency's entries by word, ordered as the
// whole cloud is: by count, then by the word's first submission. Each word
// is shown as the whole cloud shows it, so that a group's spellings do not
// make it another word. all is as for words; limit 0 means every word.
func (c *Cloud) segmentCounts(all bool, limit int) func([][]string) any {
	return func(sent [][]string) any {
		counts := map[string]int{}
		entries := 0
		for _, texts := range sent {
			for _, t := range texts {
				entries++
				counts[foldKey(t)]++
			}
		}
		keys := make([]string, 0, len(counts))
		for k := range counts {
			if c.Words[k] != nil && (all || !(c.Hidden[k] || c.held(k))) {
				keys = append(keys, k)
			}
		}
		sort.Slice(keys, func(i, j int) bool {
			if counts[keys[i]] != counts[keys[j]] {
				return counts[keys[i]] > counts[keys[j]]
			}
			return c.Words[keys[i]].First < c.Words[keys[j]].First
		})
		if limit > 0 && len(keys) > limit {
			keys = keys[:limit]
		}
		out := cloudCounts{Entries: entries, Words: make([]WordView, len(keys))}
		for i, k := range keys {
			w := c.Words[k]
			out.Words[i] = WordView{Key: k, Text: w.display(), Count: counts[k], First: w.First}
			if all {
				out.Words[i].Hidden, out.Words[i].Flagged, out.Words[i].Pending = c.Hidden[k], w.Flagged, c.held(k)
			}
		}
		return out
	}
}

// View implements Body.
func (c *Cloud) View(a *Activity, role Role, lang string) any { return c.view(a, role, lang) }

// responses counts the participants who submitted a word.
func (c *Cloud) responses() int { return len(c.Sent) }

// Export implements Body: every word, hidden ones marked.
func (c *Cloud) Export(a *Activity) any {
	v := c.view(a, Facilitator, "")
	v.Words = c.words(true, 0)
	v.segmentFields = segmentsOf(a, forExport, c.Sent, c.segmentCounts(true, 0))
	return v
}

// CSV implements Body: one row per word.
func (c *Cloud) CSV(a *Activity) []CSVRow {
	words := c.words(true, 0)
	rows := make([]CSVRow, len(words))
	for i, w := range words {
		rows[i] = CSVRow{Item: w.Text, Count: strconv.Itoa(w.Count), Status: wordStatus(w)}
	}
	// Segmented, then each constituency's words.
	for _, sg := range segmentsOf(a, forExport, c.Sent, c.segmentCounts(true, 0)).Segments {
		for _, w := range sg.Counts.(cloudCounts).Words {
			rows = append(rows, CSVRow{Item: w.Text, Count: strconv.Itoa(w.Count), Status: wordStatus(w),
				Constituency: segmentName(sg.Constituency)})
		}
	}
	return rows
}

// wordStatus is a word's moderation as the CSV says it.
func wordStatus(w WordView) string {
	switch {
	case w.Hidden:
		return "hidden"
	case w.Pending:
		return "pending"
	case w.Flagged:
		return "approved"
	}
	return "visible"
}

// You implements Body.
func (c *Cloud) You(a *Activity, participant string) map[string]any {
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

// mergeArgs are word.merge's and word.unmerge's own fields.
type mergeArgs struct {
	Texts []string `json:"texts"`
	As    string   `json:"as"`
}

// wordMerge counts words as one: the same idea in the session's languages,
// or spellings the normal form keeps apart.
func wordMerge(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	c := a.Body.(*Cloud)
	var args mergeArgs
	if err := e.Cmd.Decode(&args); err != nil {
		return Result{}, nil, errorf(CodeBadRequest, "word.merge needs \"texts\" and \"as\".")
	}
	if len(args.Texts) < 2 || len(args.Texts) > 20 {
		return Result{}, nil, errorf(CodeBadRequest, "Merge 2 to 20 words.")
	}
	as, err := cleanText(args.As, c.MaxLength, false)
	if err != nil {
		return Result{}, nil, errorf(CodeBadRequest, "\"as\" must be the name to show, 1 to "+strconv.Itoa(c.MaxLength)+" characters.")
	}
	gk := foldKey(as)
	if c.Merges[gk] != nil {
		return Result{}, nil, errorf(CodeBadRequest, "\""+as+"\" is already the name of a merge.")
	}
	keys := make([]string, 0, len(args.Texts))
	named := false
	for _, t := range args.Texts {
		text, err := cleanText(t, 200, false)
		if err != nil {
			return Result{}, nil, err
		}
		k := foldKey(text)
		if c.Words[k] == nil {
			return Result{}, nil, errorf(CodeBadRequest, "Nobody sent \""+text+"\": only words of the cloud can be merged.")
		}
		if c.mergedInto[k] != "" {
			return Result{}, nil, errorf(CodeBadRequest, "\""+text+"\" is merged already: unmerge it first.")
		}
		for _, seen := range keys {
			if seen == k {
				return Result{}, nil, errorf(CodeBadRequest, "\""+text+"\" is listed twice.")
			}
		}
		named = named || k == gk
		keys = append(keys, k)
	}
	// The merge takes its name's key: a word of that name left out of it
	// would be shown twice.
	if c.Words[gk] != nil && !named {
		return Result{}, nil, errorf(CodeBadRequest, "\""+as+"\" is a word of the cloud: merge it too, or choose another name.")
	}
	if dry {
		return Result{}, nil, nil
	}
	if c.Merges == nil {
		c.Merges = map[string]*Merge{}
	}
	c.Merges[gk] = &Merge{As: as, Keys: keys}
	for _, k := range keys {
		c.mergedInto[k] = gk
	}
	return Result{}, nil, nil
}

// wordUnmerge undoes a merge, named by what it is shown as.
func wordUnmerge(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	c := a.Body.(*Cloud)
	var args mergeArgs
	if err := e.Cmd.Decode(&args); err != nil || args.As == "" {
		return Result{}, nil, errorf(CodeBadRequest, "word.unmerge needs \"as\", the name of the merge.")
	}
	text, err := cleanText(args.As, 200, false)
	if err != nil {
		return Result{}, nil, err
	}
	gk := foldKey(text)
	m := c.Merges[gk]
	if m == nil {
		return Result{}, nil, errorf(CodeBadRequest, "No merge is shown as \""+text+"\".")
	}
	if dry {
		return Result{}, nil, nil
	}
	for _, k := range m.Keys {
		delete(c.mergedInto, k)
	}
	delete(c.Merges, gk)
	return Result{}, nil, nil
}
