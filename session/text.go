package session

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// cleanText trims a text, collapses inner white space to one space and puts
// it in NFC. It refuses control characters, and empty (unless allowed) or
// overlong text, counted in code points. Nothing is escaped: that is the
// page's job.
func cleanText(s string, max int, allowEmpty bool) (string, *Error) {
	if !utf8.ValidString(s) {
		return "", errorf(CodeBadRequest, "The text is not valid UTF-8.")
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if unicode.IsControl(r) {
			return "", errorf(CodeBadRequest, "The text contains control characters.")
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	out := norm.NFC.String(b.String())
	if out == "" && !allowEmpty {
		return "", errorf(CodeBadRequest, "The text is empty.")
	}
	if n := utf8.RuneCountInString(out); n > max {
		return "", errorf(CodeBadRequest, "The text is too long.")
	}
	return out, nil
}

// foldKey is the form of a word used for counting: case-folded NFC.
func foldKey(s string) string {
	return norm.NFC.String(cases.Fold().String(s))
}

// CleanText is the server's rule for any text a person typed: trimmed,
// inner white space collapsed, NFC, no control characters, 1 to max code
// points. It returns a protocol error otherwise.
func CleanText(s string, max int) (string, error) {
	out, err := cleanText(s, max, false)
	if err != nil {
		return "", err
	}
	return out, nil
}
