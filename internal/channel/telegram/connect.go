package telegram

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-telegram/bot"

	"github.com/kite-crm/kite/internal/inbox"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// WebhookPath is where Telegram delivers updates to Kite.
const WebhookPath = "/api/v1/integrations/telegram/webhook"

// allowedUpdates are the update kinds Kite asks Telegram for.
var allowedUpdates = []string{"message", "edited_message", "my_chat_member"}

var tokenShape = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$`)

// Connect checks a bot token with getMe, sets up how updates arrive
// (a webhook with a fresh secret, or long polling), and stores the bot as
// a channel of the actor's org with its token sealed.
func (a *Adapter) Connect(ctx context.Context, actor org.Actor, token string) (inbox.ChannelRecord, error) {
	token = strings.TrimSpace(token)
	if !tokenShape.MatchString(token) {
		return inbox.ChannelRecord{}, httpx.Invalid("body.bot_token", "This is not a bot token. BotFather gives one like 123456789:AAE…, a number, a colon and 35 letters.")
	}
	b, err := a.newClient(token)
	if err != nil {
		return inbox.ChannelRecord{}, err
	}
	me, err := b.GetMe(ctx)
	if err != nil {
		return inbox.ChannelRecord{}, apiProblem(err, "check the token")
	}
	rec := inbox.ChannelRecord{Kind: Kind, Name: joinName(me.FirstName, me.LastName, me.Username), ExternalID: strconv.FormatInt(me.ID, 10),
		Username: me.Username, SecretSealed: a.keys.Seal(token, sealContext), Delivery: "polling"}
	if a.opts.Webhooks {
		secret := newSecret()
		_, err := b.SetWebhook(ctx, &bot.SetWebhookParams{URL: a.opts.PublicURL() + WebhookPath, SecretToken: secret,
			AllowedUpdates: allowedUpdates, MaxConnections: 40})
		if err != nil {
			return inbox.ChannelRecord{}, apiProblem(err, "register the webhook")
		}
		key := webhookKey(secret)
		rec.Delivery, rec.WebhookKey = "webhook", &key
	} else if _, err := b.DeleteWebhook(ctx, &bot.DeleteWebhookParams{}); err != nil {
		// A webhook left by another program would keep getUpdates failing.
		return inbox.ChannelRecord{}, apiProblem(err, "switch the bot to long polling")
	}
	return a.inbox.ConnectChannel(ctx, actor, rec)
}

// Disconnect removes the bot's webhook so Telegram stops calling Kite, and
// forgets its secret here at once (other replicas within hookCacheFor).
func (a *Adapter) Disconnect(ctx context.Context, ch inbox.ChannelRecord) error {
	a.mu.Lock()
	for key, e := range a.hooks {
		if e.ch.ID == ch.ID {
			delete(a.hooks, key)
		}
	}
	a.mu.Unlock()
	b, err := a.client(ch)
	if err != nil {
		return err
	}
	_, err = b.DeleteWebhook(ctx, &bot.DeleteWebhookParams{})
	return err
}

// newSecret is a webhook secret token: 32 random bytes in the characters
// Telegram allows (A-Z, a-z, 0-9, _ and -).
func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// apiProblem turns a Bot API failure during setup into an answer the admin
// can act on.
func apiProblem(err error, doing string) error {
	switch {
	case errors.Is(err, bot.ErrorUnauthorized), errors.Is(err, bot.ErrorNotFound):
		return httpx.Invalid("body.bot_token", "Telegram does not accept this token: it was mistyped or revoked. Copy it again from BotFather.")
	case errors.Is(err, bot.ErrorBadRequest):
		return httpx.NewProblem(http.StatusUnprocessableEntity, "telegram_refused", "Telegram refused to "+doing+": "+describe(err))
	case bot.IsTooManyRequestsError(err):
		return httpx.NewProblem(http.StatusServiceUnavailable, "telegram_busy", "Telegram asks to wait before trying to "+doing+" again.")
	}
	return httpx.NewProblem(http.StatusBadGateway, "telegram_unreachable", "Telegram could not be reached to "+doing+". Try again in a minute.")
}

// describe is the Bot API's own description of an error, without the
// library's prefix.
func describe(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ", "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}
