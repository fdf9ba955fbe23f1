package hub

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/townhall/townhall/session"
)

// ErrorMsg is the websocket error message.
type ErrorMsg struct {
	Type      string `json:"type"`
	ID        string `json:"id,omitempty"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	Retryable bool   `json:"retryable,omitempty"`
}

type ackMsg struct {
	Type     string `json:"type"`
	ID       string `json:"id"`
	Activity string `json:"activity,omitempty"`
	Entry    string `json:"entry,omitempty"`
	Hand     string `json:"hand,omitempty"`
}

func errFrame(id, code, msg string) []byte {
	return frame(ErrorMsg{Type: "error", ID: id, Code: code, Message: msg})
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
		var env struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		}
		if err := json.Unmarshal(data, &env); err != nil {
			h.answer(c, errFrame("", session.CodeBadRequest, "The message is not valid JSON."))
			continue
		}
		switch env.Type {
		case "cmd":
			start := time.Now()
			h.answer(c, h.command(ctx, c, data, env.ID))
			if m := h.m.cfg.Metrics; m != nil {
				m.CommandTime.Observe(time.Since(start).Seconds())
			}
		case "hello":
			// A repeated hello changes nothing: the connection is set up.
		case "ping":
			h.answer(c, []byte(`{"type":"pong"}`))
		default:
			h.answer(c, errFrame(env.ID, session.CodeBadRequest, "Unknown message type \""+env.Type+"\"."))
		}
	}
}

func (h *Hub) answer(c *Conn, f []byte) {
	if !c.reply(f, h.m.cfg.MaxReplies) {
		c.closeWith(CloseFlooding, nil)
	}
}

// command checks a command against the replica, appends it, waits until
// the replica has applied it, and answers with what the reducer decided.
// A command id seen before is answered as the first time, without a new
// append.
func (h *Hub) command(ctx context.Context, c *Conn, data []byte, rawID string) []byte {
	cmd, err := session.ParseCommand(data)
	if err != nil {
		h.m.cfg.Metrics.command("unknown", session.CodeBadRequest)
		return errFrame(rawID, session.CodeBadRequest, "The command is not valid: "+err.Error())
	}
	op := cmd.Op
	if !session.KnownOp(op) {
		op = "unknown"
	}
	reject := func(code, msg string) []byte {
		h.m.cfg.Metrics.command(op, code)
		return errFrame(cmd.ID, code, msg)
	}
	if c.limiter == nil {
		c.limiter = rate.NewLimiter(rate.Limit(h.m.cfg.CommandRate), h.m.cfg.CommandBurst)
	}
	if !c.limiter.Allow() {
		return reject(session.CodeRateLimited, "Too many commands: slow down.")
	}
	if c.role == session.Display {
		return reject(session.CodeForbidden, "A display can only watch.")
	}
	actor := session.Host
	if c.role == session.Attendee {
		actor = c.participant
	}
	id := cmd.ID
	if id == "" {
		// Without an id the answer is found by one made up here.
		cmd.ID = "~" + strconv.FormatUint(h.m.anonIDs.Add(1), 36)
	}
	if !h.m.begin() {
		return h.retryable(op, id, "The server is restarting: send again.")
	}
	defer h.m.end()

	h.mu.RLock()
	broken := h.broken
	res, seen := h.state.Seen(actor, cmd.ID)
	var cerr *session.Error
	if !seen && broken == nil {
		cerr = h.state.Check(actor, cmd)
	}
	h.mu.RUnlock()
	if broken != nil {
		return h.retryable(op, id, "This session's log was lost; the facilitator must start again.")
	}
	if seen {
		return h.result(op, id, res)
	}
	if cerr != nil {
		return reject(cerr.Code, cerr.Message)
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

func (h *Hub) retryable(op, id, msg string) []byte {
	h.m.cfg.Metrics.command(op, session.CodeInternal)
	return frame(ErrorMsg{Type: "error", ID: id, Code: session.CodeInternal, Message: msg, Retryable: true})
}

func (h *Hub) result(op, id string, res session.Result) []byte {
	if res.Err != nil {
		h.m.cfg.Metrics.command(op, res.Err.Code)
		return errFrame(id, res.Err.Code, res.Err.Message)
	}
	h.m.cfg.Metrics.command(op, "ok")
	return frame(ackMsg{Type: "ack", ID: id, Activity: res.Activity, Entry: res.Entry, Hand: res.Hand})
}
