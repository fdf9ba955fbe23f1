package hub

import (
	"context"
	"encoding/json"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/townhall/townhall/protocol"
	"github.com/townhall/townhall/session"
)

// ErrorMsg is the websocket error message.
type ErrorMsg struct {
	Type      string `json:"type"`
	ID        string `json:"id,omitempty"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	Retryable bool   `json:"retryable,omitempty"`
	// What a page needs to say a refusal in its own language
	// (session.Error).
	Reason string `json:"reason,omitempty"`
	Max    int    `json:"max,omitempty"`
	Name   string `json:"name,omitempty"`
}

type ackMsg struct {
	Type     string `json:"type"`
	ID       string `json:"id"`
	Activity string `json:"activity,omitempty"`
	Entry    string `json:"entry,omitempty"`
	Hand     string `json:"hand,omitempty"`
}

func errFrame(id, code, msg string) []byte {
	return frame(ErrorMsg{Type: protocol.TypeError, ID: id, Code: code, Message: msg})
}

type pongMsg struct {
	Type string `json:"type"`
	Now  string `json:"now"`
}

// readLoop reads the client's messages until the connection ends.
func (h *Hub) readLoop(ctx context.Context, c *Conn) error {
	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			return err
		}
		if typ != websocket.MessageText {
			h.answer(c, errFrame("", session.CodeBadRequest, "Messages are JSON text frames."))
			continue
		}
		if !utf8.Valid(data) {
			// The websocket library does not check text frames.
			h.m.cfg.Metrics.closed(protocol.CloseReasonInvalidUTF8)
			c.closeNow(protocol.CloseReasonInvalidUTF8)
			return errInvalidUTF8
		}
		var env struct {
			Type string `json:"type"`
			ID   string `json:"id"`
			Op   string `json:"op"`
		}
		if err := json.Unmarshal(data, &env); err != nil {
			h.answer(c, errFrame("", session.CodeBadRequest, "The message is not valid JSON."))
			continue
		}
		switch env.Type {
		case protocol.TypeCmd:
			start := time.Now()
			if env.Op == session.OpReact {
				// A tap is counted per tick, never appended
				// (hub/reactions.go), so it skips the command's decode.
				h.answer(c, h.react(c, data, env.ID, false))
				continue
			}
			h.answer(c, h.command(ctx, c, data, env.ID))
			if m := h.m.cfg.Metrics; m != nil {
				m.CommandTime.Observe(time.Since(start).Seconds())
			}
		case protocol.TypeReact:
			if f := h.react(c, data, "", true); f != nil {
				h.answer(c, f)
			}
		case protocol.TypeResync:
			h.answerResync(c, data, env.ID)
		case protocol.TypeHello:
			// A repeated hello changes nothing: the connection is set up.
		case protocol.TypePing:
			// One ping a second is free: pages send one after 20 s of
			// silence. Faster ones count as commands.
			now := time.Now()
			if now.Sub(c.lastPing) < time.Second && !h.allow(c) {
				h.answer(c, errFrame("", session.CodeRateLimited, "Too many pings: slow down."))
				continue
			}
			c.lastPing = now
			h.answer(c, frame(pongMsg{protocol.TypePong, nowString()}))
		default:
			h.answer(c, errFrame(echoID(env.ID), session.CodeBadRequest, "Unknown message type."))
		}
	}
}

var errInvalidUTF8 = errors.New("hub: a text frame that is not UTF-8")

// allow spends one of the connection's command tokens. A connection that
// keeps sending faster than allowed, past a budget of refusals, is closed
// with CloseFlooding: its refusals would otherwise cost as much as the
// commands.
func (h *Hub) allow(c *Conn) bool {
	if c.limiter == nil {
		c.limiter = rate.NewLimiter(rate.Limit(h.m.cfg.CommandRate), h.m.cfg.CommandBurst)
		// Refusals refill at half the command rate: a client sending at
		// twice the allowed rate is closed after about refusalBudget/5 s
		// at the defaults, one that bursts now and then never is.
		c.refusals = rate.NewLimiter(rate.Limit(h.m.cfg.CommandRate/2), refusalBudget)
	}
	if c.limiter.Allow() {
		return true
	}
	if !c.refusals.Allow() {
		if c.closeWith(protocol.CloseReasonFlooding, nil) {
			h.m.cfg.Metrics.closed(protocol.CloseReasonFlooding)
		}
	}
	return false
}

// refusalBudget is how many commands over the rate a connection may send
// before it is closed for flooding.
const refusalBudget = 50

func (h *Hub) answer(c *Conn, f []byte) {
	if !c.reply(f, h.m.cfg.MaxReplies) {
		// It sends faster than it reads its answers.
		if c.closeWith(protocol.CloseReasonFlooding, nil) {
			h.m.cfg.Metrics.closed(protocol.CloseReasonFlooding)
		}
	}
}

// command checks a command against the replica, appends it, waits until
// the replica has applied it, and answers with what the reducer decided.
// A command id seen before is answered as the first time, without a new
// append.
func (h *Hub) command(ctx context.Context, c *Conn, data []byte, rawID string) []byte {
	// The rate and the id are judged before the command is decoded: a
	// flood of oversized or id-less commands costs one envelope decode
	// each, not two (measured in cmd/townhall's TestIDFloodChangesNothing).
	if !h.allow(c) {
		h.m.cfg.Metrics.command("unknown", session.CodeRateLimited)
		return errFrame(echoID(rawID), session.CodeRateLimited, "Too many commands: slow down.")
	}
	if !protocol.ValidID(rawID) {
		// A command's id is how its answer is found again after a
		// reconnect; the server never makes one up (a made-up id could
		// name another command after a restart).
		h.m.cfg.Metrics.command("unknown", session.CodeBadRequest)
		return errFrame(echoID(rawID), session.CodeBadRequest, "Every command needs an \"id\" of 1 to 64 characters from A-Z, a-z, 0-9, '.', '_', ':' and '-'.")
	}
	cmd, err := session.ParseCommand(data)
	if err != nil {
		h.m.cfg.Metrics.command("unknown", session.CodeBadRequest)
		return errFrame(rawID, session.CodeBadRequest, "The command is not valid: "+err.Error())
	}
	// Entries carry the language their sender reads (PROTOCOL.md 1.2).
	cmd.Lang = c.lang
	op := cmd.Op
	if !session.KnownOp(op) {
		op = "unknown"
	}
	reject := func(code, msg string) []byte {
		h.m.cfg.Metrics.command(op, code)
		return errFrame(cmd.ID, code, msg)
	}
	if c.role == session.Display {
		return reject(session.CodeForbidden, "A display can only watch.")
	}
	actor := session.Host
	switch {
	case c.role == session.Attendee:
		actor = c.participant
	case c.moderator:
		actor = session.Mod
	}
	id := cmd.ID
	if !h.m.begin() {
		return h.retryable(op, id, "The server is restarting: send again.")
	}
	defer h.m.end()

	h.mu.RLock()
	broken := h.broken
	res, seen := h.state.Seen(actor, cmd.ID)
	var cerr *session.Error
	if !seen && broken == nil {
		// This instance's clock only refuses a late quiz answer early;
		// the log's stamp on the event is the judge.
		cerr = h.state.CheckAt(actor, cmd, time.Now())
	}
	h.mu.RUnlock()
	if broken != nil {
		return h.retryable(op, id, "This session's log was lost; the facilitator must start again.")
	}
	if seen {
		return h.result(op, id, res)
	}
	if cerr != nil {
		return h.result(op, id, session.Result{Err: cerr})
	}

	actx, cancel := context.WithTimeout(ctx, h.m.cfg.AppendTimeout)
	defer cancel()
	off, err := h.m.store.Append(actx, h.id, session.Event{Actor: actor, Cmd: cmd})
	if err != nil {
		if ctx.Err() == nil {
			h.m.cfg.Logger.Warn("append failed", "session", h.id, "err", err)
		}
		return h.retryable(op, id, "The command could not be saved now: send it again.")
	}
	if err := h.waitApplied(actx, off); err != nil {
		// It is in the log; a retry with the same id finds its answer.
		return h.retryable(op, id, "The command was saved but not yet applied: send it again.")
	}
	h.mu.RLock()
	res, seen = h.state.Seen(actor, cmd.ID)
	h.mu.RUnlock()
	if !seen {
		return h.retryable(op, id, "The command's answer is not known yet: send it again.")
	}
	return h.result(op, id, res)
}

// echoID is the id to name in an answer: an invalid one is not echoed
// (it may be kilobytes long).
func echoID(id string) string {
	if protocol.ValidID(id) {
		return id
	}
	return ""
}

// retryable answers a failure that may pass: the client sends the same
// id again later.
func (h *Hub) retryable(op, id, msg string) []byte {
	h.m.cfg.Metrics.command(op, session.CodeUnavailable)
	return frame(ErrorMsg{Type: protocol.TypeError, ID: id, Code: session.CodeUnavailable, Message: msg, Retryable: true})
}

func (h *Hub) result(op, id string, res session.Result) []byte {
	if e := res.Err; e != nil {
		h.m.cfg.Metrics.command(op, e.Code)
		return frame(ErrorMsg{Type: protocol.TypeError, ID: id, Code: e.Code, Message: e.Message, Reason: e.Reason, Max: e.Max, Name: e.Name})
	}
	h.m.cfg.Metrics.command(op, "ok")
	return frame(ackMsg{Type: protocol.TypeAck, ID: id, Activity: res.Activity, Entry: res.Entry, Hand: res.Hand})
}

// answerResync handles {"type": "resync", "activity": id}: the next tick
// sends the whole view of the activity. It counts as a command: a client
// asking again and again would cost a whole view each time.
func (h *Hub) answerResync(c *Conn, data []byte, rawID string) {
	var m struct {
		Activity string `json:"activity"`
	}
	if json.Unmarshal(data, &m) != nil || m.Activity == "" {
		h.answer(c, errFrame(echoID(rawID), session.CodeBadRequest, "A resync names its \"activity\"."))
		return
	}
	if !h.allow(c) {
		h.answer(c, errFrame(echoID(rawID), session.CodeRateLimited, "Too many resyncs: slow down."))
		return
	}
	h.mu.RLock()
	known := h.state.Activity(m.Activity) != nil && h.state.Visible(m.Activity, c.role)
	h.mu.RUnlock()
	if !known {
		h.answer(c, errFrame(echoID(rawID), session.CodeNotFound, "There is no such activity on this connection."))
		return
	}
	h.resync(c, m.Activity)
}
