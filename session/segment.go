package session

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
)

// Results by constituency (PROTOCOL.md 1.2, "Constituencies"): an activity
// created with "segment": true gives facilitators, displays and the export
// its counts once per constituency, each participant counted in the
// constituency they joined with. A kind takes part with two lines: its New
// checks the spec with CheckSegmenting, and its view sets
//
//	v.segmentFields = segmentsIn(a, role, lang, answers, count)
//
// (its view struct embeds segmentFields) from its answers by participant
// and a function that counts a group's.

// DefaultMinSegment is the fewest answers a constituency needs to be shown
// in a view when the spec does not say: below it, one person's answer could
// be singled out on a screen.
const DefaultMinSegment = 5

// maxMinSegment bounds minSegment: more would hide every group of a hall.
const maxMinSegment = 1000

// forExport is the role segmentsOf is asked for by an export: every group,
// however small, since the export is the facilitator's own record.
const forExport Role = "export"

// Segmenting is what a spec asks for: whether results are split by
// constituency, and the fewest answers a group needs to be shown.
type Segmenting struct {
	Segment    bool `json:"segment,omitempty"`
	MinSegment int  `json:"minSegment,omitempty"`
}

// CheckSegmenting reads "segment" and "minSegment" from a spec: minSegment
// is 1 to 1,000 (0 or absent means DefaultMinSegment), and only with
// "segment": true.
func CheckSegmenting(spec *ActivitySpec) (Segmenting, *Error) {
	var s Segmenting
	if spec == nil {
		return s, nil
	}
	if err := spec.Decode(&s); err != nil {
		return s, errorf(CodeBadRequest, "segment must be true or false, and minSegment a whole number.")
	}
	if s.MinSegment != 0 && !s.Segment {
		return s, errorf(CodeBadRequest, "minSegment needs \"segment\": true.")
	}
	if s.MinSegment < 0 || s.MinSegment > maxMinSegment {
		return s, errorf(CodeBadRequest, "minSegment must be 1 to "+strconv.Itoa(maxMinSegment)+".")
	}
	if s.Segment && s.MinSegment == 0 {
		s.MinSegment = DefaultMinSegment
	}
	return s, nil
}

// segmenting is the activity's Segmenting as its spec says. Views ask on
// every push, so an activity that was not segmented costs a map look-up:
// "segment" is one of the fields a kind reads for itself (Extra).
func (a *Activity) segmenting() Segmenting {
	if a.Spec == nil || a.Spec.Extra["segment"] == nil {
		return Segmenting{}
	}
	s, _ := CheckSegmenting(a.Spec)
	return s
}

// Segment is one constituency's results: its name ("other" for those who
// answered "other", "" for those who gave none), how many of its
// participants answered, and the kind's counts of their answers. In JSON
// the counts' fields sit beside "constituency" and "responses", as the
// activity's own sit in its view.
type Segment struct {
	Constituency string
	// Names is the constituency's name per language, for facilitators,
	// displays and the export, when the list gives it so.
	Names     map[string]string
	Responses int
	Counts    any
}

// MarshalJSON writes the segment as one flat object.
func (s Segment) MarshalJSON() ([]byte, error) {
	head, err := json.Marshal(struct {
		Constituency string            `json:"constituency"`
		Names        map[string]string `json:"constituencyNames,omitempty"`
		Responses    int               `json:"responses"`
	}{s.Constituency, s.Names, s.Responses})
	if err != nil || s.Counts == nil {
		return head, err
	}
	counts, err := json.Marshal(s.Counts)
	if err != nil {
		return nil, err
	}
	counts = bytes.TrimSpace(counts)
	if len(counts) < 2 || counts[0] != '{' {
		return nil, &json.UnsupportedValueError{Str: "a segment's counts must be an object"}
	}
	if string(counts) == "{}" {
		return head, nil
	}
	out := append(head[:len(head)-1:len(head)-1], ',')
	return append(out, counts[1:]...), nil
}

