package telegramtest

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"
)

const (
	secretHeader   = "X-Telegram-Bot-Api-Secret-Token"
	webhookTimeout = 30 * time.Second
	minBackoff     = 50 * time.Millisecond
	maxBackoff     = 2 * time.Second
)

// webhook is one setWebhook configuration with its delivery workers.
type webhook struct {
	url     string
	secret  string
	maxConn int
	hasCert bool
	client  *http.Client  // shared by the workers; at most maxConn connections
	work    chan struct{} // capacity 1: "there may be something to deliver"
	ctx     context.Context
	stop    context.CancelFunc
}

// signal wakes one idle worker. A worker that takes an update and sees more
// work signals again, so wake-ups chain through the pool one at a time
// instead of stampeding all max_connections workers per update.
func (h *webhook) signal() {
	select {
	case h.work <- struct{}{}:
	default:
	}
}

// notLoopbackError stops deliveries to anything but this machine: the fake
// must never send traffic elsewhere.
type notLoopbackError struct{}

func (notLoopbackError) Error() string {
	return "telegramtest delivers webhooks to loopback addresses only"
}

// newWebhookClient builds the client of one webhook. Its transport opens at
// most maxConn connections, as Telegram promises with max_connections, and
// keeps them all alive between deliveries, so a fast endpoint is served over
// reused connections.
func newWebhookClient(maxConn int) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				return nil, notLoopbackError{}
			}
			return dialer.DialContext(ctx, network, addr)
		},
		MaxConnsPerHost:     maxConn,
		MaxIdleConnsPerHost: maxConn,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 5 * time.Second,
		// Test endpoints on loopback use throwaway certificates; only loopback
		// is ever dialled, so there is nothing to authenticate.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // loopback test endpoints only
	}
	return &http.Client{
		Transport: transport,
		Timeout:   webhookTimeout,
		// Telegram does not follow redirects; a 3xx is a failed delivery.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// deliverLoop is one of a webhook's max_connections workers.
func (s *Server) deliverLoop(b *bot, h *webhook) {
	// Whichever worker ends last closes the connections the others left idle.
	defer h.client.CloseIdleConnections()
	for {
		u := s.nextDelivery(b, h)
		if u == nil {
			return
		}
		err := post(h, u.body)
		s.finishDelivery(b, h, u, err)
	}
}

// nextDelivery blocks until an update may be sent to h, or returns nil once
// h is no longer the bot's webhook. Nothing starts while the server is down
// or during the backoff after a failure.
func (s *Server) nextDelivery(b *bot, h *webhook) *pendingUpdate {
	b.mu.Lock()
	for {
		if b.upd.hook != h || h.ctx.Err() != nil {
			b.mu.Unlock()
			return nil
		}
		var pause time.Duration
		if !s.down.Load() {
			pause = time.Until(b.upd.pauseUntil)
			if pause <= 0 {
				if u := b.upd.queue.nextForDelivery(); u != nil {
					if b.upd.queue.hasWork() {
						h.signal()
					}
					b.mu.Unlock()
					return u
				}
			}
		}
		b.mu.Unlock()
		var timer *time.Timer
		var timeout <-chan time.Time
		if pause > 0 {
			timer = time.NewTimer(pause)
			timeout = timer.C
		}
		select {
		case <-h.work:
		case <-timeout:
		case <-h.ctx.Done():
		}
		if timer != nil {
			timer.Stop()
		}
		b.mu.Lock()
	}
}

// post sends one update the way Telegram does: a JSON POST carrying the
// secret token header when one is set. Any answer but 2xx is a failure.
func post(h *webhook, body []byte) error {
	req, err := http.NewRequestWithContext(h.ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if h.secret != "" {
		req.Header.Set(secretHeader, h.secret)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return deliveryError(describeNetError(err))
	}
	// Reading the body to the end returns the connection to the pool.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return deliveryError(fmt.Sprintf("Wrong response from the webhook: %d %s",
			resp.StatusCode, http.StatusText(resp.StatusCode)))
	}
	return nil
}

// finishDelivery records the outcome of one delivery. A failure puts the
// update back for a retry and pauses the webhook with exponential backoff
// (50 ms doubling to 2 s), as Telegram backs off a failing endpoint.
func (s *Server) finishDelivery(b *bot, h *webhook, u *pendingUpdate, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	current := b.upd.hook == h && h.ctx.Err() == nil
	if err == nil {
		b.markDoneLocked(u)
		b.stats.Delivered++
		if current {
			b.upd.backoff = 0
		}
		return
	}
	b.upd.queue.failed(u)
	if !current {
		// Cancelled by deleteWebhook or a new setWebhook: not the endpoint's fault.
		return
	}
	b.stats.DeliveryFailures++
	now := time.Now()
	b.upd.lastErrorDate, b.upd.lastErrorMessage = now.Unix(), err.Error()
	// Failures of deliveries that started before the pause do not stretch it.
	if !now.Before(b.upd.pauseUntil) {
		b.upd.backoff = min(max(2*b.upd.backoff, minBackoff), maxBackoff)
		b.upd.pauseUntil = now.Add(b.upd.backoff)
	}
	h.signal()
}

// deliveryError is a failed delivery in the words getWebhookInfo reports.
type deliveryError string

func (e deliveryError) Error() string { return string(e) }

// describeNetError phrases a transport error like Telegram's
// last_error_message.
func describeNetError(err error) string {
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "Connection refused"
	case errors.As(err, new(notLoopbackError)):
		return notLoopbackError{}.Error()
	case errors.As(err, &netErr) && netErr.Timeout():
		return "Read timeout expired"
	}
	return err.Error()
}
