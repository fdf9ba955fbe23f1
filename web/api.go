package web

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/hub"
	"github.com/townhall/townhall/protocol"
	"github.com/townhall/townhall/session"
)

// unavailableRetry is the Retry-After of an answer that the store could
// not give: long enough for a Redis failover or a restart to pass, short
// enough that a phone in a hall gets in soon after.
const unavailableRetry = 2 * time.Second

// storeError maps a failure of the store, or of loading a session's hub,
// to an HTTP answer. Whatever it is (a timeout, Redis away, a full disk,
// the server shutting down), it may pass: 503 unavailable with a
// Retry-After, never 500, so a client tries again rather than giving up.
func storeError(err error) error {
	if errors.Is(err, eventlog.ErrNotFound) {
		return fail(http.StatusNotFound, protocol.CodeNotFound, "There is no such session.")
	}
	return &apiError{Status: http.StatusServiceUnavailable, Code: protocol.CodeUnavailable,
		Message: "The server cannot reach its store now; try again in a moment.", RetryAfter: unavailableRetry, cause: err}
}

// baseURL is the base of the links in a create answer and of the QR
// code: --public-url, or the request's own scheme and host when that host
// is allowed. Anything else would let a request's Host header choose
// where a hall's phones are sent.
func (s *Server) baseURL(c echo.Context) (string, error) {
	if s.cfg.PublicURL != "" {
		return strings.TrimRight(s.cfg.PublicURL, "/"), nil
	}
	r := c.Request()
	if !s.hostAllowed(r.Host) {
		return "", fail(http.StatusBadRequest, protocol.CodeBadRequest, fmt.Sprintf(
			"This server does not build links for the host %q: start it with --public-url, or add the host to --allowed-hosts.", r.Host))
	}
	return s.scheme(r) + "://" + r.Host, nil
}

// decodeJSON reads the request's body as exactly one JSON value into v;
// like is the shape the error message shows.
func decodeJSON(c echo.Context, v any, like string) error {
	dec := json.NewDecoder(c.Request().Body)
	err := dec.Decode(v)
	if err == nil {
		// A second value, or anything but white space after the first, is
		// not the body the client meant to send.
		var extra json.RawMessage
		if err = dec.Decode(&extra); err == io.EOF {
			return nil
		}
		if err == nil {
			err = errors.New("trailing data")
		}
	}
	if errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
		return err
	}
	return fail(http.StatusBadRequest, protocol.CodeBadRequest, "The body must be one JSON object like "+like+", and nothing after it.")
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
	ID    string `json:"id"`
	Code  string `json:"code"`
	Title string `json:"title"`
	// FacilitatorKey and Links.Host are left out of the links answer to a
	// moderator: a moderator's key must never lead to the facilitator's.
	FacilitatorKey string `json:"facilitatorKey,omitempty"`
	ModeratorKey   string `json:"moderatorKey"`
	DisplayKey     string `json:"displayKey"`
	JoinKey        string `json:"joinKey"`
	Links          struct {
		Join     string `json:"join"`
		Host     string `json:"host,omitempty"`
		Moderate string `json:"moderate"`
		Show     string `json:"show"`
	} `json:"links"`
}

// answer is the create answer of a session: its keys and the links that
// carry them, the facilitator's only when withHost.
func (s *Server) answer(base, id, code, title string, withHost bool) createAnswer {
	a := createAnswer{ID: id, Code: code, Title: title,
		ModeratorKey: s.tokens.issue(Credentials{Role: session.Moderator, Session: id}),
		DisplayKey:   s.tokens.issue(Credentials{Role: session.Display, Session: id}),
		JoinKey:      s.tokens.joinKey(id),
	}
	if withHost {
		a.FacilitatorKey = s.tokens.issue(Credentials{Role: session.Facilitator, Session: id})
		a.Links.Host = base + "/host/" + id + "#" + a.FacilitatorKey
	}
	a.Links.Join = joinLink(base, code, a.JoinKey)
	a.Links.Moderate = base + "/moderate/" + id + "#" + a.ModeratorKey
	a.Links.Show = base + "/show/" + id + "#" + a.DisplayKey
	return a
}

// joinLink is the link a session's phones open, the join key in its
// fragment so that browsers never send it to a server.
func joinLink(base, code, key string) string { return base + "/j/" + code + "#" + key }

