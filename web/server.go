// Package web serves Townhall over HTTP: the REST API, the websocket, the
// pages, health and metrics.
package web

import (
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/hub"
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
	// JoinFailures and JoinFailureEvery bound failed joins per client
	// address: a burst of JoinFailures, then one per JoinFailureEvery.
	// Zero means 20 and 3 s.
	JoinFailures     int
	JoinFailureEvery time.Duration
	// Gatherer is served on /metrics unless MetricsElsewhere. Nil means
	// prometheus.DefaultGatherer.
	Gatherer         prometheus.Gatherer
	MetricsElsewhere bool
	Logger           *slog.Logger
}

// Server is the HTTP side of one instance.
type Server struct {
	cfg    Config
	e      *echo.Echo
	tokens tokens
	joins  *failureLimiter
	log    *slog.Logger
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

// New builds the server's routes.
func New(cfg Config) *Server {
	if cfg.ReadLimit == 0 {
		cfg.ReadLimit = 8 << 10
	}
	if cfg.HelloTimeout == 0 {
		cfg.HelloTimeout = 10 * time.Second
	}
	if cfg.JoinFailures == 0 {
		cfg.JoinFailures = 20
	}
	if cfg.JoinFailureEvery == 0 {
		cfg.JoinFailureEvery = 3 * time.Second
	}
	if cfg.Gatherer == nil {
		cfg.Gatherer = prometheus.DefaultGatherer
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{
		cfg: cfg, e: echo.New(), tokens: tokens{cfg.Secret},
		joins: newFailureLimiter(cfg.JoinFailures, cfg.JoinFailureEvery),
		log:   cfg.Logger,
	}
	e := s.e
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = echo.ExtractIPFromXFFHeader()
	e.HTTPErrorHandler = s.handleError
	e.Use(middleware.Recover())
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("Content-Security-Policy", contentSecurityPolicy)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "no-referrer")
			return next(c)
		}
	})

	api := e.Group("/api", middleware.BodyLimit("64K"))
	api.POST("/sessions", s.createSession)
	api.POST("/join", s.join)
	api.GET("/sessions/:id/export", s.export)
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
	e.FileFS("/show/:id", "show.html", pages, noCache, gz)
	assets := e.Group("/static", gz, noCache)
	assets.StaticFS("/", pages)
	return s
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
}

func (e *apiError) Error() string { return e.Message }

func fail(status int, code, msg string) error { return &apiError{status, code, msg} }

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
		ae = &apiError{http.StatusInternalServerError, "internal", "Something went wrong on the server."}
	}
	var body errorBody
	body.Error.Code, body.Error.Message = ae.Code, ae.Message
	if !strings.HasSuffix(ae.Message, ".") {
		body.Error.Message += "."
	}
	c.JSON(ae.Status, body)
}

func codeForStatus(status int) string {
	switch status {
	case http.StatusNotFound:
		return "not_found"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusInternalServerError, http.StatusServiceUnavailable:
		return "internal"
	}
	return "bad_request"
}
