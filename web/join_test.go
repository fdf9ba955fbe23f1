package web

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/hub"
	"github.com/townhall/townhall/session"
)

// joinAnswer is the status and error code of one POST /api/join.
type joinAnswer struct {
	status int
	code   string
	retry  string
}

func (s *testServer) tryJoin(t *testing.T, body map[string]string, header ...string) joinAnswer {
	t.Helper()
	st, out, h := s.post(t, "/api/join", body, header...)
	return joinAnswer{st, errCode(out), h.Get("Retry-After")}
}

// wrongCode is an 8-digit code that differs from code in one digit: a
// typo, or a guess near it.
func wrongCode(code string, r *rand.Rand) string {
	b := []byte(code)
	i := r.IntN(len(b))
	b[i] = '0' + (b[i]-'0'+1+byte(r.IntN(9)))%10
	return string(b)
}

// createWithKey creates a session and returns its create answer.
func (s *testServer) createWithKey(t *testing.T, title string) (created, string, map[string]any) {
	t.Helper()
	st, out, _ := s.post(t, "/api/sessions", map[string]string{"title": title})
	if st != http.StatusCreated {
		t.Fatalf("create: %d %v", st, out)
	}
	sess := created{out["id"].(string), out["code"].(string), out["facilitatorKey"].(string), out["displayKey"].(string)}
	key, _ := out["joinKey"].(string)
	return sess, key, out
}

// TestHallWithTyposAllJoin is the hall of issue 12: 1,000 phones behind
// one address (a conference Wi-Fi) type the code, one in 17 mistypes it
// first and then types it right. With the default limits every one of
// them gets in. (With the limits before version 1.1, a burst of 20 and one
// more per 3 s, 31% of such a hall was refused.)
func TestHallWithTyposAllJoin(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	sess := s.create(t, "Conference")
	const phones, typoEvery, workers = 1000, 17, 16
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var next, typos, refused, joined atomic.Int64
	var mu sync.Mutex
	var unexpected []string
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	post := func(code string) int {
		req, _ := http.NewRequestWithContext(ctx, "POST", s.URL+"/api/join", strings.NewReader(`{"code":"`+code+`"}`))
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 17))
			for {
				i := next.Add(1)
				if i > phones || ctx.Err() != nil {
					return
				}
				if i%typoEvery == 0 {
					typos.Add(1)
					if st := post(wrongCode(sess.Code, r)); st != http.StatusNotFound {
						if st == http.StatusTooManyRequests {
							refused.Add(1)
						}
						mu.Lock()
						unexpected = append(unexpected, fmt.Sprintf("typo of phone %d: %d", i, st))
						mu.Unlock()
					}
				}
				switch st := post(sess.Code); st {
				case http.StatusOK:
					joined.Add(1)
				case http.StatusTooManyRequests:
					refused.Add(1)
				default:
					mu.Lock()
					unexpected = append(unexpected, fmt.Sprintf("phone %d: %d", i, st))
					mu.Unlock()
				}
			}
		}(w)
	}
	wg.Wait()
	t.Logf("hall: %d phones from one address, %d typos: %d joined, %d answers 429", phones, typos.Load(), joined.Load(), refused.Load())
	if len(unexpected) > 0 {
		t.Errorf("unexpected answers: %v", unexpected[:min(len(unexpected), 10)])
	}
	if refused.Load() != 0 || joined.Load() != phones {
		t.Fatalf("%d of %d phones joined, %d answers were 429", joined.Load(), phones, refused.Load())
	}
	if x := s.exported(t, sess); x["participants"] != float64(phones) {
		t.Fatalf("export counts %v participants, want %d", x["participants"], phones)
	}
}

