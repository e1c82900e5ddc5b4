package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/kite-crm/kite/internal/inbox"
)

// maxText is the Bot API's limit of one message, in UTF-16 code units.
const maxText = 4096

// maxCaption is the Bot API's limit of a caption, in UTF-16 code units.
const maxCaption = 1024

// step sends one Telegram message of a Kite message.
type step func(ctx context.Context) (*models.Message, error)

// Send delivers a message: its text, split into parts of at most 4096
// UTF-16 code units, and its files, each as a photo or a document; the text
// is the first file's caption when it fits. A reply quotes the replied
// message in the first part. Parts already sent are remembered, so a retry
// after a refusal sends only the rest. It returns the Telegram id of the
// last part.
func (a *Adapter) Send(ctx context.Context, ch inbox.ChannelRecord, chat inbox.Chat, m inbox.Message) (string, error) {
	b, err := a.client(ch)
	if err != nil {
		return "", &inbox.SendError{Outcome: inbox.Broken, Reason: "The bot's token cannot be read; connect the bot again."}
	}
	chatID, err := strconv.ParseInt(chat.ExternalID, 10, 64)
	if err != nil {
		return "", &inbox.SendError{Outcome: inbox.Fail, Reason: "This chat has no Telegram chat id."}
	}
	var reply *models.ReplyParameters
	if id, err := strconv.Atoi(m.ReplyToExternalID); err == nil && m.ReplyToExternalID != "" {
		reply = &models.ReplyParameters{MessageID: id, AllowSendingWithoutReply: true}
	}
	steps := a.steps(b, chatID, m, reply)
	a.mu.Lock()
	done := a.parts[m.ID]
	a.mu.Unlock()
	var last *models.Message
	for i := done; i < len(steps); i++ {
		if last, err = steps[i](ctx); err != nil {
			a.mu.Lock()
			if i > 0 {
				a.parts[m.ID] = i
			}
			a.mu.Unlock()
			return "", sendError(err)
		}
	}
	a.mu.Lock()
	delete(a.parts, m.ID)
	a.mu.Unlock()
	if last == nil {
		return "", &inbox.SendError{Outcome: inbox.Fail, Reason: "There was nothing to send."}
	}
	return strconv.Itoa(last.ID), nil
}

// steps are the Telegram messages that make up m, in order.
func (a *Adapter) steps(b *bot.Bot, chatID int64, m inbox.Message, reply *models.ReplyParameters) []step {
	var steps []step
	caption := ""
	if len(m.Attachments) > 0 && utf16Len(m.Text) <= maxCaption {
		caption = m.Text
	} else {
		for _, part := range splitText(m.Text, maxText) {
			p := &bot.SendMessageParams{ChatID: chatID, Text: part, ReplyParameters: reply}
			reply = nil
			steps = append(steps, func(ctx context.Context) (*models.Message, error) { return b.SendMessage(ctx, p) })
		}
	}
	for _, att := range m.Attachments {
		att, c, r := att, caption, reply
		caption, reply = "", nil
		steps = append(steps, func(ctx context.Context) (*models.Message, error) {
			_, f, err := a.inbox.OpenFile(ctx, m.OrgID, att.FileID)
			if err != nil {
				return nil, fmt.Errorf("%w, the attached file %s is gone", bot.ErrorBadRequest, att.Name)
			}
			defer f.Close()
			upload := &models.InputFileUpload{Filename: att.Name, Data: f}
			if att.Kind == "photo" {
				return b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: chatID, Photo: upload, Caption: c, ReplyParameters: r})
			}
			return b.SendDocument(ctx, &bot.SendDocumentParams{ChatID: chatID, Document: upload, Caption: c, ReplyParameters: r})
		})
	}
	return steps
}

// sendError says what a Bot API failure means for the message: wait as
// long as Telegram asks (the whole bot waits, as a flood limit may be the
// bot's), fail it with a reason a person can act on, or mark the bot
// broken. Anything else (5xx, network) is retried with backoff.
func sendError(err error) error {
	var flood *bot.TooManyRequestsError
	switch {
	case errors.As(err, &flood):
		return &inbox.SendError{Outcome: inbox.Retry, After: time.Duration(max(flood.RetryAfter, 1)) * time.Second, WholeChannel: true,
			Reason: "Telegram asked to slow down; sending again in " + strconv.Itoa(max(flood.RetryAfter, 1)) + " s."}
	case errors.Is(err, bot.ErrorUnauthorized):
		return &inbox.SendError{Outcome: inbox.Broken, Reason: "Telegram no longer accepts the bot's token (revoked in BotFather?). Connect the bot again with its new token."}
	case errors.Is(err, bot.ErrorForbidden):
		reason := "The bot may not write to this chat."
		switch d := describe(err); {
		case strings.Contains(d, "blocked"):
			reason = "The person blocked the bot."
		case strings.Contains(d, "kicked"):
			reason = "The bot was removed from this group."
		case strings.Contains(d, "deactivated"):
			reason = "This Telegram account was deleted."
		}
		return &inbox.SendError{Outcome: inbox.Fail, Reason: reason}
	case errors.Is(err, bot.ErrorBadRequest), errors.Is(err, bot.ErrorNotFound):
		d := describe(err)
		if strings.Contains(d, "chat not found") {
			return &inbox.SendError{Outcome: inbox.Fail, Reason: "Telegram does not know this chat (the person may have deleted it)."}
		}
		return &inbox.SendError{Outcome: inbox.Fail, Reason: "Telegram refused the message: " + d}
	}
	return &inbox.SendError{Outcome: inbox.Retry, Reason: "Telegram is not answering; the message will be sent when it is back."}
}

// splitText cuts text into parts of at most limit UTF-16 code units (how
// Telegram counts), preferring to cut after a newline or a space.
func splitText(text string, limit int) []string {
	var parts []string
	for text != "" {
		if utf16Len(text) <= limit {
			parts = append(parts, text)
			break
		}
		// The longest prefix within the limit, never inside a rune.
		cut, units := 0, 0
		for i, r := range text {
			n := len(utf16.Encode([]rune{r}))
			if units+n > limit {
				cut = i
				break
			}
			units += n
		}
		head := text[:cut]
		if i := strings.LastIndexAny(head, "\n "); i > cut/2 {
			head = text[:i+1]
		}
		parts = append(parts, strings.TrimRight(head, " "))
		text = strings.TrimLeft(text[len(head):], " ")
	}
	return parts
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// Typing shows "typing…" in the chat; Telegram shows it for 5 seconds, so
// calls within 4 seconds of the last one for the same chat are skipped.
func (a *Adapter) Typing(ctx context.Context, ch inbox.ChannelRecord, chat inbox.Chat) error {
	a.mu.Lock()
	if time.Since(a.typing[chat.ID]) < 4*time.Second {
		a.mu.Unlock()
		return nil
	}
	a.typing[chat.ID] = time.Now()
	a.mu.Unlock()
	b, err := a.client(ch)
	if err != nil {
		return err
	}
	chatID, err := strconv.ParseInt(chat.ExternalID, 10, 64)
	if err != nil {
		return nil
	}
	if _, err := b.SendChatAction(ctx, &bot.SendChatActionParams{ChatID: chatID, Action: models.ChatActionTyping}); err != nil {
		a.log.Debug("typing action failed", "chat", chat.ID, "err", err)
	}
	return nil
}
