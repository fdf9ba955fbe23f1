// Command writefloor measures the floor under Townhall's cost per pushed
// frame on this machine: what writing one small frame to each of N
// loopback TCP sockets costs the writing process, with no websocket, no
// hub and no Go code between the loop and the write system call. The
// readers run in a child process (this binary again), one goroutine per
// socket, as the load generator's phones do.
//
//	go run ./internal/tools/writefloor -n 10000
//
// It prints the writer's user and system CPU per frame (getrusage). See
// docs/benchmarks.md for what it showed.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 10000, "sockets")
	size := flag.Int("size", 300, "frame bytes (an attendee's poll push is about 300)")
	rounds := flag.Int("rounds", 40, "rounds: one frame to every socket per round")
	every := flag.Duration("every", 250*time.Millisecond, "pause between rounds (the attendee tick); 0 writes back to back")
	client := flag.String("client", "", "internal: dial this address n times and read until closed")
	flag.Parse()
	if *client != "" {
		os.Exit(read(*client, *n))
	}
	os.Exit(write(*n, *size, *rounds, *every))
}

func read(addr string, n int) int {
	var wg sync.WaitGroup
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "writefloor:", err)
			return 1
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			io.Copy(io.Discard, c)
		}()
	}
	wg.Wait()
	return 0
}

func write(n, size, rounds int, every time.Duration) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "writefloor:", err)
		return 1
	}
	readers := exec.Command(os.Args[0], "-n", fmt.Sprint(n), "-client", ln.Addr().String())
	readers.Stderr = os.Stderr
	if err := readers.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "writefloor:", err)
		return 1
	}
	defer readers.Wait()
	defer readers.Process.Kill()
	conns := make([]net.Conn, n)
	for i := range conns {
		if conns[i], err = ln.Accept(); err != nil {
			fmt.Fprintln(os.Stderr, "writefloor:", err)
			return 1
		}
	}
	frame := make([]byte, size)
	time.Sleep(time.Second) // let the readers settle
	u0, s0 := usage()
	for range rounds {
		for _, c := range conns {
			if _, err := c.Write(frame); err != nil {
				fmt.Fprintln(os.Stderr, "writefloor:", err)
				return 1
			}
		}
		time.Sleep(every)
	}
	u1, s1 := usage()
	frames := float64(n * rounds)
	fmt.Printf("sockets %d, frames %d of %d bytes: user %.2f µs + system %.2f µs = %.2f µs per frame\n",
		n, n*rounds, size, float64((u1-u0).Nanoseconds())/1e3/frames, float64((s1-s0).Nanoseconds())/1e3/frames,
		float64((u1-u0+s1-s0).Nanoseconds())/1e3/frames)
	return 0
}

// usage is this process's user and system CPU time.
func usage() (user, system time.Duration) {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}
