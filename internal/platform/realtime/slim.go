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
	// Bytes the client sent right behind its handshake must stay in front
	// of the connection. They go into the new reader's buffer, not into a
	// reader under it: the WebSocket library keeps what is buffered and
	// then reads the connection itself.
	early, _ := brw.Reader.Peek(brw.Reader.Buffered())
	rd := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(early)), conn), max(readBufferSize, len(early)))
	if len(early) > 0 {
		if _, err := rd.Peek(len(early)); err != nil {
			conn.Close()
			return nil, nil, err
		}
	}
	return conn, bufio.NewReadWriter(rd, bufio.NewWriterSize(conn, writeBufferSize)), nil
}
