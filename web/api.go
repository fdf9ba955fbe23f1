package web

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/hub"
	"github.com/townhall/townhall/session"
)

// storeError maps a store failure to an HTTP answer.
func storeError(err error) error {
	switch {
	case errors.Is(err, eventlog.ErrNotFound):
		return fail(http.StatusNotFound, "not_found", "There is no such session.")
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, eventlog.ErrUnavailable), errors.Is(err, hub.ErrShutdown):
		return fail(http.StatusServiceUnavailable, "internal", "The store cannot be reached now; try again.")
	}
	return err
}

func (s *Server) baseURL(c echo.Context) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimRight(s.cfg.PublicURL, "/")
	}
	return c.Scheme() + "://" + c.Request().Host
}

func bearer(c echo.Context) string {
	h := c.Request().Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func newSessionID() string {
	var b [10]byte
	rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

func newCode() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(100_000_000))
	return fmt.Sprintf("%08d", n.Int64())
}

type createAnswer struct {
	ID             string `json:"id"`
	Code           string `json:"code"`
	Title          string `json:"title"`
	FacilitatorKey string `json:"facilitatorKey"`
	DisplayKey     string `json:"displayKey"`
	Links          struct {
		Join string `json:"join"`
		Host string `json:"host"`
		Show string `json:"show"`
	} `json:"links"`
}

func (s *Server) createSession(c echo.Context) error {
	if s.cfg.CreateToken != "" && bearer(c) != s.cfg.CreateToken {
		return fail(http.StatusUnauthorized, "unauthorized", "Creating a session needs the server's create token.")
	}
	var req struct {
		Title string `json:"title"`
	}
	if err := json.NewDecoder(c.Request().Body).Decode(&req); err != nil {
		return fail(http.StatusBadRequest, "bad_request", "The body must be JSON like {\"title\": \"…\"}.")
	}
	title, err := session.CleanText(req.Title, 200)
	if err != nil {
		return fail(http.StatusBadRequest, "bad_request", "The title must be 1 to 200 characters of text.")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 5*time.Second)
	defer cancel()
	id := newSessionID()
	if _, err := s.cfg.Store.Create(ctx, id); err != nil {
		return storeError(err)
	}
	var code string
	for try := 0; ; try++ {
		code = newCode()
		err := s.cfg.Store.ClaimCode(ctx, code, id)
		if err == nil {
			break
		}
		if !errors.Is(err, eventlog.ErrExists) || try == 20 {
			return storeError(err)
		}
	}
	ev := session.Event{Cmd: session.Command{Op: session.OpCreate, Session: id, Code: code, Title: title}}
	if _, err := s.cfg.Store.Append(ctx, id, ev); err != nil {
		return storeError(err)
	}
	a := createAnswer{ID: id, Code: code, Title: title,
		FacilitatorKey: s.tokens.issue(Credentials{Role: session.Facilitator, Session: id}),
		DisplayKey:     s.tokens.issue(Credentials{Role: session.Display, Session: id}),
	}
	base := s.baseURL(c)
	a.Links.Join = base + "/j/" + code
	a.Links.Host = base + "/host/" + id + "#" + a.FacilitatorKey
	a.Links.Show = base + "/show/" + id + "#" + a.DisplayKey
	return c.JSON(http.StatusCreated, a)
}

// normalizeCode drops the spaces and dashes people type in codes.
func normalizeCode(code string) (string, bool) {
	var b strings.Builder
	for _, r := range code {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '\u00a0':
		default:
			return "", false
		}
	}
	return b.String(), b.Len() == 8
}

func (s *Server) join(c echo.Context) error {
	ip := c.RealIP()
	if wait := s.joins.blocked(ip); wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds()+0.999)))
		return fail(http.StatusTooManyRequests, "rate_limited", "Too many wrong codes from this address; wait a little.")
	}
	var req struct {
		Code         string `json:"code"`
		Name         string `json:"name"`
		Constituency string `json:"constituency"`
	}
	if err := json.NewDecoder(c.Request().Body).Decode(&req); err != nil {
		return fail(http.StatusBadRequest, "bad_request", "The body must be JSON like {\"code\": \"1234 5678\"}.")
	}
	code, ok := normalizeCode(req.Code)
	if !ok {
		s.joins.failed(ip)
		return fail(http.StatusNotFound, "not_found", "There is no session with that code.")
	}
	var ev session.Event
	ev.Cmd.Op = session.OpJoin
	for _, f := range []struct {
		in  string
		out *string
	}{{req.Name, &ev.Cmd.Name}, {req.Constituency, &ev.Cmd.Constituency}} {
		if f.in == "" {
			continue
		}
		v, err := session.CleanText(f.in, 80)
		if err != nil {
			return fail(http.StatusBadRequest, "bad_request", "Name and constituency must be up to 80 characters of text.")
		}
		*f.out = v
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 5*time.Second)
	defer cancel()
	id, err := s.cfg.Store.LookupCode(ctx, code)
	if errors.Is(err, eventlog.ErrNotFound) {
		s.joins.failed(ip)
		return fail(http.StatusNotFound, "not_found", "There is no session with that code.")
	}
	if err != nil {
		return storeError(err)
	}
	off, err := s.cfg.Store.Append(ctx, id, ev)
	if err != nil {
		return storeError(err)
	}
	participant := "p" + strconv.FormatUint(off, 10)
	return c.JSON(http.StatusOK, map[string]string{
		"session": id, "participant": participant,
		"token": s.tokens.issue(Credentials{Role: session.Attendee, Session: id, Participant: participant}),
	})
}

// facilitatorHub checks the facilitator key of the request and returns
// the session's hub.
func (s *Server) facilitatorHub(c echo.Context) (*hub.Hub, func(), error) {
	id := c.Param("id")
	cred, ok := s.tokens.check(bearer(c))
	if !ok || cred.Role != session.Facilitator || cred.Session != id {
		return nil, nil, fail(http.StatusUnauthorized, "unauthorized", "This needs the session's facilitator key.")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 10*time.Second)
	defer cancel()
	h, release, err := s.cfg.Hubs.Acquire(ctx, id)
	if err != nil {
		return nil, nil, storeError(err)
	}
	return h, release, nil
}

func (s *Server) export(c echo.Context) error {
	h, release, err := s.facilitatorHub(c)
	if err != nil {
		return err
	}
	defer release()
	ctx, cancel := context.WithTimeout(c.Request().Context(), 10*time.Second)
	defer cancel()
	x, err := h.Export(ctx)
	if err != nil {
		return storeError(err)
	}
	name := "townhall-" + x.Code
	switch c.QueryParam("format") {
	case "", "json":
		c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+`.json"`)
		return c.JSON(http.StatusOK, x)
	case "csv":
		c.Response().Header().Set("Content-Type", "text/csv; charset=utf-8")
		c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		c.Response().WriteHeader(http.StatusOK)
		return writeCSV(c.Response(), x)
	}
	return fail(http.StatusBadRequest, "bad_request", "format must be json or csv.")
}

func (s *Server) ready(c echo.Context) error {
	if s.draining.Load() {
		return c.String(http.StatusServiceUnavailable, "draining: shutting down\n")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Store.Ready(ctx); err != nil {
		return c.String(http.StatusServiceUnavailable, "store: "+err.Error()+"\n")
	}
	if broken := s.cfg.Hubs.Broken(); len(broken) > 0 {
		return c.String(http.StatusServiceUnavailable, "sessions whose log changed: "+strings.Join(broken, "; ")+"\n")
	}
	return c.String(http.StatusOK, "ready\n")
}
