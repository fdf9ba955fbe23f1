package main

// peer: the same fan-out shape against Centrifugo (scripts/bench-peer.sh),
// so that Townhall's CPU per pushed frame, memory per connection and bytes
// per phone have a peer measured in the same run. N listeners connect over
// Centrifugo's JSON websocket protocol without a token (anonymous connect
// and subscribe allowed by its config) and subscribe to one channel; one
// publisher posts to its HTTP publish API at --rate, either a state of
// --payload bytes whose counters change every time (a poll) or, with
// --views, the views a Townhall attendee received, one per publication
// (the board of bench-board, for fossil deltas with --delta).
//
//	townhall-load peer --url http://127.0.0.1:8000 --key K --phones 10000 --rate 4 --payload 300 --duration 25s

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

type peerConfig struct {
	url         string
	key         string
	channel     string
	phones      int
	joinRate    float64
	rate        float64
	payload     int
	views       string
	delta       bool
	duration    time.Duration
	timeout     time.Duration
	allowRemote bool
	jsonOut     bool
}

func parsePeerFlags(args []string, stderr io.Writer) (*peerConfig, error) {
	cfg := &peerConfig{}
	fs := flag.NewFlagSet("townhall-load peer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.url, "url", "http://127.0.0.1:8000", "Centrifugo's base URL (websocket at /connection/websocket, API at /api)")
	fs.StringVar(&cfg.key, "key", "", "Centrifugo's HTTP API key (http_api.key)")
	fs.StringVar(&cfg.channel, "channel", "board", "the channel every listener subscribes to")
	fs.IntVar(&cfg.phones, "phones", 100, "listeners")
	fs.Float64Var(&cfg.joinRate, "join-rate", 1000, "listeners connected per second (0: all at once)")
	fs.Float64Var(&cfg.rate, "rate", 4, "publications per second")
	fs.IntVar(&cfg.payload, "payload", 300, "approximate size in bytes of each pushed frame, envelope included (without --views)")
	fs.StringVar(&cfg.views, "views", "", "publish these views instead, one JSON value a line (townhall-load --record-views), in order")
	fs.BoolVar(&cfg.delta, "delta", false, "listeners ask for fossil deltas (the channel must allow them) and publications ask for delta")
	fs.DurationVar(&cfg.duration, "duration", 20*time.Second, "how long to publish")
	fs.DurationVar(&cfg.timeout, "timeout", 3*time.Minute, "the whole run stops after this")
	fs.BoolVar(&cfg.allowRemote, "allow-remote", false, "allow a URL whose host is not a loopback address")
	fs.BoolVar(&cfg.jsonOut, "json", false, "print the summary as JSON")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	case cfg.phones < 1, cfg.rate <= 0, cfg.duration <= 0, cfg.timeout <= 0, cfg.payload < 64:
		return nil, errors.New("--phones, --rate, --duration and --timeout must be positive, --payload at least 64")
	case cfg.key == "":
		return nil, errors.New("--key is needed to publish")
	}
	cfg.url = strings.TrimRight(cfg.url, "/")
	if err := checkURL(cfg.url, cfg.allowRemote); err != nil {
		return nil, err
	}
	return cfg, nil
}

// PeerReport is what a peer run prints.
type PeerReport struct {
	Phones       int     `json:"phones"`
	Connected    int64   `json:"connected"`
	Failures     int64   `json:"connectionFailures"`
	FirstFailure string  `json:"firstFailure,omitempty"`
	Published    int64   `json:"published"`
	PublishFails int64   `json:"publishFailures"`
	Frames       int64   `json:"frames"`
	Bytes        int64   `json:"bytes"`
	BytesPerPush float64 `json:"bytesPerFrame"`
	// Bytes per listener per second while publishing, mean and p95 over
	// listeners; steady leaves out the first 3 s (the first, whole
	// publication a delta subscriber gets).
	BytesPerPhone       Spread `json:"bytesPerPhonePerSecond"`
	BytesPerPhoneSteady Spread `json:"bytesPerPhonePerSecondSteady"`
	OK                  bool   `json:"ok"`
}

