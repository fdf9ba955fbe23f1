// Command townhall runs a Townhall server: polls, word clouds, Q&A and a
// speaker queue for large live sessions, on an embedded store or, with
// --redis, as one of many instances sharing Redis.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/hub"
	"github.com/townhall/townhall/session"
	"github.com/townhall/townhall/web"
)

// Environment keys, one per flag.
const (
	envAddr           = "TOWNHALL_ADDR"
	envData           = "TOWNHALL_DATA"
	envRedis          = "TOWNHALL_REDIS"
	envSecret         = "TOWNHALL_SECRET"
	envPublicURL      = "TOWNHALL_PUBLIC_URL"
	envAllowedOrigins = "TOWNHALL_ALLOWED_ORIGINS"
	envCreateToken    = "TOWNHALL_CREATE_TOKEN"
	envMetricsAddr    = "TOWNHALL_METRICS_ADDR"
	envLogLevel       = "TOWNHALL_LOG_LEVEL"
	envDebugAddr      = "TOWNHALL_DEBUG_ADDR"
	envDrain          = "TOWNHALL_DRAIN"
	envReadyDrain     = "TOWNHALL_READY_DRAIN"
	envPingInterval   = "TOWNHALL_PING_INTERVAL"
	envAttendeeTick   = "TOWNHALL_ATTENDEE_INTERVAL"
	envCrowdAttendees = "TOWNHALL_CROWD_ATTENDEES"
	envRetention      = "TOWNHALL_RETENTION"
	envLogFormat      = "TOWNHALL_LOG_FORMAT"

	// Limits and abuse (docs/operations.md).
	envTrustedProxies   = "TOWNHALL_TRUSTED_PROXIES"
	envAllowedHosts     = "TOWNHALL_ALLOWED_HOSTS"
	envJoinFailures     = "TOWNHALL_JOIN_FAILURES"
	envJoinFailureEvery = "TOWNHALL_JOIN_FAILURE_EVERY"
	envCreateBurst      = "TOWNHALL_CREATE_BURST"
	envCreateEvery      = "TOWNHALL_CREATE_EVERY"
	envMaxParticipants  = "TOWNHALL_MAX_PARTICIPANTS"
	envHeaderTimeout    = "TOWNHALL_HEADER_TIMEOUT"
	envRequestTimeout   = "TOWNHALL_REQUEST_TIMEOUT"
	envIdleTimeout      = "TOWNHALL_IDLE_TIMEOUT"
	envMaxQAEntries     = "TOWNHALL_MAX_QA_ENTRIES"
	envMaxQAPerPerson   = "TOWNHALL_MAX_QA_PER_PARTICIPANT"
	envMaxActivities    = "TOWNHALL_MAX_ACTIVITIES"
	envQueueShown       = "TOWNHALL_QUEUE_SHOWN"
	envMaxConnsPerToken = "TOWNHALL_MAX_SOCKETS_PER_TOKEN"
	envCommandRate      = "TOWNHALL_COMMAND_RATE"
	envCommandBurst     = "TOWNHALL_COMMAND_BURST"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

type config struct {
	addr, data, redis, secret, publicURL, origins, createToken, metricsAddr, logLevel, debugAddr string
	logFormat                                                                                    string
	showVersion                                                                                  bool
	drain, readyDrain, pingInterval, retention, attendeeInterval                                 time.Duration
	http                                                                                         httpFlags
	limits                                                                                       session.Limits
	maxConnsPerToken, commandRate, commandBurst, crowdAttendees                                  int
}

// httpFlags are the limits of the HTTP side (docs/operations.md, "Limits
// and abuse").
type httpFlags struct {
	trustedProxies, allowedHosts               string
	joinFailures, createBurst, maxParticipants int
	joinFailureEvery, createEvery              time.Duration
	headerTimeout, requestTimeout, idleTimeout time.Duration
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("townhall", flag.ContinueOnError)
	fs.SetOutput(stderr)
	str := func(p *string, name, env, def, usage string) {
		if v := getenv(env); v != "" {
			def = v
		}
		fs.StringVar(p, name, def, usage+" (env "+env+")")
	}
	str(&c.addr, "addr", envAddr, ":8080", "where to listen")
	str(&c.data, "data", envData, "./data", "the embedded store's folder (ignored with --redis)")
	str(&c.redis, "redis", envRedis, "", "a Redis URL: use Redis for the log and fan-out")
	str(&c.secret, "secret", envSecret, "", "signs tokens; every instance of one deployment shares it (default: generated and kept in the store)")
	str(&c.publicURL, "public-url", envPublicURL, "", "the base of the join link and QR code (default: from the request)")
	str(&c.origins, "allowed-origins", envAllowedOrigins, "", "comma-separated host patterns allowed to open a websocket besides this host")
	str(&c.createToken, "create-token", envCreateToken, "", "if set, POST /api/sessions needs it as a bearer token")
	str(&c.metricsAddr, "metrics-addr", envMetricsAddr, "", "where /metrics is served (default: same as --addr)")
	str(&c.logLevel, "log-level", envLogLevel, "info", "debug, info, warn or error")
	str(&c.logFormat, "log-format", envLogFormat, "text", "text (logfmt) or json")
	fs.BoolVar(&c.showVersion, "version", false, "print the version and exit")
	str(&c.debugAddr, "debug-addr", envDebugAddr, "", "if set, serves Go's profiler (/debug/pprof/) there; keep it on a private address")
	var envErr error
	num := func(p *int, name, env string, def int, usage string) {
		if v := getenv(env); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				envErr = errors.Join(envErr, fmt.Errorf("%s=%q: want a positive whole number", env, v))
			}
			def = n
		}
		fs.IntVar(p, name, def, usage+" (env "+env+")")
	}
	dur := func(p *time.Duration, name, env string, def time.Duration, usage string) {
		if v := getenv(env); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				envErr = errors.Join(envErr, fmt.Errorf("%s=%q: want a positive duration like 20s", env, v))
			}
			def = d
		}
		fs.DurationVar(p, name, def, usage+" (env "+env+")")
	}
	dur(&c.drain, "drain", envDrain, 10*time.Second, "how long shutdown waits for commands in flight")
	dur(&c.readyDrain, "ready-drain", envReadyDrain, 5*time.Second,
		"on SIGTERM, how long /readyz answers 503 while the server still serves, so a load balancer stops sending clients")
	dur(&c.pingInterval, "ping-interval", envPingInterval, 25*time.Second,
		"how often each websocket is pinged; one that does not answer within 20 s is closed")
	dur(&c.attendeeInterval, "attendee-interval", envAttendeeTick, 250*time.Millisecond,
		"how often phones are sent what changed (consoles and displays: every 100 ms); longer costs fewer frames per phone in very large halls")
	retention := ""
	str(&retention, "retention", envRetention, "", "delete sessions that ended longer ago than this, e.g. 720h (default: keep them)")
	h := &c.http
	str(&h.trustedProxies, "trusted-proxies", envTrustedProxies, "", "comma-separated CIDRs of the reverse proxies in front; only they may set X-Forwarded-For and X-Forwarded-Proto (default: none)")
	str(&h.allowedHosts, "allowed-hosts", envAllowedHosts, "", "comma-separated hosts (name, or name:port) whose Host header may build join links when --public-url is not set (default: localhost and the addresses this server listens on)")
	num(&h.joinFailures, "join-failures", envJoinFailures, 150, "failed joins (unknown codes) one client address may make at once")
	dur(&h.joinFailureEvery, "join-failure-every", envJoinFailureEvery, 20*time.Second, "one more failed join is allowed per this much time")
	num(&h.createBurst, "create-burst", envCreateBurst, 60, "sessions one client address may create at once")
	dur(&h.createEvery, "create-every", envCreateEvery, 2*time.Second, "one more session creation is allowed per this much time")
	num(&h.maxParticipants, "max-participants", envMaxParticipants, 100_000, "the most participants a session takes")
	dur(&h.headerTimeout, "header-timeout", envHeaderTimeout, 10*time.Second, "time to read a request's headers")
	dur(&h.requestTimeout, "request-timeout", envRequestTimeout, 30*time.Second, "time to read and answer a whole request (websockets are not bound by it)")
	dur(&h.idleTimeout, "idle-timeout", envIdleTimeout, 120*time.Second, "how long an idle keep-alive connection stays open")
	// Session caps: every instance of one deployment must have the same,
	// since every replica judges commands by them (session.Limits).
	l := &c.limits
	num(&l.QAEntries, "max-qa-entries", envMaxQAEntries, session.DefaultQAEntries, "entries on one Q&A board")
	num(&l.QAEntriesPerParticipant, "max-qa-per-participant", envMaxQAPerPerson, session.DefaultQAEntriesPerParticipant, "entries one participant may add to one Q&A board")
	num(&l.Activities, "max-activities", envMaxActivities, session.DefaultActivities, "activities in one session")
	num(&l.QueueShown, "queue-shown", envQueueShown, session.DefaultQueueShown, "waiting hands of a queue sent to phones, from the front (consoles and displays get all)")
	num(&c.maxConnsPerToken, "max-sockets-per-token", envMaxConnsPerToken, 8, "open websockets of one attendee token on one instance")
	num(&c.commandRate, "command-rate", envCommandRate, 10, "commands per second one connection may send")
	num(&c.commandBurst, "command-burst", envCommandBurst, 20, "commands one connection may send at once")
	num(&c.crowdAttendees, "crowd-attendees", envCrowdAttendees, 2000,
		"past this many phones of one session on this instance, they are sent what changed half as often as --attendee-interval says, which halves the server's CPU for them")
	if envErr != nil {
		fmt.Fprintln(stderr, "townhall:", envErr)
		return c, envErr
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	// A stray word would end the flags silently: "townhall verison --addr
	// X" must not listen on :8080.
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected argument %q (flags start with --; commands are probe, backup and version)", fs.Arg(0))
		fmt.Fprintln(stderr, "townhall:", err)
		return c, err
	}
	if c.redis != "" {
		if _, err := redis.ParseURL(c.redis); err != nil {
			// Permanent: retrying would never help.
			err := fmt.Errorf("--redis: %v", err)
			fmt.Fprintln(stderr, "townhall:", err)
			return c, err
		}
	}
	if retention != "" {
		d, err := time.ParseDuration(retention)
		if err != nil || d <= 0 {
			err := fmt.Errorf("--retention %q: want a positive duration like 720h", retention)
			fmt.Fprintln(stderr, "townhall:", err)
			return c, err
		}
		c.retention = d
	}
	for _, bad := range []bool{c.limits.QAEntries <= 0, c.limits.QAEntriesPerParticipant <= 0, c.limits.Activities <= 0,
		c.limits.QueueShown <= 0, c.maxConnsPerToken <= 0, c.commandRate <= 0, c.commandBurst <= 0, h.joinFailures <= 0, h.createBurst <= 0, h.maxParticipants <= 0,
		h.joinFailureEvery <= 0, h.createEvery <= 0, h.headerTimeout <= 0, h.requestTimeout <= 0, h.idleTimeout <= 0} {
		if bad {
			err := errors.New("limits and timeouts must be positive")
			fmt.Fprintln(stderr, "townhall:", err)
			return c, err
		}
	}
	return c, nil
}