// TestGuesserRunsDry is the other side of the same limit: one address
// guessing codes gets its budget of wrong answers, then only 429s.
func TestGuesserRunsDry(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	sess := s.create(t, "Target")
	r := rand.New(rand.NewPCG(1, 2))
	cfg := New(Config{}).cfg // the defaults
	start := time.Now()
	wrong, firstLimited := 0, -1
	const attempts = 600
	for i := 0; i < attempts; i++ {
		a := s.tryJoin(t, map[string]string{"code": wrongCode(sess.Code, r)})
		switch a.status {
		case http.StatusNotFound:
			wrong++
		case http.StatusTooManyRequests:
			if firstLimited < 0 {
				firstLimited = i
			}
			if a.code != "rate_limited" {
				t.Fatalf("429 with code %q", a.code)
			}
			if n, err := strconv.Atoi(a.retry); err != nil || n < 1 {
				t.Fatalf("Retry-After %q, want at least 1 s", a.retry)
			}
		default:
			t.Fatalf("guess %d: %d %s", i, a.status, a.code)
		}
	}
	elapsed := time.Since(start)
	refills := int(elapsed / cfg.JoinFailureEvery)
	t.Logf("guesser: %d wrong answers of %d guesses in %v, refused from guess %d on", wrong, attempts, elapsed.Round(time.Millisecond), firstLimited)
	firstHour := cfg.JoinFailures + int(time.Hour/cfg.JoinFailureEvery)
	t.Logf("by the config: at most %d wrong answers in an address's first hour (burst %d + one per %v), %d an hour after",
		firstHour, cfg.JoinFailures, cfg.JoinFailureEvery, int(time.Hour/cfg.JoinFailureEvery))
	if firstLimited < 0 || wrong < cfg.JoinFailures || wrong > cfg.JoinFailures+refills+1 {
		t.Fatalf("%d wrong answers in %v; the budget is %d plus %d refills", wrong, elapsed, cfg.JoinFailures, refills)
	}
	if firstHour > 400 {
		t.Fatalf("the defaults give %d wrong answers an hour: more than a few hundred", firstHour)
	}
	// A right code typed from that address now waits too: the hall's
	// typed joins share the guesser's address. The QR code's key does not
	// (TestJoinKeyGetsPastAGuesser).
	if a := s.tryJoin(t, map[string]string{"code": sess.Code}); a.status != http.StatusTooManyRequests {
		t.Fatalf("a right code from the guessing address: %d, want 429", a.status)
	}
}

// TestGuesserHourByTheClock runs the default failed-join limit for an hour
// of its own clock against a guesser at 10 wrong codes a second: the
// count is the per-hour figure of docs/operations.md.
func TestGuesserHourByTheClock(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	s.joins.now = func() time.Time { return now }
	wrongIn := func(d time.Duration) int {
		n := 0
		for end := now.Add(d); now.Before(end); now = now.Add(100 * time.Millisecond) {
			if s.joins.blocked("203.0.113.9") == 0 {
				s.joins.spend("203.0.113.9")
				n++
			}
		}
		return n
	}
	first, second := wrongIn(time.Hour), wrongIn(time.Hour)
	t.Logf("one address at 10 guesses a second: %d wrong answers in the first hour, %d in the second", first, second)
	if first > s.cfg.JoinFailures+int(time.Hour/s.cfg.JoinFailureEvery)+1 || first > 400 || second > int(time.Hour/s.cfg.JoinFailureEvery)+1 {
		t.Fatalf("%d and %d wrong answers an hour", first, second)
	}
	if first < s.cfg.JoinFailures {
		t.Fatalf("only %d wrong answers: the burst of %d was not given", first, s.cfg.JoinFailures)
	}
}

