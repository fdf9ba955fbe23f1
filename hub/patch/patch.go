// Package patch makes and applies the "patch" message of PROTOCOL.md 1.1
// ("Patches: bytes that do not grow with the board"): one generic diff of
// two encoded views of an activity, by the key of their list's items, and
// its twin on the client side, which applies a patch and orders the list
// by the rule the view documents.
//
// Nothing here knows a kind beyond the table Lists: which field is the
// list, what keys its items, and how clients order it. The hub diffs every
// kind with the same code, and the load generator and the tests apply
// patches with the same code the pages mirror in JavaScript.
package patch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
)

// Object is a JSON object with its values still encoded.
type Object = map[string]json.RawMessage

// List declares an activity kind's list.
type List struct {
	Field string // the view's field holding the list
	Key   string // the field of each item that names it
	// Explicit lists are ordered by the "order" the server sends in "set"
	// whenever the sequence of keys changes; the others by Less.
	Explicit bool
	// Less orders two items of view, the rule clients sort by. It must be
	// a total order on the items a view can hold: the diff checks that
	// the server's list is in exactly that order, and sends a whole view
	// when it is not, so that a client never sorts into another order.
	Less func(view Object, a, b Object) bool
}

// OrderField is the field of "set" that carries an explicit list's keys.
const OrderField = "order"

// Lists are the kinds that are patched, with their list.
var Lists = map[string]List{
	"qa":        {Field: "entries", Key: "id", Less: qaLess},
	"wordcloud": {Field: "words", Key: "key", Less: wordLess},
	"queue":     {Field: "waiting", Key: "hand", Explicit: true},
	"open":      {Field: "entries", Key: "id", Less: openLess},
}

// openLess: the newest answer first, by the log position in the id
// ("o<offset>"), never by createdAt (seconds only: answers sent in one
// second would tie). Highlighted answers are drawn larger, not moved.
func openLess(_ Object, a, b Object) bool {
	return idSeq(a["id"], 'o') > idSeq(b["id"], 'o')
}

// qaLess: pinned first, then most votes (unless the board is sorted by
// time), then the earlier entry first by votes, the newer first by time.
// "Earlier" is the log position in the id ("q<offset>"): createdAt has
// seconds only, and entries asked in one second would tie.
func qaLess(view Object, a, b Object) bool {
	pa, pb := boolOf(a["pinned"]), boolOf(b["pinned"])
	if pa != pb {
		return pa
	}
	byTime := string(view["sort"]) == `"time"`
	if !byTime {
		if va, vb := intOf(a["votes"]), intOf(b["votes"]); va != vb {
			return va > vb
		}
	}
	ia, ib := entrySeq(a["id"]), entrySeq(b["id"])
	if byTime {
		return ia > ib
	}
	return ia < ib
}

// wordLess: the most counted first, then the one first submitted earlier.
func wordLess(_ Object, a, b Object) bool {
	if ca, cb := intOf(a["count"]), intOf(b["count"]); ca != cb {
		return ca > cb
	}
	return intOf(a["first"]) < intOf(b["first"])
}

func boolOf(r json.RawMessage) bool { return string(r) == "true" }

func intOf(r json.RawMessage) int64 {
	n, _ := strconv.ParseInt(string(r), 10, 64)
	return n
}

// entrySeq is the number of an id "q<N>" (-1 for any other id).
func entrySeq(r json.RawMessage) int64 { return idSeq(r, 'q') }

// idSeq is the number of an id "<prefix><N>" (-1 for any other id).
func idSeq(r json.RawMessage, prefix byte) int64 {
	var s string
	if json.Unmarshal(r, &s) != nil || len(s) < 2 || s[0] != prefix {
		return -1
	}
	n, err := strconv.ParseInt(s[1:], 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// View is an activity's view parsed for diffing and patching.
type View struct {
	Kind   string
	Fields Object // top-level fields, the list excluded
	// HasList says whether the list field is present (a view whose
	// results are hidden has none).
	HasList bool
	Items   []Object
	keys    []string // the items' keys, in list order
	byKey   map[string]int
}

// Parse parses an encoded activity view.
func Parse(raw []byte) (*View, error) {
	var f Object
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, err
	}
	v := &View{Fields: f}
	if k, ok := f["kind"]; ok {
		if err := json.Unmarshal(k, &v.Kind); err != nil {
			return nil, fmt.Errorf("kind: %w", err)
		}
	}
	spec, ok := Lists[v.Kind]
	if !ok {
		return v, nil
	}
	list, ok := f[spec.Field]
	if !ok {
		return v, nil
	}
	delete(f, spec.Field)
	v.HasList = true
	if err := json.Unmarshal(list, &v.Items); err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Field, err)
	}
	if err := v.index(spec); err != nil {
		return nil, err
	}
	return v, nil
}

var errNoKey = errors.New("patch: a list item without a string key")

func (v *View) index(spec List) error {
	v.keys = make([]string, len(v.Items))
	v.byKey = make(map[string]int, len(v.Items))
	for i, it := range v.Items {
		var k string
		if json.Unmarshal(it[spec.Key], &k) != nil {
			return errNoKey
		}
		if _, dup := v.byKey[k]; dup {
			return fmt.Errorf("patch: key %q twice in %s", k, spec.Field)
		}
		v.keys[i] = k
		v.byKey[k] = i
	}
	return nil
}

// Patch is the body of a patch message, without its envelope.
type Patch struct {
	Set    Object            `json:"set"`
	Upsert []json.RawMessage `json:"upsert"`
	Remove []string          `json:"remove"`
}