// Spread is a mean and a 95th percentile.
type Spread struct {
	Mean float64 `json:"mean"`
	P95  float64 `json:"p95"`
}

func runPeer(args []string, stdout, stderr io.Writer) int {
	cfg, err := parsePeerFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "townhall-load peer:", err)
		}
		return 2
	}
	if _, err := raiseFileLimit(); err != nil {
		fmt.Fprintln(stderr, "townhall-load peer: raising the open file limit:", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	rep, err := peerRun(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "townhall-load peer:", err)
	}
	if cfg.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		fmt.Fprintf(stdout, "listeners %d of %d (failures %d %s); published %d (failed %d); frames %d, %.0f bytes each; bytes per listener per second %.0f (p95 %.0f), steady %.0f (p95 %.0f)\n",
			rep.Connected, rep.Phones, rep.Failures, rep.FirstFailure, rep.Published, rep.PublishFails, rep.Frames, rep.BytesPerPush,
			rep.BytesPerPhone.Mean, rep.BytesPerPhone.P95, rep.BytesPerPhoneSteady.Mean, rep.BytesPerPhoneSteady.P95)
	}
	if err != nil || !rep.OK {
		return 1
	}
	return 0
}

type listener struct {
	bytes, frames atomic.Int64
	mark          int64 // bytes when the steady count began
}

func peerRun(ctx context.Context, cfg *peerConfig) (*PeerReport, error) {
	rep := &PeerReport{Phones: cfg.phones}
	var views [][]byte
	if cfg.views != "" {
		var err error
		if views, err = readViews(cfg.views); err != nil {
			return rep, err
		}
	}
	wsURL := "ws" + strings.TrimPrefix(cfg.url, "http") + "/connection/websocket"
	dialer := &http.Client{Transport: newTransport()}
	ls := make([]*listener, cfg.phones)
	var connected, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	runCtx, stopAll := context.WithCancel(ctx)
	defer stopAll()
	ready := make(chan bool, cfg.phones)
	for i := range ls {
		ls[i] = &listener{}
		if cfg.joinRate > 0 && i > 0 && i%100 == 0 {
			if !sleepCtx(ctx, time.Duration(float64(100*time.Second)/cfg.joinRate)) {
				break
			}
		}
		wg.Add(1)
		go func(l *listener) {
			defer wg.Done()
			c, err := peerConnect(runCtx, dialer, wsURL, cfg)
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
				ready <- false
				return
			}
			defer c.CloseNow()
			connected.Add(1)
			ready <- true
			peerRead(runCtx, c, l)
		}(ls[i])
	}
	for range cfg.phones {
		select {
		case <-ready:
		case <-ctx.Done():
			return rep, ctx.Err()
		}
	}
	rep.Connected, rep.Failures = connected.Load(), failed.Load()
	if e, ok := firstErr.Load().(string); ok {
		rep.FirstFailure = e
	}

	api := &http.Client{Transport: newTransport(), Timeout: 10 * time.Second}
	var published, pubFails atomic.Int64
	start := time.Now()
	tick := time.NewTicker(time.Duration(float64(time.Second) / cfg.rate))
	defer tick.Stop()
	steadyAt := start.Add(3 * time.Second)
	steady := false
	var steadyStart time.Time
	seq := 0
	rng := rand.New(rand.NewPCG(1, 2))
	counts := make([]int, 4)
