package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"

	"github.com/kite-crm/kite/internal/inbox"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// The webhook finds its bot by the secret token Telegram sends in a header
// (set when the bot was connected). An unknown or missing secret is 401
// and nothing is stored; an update is acknowledged (200) only after it is
// committed, so an update whose call failed is delivered again and
// recognised by its update_id.

type webhookInput struct {
	Secret  string `header:"X-Telegram-Bot-Api-Secret-Token" maxLength:"256"`
	RawBody []byte
}

type webhookOutput struct {
	Body struct {
		OK bool `json:"ok"`
	}
}

var errNoSecret = httpx.NewProblem(http.StatusUnauthorized, "unauthorized", "Unknown or missing X-Telegram-Bot-Api-Secret-Token.")

// receiveWebhook stores one update delivered by Telegram.
func (a *Adapter) receiveWebhook(ctx context.Context, in *webhookInput) (*webhookOutput, error) {
	ch, err := a.botBySecret(ctx, in.Secret)
	if err != nil {
		return nil, err
	}
	id, items, err := decodeUpdate(in.RawBody)
	if err != nil {
		return nil, httpx.NewProblem(http.StatusBadRequest, "malformed_update", "The body is not a Telegram update.")
	}
	if _, err := a.inbox.Receive(ctx, ch, "update:"+strconv.FormatInt(id, 10), items); err != nil {
		a.log.Error("could not store a Telegram update", "channel", ch.ID, "update", id, "err", err)
		return nil, httpx.NewProblem(http.StatusServiceUnavailable, "unavailable", "The update could not be stored; Telegram will deliver it again.")
	}
	out := &webhookOutput{}
	out.Body.OK = true
	return out, nil
}

// hookCacheFor is how long a bot found by its secret is remembered: a
// disconnected bot may still be accepted this long after it is gone.
const hookCacheFor = 10 * time.Second

// botBySecret finds the connected bot whose webhook secret this is. The
// lookup is by the secret's hash; the hashes are then compared in constant
// time, so the answer's timing says nothing about how close a guess was.
func (a *Adapter) botBySecret(ctx context.Context, secret string) (inbox.ChannelRecord, error) {
	if secret == "" {
		return inbox.ChannelRecord{}, errNoSecret
	}
	key := webhookKey(secret)
	a.mu.Lock()
	e, ok := a.hooks[key]
	a.mu.Unlock()
	if !ok || time.Since(e.at) > hookCacheFor {
		ch, found, err := a.inbox.ChannelByWebhookKey(ctx, key)
		if err != nil {
			return inbox.ChannelRecord{}, httpx.NewProblem(http.StatusServiceUnavailable, "unavailable", "Try again.")
		}
		if !found {
			return inbox.ChannelRecord{}, errNoSecret
		}
		e = hookEntry{ch: ch, at: time.Now()}
		a.mu.Lock()
		a.hooks[key] = e
		a.mu.Unlock()
	}
	want, _ := hex.DecodeString(derefOr(e.ch.WebhookKey))
	got, _ := hex.DecodeString(key)
	if len(want) == 0 || subtle.ConstantTimeCompare(want, got) != 1 {
		return inbox.ChannelRecord{}, errNoSecret
	}
	return e.ch, nil
}

func derefOr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
