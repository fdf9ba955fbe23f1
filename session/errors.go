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
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(code, msg string) *Error { return &Error{Code: code, Message: msg} }
