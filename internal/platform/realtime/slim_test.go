package realtime

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// Bytes a client sends right behind its request reach the hijacked
// connection's reader, in order, through the small buffers.
func TestSlimWriterKeepsEarlyBytes(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := slimWriter{w}.Hijack()
		if err != nil {
			got <- "hijack: " + err.Error()
			return
		}
		defer conn.Close()
		if brw.Reader.Size() < readBufferSize || brw.Writer.Size() != writeBufferSize {
			got <- "buffer sizes"
			return
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		// What the WebSocket library does with the reader it is given.
		kept, _ := brw.Reader.Peek(brw.Reader.Buffered())
		brw.Reader.Reset(io.MultiReader(bytes.NewReader(kept), conn))
		b := make([]byte, len("early-then-late"))
		_, err = io.ReadFull(brw, b)
		if err != nil {
			got <- "read: " + err.Error()
			return
		}
		got <- string(b)
	}))
	t.Cleanup(srv.Close)
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The request and the first bytes after it in one write: the server
	// reads them together into its own buffer.
	c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\nearly-"))
	time.Sleep(50 * time.Millisecond)
	c.Write([]byte("then-late"))
	if s := <-got; s != "early-then-late" {
		t.Fatalf("the server read %q", s)
	}
}
