package session

import (
	"errors"

	"github.com/townhall/townhall/protocol"
)

// ErrMalformed is returned for a message that is not the JSON it must be.
var ErrMalformed = errors.New("malformed message")

// Protocol error codes, defined once in package protocol.
const (
	CodeBadRequest     = protocol.CodeBadRequest
	CodeUnauthorized   = protocol.CodeUnauthorized
	CodeForbidden      = protocol.CodeForbidden
	CodeNotFound       = protocol.CodeNotFound
	CodeRateLimited    = protocol.CodeRateLimited
	CodeTooLarge       = protocol.CodeTooLarge
	CodeActivityClosed = protocol.CodeActivityClosed
	CodeInvalidChoice  = protocol.CodeInvalidChoice
	CodeSessionEnded   = protocol.CodeSessionEnded
	CodeInternal       = protocol.CodeInternal
	CodeUnavailable    = protocol.CodeUnavailable
	CodeConflict       = protocol.CodeConflict
	CodeLimitReached   = protocol.CodeLimitReached
)

// Error is a command refused by the checks or by the reducer. It is part of
// a command's Result, kept so that a retried command gets the same answer.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Reason, Max and Name let a page say the refusal in its own language
	// (Message is English): which cap, how many it allows, and who holds
	// the floor or what is on screen.
	Reason string `json:"reason,omitempty"`
	Max    int    `json:"max,omitempty"`
	Name   string `json:"name,omitempty"`
}

// Refusal reasons (Error.Reason).
const (
	ReasonQAPerParticipant = "qa_per_participant"
	ReasonQAEntries        = "qa_entries"
	ReasonActivities       = "activities"
	ReasonFloorTaken       = "floor_taken"       // Name has the floor
	ReasonFloorEmpty       = "floor_empty"       // nobody has the floor
	ReasonPresentedOther   = "presented_other"   // Name is on screen
	ReasonPresentedNone    = "presented_none"    // nothing is on screen
	ReasonAlreadyPresented = "already_presented" // what was asked is on screen
	ReasonAlreadyOpen      = "already_open"
	ReasonNotOpen          = "not_open"
)

// with adds the page's reason and its values to an error.
func (e *Error) with(reason string, max int, name string) *Error {
	e.Reason, e.Max, e.Name = reason, max, name
	return e
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(code, msg string) *Error { return &Error{Code: code, Message: msg} }
