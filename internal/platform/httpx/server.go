package httpx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"
)

// NewServer returns an http.Server with timeouts that protect against slow
// clients. WebSocket handlers lift the read/write deadlines for their
// connections themselves.
func NewServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// Listen opens addr, turning the common failures into one clear sentence.
func Listen(ctx context.Context, addr string) (net.Listener, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	switch {
	case err == nil:
		return ln, nil
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("KITE_ADDR: %s is already in use by another program; stop it or choose another port", addr)
	case errors.Is(err, syscall.EACCES):
		return nil, fmt.Errorf("KITE_ADDR: not allowed to listen on %s; ports below 1024 need privileges", addr)
	}
	return nil, fmt.Errorf("KITE_ADDR: cannot listen on %s: %w", addr, err)
}
