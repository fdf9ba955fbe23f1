package session

import (
	"errors"
	"strings"
	"testing"
)

func TestCleanText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string // "" when refused
	}{
		{"as is", "Water", 40, "Water"},
		{"trimmed", "  water\t\n", 40, "water"},
		{"inner space collapsed", "clean   air", 40, "clean air"},
		{"tabs and newlines are space", "clean\t\n\r air", 40, "clean air"},
		{"no-break and ideographic space", "clean\u00a0\u3000air", 40, "clean air"},
		{"NEL is white space", "\u0085clean\u0085air\u0085", 40, "clean air"},
		// Stored as received: NFC is for counting and matching only.
		{"decomposed kept", "e\u0301", 40, "e\u0301"},
		{"composed kept", "\u00e9", 40, "\u00e9"},
		{"a decomposed sequence kept", "A\u030a ring", 40, "A\u030a ring"},
		// NFC would insert U+034F after 30 combining marks (UAX #15's
		// stream-safe format): the text is kept without it.
		{"a long run of combining marks kept", "x" + strings.Repeat("\u0301", 40), 41, "x" + strings.Repeat("\u0301", 40)},
		{"a received grapheme joiner kept and counted", "a\u034fb", 3, "a\u034fb"},
		{"a long run over max", "x" + strings.Repeat("\u0301", 40), 40, ""},
		{"case kept", "WATER", 40, "WATER"},
		{"markup kept", "<script>x</script>", 40, "<script>x</script>"},
		{"right-to-left override kept", "a\u202eb", 40, "a\u202eb"},
		{"zero-width space kept", "a\u200bb", 40, "a\u200bb"},
		{"zero-width joiner kept", "👨\u200d👩", 40, "👨\u200d👩"},
		{"exactly max code points", strings.Repeat("é", 5), 5, strings.Repeat("é", 5)},
		{"max counted in NFC", strings.Repeat("e\u0301", 5), 5, strings.Repeat("e\u0301", 5)},
		{"max counted in NFC, one over", strings.Repeat("e\u0301", 6), 5, ""},
		{"max counted after trimming", "   abc   ", 3, "abc"},
		{"max counted after collapsing", "a     b", 3, "a b"},
		{"one over max", strings.Repeat("é", 6), 5, ""},
		{"emoji over max", strings.Repeat("😀", 6), 5, ""},
		{"empty", "", 40, ""},
		{"spaces only", " \t\n\u00a0", 40, ""},
		{"NUL", "a\x00", 40, ""},
		{"BEL", "\x07", 40, ""},
		{"BS", "a\bb", 40, ""},
		{"ESC", "\x1b", 40, ""},
		{"DEL", "\x7f", 40, ""},
		{"C1 control", "\u0080", 40, ""},
		{"C1 CSI", "\u009b", 40, ""},
		{"invalid UTF-8", "\xff", 40, ""},
		{"a lone surrogate's bytes", "\xed\xa0\x80", 40, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CleanText(tt.in, tt.max)
			if tt.want == "" {
				var e *Error
				if !errors.As(err, &e) || e.Code != CodeBadRequest {
					t.Fatalf("CleanText(%q) = %q, %v; want bad_request", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("CleanText(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

// Titles may be empty; every other rule holds.
func TestCleanTextAllowEmpty(t *testing.T) {
	if got, err := cleanText("  ", 10, true); err != nil || got != "" {
		t.Fatalf("empty allowed: %q, %v", got, err)
	}
	if _, err := cleanText("\x00", 10, true); err == nil || err.Code != CodeBadRequest {
		t.Fatalf("control character in an allowed-empty text: %v", err)
	}
}

// foldKey is what words are counted by: two entries are one word exactly
// when their keys are equal.
func TestFoldKey(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"Water", "water", true},
		{"WATER", "water", true},
		{"wa\u0074er", "water", true},
		{"É", "é", true},
		{"STRASSE", "straße", true}, // full case folding: ß folds to ss
		{"Straße", "STRASSE", true},
		{"ΣΊΣΥΦΟΣ", "σίσυφος", true}, // final sigma folds to sigma
		{"ﬁre", "fire", true},
		{"ǅ", "ǆ", true},
		{"İstanbul", "istanbul", false}, // folding is not Turkish-specific: İ keeps its dot
		{"résumé", "resume", false},
		{"clean air", "cleanair", false},
		{"a\u200bb", "ab", false},
	}
	for _, tt := range tests {
		// Keys are taken of cleaned text, as wordSubmit does.
		a, errA := cleanText(tt.a, 40, false)
		b, errB := cleanText(tt.b, 40, false)
		if errA != nil || errB != nil {
			t.Fatalf("%q, %q: %v %v", tt.a, tt.b, errA, errB)
		}
		if same := foldKey(a) == foldKey(b); same != tt.same {
			t.Errorf("foldKey(%q) = %q, foldKey(%q) = %q: same %v, want %v", tt.a, foldKey(a), tt.b, foldKey(b), same, tt.same)
		}
	}
}