// TestJoinKeyGetsPastAGuesser: someone at the hall's address guesses codes
// the whole time; every phone that scanned the QR code (the key in the
// link) still joins, and the guesser learns nothing by adding a key.
func TestJoinKeyGetsPastAGuesser(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(w *Config, _ *hub.Config) { w.JoinFailures, w.JoinFailureEvery = 10, time.Hour })
	sess, key, out := s.createWithKey(t, "Hall")
	other, otherKey, _ := s.createWithKey(t, "Next door")

	if !regexp.MustCompile(`^[A-Za-z0-9_-]+$`).MatchString(key) || len(key)*6 < 96 {
		t.Fatalf("joinKey %q: want at least 96 bits, URL-safe", key)
	}
	links := out["links"].(map[string]any)
	if want := s.URL + "/j/" + sess.Code + "#" + key; links["join"] != want {
		t.Fatalf("links.join = %v, want %s", links["join"], want)
	}
	if key == otherKey {
		t.Fatal("two sessions have one join key")
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var guesses, wrong atomic.Int64
	guesser := make(chan struct{})
	go func() {
		defer close(guesser)
		r := rand.New(rand.NewPCG(3, 4))
		for i := 0; i < 400 && ctx.Err() == nil; i++ {
			req, _ := http.NewRequestWithContext(ctx, "POST", s.URL+"/api/join",
				strings.NewReader(`{"code":"`+wrongCode(sess.Code, r)+`"}`))
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return
			}
			res.Body.Close()
			guesses.Add(1)
			if res.StatusCode == http.StatusNotFound {
				wrong.Add(1)
			}
		}
	}()
	// Wait until the guesser has spent the address's budget.
	eventually(t, "the guesser to run dry", func() bool { return s.web.joins.blocked("127.0.0.1") > 0 })
	for i := 0; i < 100; i++ {
		if a := s.tryJoin(t, map[string]string{"code": sess.Code, "key": key}); a.status != http.StatusOK {
			t.Fatalf("QR phone %d, during the guessing: %d %s", i, a.status, a.code)
		}
	}
	<-guesser
	t.Logf("the guesser got %d wrong answers of %d guesses; 100 of 100 QR phones joined", wrong.Load(), guesses.Load())
	if wrong.Load() > 10 {
		t.Fatalf("the guesser got %d wrong answers, the budget is 10", wrong.Load())
	}
	for name, body := range map[string]map[string]string{
		"a right code, no key":            {"code": sess.Code},
		"a right code, a made-up key":     {"code": sess.Code, "key": "AAAAAAAAAAAAAAAAAAAAAA"},
		"a right code, another's key":     {"code": sess.Code, "key": otherKey},
		"a wrong code, a made-up key":     {"code": wrongCode(sess.Code, rand.New(rand.NewPCG(5, 6))), "key": "x"},
		"a wrong code, the session's key": {"code": "00000000", "key": key},
		"a malformed code with a key":     {"code": "12", "key": key},
	} {
		if a := s.tryJoin(t, body); a.status != http.StatusTooManyRequests {
			t.Errorf("%s, from the guessing address: %d, want 429", name, a.status)
		}
	}
	// The other session's phones with their own key get in as well.
	if a := s.tryJoin(t, map[string]string{"code": other.Code, "key": otherKey}); a.status != http.StatusOK {
		t.Fatalf("the other session's QR phone: %d", a.status)
	}
	if x := s.exported(t, sess); x["participants"] != float64(100) {
		t.Fatalf("participants %v, want the 100 QR phones", x["participants"])
	}
}

// TestQRCodeCarriesTheJoinKey: the QR code encodes the join link, key
// included.
func TestQRCodeCarriesTheJoinKey(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	sess, key, _ := s.createWithKey(t, "QR")
	st, svg := s.get(t, "/api/sessions/"+sess.ID+"/qr.svg", "")
	want, _ := qrSVG(s.URL + "/j/" + sess.Code + "#" + key)
	if st != http.StatusOK || string(svg) != string(want) {
		t.Fatalf("qr.svg: %d, not the QR code of the join link with its key", st)
	}
	noKey, _ := qrSVG(s.URL + "/j/" + sess.Code)
	if string(svg) == string(noKey) {
		t.Fatal("the QR code has no key")
	}
}

