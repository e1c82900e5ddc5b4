// Package telegram connects Telegram bots to the inbox: it checks and
// stores a bot's token, receives updates by webhook or long polling
// (exactly once, through inbox.Receive), sends messages through the Bot
// API (paced by the inbox sender within Telegram's limits) and fetches
// received files. The telegramtest package next to it is a Bot API
// server for tests.
package telegram

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/go-telegram/bot"

	"github.com/kite-crm/kite/internal/inbox"
	"github.com/kite-crm/kite/internal/platform/crypto"
)

// Kind is the channel kind of Telegram bots.
const Kind = "telegram"

// sealContext binds sealed bot tokens to their use.
const sealContext = "telegram:bot-token"

// Options configure the adapter.
type Options struct {
	Inbox *inbox.Service
	Keys  *crypto.Keyring
	// APIURL is the Bot API server (https://api.telegram.org).
	APIURL string
	// PublicURL is where Telegram reaches Kite (asked when a bot connects).
	PublicURL func() string
	// Webhooks: updates come by webhook; otherwise by long polling.
	Webhooks bool
	// PollTimeout is a long poll's wait (default 25 s).
	PollTimeout time.Duration
	// HealthEvery is how often a webhook bot's token is checked (default 5 min).
	HealthEvery time.Duration
	Logger      *slog.Logger
}

// Adapter is the Telegram channel.
type Adapter struct {
	opts   Options
	inbox  *inbox.Service
	keys   *crypto.Keyring
	http   *http.Client
	log    *slog.Logger
	mu     sync.Mutex
	bots   map[string]*bot.Bot // by sealed token: a new token makes a new client
	parts  map[string]int      // parts of a long message already sent, by message id
	hooks  map[string]hookEntry
	typing map[string]time.Time // last typing action per chat
}

type hookEntry struct {
	ch inbox.ChannelRecord
	at time.Time
}

// New builds the adapter; register it with inbox.AddChannel.
func New(o Options) *Adapter {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.PollTimeout <= 0 {
		o.PollTimeout = 25 * time.Second
	}
	if o.HealthEvery <= 0 {
		o.HealthEvery = 5 * time.Minute
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 32
	return &Adapter{opts: o, inbox: o.Inbox, keys: o.Keys, log: o.Logger,
		http: &http.Client{Transport: transport, Timeout: o.PollTimeout + 15*time.Second},
		bots: map[string]*bot.Bot{}, parts: map[string]int{}, hooks: map[string]hookEntry{}, typing: map[string]time.Time{}}
}

// Kind is "telegram".
func (a *Adapter) Kind() string { return Kind }

// Capabilities are a bot's: text up to 4096 characters, files, typing,
// edits, groups; and Telegram's sending limits per bot: about 30 messages
// a second in all, one a second to a private chat, 20 a minute to a group.
// The sender spaces sends a little wider than the limits, because Telegram
// counts when a request arrives, not when it left: a request delayed on
// the way must not land inside the window of the one after it.
func (a *Adapter) Capabilities() inbox.Capabilities {
	return inbox.Capabilities{Attachments: true, Typing: true, Edits: true, Groups: true, MaxText: maxText,
		Limits: inbox.Limits{Overall: 29.5, PrivateGap: 1050 * time.Millisecond, GroupGap: 3100 * time.Millisecond,
			Burst: 30, Window: time.Second}}
}

// client is a Bot API client for the channel's token.
func (a *Adapter) client(ch inbox.ChannelRecord) (*bot.Bot, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if b, ok := a.bots[ch.SecretSealed]; ok {
		return b, nil
	}
	token, err := a.keys.Open(ch.SecretSealed, sealContext)
	if err != nil {
		return nil, err
	}
	b, err := a.newClient(token)
	if err != nil {
		return nil, err
	}
	a.bots[ch.SecretSealed] = b
	return b, nil
}

func (a *Adapter) newClient(token string) (*bot.Bot, error) {
	return bot.New(token, bot.WithServerURL(a.opts.APIURL), bot.WithSkipGetMe(),
		bot.WithHTTPClient(a.opts.PollTimeout, a.http), bot.WithErrorsHandler(func(err error) {
			a.log.Debug("telegram client", "err", err)
		}))
}

// webhookKey is what the webhook looks a bot up by: the SHA-256 of its
// secret token, so the database never holds the secret itself.
func webhookKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
