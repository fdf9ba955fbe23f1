package main

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"
)

// A slow link delivers every byte in order, in both directions, and never
// sooner than its delay and rate allow.
func TestSlowConnCarriesBytesNoFasterThanItsLink(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const size = 40 << 10
	want := make([]byte, size)
	rand.NewChaCha8([32]byte{1}).Read(want)
	echoed := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			echoed <- err
			return
		}
		defer c.Close()
		_, err = io.CopyN(c, c, size)
		echoed <- err
	}()
	raw, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	const bits, delay = 800_000, 30 * time.Millisecond // 100 KB/s each way
	c := newSlowConn(raw, bits, delay)
	defer c.Close()
	start := time.Now()
	go func() {
		for i := 0; i < size; i += 1000 {
			if _, err := c.Write(want[i:min(size, i+1000)]); err != nil {
				return
			}
		}
	}()
	got := make([]byte, size)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if err := <-echoed; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("the bytes came back otherwise")
	}
	// Out and back: each way its delay, and the whole of it at the rate
	// at least once (the two ways overlap).
	if floor := 2*delay + time.Duration(size*8*float64(time.Second)/bits); took < floor {
		t.Fatalf("%d bytes out and back in %v, faster than the link allows (%v)", size, took, floor)
	}
	c.Close()
	if _, err := c.Write([]byte("x")); err == nil {
		t.Fatal("a write on a closed link was taken")
	}
}
