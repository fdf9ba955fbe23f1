// Command townhall-load simulates a hall of phones against a Townhall
// server, speaking only the wire protocol (docs/protocol.md) over real
// websockets, and reports connection failures, ack latency,
// command-to-display latency and whether the export holds exactly what
// was acked.
//
//	townhall-load --url http://127.0.0.1:8080 --phones 1000 --votes 1000 --rate 1000
//
// Method. Ack latency is the time from a command's send to its ack, for
// commands answered on their first send; commands resent after a reconnect
// or a retryable error are reported apart, from their first send, since
// their latency includes the reconnect. --ack-trace FILE writes every ack
// (when it was due, its latency) as CSV: a slow tail spread over the run
// and one bunched in a single moment (a stall) have different causes.
// Command-to-display latency uses one display connection: for counted
// commands (a phone's first vote, a word, a question or an upvote) the k-th
// ack to arrive is paired with the moment the display's count first reached
// k, and the latency is that moment minus the command's send time; for the
// queue, a raised hand is seen when its id first appears in the display's
// queue (a hand lowered again before any push showed it is not counted). Later votes of a phone replace its earlier vote and change no
// count, so only first votes are measured on the display.
//
// The reconnect gap is, for every connection that ended while the run
// went on (a drop, a server's "reconnect", an instance that died), the
// time from the phone seeing it end to its next welcome, including the
// phone's own 20-200 ms wait before each attempt; a phone that gives up or
// is still without a connection when the run ends counts as unended.
// scripts/bench-failover.sh reads it after killing an instance behind
// HAProxy.
//
// The export check compares the activity in GET /api/sessions/{id}/export
// with what was acked: for a poll, voters and per-option votes against each
// phone's latest acked vote; for words, each word's count; for Q&A, the
// questions and their upvotes; for the queue, the hands still raised.
// Lost is what was acked but is missing, doubled what is there more often
// than acked; the exit status is 1 when either is not zero. The phones are
// stopped before the export is read, so that every ack counted is for a
// command the export can hold; a command applied but not acked by then is
// doubled.
//
// Bytes per phone per second count every frame's payload each connected
// phone received while commands were sent (mean and p95 over phones), and
// again from a few seconds into the send phase, without the one whole view
// each phone gets at the first change after joining. With --patches the
// phones take patches (patches.go); the run fails when an applying phone
// does not end with the view a new connection is welcomed with. Boards:
// --scenario qa --questions 500 asks the questions before the phones join
// and the phones only upvote; --scenario words --vocabulary 100 sends 100
// different words; --scenario queue raises and lowers hands.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

type config struct {
	urls              []string
	displayURL        string
	allowRemote       bool
	phones            int
	scenario          string
	joinRate          float64
	rate              float64
	duration          time.Duration
	count             int
	timeout           time.Duration
	drain             time.Duration
	connectTimeout    time.Duration
	connectRetries    int
	reconnectFraction float64
	senders           int
	options           int
	maxEntries        int
	revealAttendees   bool
	sessionCode       string
	facilitatorKey    string
	displayKey        string
	createToken       string
	seed              uint64
	jsonOut           bool
	ackTrace          string
	quiet             bool
	patches           bool
	compress          bool
	applyPhones       int
	slowPhones        int
	slowKbit          float64
	slowDelay         time.Duration
	questions         int
	vocabulary        int
	reactions         float64
	reactionAcks      bool
	recordViews       string
	upvoteSkew        float64
}

type urlList []string