// parsePrefixes reads a comma-separated list of CIDRs; a bare address is
// that address alone.
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range splitList(list) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR like 10.0.0.0/8 or an address", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

func splitList(list string) []string {
	var out []string
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// allowedHosts is --allowed-hosts, or by default localhost and the
// addresses the server listens on: all of the machine's when it listens
// on every interface, which is how phones in the room reach a laptop.
func allowedHosts(flag string, addr net.Addr, interfaces func() ([]net.Addr, error)) []string {
	if hosts := splitList(flag); len(hosts) > 0 {
		return hosts
	}
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	ip := listenIP(addr)
	if ip == nil || !ip.IsUnspecified() {
		if ip != nil && !ip.IsLoopback() {
			hosts = append(hosts, ip.String())
		}
		return hosts
	}
	addrs, _ := interfaces()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			hosts = append(hosts, n.IP.String())
		}
	}
	return hosts
}

func listenIP(addr net.Addr) net.IP {
	if t, ok := addr.(*net.TCPAddr); ok {
		return t.IP
	}
	return nil
}

// openToAll says whether the server listens beyond this machine while
// anyone may create sessions: then it says so at start.
func openToAll(addr net.Addr, createToken string) bool {
	ip := listenIP(addr)
	return createToken == "" && (ip == nil || !ip.IsLoopback())
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "probe":
			return probe(args[1:], stdout, stderr)
		case "backup":
			return backup(ctx, args[1:], getenv, stdout, stderr)
		case "version":
			if len(args) > 1 {
				fmt.Fprintf(stderr, "townhall version: unexpected argument %q\n", args[1])
				return 2
			}
			fmt.Fprintf(stdout, "townhall %s (protocol %s)\n", buildVersion(), web.ProtocolVersion)
			return 0
		}
	}
	cfg, err := parse(args, getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if cfg.showVersion {
		fmt.Fprintf(stdout, "townhall %s (protocol %s)\n", buildVersion(), web.ProtocolVersion)
		return 0
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.logLevel)); err != nil {
		fmt.Fprintln(stderr, "townhall: --log-level:", err)
		return 2
	}
	opts := &slog.HandlerOptions{Level: level}
	var handler slog.Handler
	switch cfg.logFormat {
	case "text":
		handler = slog.NewTextHandler(stderr, opts)
	case "json":
		handler = slog.NewJSONHandler(stderr, opts)
	default:
		fmt.Fprintf(stderr, "townhall: --log-format %q: want text or json\n", cfg.logFormat)
		return 2
	}
	log := slog.New(handler)
	if err := serve(ctx, cfg, log, stdout); err != nil {
		log.Error("townhall stopped", "err", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, cfg config, log *slog.Logger, stdout io.Writer) error {
	opened, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	if e, ok := opened.(*eventlog.Embedded); ok {
		stop, err := serveControl(ctx, cfg.data, e, log)
		if err != nil {
			opened.Close()
			return err
		}
		defer stop()
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(buildInfo(buildVersion()))
	measured := eventlog.Measure(opened, eventlog.NewStoreMetrics(reg))
	defer measured.Close()
	// Readiness also follows appends: a store that pings but cannot write
	// (a full disk) takes the instance out of the load balancer.
	store := eventlog.Watch(measured)

	proposed := make([]byte, 32)
	rand.Read(proposed)
	secret := []byte(cfg.secret)
	if cfg.secret == "" {
		if secret, err = store.Secret(ctx, proposed); err != nil {
			return fmt.Errorf("token secret: %w", err)
		}
	}

	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// With Redis, instances exchange reaction tallies beside the log;
	// closed after the hubs (deferred after the store's Close, so before it).
	var tallies eventlog.Tallies
	if r, ok := opened.(*eventlog.Redis); ok {
		t := eventlog.NewRedisTallies(r)
		defer t.Close()
		tallies = t
	}
	hubs := hub.NewManager(store, hub.Config{Logger: log, Metrics: hub.NewMetrics(reg), PingInterval: cfg.pingInterval,
		AttendeeInterval: cfg.attendeeInterval, CrowdAttendees: cfg.crowdAttendees,
		Limits: cfg.limits, MaxConnsPerToken: cfg.maxConnsPerToken,
		CommandRate: float64(cfg.commandRate), CommandBurst: cfg.commandBurst, Tallies: tallies})
	var origins []string
	for _, o := range strings.Split(cfg.origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	proxies, err := parsePrefixes(cfg.http.trustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	srv := web.New(web.Config{
		Store: store, Hubs: hubs, Secret: secret, PublicURL: cfg.publicURL,
		AllowedOrigins: origins, CreateToken: cfg.createToken, Gatherer: reg,
		MetricsElsewhere: cfg.metricsAddr != "" && cfg.metricsAddr != cfg.addr, Logger: log,
		TrustedProxies: proxies, AllowedHosts: allowedHosts(cfg.http.allowedHosts, ln.Addr(), net.InterfaceAddrs),
		JoinFailures: cfg.http.joinFailures, JoinFailureEvery: cfg.http.joinFailureEvery,
		CreateBurst: cfg.http.createBurst, CreateEvery: cfg.http.createEvery, MaxParticipants: cfg.http.maxParticipants,
		HeaderTimeout: cfg.http.headerTimeout, RequestTimeout: cfg.http.requestTimeout, IdleTimeout: cfg.http.idleTimeout,
		Version: buildVersion(),
	})
	reg.MustRegister(srv.ReadyGauge())
	if openToAll(ln.Addr(), cfg.createToken) {
		log.Warn("anyone who can reach this server can create sessions: set --create-token (TOWNHALL_CREATE_TOKEN), or listen on 127.0.0.1 behind a proxy",
			"addr", ln.Addr().String())
	}
	httpSrv := srv.HTTPServer()
	errs := make(chan error, 2)
	go func() { errs <- httpSrv.Serve(ln) }()
	var metricsSrv *http.Server
	if cfg.metricsAddr != "" && cfg.metricsAddr != cfg.addr {
		mln, err := net.Listen("tcp", cfg.metricsAddr)
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", web.MetricsHandler(reg))
		metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { errs <- metricsSrv.Serve(mln) }()
	}
	if cfg.debugAddr != "" {
		dln, err := net.Listen("tcp", cfg.debugAddr)
		if err != nil {
			return err
		}
		dmux := http.NewServeMux()
		dmux.HandleFunc("/debug/pprof/", pprof.Index)
		dmux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		dmux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		dbg := &http.Server{Handler: dmux, ReadHeaderTimeout: 10 * time.Second}
		go dbg.Serve(dln)
		defer dbg.Close()
	}
	fmt.Fprintf(stdout, "Townhall is listening on %s\nConsole: %s/host/\n", ln.Addr(), consoleBase(cfg.publicURL, ln.Addr()))
	log.Info("listening", "addr", ln.Addr().String(), "store", storeName(cfg))

	select {
	case <-ctx.Done():
	case err := <-errs:
		return err
	}
	// Background work ends before the store closes (deferred earlier).
	var bg sync.WaitGroup
	defer bg.Wait()
	if cfg.retention > 0 {
		bg.Go(func() { retain(ctx, hubs, cfg.retention, log) })
	}

	// The load balancer's health check sees 503 first, while this instance
	// still serves whoever it sends meanwhile; then clients are told to
	// reconnect, and find another instance.
	srv.Drain()
	log.Info("shutting down: /readyz answers 503", "for", cfg.readyDrain.String())
	select {
	case <-time.After(cfg.readyDrain):
	case err := <-errs:
		return err
	}
	log.Info("shutting down: telling clients to reconnect")
	dctx, cancel := context.WithTimeout(context.Background(), cfg.drain)
	defer cancel()
	hubs.Shutdown(dctx)
	httpSrv.Shutdown(dctx)
	if metricsSrv != nil {
		metricsSrv.Shutdown(dctx)
	}
	return nil
}

// retain deletes the sessions that ended longer ago than retention, at
// start and then every hour (every instance sweeps; a session deleted
// twice is deleted once).
func retain(ctx context.Context, hubs *hub.Manager, retention time.Duration, log *slog.Logger) {
	every := min(time.Hour, retention)
	for {
		n, err := hubs.DeleteEnded(ctx, time.Now().Add(-retention))
		if err != nil && ctx.Err() == nil {
			log.Warn("retention sweep", "err", err)
		}
		if n > 0 {
			log.Info("audit: sessions deleted by retention", "count", n, "retention", retention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

func storeName(cfg config) string {
	if cfg.redis != "" {
		return "redis"
	}
	return "embedded " + cfg.data
}

func consoleBase(public string, addr net.Addr) string {
	if public != "" {
		return strings.TrimRight(public, "/")
	}
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// openStore opens the embedded store, or Redis, retrying an unreachable
// Redis with a message each time rather than exiting.
func openStore(ctx context.Context, cfg config, log *slog.Logger) (eventlog.Store, error) {
	if cfg.redis == "" {
		return eventlog.OpenEmbedded(eventlog.EmbeddedConfig{Dir: cfg.data})
	}
	return openRedis(ctx, cfg, log)
}

// redactURL hides a password in a store URL before it is logged.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
