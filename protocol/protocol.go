// Package protocol is the one Go definition of the wire (docs/protocol.md):
// message types, error codes, close statuses and the rule for command ids.
// The server's packages use these names, never string literals; the pages
// keep their twin in static/js/conn.js. Tests and the load generator keep
// black-box copies on purpose.
package protocol

// Message types.
const (
	TypeHello     = "hello"
	TypeWelcome   = "welcome"
	TypeCmd       = "cmd"
	TypeAck       = "ack"
	TypeError     = "error"
	TypeSession   = "session"
	TypeActivity  = "activity"
	TypePatch     = "patch"
	TypeResync    = "resync"
	TypeYou       = "you"
	TypeReconnect = "reconnect"
	TypePing      = "ping"
	TypePong      = "pong"
	// TypeReactions pushes a reaction tick's counts to facilitators and
	// displays (PROTOCOL.md 1.2).
	TypeReactions = "reactions"
	// TypeReact is a tap sent as a message of its own: never answered
	// unless refused, so that a storm of taps costs no acks.
	TypeReact = "react"
)

// Error codes, on the websocket and in HTTP error bodies.
const (
	CodeBadRequest           = "bad_request"
	CodeUnauthorized         = "unauthorized"
	CodeForbidden            = "forbidden"
	CodeNotFound             = "not_found"
	CodeRateLimited          = "rate_limited"
	CodeTooLarge             = "too_large"
	CodeActivityClosed       = "activity_closed"
	CodeInvalidChoice        = "invalid_choice"
	CodeSessionEnded         = "session_ended"
	CodeInternal             = "internal"
	CodeUnavailable          = "unavailable"
	CodeConflict             = "conflict"
	CodeLimitReached         = "limit_reached"
	CodeUnsupportedMediaType = "unsupported_media_type"
)

// CloseStatus is a websocket close status code.
type CloseStatus int

// Close statuses (docs/protocol.md, "Close statuses and what a client
// does"). Only CloseNormal and ClosePolicy tell a client to stop: every
// other status is followed by a reconnect with the same credential.
const (
	CloseNormal      CloseStatus = 1000
	CloseGoingAway   CloseStatus = 1001
	CloseInvalidData CloseStatus = 1007 // a text frame that is not UTF-8
	// ClosePolicy is only for a credential that is definitely invalid, or
	// no hello in time: the client stops.
	ClosePolicy        CloseStatus = 1008
	CloseTooBig        CloseStatus = 1009
	CloseTryAgainLater CloseStatus = 1013
	// CloseFlooding: commands faster than allowed for too long; the client
	// waits at least FloodBackoffSeconds before it reconnects.
	CloseFlooding CloseStatus = 4029
)

// FloodBackoffSeconds is the least a client waits after CloseFlooding.
const FloodBackoffSeconds = 5

// Reconnects says whether a client reconnects after a close with s.
func (s CloseStatus) Reconnects() bool { return s != CloseNormal && s != ClosePolicy }

// CloseReason is a close status with the reason sent beside it.
type CloseReason struct {
	Status CloseStatus
	Reason string
}

// The close reasons the server sends.
var (
	CloseReasonNoHello      = CloseReason{ClosePolicy, "no hello in time"}
	CloseReasonUnauthorized = CloseReason{ClosePolicy, CodeUnauthorized}
	CloseReasonNotFound     = CloseReason{ClosePolicy, CodeNotFound}
	CloseReasonBadHello     = CloseReason{ClosePolicy, "the first message must be a hello"}
	CloseReasonUnavailable  = CloseReason{CloseTryAgainLater, CodeUnavailable}
	CloseReasonDraining     = CloseReason{CloseTryAgainLater, "server draining"}
	CloseReasonSlow         = CloseReason{CloseTryAgainLater, "too slow to keep up"}
	CloseReasonTooMany      = CloseReason{CloseTryAgainLater, CodeLimitReached}
	CloseReasonGoingAway    = CloseReason{CloseGoingAway, "server going away"}
	CloseReasonNoPong       = CloseReason{CloseGoingAway, "no pong"}
	CloseReasonFlooding     = CloseReason{CloseFlooding, "too many commands"}
	CloseReasonInvalidUTF8  = CloseReason{CloseInvalidData, "text frames must be UTF-8"}
)

// MaxIDLength is the longest command id.
const MaxIDLength = 64

// ValidID says whether id is a command id the protocol accepts: 1 to 64
// characters from [A-Za-z0-9._:-].
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > MaxIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}