func (u *urlList) String() string { return strings.Join(*u, ",") }
func (u *urlList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimRight(strings.TrimSpace(s), "/"); s != "" {
			*u = append(*u, s)
		}
	}
	return nil
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	cfg := &config{}
	var urls urlList
	fs := flag.NewFlagSet("townhall-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&urls, "url", "base URL of a server, repeatable or comma-separated; phones are spread round-robin (default http://127.0.0.1:8080)")
	fs.StringVar(&cfg.displayURL, "display-url", "", "base URL the display connects to (default: the last --url); point it at another instance than the phones' to measure the delay across instances")
	fs.BoolVar(&cfg.allowRemote, "allow-remote", false, "allow URLs whose host is not a loopback address")
	fs.IntVar(&cfg.phones, "phones", 100, "number of simulated phones")
	fs.StringVar(&cfg.scenario, "scenario", "vote", "what the phones do: vote, words, qa or queue")
	fs.Float64Var(&cfg.joinRate, "join-rate", 500, "joins started per second (0: all at once)")
	fs.Float64Var(&cfg.rate, "rate", 1000, "commands per second, all phones together")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long to send commands (unless --votes is given)")
	fs.IntVar(&cfg.count, "votes", 0, "send exactly this many commands (of any scenario) instead of running for --duration")
	fs.DurationVar(&cfg.timeout, "timeout", 5*time.Minute, "the whole run stops after this")
	fs.DurationVar(&cfg.drain, "drain", 15*time.Second, "after sending, wait at most this long for outstanding acks")
	fs.DurationVar(&cfg.connectTimeout, "connect-timeout", 15*time.Second, "time allowed for one join plus websocket handshake")
	fs.IntVar(&cfg.connectRetries, "connect-retries", 2, "retries of a failed join or connection")
	fs.Float64Var(&cfg.reconnectFraction, "reconnect-fraction", 0, "share of phones (0..1) that drop their socket half way, reconnect and resend unacked commands")
	fs.IntVar(&cfg.senders, "senders", 8, "goroutines writing commands")
	fs.IntVar(&cfg.options, "options", 4, "poll options (vote scenario)")
	fs.IntVar(&cfg.maxEntries, "max-entries", 10, "words per phone (words scenario)")
	fs.BoolVar(&cfg.revealAttendees, "reveal-attendees", false, "reveal poll and word results to attendees too (larger pushes)")
	fs.StringVar(&cfg.sessionCode, "session-code", "", "use this existing session's code (with --facilitator-key)")
	fs.StringVar(&cfg.facilitatorKey, "facilitator-key", "", "use an existing session: its facilitator key")
	fs.StringVar(&cfg.displayKey, "display-key", "", "the existing session's display key (without it no display latency)")
	fs.StringVar(&cfg.createToken, "create-token", "", "token for POST /api/sessions when the server requires one")
	fs.Uint64Var(&cfg.seed, "seed", 1, "random seed for choices")
	fs.BoolVar(&cfg.jsonOut, "json", false, "print the summary as JSON on stdout")
	fs.StringVar(&cfg.ackTrace, "ack-trace", "", "write every ack to this CSV file (due_ms,ack_ms,resent), to see when the slow ones happened")
	fs.BoolVar(&cfg.quiet, "quiet", false, "no progress line on stderr")
	fs.BoolVar(&cfg.compress, "compress", false, "phones offer permessage-deflate (no context takeover) as browsers do; bytes per phone then count what crossed the wire")
	fs.BoolVar(&cfg.patches, "patches", false, "phones say \"patches\": true, follow the patches by their base and resync on a miss; the first --apply-phones apply them and must hold a new connection's view at the end")
	fs.IntVar(&cfg.applyPhones, "apply-phones", 20, "with --patches: how many phones apply every patch (the rest only follow offsets)")
	fs.IntVar(&cfg.slowPhones, "slow-phones", 0, "this many phones are on a slow link (--slow-kbit, --slow-delay, emulated in the load generator) and report how long after its send each upvote reached their view (qa scenario)")
	fs.Float64Var(&cfg.slowKbit, "slow-kbit", 1000, "--slow-phones: the link's rate in kbit/s, each way")
	fs.DurationVar(&cfg.slowDelay, "slow-delay", 40*time.Millisecond, "--slow-phones: the link's delay, each way")
	fs.IntVar(&cfg.questions, "questions", 0, "qa scenario: questions asked before the phones join, by attendees of their own; the phones then only upvote")
	fs.IntVar(&cfg.vocabulary, "vocabulary", 30, "words scenario: how many different words the phones send")
	fs.Float64Var(&cfg.reactions, "reactions", 0, "a reaction storm beside the scenario: taps per phone per second while commands are sent (reactions.go)")
	fs.BoolVar(&cfg.reactionAcks, "reaction-acks", false, "send the storm's taps as commands, each acked, instead of {\"type\": \"react\"} messages")
	fs.Float64Var(&cfg.upvoteSkew, "upvote-skew", 0, "qa scenario: above 1, upvotes follow a Zipf law of this exponent over the questions in the order asked (the first the most popular); 0 spreads them evenly")
	fs.StringVar(&cfg.recordViews, "record-views", "", "write every whole activity view the first phone receives to this file, one JSON a line (for townhall-load peer --views)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	cfg.urls = urls
	if len(cfg.urls) == 0 {
		cfg.urls = []string{"http://127.0.0.1:8080"}
	}
	if cfg.displayURL == "" {
		cfg.displayURL = cfg.urls[len(cfg.urls)-1]
	}
	switch {
	case cfg.phones < 1:
		return nil, errors.New("--phones must be at least 1")
	case cfg.rate <= 0:
		return nil, errors.New("--rate must be positive")
	case cfg.count < 0, cfg.duration <= 0, cfg.timeout <= 0:
		return nil, errors.New("--votes, --duration and --timeout must be positive")
	case cfg.reconnectFraction < 0 || cfg.reconnectFraction > 1:
		return nil, errors.New("--reconnect-fraction must be between 0 and 1")
	case cfg.questions < 0, cfg.applyPhones < 0, cfg.vocabulary < 1:
		return nil, errors.New("--questions, --apply-phones and --vocabulary must not be negative (--vocabulary at least 1)")
	case cfg.senders < 1, cfg.options < 2, cfg.maxEntries < 1:
		return nil, errors.New("--senders, --options (at least 2) and --max-entries must be positive")
	case cfg.slowPhones < 0 || cfg.slowPhones > cfg.phones, cfg.slowKbit <= 0, cfg.slowDelay < 0:
		return nil, errors.New("--slow-phones must be between 0 and --phones, --slow-kbit positive, --slow-delay not negative")
	case cfg.upvoteSkew != 0 && cfg.upvoteSkew <= 1:
		return nil, errors.New("--upvote-skew must be above 1 (a Zipf exponent), or 0 for even upvotes")
	case cfg.recordViews != "" && cfg.patches:
		return nil, errors.New("--record-views records whole views: leave out --patches")
	case cfg.sessionCode != "" && cfg.facilitatorKey == "":
		return nil, errors.New("--session-code needs --facilitator-key")
	}
	if _, err := newScenario(cfg.scenario, 1, cfg); err != nil {
		return nil, err
	}
	for _, u := range append([]string{cfg.displayURL}, cfg.urls...) {
		if err := checkURL(u, cfg.allowRemote); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// checkURL refuses a URL whose host is not a loopback address, unless
// remote hosts are allowed: a load test is a denial of service to anyone else.
func checkURL(raw string, allowRemote bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url %q: want http://host:port or https://host:port", raw)
	}
	if allowRemote {
		return nil
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("warning: refusing %s: its host is not a loopback address (pass --allow-remote to load a server you run elsewhere)", raw)
}

// raiseFileLimit lifts the soft limit on open files to the hard limit:
// each phone holds a socket.
func raiseFileLimit() (uint64, error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, err
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			return 0, err
		}
	}
	return rl.Cur, nil
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole program: 0 when nothing was lost or doubled, 1 when
// something was (or the run could not be checked), 2 on bad usage.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "peer" {
		return runPeer(args[1:], stdout, stderr)
	}
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "townhall-load:", err)
		}
		return 2
	}
	if limit, err := raiseFileLimit(); err != nil {
		fmt.Fprintln(stderr, "townhall-load: raising the open file limit:", err)
	} else if uint64(cfg.phones)+64 > limit {
		fmt.Fprintf(stderr, "townhall-load: warning: %d phones but only %d open files allowed\n", cfg.phones, limit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	rep, err := execute(ctx, cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "townhall-load:", err)
		if rep == nil {
			return 1
		}
	}
	if cfg.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		rep.write(stdout)
	}
	if !rep.OK || err != nil {
		return 1
	}
	return 0
}

