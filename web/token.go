package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/townhall/townhall/session"
)

// Tokens are "<kind>.<session>[.<participant>].<mac>", where mac is an
// HMAC-SHA256 of the rest under the deployment's secret: any instance that
// shares the secret can check them without a look-up, and the mac's 192
// bits make them unguessable.
type tokens struct{ secret []byte }

// Credentials is what a valid token says.
type Credentials struct {
	Role        session.Role
	Session     string
	Participant string
}

// roleKinds are the token kinds. A moderator key is a kind of its own, not
// a facilitator key with a flag: a facilitator key made before moderators
// existed can never be read as one, and a moderator key never as the other.
var roleKinds = map[session.Role]string{
	session.Facilitator: "f", session.Moderator: "m", session.Display: "d", session.Attendee: "a",
}

func (t tokens) mac(parts ...string) string {
	m := hmac.New(sha256.New, t.secret)
	m.Write([]byte(strings.Join(parts, ".")))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:24])
}

func (t tokens) issue(c Credentials) string {
	parts := []string{roleKinds[c.Role], c.Session}
	if c.Role == session.Attendee {
		parts = append(parts, c.Participant)
	}
	return strings.Join(parts, ".") + "." + t.mac(parts...)
}

// joinKeyKind is the kind a join key is made under; no token has it, so a
// join key is never a credential and no credential is a join key.
const joinKeyKind = "j"

// joinKey is the key a session's join link carries (PROTOCOL.md, "the join
// key"): derived from the session id, so every instance that shares the
// secret checks it without storing anything. 128 bits keep it unguessable
// and the link, and so the QR code, short.
func (t tokens) joinKey(session string) string {
	m := hmac.New(sha256.New, t.secret)
	m.Write([]byte(joinKeyKind + "." + session))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// checkJoinKey says whether key is the join key of session.
func (t tokens) checkJoinKey(session, key string) bool {
	return key != "" && hmac.Equal([]byte(key), []byte(t.joinKey(session)))
}

// check returns the credentials of a token, or false if it is not one of
// ours.
func (t tokens) check(token string) (Credentials, bool) {
	parts := strings.Split(token, ".")
	if len(parts) < 3 || len(parts) > 4 {
		return Credentials{}, false
	}
	body, mac := parts[:len(parts)-1], parts[len(parts)-1]
	if !hmac.Equal([]byte(mac), []byte(t.mac(body...))) {
		return Credentials{}, false
	}
	var c Credentials
	switch {
	case body[0] == "f" && len(body) == 2:
		c = Credentials{Role: session.Facilitator, Session: body[1]}
	case body[0] == "m" && len(body) == 2:
		c = Credentials{Role: session.Moderator, Session: body[1]}
	case body[0] == "d" && len(body) == 2:
		c = Credentials{Role: session.Display, Session: body[1]}
	case body[0] == "a" && len(body) == 3:
		c = Credentials{Role: session.Attendee, Session: body[1], Participant: body[2]}
	default:
		return Credentials{}, false
	}
	return c, true
}