// TestForwardedForNeedsATrustedProxy: X-Forwarded-For is a header anyone
// can write. From a peer that is not a trusted proxy it is ignored, so a
// fresh one per request does not buy a fresh budget; from a trusted proxy
// only the address the proxy appended counts.
func TestForwardedForNeedsATrustedProxy(t *testing.T) {
	t.Parallel()
	const budget = 5
	guess := func(t *testing.T, s *testServer, xff func(i int) string) (wrong int) {
		t.Helper()
		for i := 0; i < 50; i++ {
			a := s.tryJoin(t, map[string]string{"code": fmt.Sprintf("%08d", i)}, "X-Forwarded-For", xff(i))
			if a.status == http.StatusNotFound {
				wrong++
			} else if a.status != http.StatusTooManyRequests {
				t.Fatalf("guess %d: %d", i, a.status)
			}
		}
		return wrong
	}
	t.Run("untrusted peer", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, func(w *Config, _ *hub.Config) { w.JoinFailures, w.JoinFailureEvery = budget, time.Hour })
		if wrong := guess(t, s, func(i int) string { return fmt.Sprintf("10.%d.%d.1", i/250, i%250) }); wrong != budget {
			t.Fatalf("a fresh X-Forwarded-For per request got %d wrong answers, the budget is %d", wrong, budget)
		}
	})
	t.Run("trusted proxy", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, func(w *Config, _ *hub.Config) {
			w.JoinFailures, w.JoinFailureEvery = budget, time.Hour
			w.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		})
		// The client writes a fresh address; the proxy appends the one it
		// saw.
		if wrong := guess(t, s, func(i int) string { return fmt.Sprintf("10.0.%d.1, 203.0.113.7", i) }); wrong != budget {
			t.Fatalf("through the proxy: %d wrong answers, the budget is %d", wrong, budget)
		}
		// Another client behind the proxy has a budget of its own.
		if a := s.tryJoin(t, map[string]string{"code": "99999999"}, "X-Forwarded-For", "203.0.113.8"); a.status != http.StatusNotFound {
			t.Fatalf("another client behind the proxy: %d, want 404", a.status)
		}
	})
}

func TestClientAddr(t *testing.T) {
	t.Parallel()
	s := New(Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}})
	for _, tc := range []struct {
		peer string
		xff  []string
		want string
	}{
		{"203.0.113.5:4000", []string{"1.2.3.4"}, "203.0.113.5"},             // not a proxy: the header is ignored
		{"127.0.0.1:4000", []string{"1.2.3.4"}, "127.0.0.1"},                 // loopback is not trusted by default
		{"10.0.0.2:4000", nil, "10.0.0.2"},                                   // a proxy with no header
		{"10.0.0.2:4000", []string{"1.2.3.4, 198.51.100.9"}, "198.51.100.9"}, // right-most untrusted
		{"10.0.0.2:4000", []string{"1.2.3.4", "198.51.100.9, 10.0.0.3"}, "198.51.100.9"},
		{"10.0.0.2:4000", []string{"10.1.1.1, 10.0.0.3"}, "10.1.1.1"}, // all proxies: the farthest
		{"10.0.0.2:4000", []string{"1.2.3.4, junk"}, "10.0.0.2"},      // a proxy wrote junk: stop there
		{"10.0.0.2:4000", []string{"[2001:db8::1]:5000"}, "2001:db8::1"},
		{"[fd00::1]:4000", []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
		{"[::ffff:10.0.0.2]:4000", []string{"198.51.100.2"}, "198.51.100.2"},
	} {
		r, _ := http.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := s.clientAddr(r).String(); got != tc.want {
			t.Errorf("peer %s, X-Forwarded-For %q: %s, want %s", tc.peer, tc.xff, got, tc.want)
		}
	}
	// An IPv6 client is limited by its /64, which one device is given.
	a, b := netip.MustParseAddr("2001:db8:1:2::1"), netip.MustParseAddr("2001:db8:1:2:ffff::9")
	if limitKey(a) != limitKey(b) || limitKey(a) == limitKey(netip.MustParseAddr("2001:db8:1:3::1")) {
		t.Fatalf("limit keys: %s %s", limitKey(a), limitKey(b))
	}
}

