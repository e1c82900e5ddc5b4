package inbox

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Channel is what a channel adapter (Telegram, email) gives the inbox: it
// sends one message at a time and says what it can do. The inbox owns the
// queue: order per chat, pacing by the channel's limits, retries.
type Channel interface {
	// Kind names the channel ("telegram").
	Kind() string
	// Capabilities are the channel's abilities and sending limits.
	Capabilities() Capabilities
	// Send delivers m to chat through the account ch and returns the
	// channel's id for what it sent. Failures are *SendError when the
	// adapter knows what to do next; any other error is retried.
	Send(ctx context.Context, ch ChannelRecord, chat Chat, m Message) (externalID string, err error)
	// Typing shows "typing…" in the chat for a few seconds, if it can.
	Typing(ctx context.Context, ch ChannelRecord, chat Chat) error
}

// Capabilities describe a channel to the inbox and the screens.
type Capabilities struct {
	Attachments bool `json:"attachments"`
	Typing      bool `json:"typing"`
	Edits       bool `json:"edits"`
	Groups      bool `json:"groups"`
	// MaxText is the longest text one message carries (longer is split).
	MaxText int `json:"max_text"`
	// Limits pace the sender of each account of the channel.
	Limits Limits `json:"-"`
}

// Limits are the most an account may send: Overall messages per second
// in total, and at most one message per PrivateGap to a private chat and
// per GroupGap to a group. Burst and Window, when set, are the channel's
// own count: at most Burst messages may reach it within any Window.
type Limits struct {
	Overall    float64
	PrivateGap time.Duration
	GroupGap   time.Duration
	Burst      int
	Window     time.Duration
}

// SendError tells the sender what a failed send means.
type SendError struct {
	// Retry: try again after After (the channel asked to wait, or was
	// down); Fail: this message can never go (the reason is shown to the
	// user); Broken: the account itself no longer works.
	Outcome      SendOutcome
	After        time.Duration
	WholeChannel bool // After applies to every chat of the account
	Reason       string
}

// SendOutcome is what to do after a failed send.
type SendOutcome int

// The outcomes of a failed send.
const (
	Retry SendOutcome = iota
	Fail
	Broken
)

func (e *SendError) Error() string {
	return fmt.Sprintf("send: %s (outcome %d, after %s)", e.Reason, e.Outcome, e.After)
}

// sendOutcome classifies err for the sender.
func sendOutcome(err error) *SendError {
	var se *SendError
	if errors.As(err, &se) {
		return se
	}
	return &SendError{Outcome: Retry, Reason: err.Error()}
}
