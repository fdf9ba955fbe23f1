package hub_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/hub"
	"github.com/townhall/townhall/web"
)

// Environment of the helper process that holds the phones.
const (
	envPhonesURL  = "TOWNHALL_BENCH_PHONES_URL"
	envPhonesCode = "TOWNHALL_BENCH_PHONES_CODE"
	envPhonesN    = "TOWNHALL_BENCH_PHONES_N"
	// envHeapProfile, when set, is a file to which the benchmark writes a
	// heap profile while the phones are held (go tool pprof -sample_index
	// inuse_space).
	envHeapProfile = "TOWNHALL_BENCH_HEAPPROFILE"
	// envCompress=1 makes the phones compress as Chrome does: they offer
	// permessage-deflate and compress every message they send, however
	// small, which makes the server keep a reader for them.
	envCompress = "TOWNHALL_BENCH_COMPRESS"
)

// BenchmarkIdleConnMemory is the memory the server holds per idle
// attendee connection: a real server (web.New over hub.Manager and the
// embedded store) on a loopback port, and 2,000 phones that join, say
// hello, read their welcome and then stay idle. The phones live in a
// child process (this test binary again) so that their memory is not
// counted. It reports (HeapInuse+StackInuse) growth and goroutines per
// connection. One measurement per run: use -benchtime 1x.
func BenchmarkIdleConnMemory(b *testing.B) {
	const n = 2000
	if os.Getenv(envHeapProfile) != "" {
		// Record every allocation, so that the profile is exact.
		runtime.MemProfileRate = 1
	}
	store, err := eventlog.OpenEmbedded(eventlog.EmbeddedConfig{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	hubs := hub.NewManager(store, hub.Config{Metrics: hub.NewMetrics(prometheus.NewRegistry())})
	srv := httptest.NewServer(web.New(web.Config{Store: store, Hubs: hubs, Secret: []byte("bench secret"), Gatherer: prometheus.NewRegistry()}))
	defer srv.Close()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		hubs.Shutdown(ctx)
	}()

	res, err := http.Post(srv.URL+"/api/sessions", "application/json", strings.NewReader(`{"title":"Idle"}`))
	if err != nil {
		b.Fatal(err)
	}
	var created struct{ Code, FacilitatorKey string }
	json.NewDecoder(res.Body).Decode(&created)
	res.Body.Close()

	// One phone first, so that the session's hub is loaded and warm
	// before the baseline.
	warm := exec.Command(os.Args[0], "-test.run=^TestIdlePhonesHelper$", "-test.bench=^$")
	warm.Env = append(os.Environ(), envPhonesURL+"="+srv.URL, envPhonesCode+"="+created.Code, envPhonesN+"=1")
	if out, err := runPhones(warm, nil); err != nil {
		b.Fatalf("warm-up phone: %v\n%s", err, out)
	}

	measure := func() (heap, stack uint64, goroutines int) {
		var ms runtime.MemStats
		for i := 0; i < 3; i++ {
			runtime.GC()
		}
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse, ms.StackInuse, runtime.NumGoroutine()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		heap0, stack0, g0 := measure()
		cmd := exec.Command(os.Args[0], "-test.run=^TestIdlePhonesHelper$", "-test.bench=^$")
		cmd.Env = append(os.Environ(), envPhonesURL+"="+srv.URL, envPhonesCode+"="+created.Code, envPhonesN+"="+strconv.Itoa(n))
		var heap1, stack1 uint64
		var g1 int
		out, err := runPhones(cmd, func() {
			// Every phone has its welcome; let the hub settle.
			time.Sleep(time.Second)
			heap1, stack1, g1 = measure()
			if path := os.Getenv(envHeapProfile); path != "" {
				writeHeapProfile(b, path)
			}
		})
		if err != nil {
			b.Fatalf("phones: %v\n%s", err, out)
		}
		b.ReportMetric(float64(int64(heap1+stack1)-int64(heap0+stack0))/n, "B/conn")
		b.ReportMetric(float64(int64(heap1)-int64(heap0))/n, "heap-B/conn")
		b.ReportMetric(float64(int64(stack1)-int64(stack0))/n, "stack-B/conn")
		b.ReportMetric(float64(g1-g0)/n, "goroutines/conn")
		b.StartTimer()
	}
}

func writeHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}

// runPhones starts the helper and, once it prints "ready", calls held,
// then closes its stdin so that it hangs up and exits.
func runPhones(cmd *exec.Cmd, held func()) ([]byte, error) {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(stdout)
	ready := false
	for sc.Scan() {
		if sc.Text() == "ready" {
			ready = true
			break
		}
	}
	if ready && held != nil {
		held()
	}
	stdin.Close()
	io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	if err == nil && !ready {
		err = fmt.Errorf("the helper ended before its phones were ready")
	}
	return stderr.Bytes(), err
}

// TestIdlePhonesHelper is not a test: BenchmarkIdleConnMemory runs it in a
// child process to hold its phones. Without the environment it does
// nothing.
func TestIdlePhonesHelper(t *testing.T) {
	base := os.Getenv(envPhonesURL)
	if base == "" {
		t.Skip("helper process for BenchmarkIdleConnMemory")
	}
	code := os.Getenv(envPhonesCode)
	n, _ := strconv.Atoi(os.Getenv(envPhonesN))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	ws := &http.Client{Transport: &http.Transport{}}
	conns := make([]*websocket.Conn, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 32)
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := idlePhone(ctx, client, ws, base, code)
			if err != nil {
				errs <- err
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var readers sync.WaitGroup
	for _, c := range conns {
		// Idle phones still read, as a browser does, discarding pushes.
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				if _, _, err := c.Read(ctx); err != nil {
					return
				}
			}
		}()
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.CloseNow()
	}
	// This process's own TestMain looks for leaked goroutines: the
	// readers and the join client's keep-alive connections end first.
	readers.Wait()
	client.CloseIdleConnections()
	ws.CloseIdleConnections()
}

func idlePhone(ctx context.Context, client, wsClient *http.Client, base, code string) (*websocket.Conn, error) {
	res, err := client.Post(base+"/api/join", "application/json", strings.NewReader(`{"code":"`+code+`"}`))
	if err != nil {
		return nil, err
	}
	var joined struct{ Token string }
	err = json.NewDecoder(res.Body).Decode(&joined)
	res.Body.Close()
	if err != nil || joined.Token == "" {
		return nil, fmt.Errorf("join: status %d, %v", res.StatusCode, err)
	}
	opts := &websocket.DialOptions{HTTPClient: wsClient}
	if os.Getenv(envCompress) == "1" {
		opts.CompressionMode, opts.CompressionThreshold = websocket.CompressionNoContextTakeover, 1
	}
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws", opts)
	if err != nil {
		return nil, err
	}
	hello, _ := json.Marshal(map[string]any{"type": "hello", "token": joined.Token})
	if err := c.Write(ctx, websocket.MessageText, hello); err != nil {
		return nil, err
	}
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return nil, err
		}
		if bytes.Contains(data, []byte(`"type":"welcome"`)) {
			return c, nil
		}
	}
}