// TestLimiterMemoryIsBounded: past LimitedAddresses, new addresses share
// one bucket instead of growing the map.
func TestLimiterMemoryIsBounded(t *testing.T) {
	t.Parallel()
	l := newAddrLimiter(2, time.Hour, 100)
	for i := 0; i < 1000; i++ {
		l.spend(fmt.Sprintf("198.51.%d.%d", i/250, i%250))
	}
	if n := len(l.addrs); n > 101 {
		t.Fatalf("%d buckets for a limit of 100", n)
	}
	if l.blocked("203.0.113.1") == 0 {
		t.Fatal("a new address past the limit is not charged to the shared bucket")
	}
	if l.addrs["198.51.0.0"] == nil {
		t.Fatal("an address with a bucket of its own lost it")
	}
}

func TestParticipantCap(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(w *Config, _ *hub.Config) { w.MaxParticipants = 3 })
	sess, key, _ := s.createWithKey(t, "Small room")
	for i := 0; i < 3; i++ {
		s.join(t, sess.Code)
	}
	before := s.exported(t, sess)
	for _, body := range []map[string]string{{"code": sess.Code}, {"code": sess.Code, "key": key}} {
		st, out, _ := s.post(t, "/api/join", body)
		msg, _ := out["error"].(map[string]any)["message"].(string)
		if st != http.StatusTooManyRequests || errCode(out) != "limit_reached" || !strings.Contains(msg, "3 participants") {
			t.Fatalf("join past the cap: %d %v", st, out)
		}
	}
	after := s.exported(t, sess)
	if after["participants"] != float64(3) || after["offset"] != before["offset"] {
		t.Fatalf("a refused join changed the record: %v participants, offset %v → %v", after["participants"], before["offset"], after["offset"])
	}
	// A full session is not a wrong code: the address's budget is intact.
	if w := s.web.joins.blocked("127.0.0.1"); w != 0 {
		t.Fatalf("the cap spent the failure budget: wait %v", w)
	}
}

func TestJoinEndedSession(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	sess, key, _ := s.createWithKey(t, "Done")
	s.join(t, sess.Code)
	host := s.connect(t, sess.FacilitatorKey)
	if ack := host.cmd("session.end", nil); ack["type"] != "ack" {
		t.Fatalf("session.end: %v", ack)
	}
	before := s.exported(t, sess)
	for _, body := range []map[string]string{{"code": sess.Code}, {"code": sess.Code, "key": key}} {
		if a := s.tryJoin(t, body); a.status != http.StatusConflict || a.code != "session_ended" {
			t.Fatalf("join into an ended session: %d %s, want 409 session_ended", a.status, a.code)
		}
	}
	after := s.exported(t, sess)
	if after["offset"] != before["offset"] || after["participants"] != float64(1) {
		t.Fatalf("a refused join changed the record: offset %v → %v, participants %v", before["offset"], after["offset"], after["participants"])
	}
	// A join that raced session.end (checked before it, appended after,
	// perhaps by another instance) is in the log but not in the record.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.store.Append(ctx, sess.ID, session.Event{Cmd: session.Command{Op: session.OpJoin, Name: "Late"}}); err != nil {
		t.Fatal(err)
	}
	raced := s.exported(t, sess)
	if raced["offset"] == after["offset"] || raced["participants"] != float64(1) {
		t.Fatalf("a raced join: offset %v → %v, participants %v, want 1", after["offset"], raced["offset"], raced["participants"])
	}
}

// joinFaultStore fails the calls a test chooses, the way a full disk or an
// unreachable Redis does.
type joinFaultStore struct {
	eventlog.Store
	appendErr, lookupErr atomic.Pointer[error]
}

func (f *joinFaultStore) Append(ctx context.Context, id string, e session.Event) (uint64, error) {
	if err := f.appendErr.Load(); err != nil {
		return 0, *err
	}
	return f.Store.Append(ctx, id, e)
}

