package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// inMsg is the part of a server message the load generator reads: the
// envelope of acks, errors, welcomes and reconnects, plus the results that
// some acks carry.
type inMsg struct {
	Type        string          `json:"type"`
	ID          string          `json:"id"`
	Code        string          `json:"code"`
	Message     string          `json:"message"`
	Retryable   bool            `json:"retryable"`
	Activity    json.RawMessage `json:"activity"` // an id in an ack, a view in a push
	Entry       string          `json:"entry"`
	Hand        string          `json:"hand"`
	Session     string          `json:"session"`
	Participant string          `json:"participant"`
	Offset      uint64          `json:"offset"`
	View        *sessionView    `json:"view"`

	raw []byte // the welcome as received, for the byte count
}

type sessionView struct {
	ID         string            `json:"id"`
	Code       string            `json:"code"`
	Presented  string            `json:"presented"`
	Activities []json.RawMessage `json:"activities"`
}

// httpError is an HTTP answer other than the expected one.
type httpError struct {
	Status int
	Code   string
	Msg    string
}

func (e *httpError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Msg)
}

// client does the HTTP side of the protocol against one base URL.
type client struct {
	base string
	http *http.Client
}

func (c *client) do(ctx context.Context, method, path, bearer string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		_ = json.Unmarshal(data, &e)
		return &httpError{Status: resp.StatusCode, Code: e.Error.Code, Msg: e.Error.Message}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

type created struct {
	ID             string `json:"id"`
	Code           string `json:"code"`
	FacilitatorKey string `json:"facilitatorKey"`
	DisplayKey     string `json:"displayKey"`
}

func (c *client) createSession(ctx context.Context, title, createToken string) (created, error) {
	var out created
	err := c.do(ctx, http.MethodPost, "/api/sessions", createToken, map[string]string{"title": title}, http.StatusCreated, &out)
	return out, err
}

func (c *client) join(ctx context.Context, code, name string) (string, error) {
	var out struct {
		Token string `json:"token"`
	}
	err := c.do(ctx, http.MethodPost, "/api/join", "", map[string]string{"code": code, "name": name}, http.StatusOK, &out)
	if err == nil && out.Token == "" {
		err = errors.New("join answered without a token")
	}
	return out.Token, err
}

func (c *client) export(ctx context.Context, id, key string) (json.RawMessage, error) {
	var out json.RawMessage
	err := c.do(ctx, http.MethodGet, "/api/sessions/"+id+"/export", key, nil, http.StatusOK, &out)
	return out, err
}

// wsURL turns an http(s) base URL into the protocol's websocket URL.
func wsURL(base string) string {
	switch {
	case strings.HasPrefix(base, "https://"):
		return "wss://" + strings.TrimPrefix(base, "https://") + "/ws"
	case strings.HasPrefix(base, "http://"):
		return "ws://" + strings.TrimPrefix(base, "http://") + "/ws"
	}
	return base + "/ws"
}

// hello dials the websocket, says hello with token and waits for the
// welcome. The returned message is the welcome.
// With compress it offers permessage-deflate without context takeover.
func hello(ctx context.Context, hc *http.Client, base, token string, readLimit int64, patches, compress bool) (*websocket.Conn, *inMsg, error) {
	opts := &websocket.DialOptions{HTTPClient: hc}
	if compress {
		opts.CompressionMode = websocket.CompressionNoContextTakeover
	}
	c, _, err := websocket.Dial(ctx, wsURL(base), opts)
	if err != nil {
		return nil, nil, &connErr{stage: "dial", err: err}
	}
	c.SetReadLimit(readLimit)
	b, _ := json.Marshal(map[string]any{"type": "hello", "token": token, "since": 0, "patches": patches})
	if err := c.Write(ctx, websocket.MessageText, b); err != nil {
		c.CloseNow()
		return nil, nil, &connErr{stage: "hello", err: err}
	}
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			c.CloseNow()
			return nil, nil, &connErr{stage: "welcome", err: err}
		}
		var m inMsg
		if err := json.Unmarshal(data, &m); err != nil {
			c.CloseNow()
			return nil, nil, &connErr{stage: "welcome", err: err}
		}
		switch m.Type {
		case "welcome":
			m.raw = data
			return c, &m, nil
		case "error":
			c.CloseNow()
			return nil, nil, &connErr{stage: "hello", err: &httpError{Code: m.Code, Msg: m.Message}}
		}
	}
}

// facilitator runs the setup commands one at a time over its own socket.
type facilitator struct {
	conn *websocket.Conn
	seq  int
}

// cmd sends one command and waits for its ack; pushes in between are skipped.
func (f *facilitator) cmd(ctx context.Context, op string, args map[string]any) (*inMsg, error) {
	f.seq++
	id := fmt.Sprintf("setup-%d-%d", time.Now().UnixNano(), f.seq)
	m := map[string]any{"type": "cmd", "id": id, "op": op}
	for k, v := range args {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := f.conn.Write(ctx, websocket.MessageText, b); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	for {
		_, data, err := f.conn.Read(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		var r inMsg
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		if r.ID != id {
			continue
		}
		switch r.Type {
		case "ack":
			return &r, nil
		case "error":
			return nil, fmt.Errorf("%s: %s: %s", op, r.Code, r.Message)
		}
	}
}
