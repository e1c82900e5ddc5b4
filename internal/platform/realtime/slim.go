package realtime

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
)

// A hijacked connection comes with net/http's 4 KiB read and write
// buffers, kept for the socket's life: 8 KiB of each idle socket's ~20.
// Clients send a few small frames (subscribe, typing), so reading needs
// little; Kite's frames are mostly under 2 KiB, and one that fits the
// write buffer goes out in one system call.
const (
	readBufferSize  = 512
	writeBufferSize = 2 << 10
)

// slimWriter hands the WebSocket library right-sized buffers on Hijack.
type slimWriter struct {
	http.ResponseWriter
}

func (w slimWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w slimWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	// Bytes the client sent right after its handshake are kept, in front
	// of the connection; the big buffer they were read into is let go.
	var r io.Reader = conn
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ := brw.Reader.Peek(n)
		r = io.MultiReader(bytes.NewReader(bytes.Clone(early)), conn)
	}
	return conn, bufio.NewReadWriter(bufio.NewReaderSize(r, readBufferSize), bufio.NewWriterSize(conn, writeBufferSize)), nil
}