publishing:
	for time.Since(start) < cfg.duration {
		select {
		case <-ctx.Done():
			break publishing
		case <-tick.C:
		}
		if !steady && time.Now().After(steadyAt) {
			steady, steadyStart = true, time.Now()
			for _, l := range ls {
				l.mark = l.bytes.Load()
			}
		}
		var data []byte
		if views != nil {
			if seq >= len(views) {
				break publishing
			}
			data = views[seq]
		} else {
			counts[rng.IntN(len(counts))] += 1 + rng.IntN(10)
			data = pollState(counts, cfg.payload)
		}
		seq++
		body, _ := json.Marshal(map[string]any{"channel": cfg.channel, "data": json.RawMessage(data), "delta": cfg.delta})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, cfg.url+"/api/publish", bytes.NewReader(body))
		req.Header.Set("X-API-Key", cfg.key)
		req.Header.Set("Content-Type", "application/json")
		res, err := api.Do(req)
		if err != nil {
			pubFails.Add(1)
			continue
		}
		answer, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || bytes.Contains(answer, []byte(`"error"`)) {
			pubFails.Add(1)
			continue
		}
		published.Add(1)
	}
	elapsed := time.Since(start).Seconds()
	// The last publications reach every listener within a moment.
	sleepCtx(ctx, 500*time.Millisecond)
	steadySecs := time.Since(steadyStart).Seconds() - 0.5
	stopAll()
	wg.Wait()
	rep.Published, rep.PublishFails = published.Load(), pubFails.Load()
	var all, st []float64
	for _, l := range ls {
		b := l.bytes.Load()
		rep.Bytes += b
		rep.Frames += l.frames.Load()
		all = append(all, float64(b)/elapsed)
		if steady && steadySecs > 0 {
			st = append(st, float64(b-l.mark)/steadySecs)
		}
	}
	if rep.Frames > 0 {
		rep.BytesPerPush = float64(rep.Bytes) / float64(rep.Frames)
	}
	rep.BytesPerPhone, rep.BytesPerPhoneSteady = spread(all), spread(st)
	rep.OK = rep.Failures == 0 && rep.PublishFails == 0 && rep.Published > 0
	return rep, nil
}

// pollState is a poll's counts padded so that its push is about size
// bytes with Centrifugo's envelope ({"push":{"channel":…,"pub":{"data":…,"offset":N}}}).
func pollState(counts []int, size int) []byte {
	b, _ := json.Marshal(map[string]any{"kind": "poll", "counts": counts})
	pad := size - len(b) - 70
	if pad < 0 {
		pad = 0
	}
	b, _ = json.Marshal(map[string]any{"kind": "poll", "counts": counts, "title": strings.Repeat("x", pad)})
	return b
}

func readViews(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			if !json.Valid(line) {
				return nil, fmt.Errorf("%s: line %d is not JSON", path, len(out)+1)
			}
			out = append(out, append([]byte(nil), line...))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no views", path)
	}
	return out, nil
}

func spread(v []float64) Spread {
	if len(v) == 0 {
		return Spread{}
	}
	sort.Float64s(v)
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	return Spread{Mean: sum / float64(len(v)), P95: v[min(len(v)-1, len(v)*95/100)]}
}

// peerConnect connects and subscribes, waiting for both replies.
func peerConnect(ctx context.Context, hc *http.Client, wsURL string, cfg *peerConfig) (*websocket.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(cctx, wsURL, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(16 << 20)
	sub := map[string]any{"channel": cfg.channel}
	if cfg.delta {
		sub["delta"] = "fossil"
	}
	cmds := []map[string]any{{"id": 1, "connect": map[string]any{"name": "townhall-load"}}, {"id": 2, "subscribe": sub}}
	for _, cmd := range cmds {
		b, _ := json.Marshal(cmd)
		if err := c.Write(cctx, websocket.MessageText, b); err != nil {
			c.CloseNow()
			return nil, err
		}
		for {
			_, msg, err := c.Read(cctx)
			if err != nil {
				c.CloseNow()
				return nil, err
			}
			var reply struct {
				ID    int             `json:"id"`
				Error json.RawMessage `json:"error"`
			}
			// Replies may come several to a frame, one JSON a line.
			line, _, _ := bytes.Cut(msg, []byte("\n"))
			if json.Unmarshal(line, &reply) != nil || reply.ID != cmd["id"] {
				continue
			}
			if reply.Error != nil {
				c.CloseNow()
				return nil, fmt.Errorf("centrifugo refused %v: %s", cmd, reply.Error)
			}
			break
		}
	}
	return c, nil
}

// peerRead counts every frame and answers Centrifugo's pings (an empty
// object) with an empty object.
func peerRead(ctx context.Context, c *websocket.Conn, l *listener) {
	for {
		_, msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		if string(msg) == "{}" {
			c.Write(ctx, websocket.MessageText, []byte("{}"))
			continue
		}
		l.bytes.Add(int64(len(msg)))
		l.frames.Add(1)
	}
}