// segmentFields are the fields a segmented activity adds to its view:
// its spec's two, and the groups with how many were left out. A kind's
// view struct embeds it.
type segmentFields struct {
	Segment    bool `json:"segment,omitempty"`
	MinSegment int  `json:"minSegment,omitempty"`
	// Segments is nil where they are not given (not segmented, or not to
	// this role), and empty when every group was left out.
	Segments       []Segment `json:"segments,omitzero"`
	SegmentsHidden *int      `json:"segmentsHidden,omitempty"`
}

// segmentsOf groups answers (participant → their answer) by the
// constituency each participant joined with, and counts each group with
// count, which must not depend on the order of the answers it is given.
//
// What comes back is what role may see. Attendees, displays the results
// are hidden from, and activities not segmented get no groups. Facilitators
// and displays get the groups with at least minSegment answers and, in
// SegmentsHidden, how many groups with answers were left out. The export
// (forExport) gets every group: each of the session's constituencies even
// without answers, then "other", then any other name (one given before the
// list changed), then those who gave none ("").
//
// A group is named in lang (segmentsIn); the export's, segmentsOf's, by its identity.
func segmentsOf[T any](a *Activity, role Role, answers map[string]T, count func([]T) any) segmentFields {
	return segmentsIn(a, role, "", answers, count)
}

// segmentsIn is segmentsOf with each group named in lang.
func segmentsIn[T any](a *Activity, role Role, lang string, answers map[string]T, count func([]T) any) segmentFields {
	seg := a.segmenting()
	if !seg.Segment {
		return segmentFields{}
	}
	f := segmentFields{Segment: true, MinSegment: seg.MinSegment}
	if a.s == nil || (role != forExport && (role == Attendee || !a.revealedTo(role))) {
		return f
	}
	byStored := map[string][]T{}
	for p, ans := range answers {
		c := ""
		if who := a.s.Participants[p]; who != nil {
			c = who.Constituency
		}
		byStored[c] = append(byStored[c], ans)
	}
	// A participant counts in the list's constituency whose name in any
	// language is the one they joined with: the list's identities change
	// when its default-language names do, the people in it do not.
	groups := make(map[string][]T, len(byStored))
	for c, g := range byStored {
		if c != "" && c != OtherConstituency {
			c = a.s.ConstituencyID(c)
		}
		groups[c] = append(groups[c], g...)
	}
	var names []string
	listed := map[string]bool{}
	for _, c := range a.s.Constituencies {
		names = append(names, c)
		listed[c] = true
	}
	var others []string
	for c := range groups {
		if !listed[c] && c != OtherConstituency && c != "" {
			others = append(others, c)
		}
	}
	sort.Strings(others)
	if len(groups[OtherConstituency]) > 0 {
		names = append(names, OtherConstituency)
	}
	names = append(names, others...)
	if len(groups[""]) > 0 {
		names = append(names, "")
	}
	f.Segments = []Segment{}
	hidden := 0
	for _, c := range names {
		g := groups[c]
		if role != forExport && len(g) < seg.MinSegment {
			if len(g) > 0 {
				hidden++
			}
			continue
		}
		sg := Segment{Constituency: c, Responses: len(g), Counts: count(g)}
		if role != forExport {
			sg.Constituency = a.s.ConstituencyIn(c, lang)
		}
		if c != "" && c != OtherConstituency {
			sg.Names = a.s.constituencyNamesOf(c)
		}
		f.Segments = append(f.Segments, sg)
	}
	f.SegmentsHidden = &hidden
	return f
}

// SegmentNone is how the CSV export names the group of those who gave no
// constituency, beside the activity's own rows, whose constituency is
// empty.
const SegmentNone = "(none)"

// segmentName is a segment's constituency as the CSV writes it.
func segmentName(c string) string {
	if c == "" {
		return SegmentNone
	}
	return c
}