func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     30 * time.Second,
	}
}

// execute runs setup, ramp, load, drain and the export check.
func execute(ctx context.Context, cfg *config, stderr io.Writer) (*Report, error) {
	sc, err := newScenario(cfg.scenario, cfg.phones, cfg)
	if err != nil {
		return nil, err
	}
	r := &runner{
		cfg:     cfg,
		stderr:  stderr,
		start:   time.Now(),
		clients: map[string]*client{},
		// The websocket dials get their own transport: an upgraded
		// connection leaves the pool, and joins should keep reusing theirs.
		wsHTTP:   countingClient(newTransport()),
		slowHTTP: slowClient(cfg.slowKbit*1000, cfg.slowDelay),
		sc:       sc,
	}
	if cfg.ackTrace != "" {
		r.trace = &ackTrace{}
	}
	apiHTTP := &http.Client{Transport: newTransport(), Timeout: 30 * time.Second}
	for _, u := range cfg.urls {
		r.clients[u] = &client{base: u, http: apiHTTP}
	}
	if err := r.setup(ctx); err != nil {
		return nil, err
	}
	if !cfg.quiet {
		fmt.Fprintf(stderr, "session %s code %s activity %s (%s)\n", r.sessionID, r.code, r.activityID, cfg.scenario)
	}

	dctx, dcancel := context.WithCancel(ctx)
	defer dcancel()
	displayOn := r.displayKey != ""
	if displayOn {
		ready := make(chan error, 1)
		go r.watchDisplay(dctx, ready)
		if err := <-ready; err != nil {
			return nil, fmt.Errorf("display: %w", err)
		}
	} else {
		fmt.Fprintln(stderr, "townhall-load: no display key: command-to-display latency is not measured")
	}

	stopProgress, progressDone := make(chan struct{}), make(chan struct{})
	if cfg.quiet {
		close(progressDone)
	} else {
		go r.progress(stopProgress, progressDone)
	}

	r.phones = make([]*phone, cfg.phones)
	for i := range r.phones {
		r.phones[i] = &phone{idx: i, base: cfg.urls[i%len(cfg.urls)], r: r, pending: map[string]*command{},
			applies: cfg.patches && i < cfg.applyPhones || i < cfg.slowPhones, slow: i < cfg.slowPhones}
	}
	var recFile *os.File
	if cfg.recordViews != "" {
		f, err := os.Create(cfg.recordViews)
		if err != nil {
			return nil, err
		}
		recFile = f
		r.phones[0].rec = bufio.NewWriterSize(f, 1<<20)
	}
	pctx, pcancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	rampStart := time.Now()
	r.ramp(ctx, pctx, &wg)
	rampTime := time.Since(rampStart)

	bytes0 := r.phoneBytes()
	st, stormErr := r.startStorm(ctx)
	r.storm = st
	sendTime := r.drive(ctx)
	stormRep := st.end(ctx)
	if stormErr != nil {
		stormRep = &StormReport{Error: stormErr.Error()}
	}
	bytes1 := r.phoneBytes()

	// Let the display catch up with the last acks (it is pushed on a tick).
	if displayOn {
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) && ctx.Err() == nil {
			if _, missing := sc.display(); missing == 0 {
				break
			}
			sleepCtx(ctx, 20*time.Millisecond)
		}
	}

	var patches *PatchCheck
	if cfg.patches {
		pc := r.checkPatches(ctx)
		patches = &pc
	}

	// Stop everything before the export: phones first, then wait for
	// their goroutines. A phone still running could be acked for a command
	// that landed after the export was read (a resend after a reconnect, a
	// command slow to arrive on a saturated link), and its ack would be
	// expected in an export that cannot hold it: "lost".
	r.stopping.Store(true)
	pcancel()
	dcancel()
	for _, p := range r.phones {
		p.mu.Lock()
		if p.conn != nil {
			p.conn.CloseNow()
		}
		p.mu.Unlock()
	}
	waited := make(chan struct{})
	go func() { wg.Wait(); close(waited) }()
	stopped := true
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		stopped = false
		fmt.Fprintln(stderr, "townhall-load: some phones did not stop within 10s")
	}
	close(stopProgress)
	<-progressDone

	var check ExportCheck
	ectx, ecancel := context.WithTimeout(context.Background(), 60*time.Second)
	exp, err := r.clients[cfg.urls[0]].export(ectx, r.sessionID, r.facKey)
	ecancel()
	if err != nil {
		check.Error = "export: " + err.Error()
	} else {
		check = r.checkExport(exp)
	}

	if recFile != nil {
		if !stopped {
			return nil, errors.New("--record-views: the first phone did not stop")
		}
		// Every read loop has ended: nothing else writes the recorder.
		err := r.phones[0].rec.Flush()
		if cerr := recFile.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("--record-views: %w", err)
		}
	}

	rep := r.report(rampTime, sendTime, displayOn, check)
	var live0, live1 []int64
	for i := range r.phones {
		if bytes0[i] > 0 { // connected when sending began
			live0, live1 = append(live0, bytes0[i]), append(live1, bytes1[i])
		}
	}
	rep.BytesPerPhone = bytesPerSecond(live0, live1, sendTime)
	if r.warmBytes != nil {
		var warm, end []int64
		for i := range r.phones {
			if bytes0[i] > 0 {
				warm, end = append(warm, r.warmBytes[i]), append(end, bytes1[i])
			}
		}
		rep.BytesPerPhoneSteady = bytesPerSecond(warm, end, sendTime-r.warmAt)
		if n := cfg.slowPhones; rep.SlowPhones != nil && bytes0[0] > 0 {
			// The first phones are the slow ones: they joined first.
			rep.SlowPhones.Steady = bytesPerSecond(r.warmBytes[:n], bytes1[:n], sendTime-r.warmAt)
		}
	}
	rep.Patches = patches
	rep.Reactions = stormRep
	if stormRep != nil && stormRep.Error != "" {
		rep.OK = false
	}
	if patches != nil && patches.Error != "" {
		rep.OK = false
	}
	if r.trace != nil {
		if err := writeFile(cfg.ackTrace, r.trace.write); err != nil {
			return rep, fmt.Errorf("--ack-trace: %w", err)
		}
	}
	return rep, nil
}

// checkExport finds the run's activity in the export and lets the
// scenario compare it with what was acked.
func (r *runner) checkExport(raw json.RawMessage) ExportCheck {
	var e struct {
		Activities []json.RawMessage `json:"activities"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return ExportCheck{Error: "export: " + err.Error()}
	}
	for _, a := range e.Activities {
		var id struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(a, &id) == nil && id.ID == r.activityID {
			return r.sc.verify(a)
		}
	}
	return ExportCheck{Error: "export: activity " + r.activityID + " not found"}
}

func writeFile(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
