package web

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"

	"github.com/townhall/townhall/hub"
)

func (s *Server) websocket(c echo.Context) error {
	ws, err := websocket.Accept(smallBuffers{c.Response()}, c.Request(), &websocket.AcceptOptions{
		OriginPatterns: s.cfg.AllowedOrigins,
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
		ws.Close(websocket.StatusPolicyViolation, "no hello in time")
	})
	_, data, err := ws.Read(ctx)
	if !late.Stop() || err != nil {
		return nil
	}
	var hello struct {
		Type  string `json:"type"`
		Token string `json:"token"`
	}
	refuse := func(code, msg string) error {
		b, _ := json.Marshal(hub.ErrorMsg{Type: "error", Code: code, Message: msg})
		wctx, cancel := context.WithTimeout(ctx, s.cfg.HelloTimeout)
		defer cancel()
		ws.Write(wctx, websocket.MessageText, b)
		ws.Close(websocket.StatusPolicyViolation, code)
		return nil
	}
	if json.Unmarshal(data, &hello) != nil || hello.Type != "hello" {
		return refuse("bad_request", "The first message must be a hello.")
	}
	cred, ok := s.tokens.check(hello.Token)
	if !ok {
		return refuse("unauthorized", "The token is not valid.")
	}
	h, release, err := s.cfg.Hubs.Acquire(ctx, cred.Session)
	if err != nil {
		if errors.Is(err, hub.ErrShutdown) {
			ws.Close(websocket.StatusGoingAway, "server going away")
			return nil
		}
		return refuse("unauthorized", "There is no such session.")
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
		err := h.Serve(ctx, ws, cred.Role, cred.Participant)
		if err != nil && websocket.CloseStatus(err) == -1 && !errors.Is(err, context.Canceled) {
			s.log.Debug("websocket ended", "err", err)
		}
	}()
	return nil
}

// Buffer sizes of a websocket connection. net/http hands a hijacked
// connection its 4 KiB request reader and a new 4 KiB writer, which the
// websocket keeps for as long as the phone stays: 8 KiB of the 16 KiB of
// heap an idle phone held (docs/benchmarks.md). Phones send small commands,
// and an attendee's pushes (a poll, a "you", an ack) are a few hundred
// bytes: a frame that fits the write buffer is still one write system
// call, a larger one takes two.
const (
	wsReadBuffer  = 1 << 10
	wsWriteBuffer = 2 << 10
)

// smallBuffers is the response writer given to websocket.Accept: its
// Hijack swaps net/http's buffers for smaller ones.
type smallBuffers struct{ *echo.Response }

func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := w.Response.Hijack()
	if err != nil {
		return conn, brw, err
	}
	r := brw.Reader
	if r.Buffered() == 0 {
		// Nothing was read past the request: the rest is in the socket.
		r = bufio.NewReaderSize(conn, wsReadBuffer)
	}
	if brw.Writer.Buffered() != 0 {
		return conn, brw, nil
	}
	return conn, bufio.NewReadWriter(r, bufio.NewWriterSize(conn, wsWriteBuffer)), nil
}

var _ http.Hijacker = smallBuffers{}
