// Package web serves Townhall over HTTP: the REST API, the websocket, the
// pages, health and metrics.
package web

import (
	"errors"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/hub"
	"github.com/townhall/townhall/protocol"
	"github.com/townhall/townhall/static"
)

// Config configures the server. Store, Hubs and Secret are required; the
// zero value of every other field works.
type Config struct {
	Store  eventlog.Store
	Hubs   *hub.Manager
	Secret []byte
	// PublicURL is the base of join links and QR codes. Empty means the
	// request's scheme and host.
	PublicURL string
	// AllowedOrigins are host patterns (path.Match syntax, e.g.
	// "*.example.org") whose pages may open a websocket besides the
	// server's own host. Empty means the same host only.
	AllowedOrigins []string
	// CreateToken, if set, must be presented to create a session.
	CreateToken string
	// ReadLimit is the largest websocket frame accepted. Zero means 8 KiB.
	ReadLimit int64
	// HelloTimeout is how long a new websocket may wait before its hello.
	// Zero means 10 s.
	HelloTimeout time.Duration
	// JoinFailures and JoinFailureEvery bound failed joins (a code that is
	// malformed or unknown) per client address: a bucket of JoinFailures
	// that refills one per JoinFailureEvery. A join that carries the
	// session's join key is never refused by it. Zero means 150 and 20 s:
	// a hall of 1,000 phones with 1 typo in 17 makes about 60 failures in
	// its minute of joining, while one address guessing gets at most
	// 150 + 180 wrong answers in its first hour and 180 an hour after
	// (docs/operations.md, "Limits and abuse").
	JoinFailures     int
	JoinFailureEvery time.Duration
	// CreateBurst and CreateEvery bound session creations per client
	// address: a bucket of CreateBurst that refills one per CreateEvery.
	// Zero means 60 and 2 s (30 a minute).
	CreateBurst int
	CreateEvery time.Duration
	// LimitedAddresses is how many client addresses each of those limits
	// keeps a bucket for; past it, new addresses share one bucket. Zero
	// means 100,000 (a few MB).
	LimitedAddresses int
	// MaxParticipants is the most participants a session takes; a join
	// past it is refused with 429 limit_reached. Zero means 100,000.
	MaxParticipants int
	// TrustedProxies are the networks of the reverse proxies in front of
	// the server. Only a TCP peer inside them makes the server read
	// X-Forwarded-For (the right-most address outside them is the client)
	// and X-Forwarded-Proto. Empty means none: the client is the TCP peer.
	TrustedProxies []netip.Prefix
	// AllowedHosts are the hosts ("name" for any port, or "name:port")
	// whose Host header may be used for join links and QR codes when
	// PublicURL is empty; a request from another host gets 400 instead of
	// a link that points at someone else. Empty means the loopback names:
	// localhost, 127.0.0.1 and ::1.
	AllowedHosts []string
	// HeaderTimeout, RequestTimeout and IdleTimeout are the HTTPServer's
	// limits: to read a request's headers, to read and answer a whole
	// request, and to keep an idle keep-alive connection. A websocket is
	// hijacked and bound by none of them. Zero means 10 s, 30 s and 120 s.
	HeaderTimeout  time.Duration
	RequestTimeout time.Duration
	IdleTimeout    time.Duration
	// Gatherer is served on /metrics unless MetricsElsewhere. Nil means
	// prometheus.DefaultGatherer.
	Gatherer         prometheus.Gatherer
	MetricsElsewhere bool
	Logger           *slog.Logger
	// Version is what GET /api/version reports. Empty means "devel".
	Version string
}

// Server is the HTTP side of one instance.
type Server struct {
	cfg    Config
	e      *echo.Echo
	tokens tokens
	// joins counts failed joins and creates counts session creations,
	// each per client address.
	joins, creates *addrLimiter
	hosts          []allowedHost
	log            *slog.Logger
	// draining is set on SIGTERM: /readyz answers 503 from then on.
	draining atomic.Bool
}