func (s *Server) createSession(c echo.Context) error {
	// Every attempt spends, a refused create token included: creating is
	// what fills the store, and guessing the token is no better.
	if wait := s.creates.take(limitKey(s.clientAddr(c.Request()))); wait > 0 {
		return failLater(http.StatusTooManyRequests, protocol.CodeRateLimited,
			"Too many sessions created from this address; wait a little.", wait)
	}
	if s.cfg.CreateToken != "" && bearer(c) != s.cfg.CreateToken {
		return fail(http.StatusUnauthorized, protocol.CodeUnauthorized, "Creating a session needs the server's create token.")
	}
	var req struct {
		Title          session.Text   `json:"title"`
		Languages      []string       `json:"languages"`
		Constituencies []session.Text `json:"constituencies"`
		Plan           *session.Plan  `json:"plan"`
	}
	if err := decodeJSON(c, &req, `{"title": "…"} or {"plan": {"title": "…", "activities": […]}}`); err != nil {
		return err
	}
	// A plan brings its title and settings; those given beside it are the
	// new session's.
	if p := req.Plan; p != nil {
		if !req.Title.Translated() && req.Title[""] == "" {
			req.Title = p.Title
		}
		if req.Languages == nil {
			req.Languages = p.Languages
		}
		if req.Constituencies == nil {
			req.Constituencies = p.Constituencies
		}
	}
	// Judged whole before anything is stored: a plan with one activity
	// the session would refuse creates nothing.
	create := session.Command{Op: session.OpCreate, Titles: req.Title, Rules: session.CurrentRules,
		Languages: req.Languages, Constituencies: req.Constituencies}
	events, bad, cerr := session.PlanEvents(create, req.Plan, s.cfg.Hubs.Limits())
	if cerr != nil {
		if bad >= 0 {
			return fail(http.StatusBadRequest, protocol.CodeBadRequest,
				fmt.Sprintf("The plan's activity %d cannot be created: %s", bad, cerr.Message))
		}
		return fail(http.StatusBadRequest, protocol.CodeBadRequest, cerr.Message)
	}
	// The title as this answer and the console's heading say it: the
	// default language's.
	title := events[0].Cmd.Title
	if t := events[0].Cmd.Titles; t.Translated() {
		title = t.In("", events[0].Cmd.Languages[0])
	}
	// Before anything is stored: a create whose links cannot be built
	// leaves nothing behind.
	base, err := s.baseURL(c)
	if err != nil {
		return err
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
	events[0].Cmd.Session, events[0].Cmd.Code = id, code
	// One append after another: a failure part way leaves a session whose
	// keys nobody was given, as a failure after Store.Create does.
	for _, ev := range events {
		if _, err := s.cfg.Store.Append(ctx, id, ev); err != nil {
			return storeError(err)
		}
	}
	a := s.answer(base, id, code, title, true)
	s.log.Info("audit: session created", "session", id, "ip", c.RealIP())
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

// join answers POST /api/join. Only failures (a malformed or unknown
// code) spend from the address's budget. Once it is spent, the address
// gets 429 whatever it sends, unless it carries the session's join key:
// the phones that scanned the QR code get in while someone at the same
// address guesses, and the guesser cannot tell a right code from a wrong
// one by adding a made-up key.
func (s *Server) join(c echo.Context) (err error) {
	defer s.countJoin(&err)
	return s.joinOrPreview(c, false)
}

// joinPreview answers POST /api/join/preview: the same body and checks as
// a join (and the same limit on wrong codes), but nothing is appended and
// no token is made. It answers what a phone shows before it joins: the
// session's title and the constituencies to choose from.
func (s *Server) joinPreview(c echo.Context) error { return s.joinOrPreview(c, true) }

func (s *Server) joinOrPreview(c echo.Context, preview bool) error {
	var req struct {
		Code         string `json:"code"`
		Key          string `json:"key"`
		Name         string `json:"name"`
		Constituency string `json:"constituency"`
	}
	if err := decodeJSON(c, &req, `{"code": "1234 5678"}`); err != nil {
		return err
	}
	addr := limitKey(s.clientAddr(c.Request()))
	wait := s.joins.blocked(addr)
	limited := func() error {
		return failLater(http.StatusTooManyRequests, protocol.CodeRateLimited,
			"Too many wrong codes from this address; wait a little, or scan the QR code.", wait)
	}
	if wait > 0 && req.Key == "" {
		return limited()
	}
	unknown := func() error {
		if wait > 0 {
			return limited()
		}
		s.joins.spend(addr)
		// The code tried is not logged: a right one would be a secret.
		s.log.Info("audit: failed join", "reason", "unknown code", "addr", addr)
		return fail(http.StatusNotFound, protocol.CodeNotFound, "There is no session with that code.")
	}
	code, ok := normalizeCode(req.Code)
	if !ok {
		return unknown()
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
			return fail(http.StatusBadRequest, protocol.CodeBadRequest, "Name and constituency must be up to 80 characters of text.")
		}
		*f.out = v
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 5*time.Second)
	defer cancel()
	id, err := s.cfg.Store.LookupCode(ctx, code)
	if errors.Is(err, eventlog.ErrNotFound) {
		return unknown()
	}
	if err != nil {
		return storeError(err)
	}
	if wait > 0 && !s.tokens.checkJoinKey(id, req.Key) {
		return limited()
	}
	h, release, err := s.cfg.Hubs.Acquire(ctx, id)
	if err != nil {
		return storeError(err)
	}
	// As this replica knows it now: a session.end it has not applied yet
	// is caught by the reducer, which ignores a join into an ended
	// session; the participant cap may be passed by the joins in flight.
	n, ended := h.JoinState()
	// The reducer judges again: a list changed since is its to catch.
	cerr := h.CheckJoin(ev.Cmd)
	info := h.JoinInfo()
	release()
	if ended {
		return fail(http.StatusConflict, protocol.CodeSessionEnded, "This session has ended; it takes no more participants.")
	}
	if n >= s.cfg.MaxParticipants {
		return fail(http.StatusTooManyRequests, protocol.CodeLimitReached,
			fmt.Sprintf("This session is full: it has %d participants, the most allowed.", n))
	}
	if preview {
		return c.JSON(http.StatusOK, info)
	}
	if cerr != nil && cerr.Code == protocol.CodeBadRequest {
		return fail(http.StatusBadRequest, protocol.CodeBadRequest, cerr.Message)
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
		return nil, nil, fail(http.StatusUnauthorized, protocol.CodeUnauthorized, "This needs the session's facilitator key.")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 10*time.Second)
	defer cancel()
	h, release, err := s.cfg.Hubs.Acquire(ctx, id)
	if err != nil {
		return nil, nil, storeError(err)
	}
	return h, release, nil
}

// linksAnswer is the create answer again, with the role of the key that
// asked and the ops it may send (session.Rights), so that a console shows
// only the controls of its role, from the table the reducer judges by.
type linksAnswer struct {
	createAnswer
	Role session.Role `json:"role"`
	May  []string     `json:"may"`
}

// sessionLinks answers GET /api/sessions/{id}/links: the create answer's
// keys and links again, for a console opened in another browser than the
// one that created the session (it has only its own key). The display
// link and the join key must reach it so that it can open the projector
// and hand out links that skip the typed-code limit. A moderator gets the
// moderator link too (it is the one it holds, and lets it bring in a
// second moderator without asking the host), never the facilitator's.
func (s *Server) sessionLinks(c echo.Context) error {
	h, release, role, err := s.teamHub(c)
	if err != nil {
		return err
	}
	defer release()
	title, code := h.Title()
	base, err := s.baseURL(c)
	if err != nil {
		return err
	}
	a := linksAnswer{createAnswer: s.answer(base, c.Param("id"), code, title, role == session.Facilitator),
		Role: role, May: session.Rights(role)}
	return c.JSON(http.StatusOK, a)
}

// teamHub checks that the request carries the session's facilitator or
// moderator key and returns the session's hub and which of the two it is.
func (s *Server) teamHub(c echo.Context) (*hub.Hub, func(), session.Role, error) {
	id := c.Param("id")
	cred, ok := s.tokens.check(bearer(c))
	if !ok || (cred.Role != session.Facilitator && cred.Role != session.Moderator) || cred.Session != id {
		return nil, nil, "", fail(http.StatusUnauthorized, protocol.CodeUnauthorized, "This needs the session's facilitator or moderator key.")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 10*time.Second)
	defer cancel()
	h, release, err := s.cfg.Hubs.Acquire(ctx, id)
	if err != nil {
		return nil, nil, "", storeError(err)
	}
	return h, release, cred.Role, nil
}

// deleteSession removes a session and its log everywhere (PROTOCOL.md 1.1,
// "Sessions are deleted, not wiped"). Its clients get not_found and 1008;
// no instance takes it for a store that lost data.
func (s *Server) deleteSession(c echo.Context) error {
	id := c.Param("id")
	cred, ok := s.tokens.check(bearer(c))
	if !ok || cred.Role != session.Facilitator || cred.Session != id {
		return fail(http.StatusUnauthorized, protocol.CodeUnauthorized, "This needs the session's facilitator key.")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 10*time.Second)
	defer cancel()
	if err := s.cfg.Hubs.Delete(ctx, id); err != nil {
		return storeError(err)
	}
	s.log.Info("audit: session deleted", "session", id, "ip", c.RealIP())
	return c.NoContent(http.StatusNoContent)
}

// plan answers GET /api/sessions/{id}/plan: the session's settings and
// every activity's spec, no answers, for POST /api/sessions to make the
// next session from.
func (s *Server) plan(c echo.Context) error {
	h, release, err := s.facilitatorHub(c)
	if err != nil {
		return err
	}
	defer release()
	ctx, cancel := context.WithTimeout(c.Request().Context(), 10*time.Second)
	defer cancel()
	p, err := h.Plan(ctx)
	if err != nil {
		return storeError(err)
	}
	return c.JSON(http.StatusOK, p)
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
	return fail(http.StatusBadRequest, protocol.CodeBadRequest, "format must be json or csv.")
}

func (s *Server) ready(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.readiness(ctx); err != nil {
		return c.String(http.StatusServiceUnavailable, err.Error()+"\n")
	}
	return c.String(http.StatusOK, "ready\n")
}
