package session

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// cleanText trims a text and collapses inner white space to one space; the
// result is what is stored and shown, the characters exactly as received.
// It refuses control characters, and empty (unless allowed) or overlong
// text, counted in code points of its NFC form, so that "é" typed as e and
// a combining accent counts as one. NFC itself is for counting and matching
// only (foldKey): it may insert U+034F COMBINING GRAPHEME JOINER into a long
// run of combining marks (the stream-safe text format of UAX #15), and text
// stored in NFC would then not be the text received. Nothing is escaped:
// that is the page's job.
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
	out := b.String()
	if out == "" && !allowEmpty {
		return "", errorf(CodeBadRequest, "The text is empty.")
	}
	if n := codePoints(out); n > max {
		return "", errorf(CodeBadRequest, "The text is too long.")
	}
	return out, nil
}

// cgj is the character NFC inserts in long runs of combining marks.
const cgj = "\u034f"

// codePoints counts s in code points of its NFC form, leaving out the
// grapheme joiners that NFC inserted (those received are counted).
func codePoints(s string) int {
	if norm.NFC.IsNormalString(s) {
		return utf8.RuneCountInString(s)
	}
	n := norm.NFC.String(s)
	return utf8.RuneCountInString(n) - (strings.Count(n, cgj) - strings.Count(s, cgj))
}

// foldKey is the form of a text used for counting and matching: NFC,
// case-folded, NFC again (folding may leave a text that is not in NFC). It
// is never shown as a word's text.
func foldKey(s string) string {
	return norm.NFC.String(cases.Fold().String(norm.NFC.String(s)))
}

// CleanText is the server's rule for any text a person typed: trimmed,
// inner white space collapsed, otherwise as received; no control
// characters; 1 to max code points (counted in NFC). It returns a protocol
// error otherwise.
func CleanText(s string, max int) (string, error) {
	out, err := cleanText(s, max, false)
	if err != nil {
		return "", err
	}
	return out, nil
}
