// Command hallink is the hall's link for scripts/bench-hall.sh on a kernel
// without sch_netem (this machine's): it joins two network namespaces by a
// TUN device in each and carries every packet across as netem would, after
// the link's rate (shared by everything going one way), its delay, and its
// loss, with a drop-tail queue of --limit. It runs as root, reads and
// writes only the two devices, and prints what it carried and dropped as
// one JSON line when it is stopped (SIGINT or SIGTERM).
//
//	hallink --a thsrv1:ths1 --b thhall1:thh1 --rate 50mbit --delay 40ms --loss 0.5%
//
// Each device must exist (ip tuntap add dev NAME mode tun) in the named
// namespace (/var/run/netns/NAME, as ip netns add makes it).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func main() {
	a := flag.String("a", "", "one end, NAMESPACE:DEVICE")
	b := flag.String("b", "", "the other end, NAMESPACE:DEVICE")
	rate := flag.String("rate", "50mbit", "the link's rate each way: a number with kbit, mbit or gbit")
	delay := flag.Duration("delay", 40*time.Millisecond, "the delay each way")
	loss := flag.String("loss", "0.5%", "the share of packets lost each way")
	limit := flag.Duration("limit", time.Second, "the longest a packet waits for the rate before it is dropped")
	flag.Parse()
	bps, err := parseRate(*rate)
	check(err)
	p, err := parseLoss(*loss)
	check(err)
	ta, err := openTun(*a)
	check(err)
	tb, err := openTun(*b)
	check(err)
	ab := &direction{from: ta, to: tb, bps: bps, delay: *delay, loss: p, limit: *limit}
	ba := &direction{from: tb, to: ta, bps: bps, delay: *delay, loss: p, limit: *limit}
	go ab.run()
	go ba.run()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	out, _ := json.Marshal(map[string]any{"link": map[string]any{"rate": *rate, "delay": delay.String(), "loss": *loss, "limit": limit.String()},
		"aToB": ab.stats(), "bToA": ba.stats()})
	fmt.Println(string(out))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "hallink:", err)
		os.Exit(2)
	}
}

// parseRate reads tc's spelling of a rate in bits per second.
func parseRate(s string) (float64, error) {
	units := []struct {
		suffix string
		mul    float64
	}{{"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(strings.ToLower(s), u.suffix); ok {
			v, err := strconv.ParseFloat(n, 64)
			if err != nil || v <= 0 {
				return 0, fmt.Errorf("rate %q: want a positive number and kbit, mbit or gbit", s)
			}
			return v * u.mul, nil
		}
	}
	return 0, fmt.Errorf("rate %q: want a positive number and kbit, mbit or gbit", s)
}

func parseLoss(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil || v < 0 || v >= 100 {
		return 0, fmt.Errorf("loss %q: want a percentage from 0 to 100", s)
	}
	return v / 100, nil
}

// openTun attaches to the TUN device dev of namespace ns. The device is
// looked up in the namespace of the thread that attaches, so that thread
// enters ns and is never used again: the goroutine ends locked to it,
// which ends the thread.
func openTun(end string) (*os.File, error) {
	ns, dev, ok := strings.Cut(end, ":")
	if !ok || ns == "" || dev == "" || len(dev) >= unix.IFNAMSIZ {
		return nil, fmt.Errorf("end %q: want NAMESPACE:DEVICE", end)
	}
	type result struct {
		f   *os.File
		err error
	}
	done := make(chan result)
	go func() {
		runtime.LockOSThread()
		f, err := attach(ns, dev)
		done <- result{f, err}
	}()
	r := <-done
	return r.f, r.err
}

func attach(ns, dev string) (*os.File, error) {
	nsf, err := os.Open("/var/run/netns/" + ns)
	if err != nil {
		return nil, err
	}
	defer nsf.Close()
	if err := unix.Setns(int(nsf.Fd()), unix.CLONE_NEWNET); err != nil {
		return nil, fmt.Errorf("entering %s: %w", ns, err)
	}
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	var req [unix.IFNAMSIZ + 64]byte
	copy(req[:], dev)
	*(*uint16)(unsafe.Pointer(&req[unix.IFNAMSIZ])) = unix.IFF_TUN | unix.IFF_NO_PI
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TUNSETIFF, uintptr(unsafe.Pointer(&req[0]))); e != 0 {
		unix.Close(fd)
		return nil, fmt.Errorf("attaching to %s in %s: %w", dev, ns, e)
	}
	// Non-blocking, so that the runtime's poller waits for it and a
	// blocked read holds no thread.
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), dev), nil
}

// direction carries one way: a packet leaves when the rate has sent those
// before it, and arrives delay later. Departures only grow, so one queue in
// order of arrival is also in order of delivery.
type direction struct {
	from, to *os.File
	bps      float64
	delay    time.Duration
	loss     float64
	limit    time.Duration

	packets, bytes, lost, queueDrops atomic.Int64
}

type packet struct {
	data []byte
	at   time.Time
}

func (d *direction) run() {
	queue := make(chan packet, 1<<16)
	go d.deliver(queue)
	var busyUntil time.Time
	buf := make([]byte, 1<<16)
	for {
		n, err := d.from.Read(buf)
		if err != nil {
			check(err)
		}
		if d.loss > 0 && rand.Float64() < d.loss {
			d.lost.Add(1)
			continue
		}
		now := time.Now()
		start := busyUntil
		if start.Before(now) {
			start = now
		}
		if start.Sub(now) > d.limit {
			d.queueDrops.Add(1)
			continue
		}
		busyUntil = start.Add(time.Duration(float64(n*8) / d.bps * float64(time.Second)))
		p := packet{data: append([]byte(nil), buf[:n]...), at: busyUntil.Add(d.delay)}
		select {
		case queue <- p:
		default:
			d.queueDrops.Add(1)
		}
	}
}

func (d *direction) deliver(queue <-chan packet) {
	for p := range queue {
		if w := time.Until(p.at); w > 0 {
			time.Sleep(w)
		}
		// A write fails only when the device is gone, at the end.
		if _, err := d.to.Write(p.data); err == nil {
			d.packets.Add(1)
			d.bytes.Add(int64(len(p.data)))
		}
	}
}

func (d *direction) stats() map[string]int64 {
	return map[string]int64{"packets": d.packets.Load(), "bytes": d.bytes.Load(), "lost": d.lost.Load(), "queueDrops": d.queueDrops.Load()}
}
