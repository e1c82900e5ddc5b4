package telegramtest

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"
)

const (
	defaultMaxConnections = 40
	maxMaxConnections     = 100
	maxSecretToken        = 256
)

// setWebhook implements https://core.telegram.org/bots/api#setwebhook.
func (s *Server) setWebhook(b *bot, in *request) (any, *apiError) {
	target := strings.TrimSpace(in.params["url"])
	if target == "" {
		return s.deleteWebhook(b, in)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if in.at.Before(b.upd.nextSetWebhook) {
		return nil, tooManyRequests(1)
	}
	b.upd.nextSetWebhook = in.at.Add(time.Second)

	if e := s.checkWebhookURL(target); e != nil {
		return nil, e
	}
	secret := in.params["secret_token"]
	if secret != "" && !validSecretToken(secret) {
		return nil, badRequest("secret token contains unallowed characters")
	}
	maxConn := in.intArg("max_connections", defaultMaxConnections, 1, maxMaxConnections)
	_, hasCert := in.files["certificate"]
	drop := in.boolArg("drop_pending_updates")
	allowed, setAllowed := in.listArg("allowed_updates")
	if setAllowed {
		b.upd.allowed = allowed
	}

	if cur := b.upd.hook; cur != nil && cur.url == target && cur.secret == secret &&
		cur.maxConn == maxConn && !cur.hasCert && !hasCert && !drop {
		return described{true, "Webhook is already set"}, nil
	}
	if drop {
		b.upd.queue.dropAll()
		b.noteDrainedLocked()
	}
	b.stopWebhookLocked()
	ctx, stop := context.WithCancel(s.ctx)
	h := &webhook{
		url: target, secret: secret, maxConn: maxConn, hasCert: hasCert,
		client: newWebhookClient(maxConn), work: make(chan struct{}, 1), ctx: ctx, stop: stop,
	}
	b.upd.hook = h
	b.upd.queue.restartDelivery()
	b.upd.backoff, b.upd.pauseUntil = 0, time.Time{}
	b.upd.lastErrorDate, b.upd.lastErrorMessage = 0, ""
	b.wakePollersLocked() // a waiting getUpdates now ends with 409
	s.startWorkers(maxConn, func() { s.deliverLoop(b, h) })
	h.signal()
	return described{true, "Webhook was set"}, nil
}

// deleteWebhook implements https://core.telegram.org/bots/api#deletewebhook.
// Pending updates stay for getUpdates unless drop_pending_updates is set.
func (s *Server) deleteWebhook(b *bot, in *request) (any, *apiError) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if in.boolArg("drop_pending_updates") {
		b.upd.queue.dropAll()
		b.noteDrainedLocked()
	}
	if !b.stopWebhookLocked() {
		return described{true, "Webhook is already deleted"}, nil
	}
	b.upd.lastErrorDate, b.upd.lastErrorMessage = 0, ""
	return described{true, "Webhook was deleted"}, nil
}

// stopWebhookLocked ends delivery to the current webhook, if any, and
// reports whether there was one.
func (b *bot) stopWebhookLocked() bool {
	h := b.upd.hook
	if h == nil {
		return false
	}
	h.stop()
	b.upd.hook = nil
	return true
}

// webhookInfo is the Bot API's WebhookInfo; optional fields are left out as
// Telegram leaves them out.
type webhookInfo struct {
	URL                  string   `json:"url"`
	HasCustomCertificate bool     `json:"has_custom_certificate"`
	PendingUpdateCount   int      `json:"pending_update_count"`
	LastErrorDate        int64    `json:"last_error_date,omitempty"`
	LastErrorMessage     string   `json:"last_error_message,omitempty"`
	MaxConnections       int      `json:"max_connections,omitempty"`
	AllowedUpdates       []string `json:"allowed_updates,omitempty"`
}

// getWebhookInfo implements https://core.telegram.org/bots/api#getwebhookinfo.
func (s *Server) getWebhookInfo(b *bot, _ *request) (any, *apiError) {
	b.mu.Lock()
	defer b.mu.Unlock()
	info := webhookInfo{
		PendingUpdateCount: b.upd.queue.pending,
		LastErrorDate:      b.upd.lastErrorDate,
		LastErrorMessage:   b.upd.lastErrorMessage,
		AllowedUpdates:     slices.Clone(b.upd.allowed),
	}
	if h := b.upd.hook; h != nil {
		info.URL, info.HasCustomCertificate, info.MaxConnections = h.url, h.hasCert, h.maxConn
	}
	return info, nil
}

// checkWebhookURL applies Telegram's rules for webhook URLs, relaxed to any
// http:// URL and port with WithInsecureWebhooks.
func (s *Server) checkWebhookURL(raw string) *apiError {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return badRequest("invalid webhook URL specified")
	}
	if s.insecureWebhooks {
		return nil
	}
	if u.Scheme != "https" {
		return badRequest("bad webhook: An HTTPS URL must be provided for webhook")
	}
	switch u.Port() {
	case "", "80", "88", "443", "8443":
		return nil
	}
	return badRequest("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
}

// validSecretToken reports whether tok is 1-256 characters of A-Z, a-z,
// 0-9, _ and -, the only ones Telegram accepts.
func validSecretToken(tok string) bool {
	if len(tok) == 0 || len(tok) > maxSecretToken {
		return false
	}
	for _, c := range []byte(tok) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}
