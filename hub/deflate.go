package hub

import (
	"bytes"
	"compress/flate"
	"sync"
)

// Compression (permessage-deflate, RFC 7692) without context takeover:
// every message is compressed on its own, so a tick's view, compressed
// once, is the same bytes for every connection that negotiated it, as its
// plain frame is for the others, and an idle connection holds no
// compressor. Browsers offer it on every websocket. What it saves is most
// of a whole view: a welcome of a 200-question board is 33 KB of JSON, and
// a hall's link carries one for every phone that joins or falls behind
// (docs/benchmarks.md, "The hall with delay and loss").

// deflateMin is the smallest payload of a connection's own frame that is
// compressed, for it alone: below it the CPU is not worth the bytes (the
// websocket library draws the line at 512 too). sharedDeflateMin is the
// same for a tick's frames, compressed once for everyone: a board's patch
// is a few hundred bytes, and those are most of what a hall carries.
const (
	deflateMin       = DeflateMin
	sharedDeflateMin = 128
)

// DeflateMin is what web gives the websocket library as its compression
// threshold, for the frames it writes before the hub takes a connection:
// the same line as the hub's own.
const DeflateMin = 512

// rsv1 marks a compressed message's first frame (RFC 7692 6).
const rsv1 = 0x40

// deflateTail is the end of a sync flush, which RFC 7692 7.2.1 takes off.
var deflateTail = []byte{0x00, 0x00, 0xff, 0xff}

// flaters are compressors at BestSpeed: a tick compresses a few views and
// a join its welcome, and speed is what the tick needs. A flate.Writer is
// about 1 MB, so they are reused, never one per connection.
var flaters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed)
	return w
}}

// appendDeflatedFrame appends payload's compressed text frame to b, or
// returns nil when compressing would not make the frame smaller.
func appendDeflatedFrame(b, payload []byte) []byte {
	var z bytes.Buffer
	z.Grow(len(payload)/2 + 16)
	w := flaters.Get().(*flate.Writer)
	w.Reset(&z)
	_, err := w.Write(payload)
	if err == nil {
		err = w.Flush()
	}
	flaters.Put(w)
	out := z.Bytes()
	if err != nil || !bytes.HasSuffix(out, deflateTail) {
		return nil
	}
	out = out[:len(out)-len(deflateTail)]
	if len(out) >= len(payload) {
		return nil
	}
	return appendHeader(b, finBit|rsv1|opText, len(out), out)
}

// sharedFrame is one frame as every connection it goes to writes it:
// plain, and compressed for the connections that negotiated compression,
// made by the first of them that writes it.
type sharedFrame struct {
	plain []byte
	once  sync.Once
	z     []byte // plain again when compressing does not save
}

// bytes is the frame to write on a connection that compresses or not.
func (f *sharedFrame) bytes(deflate bool) []byte {
	payload := f.plain[headerLen(f.plain):]
	if !deflate || len(payload) < sharedDeflateMin {
		return f.plain
	}
	f.once.Do(func() {
		if f.z = appendDeflatedFrame(nil, payload); f.z == nil {
			f.z = f.plain
		}
	})
	return f.z
}

// headerLen is the length of the header of a server's frame (no mask).
func headerLen(frame []byte) int {
	switch frame[1] {
	case 126:
		return 4
	case 127:
		return 10
	}
	return 2
}
