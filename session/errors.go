package session

import "errors"

// ErrMalformed is returned for a message that is not the JSON it must be.
var ErrMalformed = errors.New("malformed message")

// Protocol error codes (PROTOCOL.md).
const (
	CodeBadRequest     = "bad_request"
	CodeUnauthorized   = "unauthorized"
	CodeForbidden      = "forbidden"
	CodeNotFound       = "not_found"
	CodeRateLimited    = "rate_limited"
	CodeTooLarge       = "too_large"
	CodeActivityClosed = "activity_closed"
	CodeInvalidChoice  = "invalid_choice"
	CodeSessionEnded   = "session_ended"
	CodeInternal       = "internal"
)

// Error is a command refused by the checks or by the reducer. It is part of
// a command's Result, kept so that a retried command gets the same answer.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(code, msg string) *Error { return &Error{Code: code, Message: msg} }