// Diff makes the patch that turns old into new. It reports false when no
// patch can say it and the whole view must be sent: another kind, a kind
// without a list, a top-level field or the list that appears or
// disappears, an item field that is null (null means "removed" in a
// patch), or a list that is not in the order clients sort it into.
func Diff(old, new *View) (Patch, bool) {
	spec, ok := Lists[new.Kind]
	if !ok || old.Kind != new.Kind || old.HasList != new.HasList {
		return Patch{}, false
	}
	p := Patch{Set: Object{}, Upsert: []json.RawMessage{}, Remove: []string{}}
	for k := range old.Fields {
		if _, ok := new.Fields[k]; !ok {
			return Patch{}, false
		}
	}
	for k, nv := range new.Fields {
		if ov, ok := old.Fields[k]; !ok || !bytes.Equal(ov, nv) {
			p.Set[k] = nv
		}
	}
	if spec.Explicit {
		if _, clash := new.Fields[OrderField]; clash {
			return Patch{}, false
		}
	}
	for i, it := range new.Items {
		for _, val := range it {
			if string(val) == "null" {
				return Patch{}, false
			}
		}
		if i > 0 && !spec.Explicit && !spec.Less(new.Fields, new.Items[i-1], it) {
			return Patch{}, false
		}
		j, known := old.byKey[new.keys[i]]
		if !known {
			p.Upsert = append(p.Upsert, encode(it))
			continue
		}
		prev := old.Items[j]
		var ch Object
		for f, val := range it {
			if ov, ok := prev[f]; !ok || !bytes.Equal(ov, val) {
				if ch == nil {
					ch = Object{}
				}
				ch[f] = val
			}
		}
		for f := range prev {
			if _, ok := it[f]; !ok {
				if ch == nil {
					ch = Object{}
				}
				ch[f] = json.RawMessage("null")
			}
		}
		if ch != nil {
			ch[spec.Key] = it[spec.Key]
			p.Upsert = append(p.Upsert, encode(ch))
		}
	}
	for _, k := range old.keys {
		if _, ok := new.byKey[k]; !ok {
			p.Remove = append(p.Remove, k)
		}
	}
	if spec.Explicit && !equalKeys(old.keys, new.keys) {
		p.Set[OrderField] = encode(new.keys)
	}
	return p, true
}

func equalKeys(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func encode(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("patch: encoding: %v", err)) // raw JSON and strings always encode
	}
	return b
}

// Apply applies p to v in place, the client's side: set fields, merge
// upserted items into the known ones field by field (a null field leaves
// the item), add new ones, drop removed keys, and order the list by the
// kind's rule. An error means the patch does not fit the view: a client
// then asks for the whole view (resync).
func Apply(v *View, p Patch) error {
	spec, ok := Lists[v.Kind]
	if !ok {
		return fmt.Errorf("patch: kind %q has no patched list", v.Kind)
	}
	var order []string
	for k, val := range p.Set {
		if spec.Explicit && k == OrderField {
			if err := json.Unmarshal(val, &order); err != nil {
				return fmt.Errorf("patch: order: %w", err)
			}
			continue
		}
		v.Fields[k] = val
	}
	if v.byKey == nil {
		v.byKey = map[string]int{}
	}
	if len(p.Upsert) > 0 || len(p.Remove) > 0 || order != nil {
		v.HasList = true
	}
	gone := make(map[string]bool, len(p.Remove))
	for _, k := range p.Remove {
		if _, ok := v.byKey[k]; !ok {
			return fmt.Errorf("patch: removes unknown key %q", k)
		}
		gone[k] = true
	}
	for _, raw := range p.Upsert {
		var it Object
		if err := json.Unmarshal(raw, &it); err != nil {
			return fmt.Errorf("patch: upsert: %w", err)
		}
		var k string
		if json.Unmarshal(it[spec.Key], &k) != nil {
			return errNoKey
		}
		i, known := v.byKey[k]
		if !known {
			v.byKey[k] = len(v.Items)
			v.Items = append(v.Items, it)
			v.keys = append(v.keys, k)
			continue
		}
		for f, val := range it {
			if string(val) == "null" {
				delete(v.Items[i], f)
			} else {
				v.Items[i][f] = val
			}
		}
	}
	if len(gone) > 0 {
		keep := v.Items[:0]
		for i, it := range v.Items {
			if !gone[v.keys[i]] {
				keep = append(keep, it)
			}
		}
		v.Items = keep
	}
	if spec.Explicit {
		if order != nil {
			byKey := make(map[string]Object, len(v.Items))
			for _, it := range v.Items {
				var k string
				json.Unmarshal(it[spec.Key], &k)
				byKey[k] = it
			}
			if len(order) != len(byKey) {
				return fmt.Errorf("patch: order names %d items, the list has %d", len(order), len(byKey))
			}
			items := make([]Object, len(order))
			for i, k := range order {
				it, ok := byKey[k]
				if !ok {
					return fmt.Errorf("patch: order names unknown key %q", k)
				}
				items[i] = it
			}
			v.Items = items
		}
	} else {
		sort.SliceStable(v.Items, func(i, j int) bool { return spec.Less(v.Fields, v.Items[i], v.Items[j]) })
	}
	return v.index(spec)
}

// Marshal encodes the view again, with its list (keys in another order
// than the server's: compare views with Equal).
func (v *View) Marshal() []byte {
	out := make(Object, len(v.Fields)+1)
	for k, val := range v.Fields {
		out[k] = val
	}
	if spec, ok := Lists[v.Kind]; ok && v.HasList {
		items := v.Items
		if items == nil {
			items = []Object{}
		}
		out[spec.Field] = encode(items)
	}
	return encode(out)
}

// Equal says whether two encoded JSON values are the same value, whatever
// the order of their objects' keys.
func Equal(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return bytes.Equal(encode(x), encode(y))
}
