package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-telegram/bot"

	"github.com/kite-crm/kite/internal/inbox"
)

// RunLeased is the work of a bot on the replica holding its lease: the
// long poll for a bot without a webhook, a periodic token check for one
// with a webhook. It returns when ctx ends (the lease is lost) or the bot
// turns out broken.
func (a *Adapter) RunLeased(ctx context.Context, ch inbox.ChannelRecord) {
	if ch.Kind != Kind {
		return
	}
	if ch.Delivery == "polling" {
		a.poll(ctx, ch)
		return
	}
	a.checkHealth(ctx, ch)
}

// poll runs getUpdates from the bot's saved offset. Each update is stored
// (exactly once, by its update_id) before the offset moves past it, and
// Telegram forgets updates only when a later call confirms them by
// offset, so a crash anywhere loses nothing and stores nothing twice.
// The client library's own poller is not used: it moves its offset before
// the handler has stored the update.
func (a *Adapter) poll(ctx context.Context, ch inbox.ChannelRecord) {
	offset := ch.PollOffset
	var backoff time.Duration
	for ctx.Err() == nil {
		updates, err := a.getUpdates(ctx, ch, offset)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if errors.Is(err, bot.ErrorUnauthorized) {
				if err := a.inbox.MarkBroken(context.WithoutCancel(ctx), ch, "Telegram no longer accepts the bot's token (revoked in BotFather?). Connect the bot again with its new token."); err != nil {
					a.log.Warn("could not mark the bot broken", "channel", ch.ID, "err", err)
				}
				return
			}
			backoff = min(max(2*backoff, time.Second), time.Minute)
			a.log.Warn("getUpdates failed", "channel", ch.ID, "err", redact(err), "retry_in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		for _, raw := range updates {
			id, items, err := decodeUpdate(raw)
			if err != nil {
				continue // not an update: skip it rather than stall the bot
			}
			if _, err := a.inbox.Receive(ctx, ch, "update:"+strconv.FormatInt(id, 10), items); err != nil {
				a.log.Warn("could not store a Telegram update; polling it again", "channel", ch.ID, "update", id, "err", err)
				break
			}
			offset = max(offset, id+1)
		}
		if len(updates) > 0 {
			if err := a.inbox.SavePollOffset(context.WithoutCancel(ctx), ch.ID, offset); err != nil {
				a.log.Warn("could not save the poll offset", "channel", ch.ID, "err", err)
			}
		}
	}
}

// getUpdates is one long poll: the updates from offset on, raw.
func (a *Adapter) getUpdates(ctx context.Context, ch inbox.ChannelRecord, offset int64) ([]json.RawMessage, error) {
	token, err := a.keys.Open(ch.SecretSealed, sealContext)
	if err != nil {
		return nil, err
	}
	body, _ := json.Marshal(map[string]any{"offset": offset, "timeout": int(a.opts.PollTimeout / time.Second),
		"limit": 100, "allowed_updates": allowedUpdates})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.opts.APIURL+"/bot"+token+"/getUpdates", bytes.NewReader(body))
	if err != nil {
		return nil, redact(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, redact(err)
	}
	defer resp.Body.Close()
	var out struct {
		OK          bool              `json:"ok"`
		Result      []json.RawMessage `json:"result"`
		ErrorCode   int               `json:"error_code"`
		Description string            `json:"description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("getUpdates: status %d, not JSON", resp.StatusCode)
	}
	if !out.OK {
		if out.ErrorCode == http.StatusUnauthorized {
			return nil, fmt.Errorf("%w, %s", bot.ErrorUnauthorized, out.Description)
		}
		return nil, fmt.Errorf("getUpdates: %d %s", out.ErrorCode, out.Description)
	}
	return out.Result, nil
}

// checkHealth asks Telegram about a webhook bot now and then, so a token
// revoked while nobody sends anything still shows as broken in settings.
func (a *Adapter) checkHealth(ctx context.Context, ch inbox.ChannelRecord) {
	t := time.NewTicker(a.opts.HealthEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		b, err := a.client(ch)
		if err != nil {
			return
		}
		if _, err := b.GetWebhookInfo(ctx); errors.Is(err, bot.ErrorUnauthorized) {
			if err := a.inbox.MarkBroken(context.WithoutCancel(ctx), ch, "Telegram no longer accepts the bot's token (revoked in BotFather?). Connect the bot again with its new token."); err != nil {
				a.log.Warn("could not mark the bot broken", "channel", ch.ID, "err", err)
			}
			return
		}
	}
}