// Drain makes /readyz answer 503 from now on, so that a load balancer
// stops sending clients before the server goes away.
func (s *Server) Drain() { s.draining.Store(true) }

// contentSecurityPolicy keeps every script and style to the server's own
// files: user text can never run.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// createBodyLimit bounds the body of POST /api/sessions, plan included.
const createBodyLimit = "1M"

// New builds the server's routes.
func New(cfg Config) *Server {
	if cfg.ReadLimit == 0 {
		cfg.ReadLimit = 8 << 10
	}
	if cfg.HelloTimeout == 0 {
		cfg.HelloTimeout = 10 * time.Second
	}
	setDefault(&cfg.JoinFailures, 150)
	setDefault(&cfg.JoinFailureEvery, 20*time.Second)
	setDefault(&cfg.CreateBurst, 60)
	setDefault(&cfg.CreateEvery, 2*time.Second)
	setDefault(&cfg.LimitedAddresses, 100_000)
	setDefault(&cfg.MaxParticipants, 100_000)
	setDefault(&cfg.HeaderTimeout, 10*time.Second)
	setDefault(&cfg.RequestTimeout, 30*time.Second)
	setDefault(&cfg.IdleTimeout, 120*time.Second)
	if len(cfg.AllowedHosts) == 0 {
		cfg.AllowedHosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	if cfg.Gatherer == nil {
		cfg.Gatherer = prometheus.DefaultGatherer
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{
		cfg: cfg, e: echo.New(), tokens: tokens{cfg.Secret},
		joins:   newAddrLimiter(cfg.JoinFailures, cfg.JoinFailureEvery, cfg.LimitedAddresses),
		creates: newAddrLimiter(cfg.CreateBurst, cfg.CreateEvery, cfg.LimitedAddresses),
		hosts:   parseAllowedHosts(cfg.AllowedHosts),
		log:     cfg.Logger,
	}
	e := s.e
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = func(r *http.Request) string { return s.clientAddr(r).String() }
	e.HTTPErrorHandler = s.handleError
	e.Use(middleware.Recover())
	e.Use(s.accessLog)
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("Content-Security-Policy", contentSecurityPolicy)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "no-referrer")
			return next(c)
		}
	})

	// A create may carry a plan: hundreds of activities of long options
	// are more than the 64 KiB every other request is allowed.
	e.POST("/api/sessions", s.createSession, middleware.BodyLimit(createBodyLimit), requireJSON)
	api := e.Group("/api", middleware.BodyLimit("64K"), requireJSON)
	api.GET("/sessions/:id/plan", s.plan)
	api.POST("/join", s.join)
	api.POST("/join/preview", s.joinPreview)
	api.GET("/sessions/:id/export", s.export)
	api.DELETE("/sessions/:id", s.deleteSession)
	api.GET("/sessions/:id/links", s.sessionLinks)
	api.GET("/version", s.versionInfo)
	api.GET("/sessions/:id/qr.svg", s.qr)

	e.GET("/ws", s.websocket)
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	e.GET("/readyz", s.ready)
	if !cfg.MetricsElsewhere {
		e.GET("/metrics", echo.WrapHandler(MetricsHandler(cfg.Gatherer)))
	}

	pages, _ := fs.Sub(static.FS, ".")
	noCache := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Response().Header().Set("Cache-Control", "no-cache")
			return next(c)
		}
	}
	gz := middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 256})
	e.FileFS("/", "index.html", pages, noCache, gz)
	e.FileFS("/j/:code", "attendee.html", pages, noCache, gz)
	e.GET("/host", func(c echo.Context) error { return c.Redirect(http.StatusFound, "/host/") })
	e.FileFS("/host/", "host.html", pages, noCache, gz)
	e.FileFS("/host/:id", "host.html", pages, noCache, gz)
	// The moderator's console is the facilitator's page: it shows the
	// controls of the role its key has (GET /api/sessions/{id}/links),
	// whatever the path, so a moderator key under /host/ is no more.
	e.FileFS("/moderate/:id", "host.html", pages, noCache, gz)
	e.FileFS("/show/:id", "show.html", pages, noCache, gz)
	// The report reads the facilitator export with the key of its
	// fragment, as the console does.
	e.FileFS("/report/:id", "report.html", pages, noCache, gz)
	assets := e.Group("/static", gz, noCache)
	assets.StaticFS("/", pages)
	return s
}

