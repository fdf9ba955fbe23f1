package session

import (
	"strings"
	"unicode"
)

// profane lists words that flag an entry for the facilitator, in English,
// French and Spanish, folded. Matching is on whole words, so "Scunthorpe"
// and "therapeutic" pass. The list flags, it never drops: the facilitator
// decides.
var profane = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
		fuck fucking fucker motherfucker shit bullshit cunt asshole arsehole bitch bastard dick cock
		pussy wanker twat slut whore fag faggot nigger nigga retard prick bollocks
		merde putain connard connasse salope enculé encule bite couille couilles pute
		nique niquer batard bâtard pd pédé enfoiré fdp
		mierda puta puto cabrón cabron coño cono joder gilipollas pendejo pendeja verga
		chingar chingada culero maricón maricon zorra polla hijoputa`) {
		m[foldKey(w)] = true
	}
	return m
}()

// Profane says whether any whole word of text is on the list.
func Profane(text string) bool {
	for _, w := range strings.FieldsFunc(foldKey(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	}) {
		if profane[w] {
			return true
		}
	}
	return false
}
