package web

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/hub"
	"github.com/townhall/townhall/protocol"
)

func (s *Server) websocket(c echo.Context) error {
	// hub.Accept keeps the socket under the websocket: the hub writes its
	// frames on it past the library (hub/socket.go), compressed when the
	// client offers permessage-deflate, as browsers do: without context
	// takeover, so that one compressed view serves every connection and an
	// idle one holds no compressor (hub/deflate.go).
	ws, sock, err := hub.Accept(smallBuffers{c.Response()}, c.Request(), &websocket.AcceptOptions{
		OriginPatterns:       s.cfg.AllowedOrigins,
		CompressionMode:      websocket.CompressionNoContextTakeover,
		CompressionThreshold: hub.DeflateMin,
	})
	if err != nil {
		return nil // Accept has answered the request
	}
	handedOff := false
	defer func() {
		if !handedOff {
			ws.CloseNow()
		}
	}()
	ws.SetReadLimit(s.cfg.ReadLimit)
	ctx := c.Request().Context()

	// Cancelling a read would drop the connection without a close frame,
	// so the timeout closes it properly from the side instead.
	late := time.AfterFunc(s.cfg.HelloTimeout, func() {
		ws.Close(websocket.StatusCode(protocol.CloseReasonNoHello.Status), protocol.CloseReasonNoHello.Reason)
	})
	_, data, err := ws.Read(ctx)
	if !late.Stop() || err != nil {
		return nil
	}
	var hello struct {
		Type    string `json:"type"`
		Token   string `json:"token"`
		Patches bool   `json:"patches"` // pages opt in once they apply patches
		Lang    string `json:"lang"`    // the page's language (PROTOCOL.md 1.2)
	}
	refuse := func(r protocol.CloseReason, e hub.ErrorMsg) error {
		e.Type = protocol.TypeError
		b, _ := json.Marshal(e)
		wctx, cancel := context.WithTimeout(ctx, s.cfg.HelloTimeout)
		defer cancel()
		ws.Write(wctx, websocket.MessageText, b)
		ws.Close(websocket.StatusCode(r.Status), r.Reason)
		return nil
	}
	if !utf8.Valid(data) {
		ws.Close(websocket.StatusCode(protocol.CloseReasonInvalidUTF8.Status), protocol.CloseReasonInvalidUTF8.Reason)
		return nil
	}
	if json.Unmarshal(data, &hello) != nil || hello.Type != protocol.TypeHello {
		return refuse(protocol.CloseReasonBadHello, hub.ErrorMsg{Code: protocol.CodeBadRequest, Message: "The first message must be a hello."})
	}
	cred, ok := s.tokens.check(hello.Token)
	if !ok {
		s.log.Info("audit: websocket refused", "reason", "bad token", "ip", c.RealIP())
		return refuse(protocol.CloseReasonUnauthorized, hub.ErrorMsg{Code: protocol.CodeUnauthorized, Message: "The token is not valid."})
	}
	h, release, err := s.cfg.Hubs.Acquire(ctx, cred.Session)
	switch {
	case err == nil:
	case errors.Is(err, eventlog.ErrNotFound):
		// Definite: the session does not exist (or was deleted).
		return refuse(protocol.CloseReasonNotFound, hub.ErrorMsg{Code: protocol.CodeNotFound, Message: "This session does not exist any more."})
	case errors.Is(err, hub.ErrShutdown):
		return refuse(protocol.CloseReasonDraining, hub.ErrorMsg{Code: protocol.CodeUnavailable, Retryable: true,
			Message: "The server is restarting: connect again."})
	default:
		// Anything else may pass (a timeout, Redis unreachable): never a
		// reason for the client to give up its credential.
		s.log.Warn("loading a session for a websocket", "session", cred.Session, "err", err)
		return refuse(protocol.CloseReasonUnavailable, hub.ErrorMsg{Code: protocol.CodeUnavailable, Retryable: true,
			Message: "The session cannot be loaded right now: connect again in a moment."})
	}
	// The connection is served by a goroutine of its own and this handler
	// returns: net/http's goroutine for the request, whose stack grew deep
	// in routing and the upgrade, lets go of the request, its headers and
	// echo's context, which an idle phone would otherwise hold for as long
	// as it stays (docs/benchmarks.md). A hijacked request's context ends
	// when its handler returns and never before, so the connection's
	// context is a fresh one; Manager.Shutdown closes connections.
	handedOff = true
	go func() {
		defer ws.CloseNow()
		defer release()
		ctx := context.Background()
		err := h.Serve(ctx, ws, sock, cred.Role, cred.Participant, hello.Patches, hello.Lang)
		if err != nil && websocket.CloseStatus(err) == -1 && !errors.Is(err, context.Canceled) {
			s.log.Debug("websocket ended", "err", err)
		}
	}()
	return nil
}

// The read buffer of a websocket connection. net/http hands a hijacked
// connection its 4 KiB request reader, which the websocket keeps for as
// long as the phone stays (docs/benchmarks.md); phones send small
// commands. The write buffer is hub.Accept's: the hub writes its frames on
// the socket itself, and the library only its control frames.
const wsReadBuffer = 1 << 10

// smallBuffers is the response writer given to websocket.Accept: its
// Hijack swaps net/http's read buffer for a smaller one.
type smallBuffers struct{ *echo.Response }

func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := w.Response.Hijack()
	if err != nil {
		return conn, brw, err
	}
	if brw.Reader.Buffered() == 0 {
		// Nothing was read past the request: the rest is in the socket.
		brw.Reader = bufio.NewReaderSize(conn, wsReadBuffer)
	}
	return conn, brw, nil
}

var _ http.Hijacker = smallBuffers{}