func setDefault[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}

// HTTPServer is an http.Server for s with the Config's timeouts. A
// hijacked connection (a websocket) is bound by none of them: net/http
// clears its deadlines when it hands it over.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.HeaderTimeout,
		// Read and write deadlines together bound a whole request: a body
		// dribbled in, or an answer read out byte by byte, cannot hold a
		// connection longer.
		ReadTimeout:  s.cfg.RequestTimeout,
		WriteTimeout: s.cfg.RequestTimeout,
		IdleTimeout:  s.cfg.IdleTimeout,
		ErrorLog:     slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

// requireJSON refuses a request with a body that does not say it is JSON:
// besides keeping the API to one format, it stops a page of another site
// from posting a form or text/plain body, which browsers send cross-site
// without asking.
func requireJSON(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
			mt, _, err := mime.ParseMediaType(c.Request().Header.Get("Content-Type"))
			if err != nil || mt != "application/json" {
				return fail(http.StatusUnsupportedMediaType, protocol.CodeUnsupportedMediaType,
					"The body must be JSON, sent with Content-Type: application/json.")
			}
		}
		return next(c)
	}
}

// clientAddr is the address of the client that made r: the TCP peer, or,
// when the peer is a trusted proxy, the right-most address of
// X-Forwarded-For that is not a trusted proxy. Proxies append the address
// they saw, so everything left of that is what the client itself wrote.
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	peer, ok := parseHop(r.RemoteAddr)
	if !ok || !s.trusted(peer) {
		return peer
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			// A trusted proxy wrote what follows; this one is not an
			// address, so the last proxy is as near the client as we know.
			return peer
		}
		if !s.trusted(a) {
			return a
		}
		peer = a
	}
	return peer
}

// parseHop reads an address as X-Forwarded-For and RemoteAddr write it:
// "1.2.3.4", "1.2.3.4:5678", "::1" or "[::1]:5678".
func parseHop(h string) (netip.Addr, bool) {
	h = strings.TrimSpace(h)
	if ap, err := netip.ParseAddrPort(h); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// scheme is "https" when the request came over TLS, or through a trusted
// proxy that says so in X-Forwarded-Proto (which the proxy must set, not
// append to: its first value is read).
func (s *Server) scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	if peer, ok := parseHop(r.RemoteAddr); ok && s.trusted(peer) {
		p, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
		if p = strings.ToLower(strings.TrimSpace(p)); p == "https" || p == "http" {
			return p
		}
	}
	return "http"
}

// allowedHost is one entry of Config.AllowedHosts; an empty port means
// any.
type allowedHost struct{ host, port string }

func parseAllowedHosts(list []string) []allowedHost {
	var out []allowedHost
	for _, h := range list {
		if host, port, ok := splitHost(h); ok {
			out = append(out, allowedHost{host, port})
		}
	}
	return out
}

// splitHost splits "name", "name:port", "::1" or "[::1]:port", lower case,
// without a trailing dot.
func splitHost(h string) (host, port string, ok bool) {
	h = strings.ToLower(strings.TrimSpace(h))
	switch hh, pp, err := net.SplitHostPort(h); {
	case err == nil:
		host, port = hh, pp
	case strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]"):
		host = h[1 : len(h)-1]
	case !strings.Contains(h, ":"):
		host = h
	case strings.Count(h, ":") > 1 && !strings.ContainsAny(h, "[]"):
		host = h // an IPv6 address as a list entry may be written bare
	default:
		return "", "", false
	}
	host = strings.TrimSuffix(host, ".")
	if a, err := netip.ParseAddr(host); err == nil {
		host = a.Unmap().String()
	}
	return host, port, host != ""
}

