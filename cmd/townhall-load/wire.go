package main

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
)

// With --compress the phones offer permessage-deflate as browsers do, and
// what a phone receives is counted where it crosses the wire: the messages
// the websocket library hands over are the uncompressed ones.

// wireKey is the context key under which a phone's dial carries the
// counter of the bytes its connection reads.
type wireKey struct{}

// withWireCounter makes the connections dialed under ctx count the bytes
// they read into n.
func withWireCounter(ctx context.Context, n *atomic.Int64) context.Context {
	return context.WithValue(ctx, wireKey{}, n)
}

// countingDial wraps dial: a connection dialed under withWireCounter counts
// what it reads.
func countingDial(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if n, ok := ctx.Value(wireKey{}).(*atomic.Int64); ok {
			return &wireConn{Conn: c, n: n}, nil
		}
		return c, nil
	}
}

type wireConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *wireConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// countingClient is hc whose transport dials with countingDial.
func countingClient(t *http.Transport) *http.Client {
	t.DialContext = countingDial(t.DialContext)
	return &http.Client{Transport: t}
}