func (f *joinFaultStore) LookupCode(ctx context.Context, code string) (string, error) {
	if err := f.lookupErr.Load(); err != nil {
		return "", *err
	}
	return f.Store.LookupCode(ctx, code)
}

func (f *joinFaultStore) Create(ctx context.Context, id string) (string, error) {
	if err := f.appendErr.Load(); err != nil {
		return "", *err
	}
	return f.Store.Create(ctx, id)
}

// TestJoinWhenTheStoreFails: a store that cannot append answers 503
// unavailable with a Retry-After, never 500 internal, and the failure is
// not charged to the phone's address.
func TestJoinWhenTheStoreFails(t *testing.T) {
	t.Parallel()
	var fs *joinFaultStore
	s := newTestServer(t, func(w *Config, _ *hub.Config) {
		fs = &joinFaultStore{Store: w.Store}
		w.Store = fs
		w.JoinFailures = 1
	})
	sess := s.create(t, "Fragile")
	for name, fault := range map[string]struct {
		append, lookup error
	}{
		"disk full":        {append: fmt.Errorf("bbolt: write: %w", syscall.ENOSPC)},
		"redis away":       {append: fmt.Errorf("%w: dial tcp: connection refused", eventlog.ErrUnavailable)},
		"append times out": {append: context.DeadlineExceeded},
		"lookup fails":     {lookup: errors.New("read: connection reset by peer")},
	} {
		if fault.append != nil {
			fs.appendErr.Store(&fault.append)
		}
		if fault.lookup != nil {
			fs.lookupErr.Store(&fault.lookup)
		}
		for i := 0; i < 3; i++ {
			a := s.tryJoin(t, map[string]string{"code": sess.Code})
			if n, err := strconv.Atoi(a.retry); a.status != http.StatusServiceUnavailable || a.code != "unavailable" || err != nil || n < 1 {
				t.Fatalf("%s: join answered %d %s, Retry-After %q; want 503 unavailable with a Retry-After", name, a.status, a.code, a.retry)
			}
		}
		fs.appendErr.Store(nil)
		fs.lookupErr.Store(nil)
	}
	// Creating a session on a full disk is as retryable.
	full := error(fmt.Errorf("write: %w", syscall.ENOSPC))
	fs.appendErr.Store(&full)
	if st, out, h := s.post(t, "/api/sessions", map[string]string{"title": "x"}); st != http.StatusServiceUnavailable || errCode(out) != "unavailable" || h.Get("Retry-After") == "" {
		t.Fatalf("create on a full disk: %d %v", st, out)
	}
	fs.appendErr.Store(nil)
	s.join(t, sess.Code)
	if x := s.exported(t, sess); x["participants"] != float64(1) {
		t.Fatalf("participants %v, want only the join after the faults", x["participants"])
	}
}

func TestSessionCreationLimitedPerAddress(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(w *Config, _ *hub.Config) {
		w.CreateBurst, w.CreateEvery = 3, time.Minute
		w.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	for i := 0; i < 3; i++ {
		s.create(t, fmt.Sprint("Session ", i))
	}
	for _, header := range [][]string{nil, {"Authorization", "Bearer guessing"}} {
		st, out, h := s.post(t, "/api/sessions", map[string]string{"title": "One too many"}, header...)
		n, err := strconv.Atoi(h.Get("Retry-After"))
		if st != http.StatusTooManyRequests || errCode(out) != "rate_limited" || err != nil || n < 1 || n > 60 {
			t.Fatalf("create past the limit: %d %v Retry-After %q", st, out, h.Get("Retry-After"))
		}
	}
	if st, out, _ := s.post(t, "/api/sessions", map[string]string{"title": "Elsewhere"}, "X-Forwarded-For", "198.51.100.4"); st != http.StatusCreated {
		t.Fatalf("another address: %d %v", st, out)
	}
}