// hostAllowed says whether links may be built from the request's Host.
func (s *Server) hostAllowed(hostport string) bool {
	host, port, ok := splitHost(hostport)
	if !ok {
		return false
	}
	for _, a := range s.hosts {
		if a.host == host && (a.port == "" || a.port == port) {
			return true
		}
	}
	return false
}

// ProtocolVersion is the version of docs/protocol.md this server speaks.
const ProtocolVersion = "1.1"

func (s *Server) versionInfo(c echo.Context) error {
	v := s.cfg.Version
	if v == "" {
		v = "devel"
	}
	return c.JSON(http.StatusOK, map[string]string{"version": v, "protocol": ProtocolVersion})
}

// accessLog writes one line per request: never a header, a body or a
// query's values (keys and tokens travel in headers and fragments, which
// browsers do not send, but a query is anyone's to fill).
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // answer it now, so the status below is the one sent
		}
		r := c.Request()
		s.log.Info("http", "method", r.Method, "path", r.URL.Path, "status", c.Response().Status,
			"bytes", c.Response().Size, "ms", time.Since(start).Milliseconds(), "ip", c.RealIP())
		return nil
	}
}

// MetricsHandler serves g in the Prometheus text format.
func MetricsHandler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.e.ServeHTTP(w, r) }

// apiError is an HTTP error answer with a protocol code.
type apiError struct {
	Status  int
	Code    string
	Message string
	// RetryAfter, if set, is sent as Retry-After, in whole seconds and at
	// least 1.
	RetryAfter time.Duration
	// cause, if set, is the failure behind the answer, for the log.
	cause error
}

func (e *apiError) Error() string { return e.Message }

func fail(status int, code, msg string) error {
	return &apiError{Status: status, Code: code, Message: msg}
}

// failLater is fail with a Retry-After.
func failLater(status int, code, msg string, after time.Duration) error {
	return &apiError{Status: status, Code: code, Message: msg, RetryAfter: after}
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// handleError answers every error in the protocol's shape.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var ae *apiError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &he):
		ae = &apiError{Status: he.Code, Code: codeForStatus(he.Code), Message: http.StatusText(he.Code)}
		if m, ok := he.Message.(string); ok && m != "" {
			ae.Message = m
		}
	default:
		s.log.Error("request failed", "path", c.Request().URL.Path, "err", err)
		ae = &apiError{Status: http.StatusInternalServerError, Code: protocol.CodeInternal, Message: "Something went wrong on the server."}
	}
	if ae.cause != nil {
		s.log.Warn("request failed", "path", c.Request().URL.Path, "status", ae.Status, "err", ae.cause)
	}
	if ae.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(retrySeconds(ae.RetryAfter)))
	}
	var body errorBody
	body.Error.Code, body.Error.Message = ae.Code, ae.Message
	if !strings.HasSuffix(ae.Message, ".") {
		body.Error.Message += "."
	}
	c.JSON(ae.Status, body)
}

// retrySeconds is d in whole seconds, rounded up, at least 1.
func retrySeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

func codeForStatus(status int) string {
	switch status {
	case http.StatusNotFound:
		return protocol.CodeNotFound
	case http.StatusUnauthorized:
		return protocol.CodeUnauthorized
	case http.StatusForbidden:
		return protocol.CodeForbidden
	case http.StatusRequestEntityTooLarge:
		return protocol.CodeTooLarge
	case http.StatusTooManyRequests:
		return protocol.CodeRateLimited
	case http.StatusUnsupportedMediaType:
		return protocol.CodeUnsupportedMediaType
	case http.StatusServiceUnavailable:
		return protocol.CodeUnavailable
	case http.StatusInternalServerError:
		return protocol.CodeInternal
	}
	return protocol.CodeBadRequest
}
